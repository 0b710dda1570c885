"""Messages about an entity that agree with its label's gender.

A pack declares, per language, the gender and articles of each entity's label (``grammar``
in its entity YAML). ``MetadataTranslator.entity_message`` then picks the message's form of
that gender: the catalog's entry with the gender as its context ("Nuova {entity}"), else the
plain translation, which reads as the masculine. Each message is listed here in both forms,
so the catalog extractor puts both into the catalogs for translators; code that says it
uses the plain message as usual (``_("New {entity}")``).
"""

from __future__ import annotations

from core.i18n import _

GENDERS = ("masculine", "feminine")


def pgettext(context: str, message: str) -> str:
    """Mark ``message`` in ``context`` for the catalogs (it is not translated here)."""
    return message


AGREEING = (
    _("New {entity}"), pgettext("feminine", "New {entity}"),
    _("{entity} {ref} saved."), pgettext("feminine", "{entity} {ref} saved."),
    _("{entity} {ref} deleted."), pgettext("feminine", "{entity} {ref} deleted."),
    _("No {entity} \"{key}\" exists."), pgettext("feminine", "No {entity} \"{key}\" exists."),
    _("No {entity} \"{value}\" exists."),
    pgettext("feminine", "No {entity} \"{value}\" exists."),
    _("The {entity} and its lines will be deleted. This cannot be undone."),
    pgettext("feminine", "The {entity} and its lines will be deleted. This cannot be undone."),
)

__all__ = ["AGREEING", "GENDERS"]
