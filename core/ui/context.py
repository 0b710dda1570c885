"""Per-request context of the web UI: the instance, the signed-in actor and their language.

Views reach everything through these functions; nothing is imported as a global.
"""

from __future__ import annotations

from dataclasses import replace

from babel import Locale
from flask import current_app, g

from core.formatting import language_locale
from core.i18n import Translator, language_name
from core.i18n_metadata import MetadataTranslator
from core.metadata.specs import EntitySpec, Registry
from core.officina import Officina
from core.records.actor import Actor
from core.records.errors import NotFound
from core.records.permissions import FieldAccess


def officina() -> Officina:
    """The running instance (database, registry, records service, rules engine)."""
    return current_app.extensions["officina"]


def registry() -> Registry:
    """The live registry, reloaded when another process changed the metadata."""
    return officina().registry.current().registry


def actor() -> Actor:
    """The signed-in user, in the language of this request."""
    signed_in: Actor | None = g.get("actor")
    if signed_in is None:
        raise RuntimeError("no signed-in user in this request")
    return signed_in


def language() -> str:
    """The language of this request (one of ``offered_languages()``)."""
    return g.get("language", "en")


def offered_languages() -> tuple[str, ...]:
    """The languages this instance offers (``[i18n] languages``), the default first."""
    return officina().settings.languages


def language_names() -> dict[str, str]:
    """Each offered language's code and name in that language (``it``: ``Italiano``)."""
    return {code: language_name(code) for code in offered_languages()}


def translator() -> Translator:
    """Officina's own messages in the request's language, with the packs' over them."""
    if "translator" not in g:
        g.translator = Translator(language(), registry().packs)
    return g.translator


def labels() -> MetadataTranslator:
    """Pack labels (entities, fields, options) in the request's language."""
    if "labels" not in g:
        g.labels = MetadataTranslator.for_registry(registry(), language())
    return g.labels


def locale() -> Locale:
    """The Babel locale used to format dates, numbers and money."""
    if "locale" not in g:
        g.locale = language_locale(language())
    return g.locale


def gettext(message: str, **values: object) -> str:
    """Translate one of Officina's messages into the request's language."""
    return translator().gettext(message, **values)


def pgettext(context: str, message: str, **values: object) -> str:
    """Translate ``message`` as meant in ``context`` into the request's language."""
    return translator().pgettext(context, message, **values)


def ngettext(singular: str, plural: str, count: int, **values: object) -> str:
    """The form of a message for ``count`` in the request's language (``{count}`` filled)."""
    return translator().ngettext(singular, plural, count, **values)


def entity_spec(name: str) -> EntitySpec:
    """The entity named in a URL; ``NotFound`` for unknown names and child tables."""
    spec = registry().entities.get(name)
    if spec is None or spec.is_child:
        raise NotFound(gettext("No such page."))
    return spec


def may(entity_name: str, action: str) -> bool:
    """Whether the signed-in user may ``action`` records of ``entity_name`` at all."""
    try:
        return officina().records.can(actor(), entity_name, action)
    except NotFound:
        return False


def field_access(entity_name: str, action: str = "update") -> FieldAccess:
    """The fields of ``entity_name`` the signed-in user may read, and write on ``action``."""
    return officina().records.field_access(actor(), entity_name, action)


def page_template(kind: str, entity: EntitySpec) -> list[str]:
    """Templates to try for one entity's page: a pack's ``ui/templates/<entity>/<kind>.html``
    first, then the generated page ``<kind>.html`` (which a pack may also replace whole)."""
    return [f"{entity.name}/{kind}.html", f"{kind}.html"]


def set_actor(signed_in: Actor, request_language: str) -> None:
    """Remember the signed-in user for this request, speaking ``request_language``."""
    g.language = request_language
    g.actor = replace(signed_in, language=request_language)
