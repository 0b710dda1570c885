"""Administration of document templates: the templates of each entity, uploads and versions.

An administrator uploads a .docx for (entity, name, language); the document service checks it
first (a corrupt file, a syntax error or an unknown variable is refused with its location) and
only then stores it as a new version, so a refused upload leaves the version in use as it
was. Each template lists its uploaded versions (who, when, size), which can be downloaded, and
an earlier one restored. The request's size is limited by ``MAX_CONTENT_LENGTH`` (413 page).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, send_file, url_for

from core.documents import store
from core.documents.errors import DocumentError
from core.files import safe_file_name
from core.formatting import format_datetime
from core.records.errors import NotFound, RecordError
from core.ui.access import ADMIN, access
from core.ui.context import (
    actor,
    entity_spec,
    gettext,
    labels,
    language_names,
    locale,
    offered_languages,
    officina,
    registry,
)
from core.ui.views.documents import service

admin_documents = Blueprint("admin_documents", __name__, url_prefix="/admin/documents")

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
Errors = dict[str, list[str]]


@dataclass(frozen=True)
class EntityTemplates:
    """The templates of one entity, for the index page."""

    entity: Any
    templates: list[Any]


def _when(value: Any) -> str:
    return format_datetime(value, locale(), officina().settings.timezone) if value else ""


@admin_documents.context_processor
def _values() -> dict[str, object]:
    return {"language_names": language_names(), "when": _when}


def _entities() -> list[Any]:
    return sorted((e for e in registry().entities.values() if not e.is_child),
                  key=lambda e: labels().entity_plural(e))


def _template(entity: str, name: str) -> Any | None:
    return next((t for t in service().templates_for(actor(), entity) if t.name == name), None)


def _index(form: dict[str, str], errors: Errors, problems: list[str], status: int
           ) -> tuple[str, int]:
    groups = []
    for spec in _entities():
        try:
            found = service().templates_for(actor(), spec.name)
        except RecordError:
            continue
        if found:
            groups.append(EntityTemplates(spec, found))
    return render_template("documents_admin.html", groups=groups, entities=_entities(),
                           form=form, errors=errors, problems=problems), status


@admin_documents.get("")
@access(ADMIN)
def index() -> tuple[str, int]:
    """Every entity's templates (from its pack or uploaded here), and the upload form."""
    return _index({"language": offered_languages()[0]}, {}, [], 200)


def _read_upload(errors: Errors) -> bytes:
    upload = request.files.get("file")
    data = upload.read() if upload is not None and upload.filename else b""
    if not data:
        errors["file"] = [gettext("Choose a .docx file to upload.")]
    return data


def _upload(entity: str, name: str, language: str, data: bytes, label: str | None
            ) -> tuple[int | None, list[str]]:
    """Upload through the service: the new version, or the problems that refused it."""
    try:
        version = service().upload(actor(), entity, name, language, data, label=label or None)
    except DocumentError as exc:
        problems = list(getattr(exc, "problems", []) or [])
        return None, [exc.message, *problems]
    return version, []


@admin_documents.post("/upload")
@access(ADMIN)
def upload() -> Response | tuple[str, int]:
    """A new template, or a new version of one, from the index page's form."""
    form = {key: request.form.get(key, "").strip() for key in ("entity", "name", "language",
                                                              "label")}
    errors: Errors = {}
    spec = registry().entities.get(form["entity"])
    if spec is None or spec.is_child:
        errors["entity"] = [gettext("Choose an entity from the list.")]
    if not NAME.fullmatch(form["name"]):
        errors["name"] = [gettext("Enter a name of lowercase letters, digits and underscores, "
                                  "starting with a letter.")]
    if form["language"] not in offered_languages():
        errors["language"] = [gettext("Choose a language from the list.")]
    data = _read_upload(errors)
    if errors:
        return _index(form, errors, [], 400)
    version, problems = _upload(form["entity"], form["name"], form["language"], data,
                                form["label"])
    if version is None:
        return _index(form, {}, problems, 422)
    flash(gettext("Template {name} ({language}) uploaded: version {version}.",
                  name=form["name"], language=form["language"], version=version), "success")
    return redirect(url_for("admin_documents.template", entity=form["entity"],
                            name=form["name"]))


