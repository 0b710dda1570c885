"""The documents service: list, render, upload, version and restore Word templates.

A template of an entity has a name and one ``.docx`` per language. A pack ships them in
``templates/`` (see ``core.metadata.document_templates``); an administrator's upload, kept
in the database with every earlier version, replaces the pack's file of the same name and
language. Rendering reads the record as the acting user and runs only in the sandbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError

from core.documents import store
from core.documents.context import LinkReader, RecordView
from core.documents.errors import DocumentError
from core.documents.render import Limits, RenderFailure, render_docx
from core.documents.store import TemplateVersion
from core.documents.validation import template_problems
from core.documents.values import Formatter
from core.files import safe_file_name
from core.i18n import Translator, _
from core.i18n_metadata import MetadataTranslator
from core.metadata.document_templates import TEMPLATE_NAME
from core.metadata.names import default_label
from core.metadata.specs import EntitySpec, Registry
from core.records.actor import Actor
from core.records.errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from core.records.service import RecordsService
    from core.storage.database import Database

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
FORMATS = ("docx", "pdf")

__all__ = ["DocumentError", "DocumentService", "RenderedDocument", "TemplateInfo",
           "TemplateVersion"]


@dataclass(frozen=True)
class TemplateInfo:
    """One named template of an entity."""

    name: str
    entity: str
    label: str  # English source label (translate with MetadataTranslator)
    languages: tuple[str, ...]
    source: str  # "pack" or "instance" (an administrator's upload overrides)
    version: int  # current version (pack templates: 0)


@dataclass(frozen=True)
class RenderedDocument:
    """A rendered document, ready to download or attach."""

    filename: str
    content_type: str
    data: bytes


class DocumentService:
    """Documents of one instance; every call carries the acting user.

    It reads records through ``records`` (with their permissions), keeps templates in
    ``database``, and shows dates in ``timezone``.
    """

    def __init__(self, records: RecordsService, database: Database, timezone: str,
                 limits: Limits | None = None):
        self.records = records
        self.database = database
        self.timezone = timezone
        self.limits = limits or Limits()

    # -- helpers ---------------------------------------------------------------------------

    @property
    def _registry(self) -> Registry:
        return self.records.registry.current().registry

    def _entity(self, t: Translator, entity: str) -> EntitySpec:
        spec = self._registry.entities.get(entity)
        if spec is None or spec.is_child:
            raise NotFound(t.gettext(_("Unknown entity \"{entity}\"."), entity=entity))
        return spec

    def _require_admin(self, actor: Actor, t: Translator) -> None:
        if not actor.is_admin:
            raise PermissionDenied(t.gettext(_("Only an administrator may change document "
                                               "templates.")))

    def _pack_template(self, entity: str, name: str) -> Any:
        spec = self._registry.document_templates.get(name)
        return spec if spec is not None and spec.entity == entity else None

    # -- listing ---------------------------------------------------------------------------

    def templates_for(self, actor: Actor, entity: str) -> list[TemplateInfo]:
        """The templates the actor may print records of ``entity`` with, by name."""
        t = Translator(actor.language)
        self._entity(t, entity)
        self.records.require(actor, entity, "read")
        found: dict[str, dict[str, Any]] = {}
        for spec in self._registry.templates_of(entity):
            found[spec.name] = {"label": spec.label, "languages": set(spec.files),
                                "source": "pack", "version": 0}
        with self.database.read() as connection:
            uploads = store.active_uploads(connection, entity)
        for upload in uploads:
            info = found.setdefault(upload.name, {"label": upload.label or
                                                  default_label(upload.name),
                                                  "languages": set(), "version": 0})
            info["languages"].add(upload.language)
            info["source"] = "instance"
            info["version"] = max(info["version"], upload.version)
            if upload.label:
                info["label"] = upload.label
        return [TemplateInfo(name=name, entity=entity, label=info["label"],
                             languages=tuple(sorted(info["languages"])), source=info["source"],
                             version=info["version"])
                for name, info in sorted(found.items())]

    # -- rendering -------------------------------------------------------------------------

    def _language(self, t: Translator, info: TemplateInfo, wanted: str | None,
                  actor: Actor) -> str:
        if wanted is not None:
            if wanted not in info.languages:
                raise DocumentError(t.gettext(
                    _("The template \"{template}\" has no {language} version (it has: "
                      "{languages})."), template=info.name, language=wanted,
                    languages=", ".join(info.languages)))
            return wanted
        for candidate in (actor.language, "en"):
            if candidate in info.languages:
                return candidate
        return info.languages[0]

    def _template_bytes(self, entity: str, name: str, language: str) -> bytes:
        with self.database.read() as connection:
            uploaded = store.active_content(connection, entity, name, language)
        if uploaded is not None:
            return bytes(uploaded)
        spec = self._pack_template(entity, name)
        return Path(spec.files[language]).read_bytes()

    def choose(self, actor: Actor, entity: str, template: str, *, language: str | None,
               format: str) -> tuple[EntitySpec, TemplateInfo, str]:
        """The entity, template and language a render would use; ``DocumentError`` for an
        unknown format or language, ``NotFound`` for an unknown template."""
        t = Translator(actor.language)
        if format not in FORMATS:
            raise DocumentError(t.gettext(_("Unknown document format \"{format}\": choose "
                                            "docx or pdf."), format=format))
        spec = self._entity(t, entity)
        info = next((i for i in self.templates_for(actor, entity) if i.name == template), None)
        if info is None:
            raise NotFound(t.gettext(_("The {entity} has no document template \"{template}\"."),
                                     entity=spec.label.lower(), template=template))
        return spec, info, self._language(t, info, language, actor)

    def render(self, actor: Actor, entity: str, key: int | str, template: str, *,
               language: str | None = None, format: str = "docx") -> RenderedDocument:
        """Record ``key`` of ``entity`` printed with ``template``, as .docx or PDF.

        The record is read as ``actor`` (``NotFound``/``PermissionDenied`` as the records
        service raises them); a template that fails raises ``DocumentError`` naming it.
        """
        t = Translator(actor.language)
        spec, info, lang = self.choose(actor, entity, template, language=language,
                                       format=format)
        record = self.records.get(actor, entity, key)
        data = self._render_record(actor, spec, record, info.name, lang, t)
        reference = record.get("ref") or f"{entity}-{record['id']}"
        stem = safe_file_name(f"{reference}-{info.name}.{lang}")
        if format == "pdf":
            from core.documents.pdf import convert_to_pdf  # the PDF converter, loaded on use

            return RenderedDocument(f"{stem}.pdf", PDF_TYPE,
                                    convert_to_pdf(data, language=actor.language))
        return RenderedDocument(f"{stem}.docx", DOCX_TYPE, data)

    def _render_record(self, actor: Actor, entity: EntitySpec, record: dict[str, Any],
                       template: str, language: str, t: Translator) -> bytes:
        registry = self._registry
        translator = MetadataTranslator.for_registry(registry, language)
        reader = LinkReader(self.records, actor, registry, translator)
        timezone = self.timezone
        formatter = Formatter(language, timezone)
        now = dt.datetime.now(ZoneInfo(timezone)).replace(tzinfo=None)
        context = {"record": RecordView(entity, record, reader),
                   "label": translator.gettext, "language": language,
                   "today": now.date(), "now": dt.datetime.now(dt.UTC).replace(tzinfo=None)}
        files = self.records.files

        def read_file(key: str) -> bytes:
            if files is None:
                raise FileNotFoundError(key)
            return files.read(key)

        source = self._template_bytes(entity.name, template, language)
        try:
            return render_docx(source, context, formatter, read_file, self.limits)
        except RenderFailure as exc:
            where = f" ({exc.where})" if exc.where else ""
            raise DocumentError(t.gettext(
                _("The template \"{template}\" could not be rendered{where}: {problem}"),
                template=f"{template}.{language}", where=where, problem=exc.problem)) from None

    # -- administration --------------------------------------------------------------------

    def validate(self, entity: str, data: bytes) -> list[str]:
        """Why ``data`` cannot be a template of ``entity`` (``[]`` when it can)."""
        registry = self._registry
        spec = registry.entities.get(entity)
        if spec is None:
            return [f"unknown entity '{entity}'"]
        return template_problems(registry, spec, data)

    def _check_names(self, t: Translator, entity: str, name: str, language: str) -> None:
        self._entity(t, entity)
        if not TEMPLATE_NAME.match(name) or len(name) > 63:
            raise DocumentError(t.gettext(_("\"{name}\" is not a valid template name: use "
                                            "lowercase letters, digits and underscores."),
                                          name=name))
        other = self._registry.document_templates.get(name)
        if other is not None and other.entity != entity:
            raise DocumentError(t.gettext(_("The template \"{name}\" belongs to {entity}."),
                                          name=name, entity=other.entity))
        try:
            Locale.parse(language)
        except (UnknownLocaleError, ValueError):
            raise DocumentError(t.gettext(_("Unknown language \"{language}\"."),
                                          language=language)) from None

    def upload(self, actor: Actor, entity: str, name: str, language: str, data: bytes,
               label: str | None = None) -> int:
        """Check and store a new version of a template; it replaces the one in use.

        On any problem ``DocumentError`` lists them and the template in use stays.
        """
        t = Translator(actor.language)
        self._require_admin(actor, t)
        self._check_names(t, entity, name, language)
        self._refuse_problems(t, name, language, self.validate(entity, data))
        with self.database.write() as connection:
            return store.add_version(connection, entity, name, language, data,
                                     username=actor.username, now=self._now(),
                                     label=label)

    @staticmethod
    def _refuse_problems(t: Translator, name: str, language: str, problems: list[str]) -> None:
        if problems:
            raise DocumentError(t.gettext(_("The template \"{template}\" was not accepted; "
                                            "the one in use stays:"),
                                          template=f"{name}.{language}"), problems)

    def _now(self) -> dt.datetime:
        return self.records.clock()

    def _withdraw_from_removed_entity(self, t: Translator, entity: str, name: str,
                                      language: str) -> int:
        with self.database.write() as connection:
            if store.active_content(connection, entity, name, language) is None:
                raise NotFound(t.gettext(_("Unknown entity \"{entity}\"."), entity=entity))
            store.deactivate(connection, entity, name, language)
        return 0

    def versions(self, actor: Actor, entity: str, name: str,
                 language: str) -> list[TemplateVersion]:
        """Every uploaded version of a template in one language, newest first."""
        t = Translator(actor.language)
        self._require_admin(actor, t)
        self._entity(t, entity)
        with self.database.read() as connection:
            return store.versions(connection, entity, name, language)

    def restore(self, actor: Actor, entity: str, name: str, language: str,
                version: int) -> int:
        """Use an earlier version again, as a new version (history is kept).

        Version 0 goes back to the pack's own file: no upload is in use afterwards. For a
        template the pack does not ship, version 0 withdraws it (its versions are kept and
        can be restored); that is how an entity with uploads can be removed, also once the
        packs no longer have it.
        """
        t = Translator(actor.language)
        self._require_admin(actor, t)
        if version == 0 and entity not in self._registry.entities:
            return self._withdraw_from_removed_entity(t, entity, name, language)
        self._check_names(t, entity, name, language)
        with self.database.write() as connection:
            if version == 0:
                pack = self._pack_template(entity, name)
                in_use = store.active_content(connection, entity, name, language) is not None
                if (pack is None or language not in pack.files) and not in_use:
                    raise DocumentError(t.gettext(
                        _("The template \"{template}\" has no version from the pack."),
                        template=f"{name}.{language}"))
                store.deactivate(connection, entity, name, language)
                return 0
            content = store.version_content(connection, entity, name, language, version)
            if content is None:
                raise NotFound(t.gettext(_("The template \"{template}\" has no version "
                                           "{version}."), template=f"{name}.{language}",
                                         version=version))
            content = bytes(content)
            self._refuse_problems(t, name, language, self.validate(entity, content))
            label = store.label_of(connection, entity, name, language, version)
            return store.add_version(connection, entity, name, language, content,
                                     username=actor.username, now=self._now(), label=label)
