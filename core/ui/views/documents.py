"""The Print menu of detail pages: a record rendered through a Word template, as .docx or PDF.

The menu (``documents_print.html``, included by ``detail.html``) is a plain GET form: choose a
template of the entity, a language and Word or PDF. The document is rendered by the document
service as the signed-in user, so the record is read with their permissions (a record outside
their rows is not found, hidden fields stay hidden), and sent as a download with a safe name.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, render_template, request, send_file

from core.documents.errors import DocumentError
from core.files import safe_file_name
from core.i18n import _
from core.records.errors import NotFound, PermissionDenied, QueryError, RecordError
from core.ui.access import USER, access
from core.ui.context import (
    actor,
    entity_spec,
    gettext,
    labels,
    language,
    language_names,
    officina,
)

documents = Blueprint("documents", __name__, url_prefix="/app")

FORMATS = ("pdf", "docx")
FORMAT_LABELS = {"pdf": _("PDF"), "docx": _("Word")}


def service() -> Any:
    """The document service of the running instance; NotFound if documents are missing."""
    found = getattr(officina(), "documents", None)
    if found is None:
        raise NotFound(gettext("Documents are not available."))
    return found


@documents.app_template_global()
def document_templates(entity: str) -> list[dict[str, Any]]:
    """The templates the signed-in user may print a record of ``entity`` with (labels
    translated); empty when there are none or documents are not available."""
    found = getattr(officina(), "documents", None)
    if found is None:
        return []
    try:
        infos = found.templates_for(actor(), entity)
    except RecordError:
        return []
    return [{"name": t.name, "label": labels().gettext(t.label) if t.label else t.name,
             "languages": tuple(t.languages)} for t in infos]


@documents.app_template_global()
def print_choices() -> dict[str, Any]:
    """Languages (the user's first) and formats offered by the Print menu."""
    return {"languages": list(language_names().items()),
            "language": language(),
            "formats": [(code, gettext(FORMAT_LABELS[code])) for code in FORMATS]}


@documents.get("/<entity>/<int:record_id>/print")
@access(USER)
def print_view(entity: str, record_id: int) -> Response | tuple[str, int]:
    """Record ``record_id`` of ``entity`` rendered with ``?template=`` in ``?lang=`` as
    ``?format=docx|pdf``, as a download."""
    spec = entity_spec(entity)
    template = request.args.get("template", "").strip()
    lang = request.args.get("lang") or language()
    fmt = request.args.get("format") or "pdf"
    if not template:
        raise QueryError(gettext("Choose a template to print with."))
    if lang not in language_names():
        raise QueryError(gettext("Unknown language '{language}'.", language=lang))
    if fmt not in FORMATS:
        raise QueryError(gettext("Unknown format '{format}': choose Word or PDF.", format=fmt))
    try:
        document = service().render(actor(), spec.name, record_id, template, language=lang,
                                    format=fmt)
    except DocumentError as exc:
        if isinstance(exc, NotFound | PermissionDenied | QueryError):
            raise
        return render_template("documents_error.html", entity=spec, record_id=record_id,
                               message=exc.message, problems=getattr(exc, "problems", [])), 422
    response = send_file(io.BytesIO(document.data), mimetype=document.content_type,
                         as_attachment=True, download_name=safe_file_name(document.filename))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


BLUEPRINTS = [documents]