def _template_page(entity: str, name: str, errors: Errors, problems: list[str],
                   form: dict[str, str], status: int) -> tuple[str, int]:
    spec = entity_spec(entity)
    info = _template(spec.name, name)
    versions = {code: service().versions(actor(), spec.name, name, code)
                for code in offered_languages()}
    if info is None and not any(versions.values()):
        raise NotFound(gettext("No such template."))
    pack = registry().document_templates.get(name)
    pack_languages = tuple(pack.files) if pack is not None and pack.entity == spec.name else ()
    return render_template("documents_admin_template.html", entity=spec, name=name,
                           info=info, versions=versions, pack_languages=pack_languages,
                           errors=errors, problems=problems, form=form), status


@admin_documents.get("/<entity>/<name>")
@access(ADMIN)
def template(entity: str, name: str) -> tuple[str, int]:
    """One template: its languages, its uploaded versions, an upload form for a new one."""
    return _template_page(entity, name, {}, [], {"language": offered_languages()[0]}, 200)


@admin_documents.post("/<entity>/<name>")
@access(ADMIN)
def upload_version(entity: str, name: str) -> Response | tuple[str, int]:
    """A new version of template ``name`` in the chosen language."""
    spec = entity_spec(entity)
    form = {"language": request.form.get("language", ""),
            "label": request.form.get("label", "").strip()}
    errors: Errors = {}
    if form["language"] not in offered_languages():
        errors["language"] = [gettext("Choose a language from the list.")]
    data = _read_upload(errors)
    if errors:
        return _template_page(spec.name, name, errors, [], form, 400)
    version, problems = _upload(spec.name, name, form["language"], data, form["label"])
    if version is None:
        return _template_page(spec.name, name, {}, problems, form, 422)
    flash(gettext("Template {name} ({language}) uploaded: version {version}.",
                  name=name, language=form["language"], version=version), "success")
    return redirect(url_for("admin_documents.template", entity=spec.name, name=name))


def _version_data(entity: str, name: str, language: str, version: int) -> bytes:
    """The bytes of one uploaded version (version 0: the pack's own file)."""
    if version == 0:
        pack = registry().document_templates.get(name)
        if pack is not None and pack.entity == entity and language in pack.files:
            return Path(pack.files[language]).read_bytes()
    else:
        with officina().database.read() as connection:
            data = store.version_content(connection, entity, name, language, version)
        if data is not None:
            return bytes(data)
    raise NotFound(gettext("No such template version."))


def _chosen(values: Any) -> tuple[str, int]:
    """The language and version a download or restore names (``?language=&version=``)."""
    language = values.get("language", "")
    version = values.get("version", "")
    if language not in offered_languages() or not version.isdigit():
        raise NotFound(gettext("No such template version."))
    return language, int(version)


@admin_documents.get("/<entity>/<name>/download")
@access(ADMIN)
def download(entity: str, name: str) -> Response:
    """``?version=`` of the template in ``?language=``, as a .docx download (version 0: the
    pack's own file)."""
    spec = entity_spec(entity)
    language, version = _chosen(request.args)
    data = _version_data(spec.name, name, language, version)
    response = send_file(io.BytesIO(data), mimetype=DOCX_TYPE, as_attachment=True,
                         download_name=safe_file_name(f"{spec.name}-{name}.{language}"
                                                      f".v{version}.docx"))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@admin_documents.post("/<entity>/<name>/restore")
@access(ADMIN)
def restore(entity: str, name: str) -> Response:
    """Make an earlier version (form fields ``language``, ``version``; 0: the pack's file)
    the one in use again."""
    spec = entity_spec(entity)
    language, version = _chosen(request.form)
    try:
        service().restore(actor(), spec.name, name, language, version)
    except DocumentError as exc:
        if isinstance(exc, NotFound):
            raise
        flash(exc.message, "error")
    else:
        flash(gettext("Version {version} of {name} ({language}) restored.", version=version,
                      name=name, language=language), "success")
    return redirect(url_for("admin_documents.template", entity=spec.name, name=name))


BLUEPRINTS = [admin_documents]
