"""Downloads of attachments and images, read through the records service first.

The record (and so the file's key) is read as the signed-in user: a record outside their
rows is not found, a hidden field has no file. Images of safe raster types are shown inline;
everything else is a download, never rendered by the browser (``nosniff``, sandboxed).
"""

from __future__ import annotations

import mimetypes
from typing import Any

from flask import Response

from core.files import safe_file_name
from core.i18n import _
from core.metadata.field_types import traits_of
from core.metadata.specs import FieldSpec
from core.records.errors import NotFound
from core.ui.access import USER, access
from core.ui.context import actor, entity_spec, gettext, officina
from core.ui.detail import file_name
from core.ui.views.records import records

# Raster formats a browser may show inline; SVG is not among them (it can carry scripts).
INLINE_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg",
              b"GIF87a": "image/gif", b"GIF89a": "image/gif"}


def _sniffed(data: bytes) -> str | None:
    """The image type the content's first bytes announce, if a known one."""
    for magic, kind in SIGNATURES.items():
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _missing() -> NotFound:
    return NotFound(gettext(_("No such file.")))


def send_stored(key: Any, spec: FieldSpec) -> Response:
    """The stored file ``key`` as a response with safe headers."""
    files = officina().records.files
    if not key or files is None or not files.exists(str(key)):
        raise _missing()
    data = files.read(str(key))
    name = file_name(str(key))
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    sniffed = _sniffed(data)
    inline = traits_of(spec).image and sniffed is not None and sniffed == guessed
    mimetype = sniffed if inline else guessed
    if mimetype.startswith("text/") or mimetype in ("image/svg+xml", "application/xhtml+xml"):
        mimetype = "application/octet-stream"
    response = Response(data, mimetype=mimetype)
    ascii_name = safe_file_name(name)  # no quotes, no CR/LF or other control characters
    response.headers["Content-Disposition"] = (
        f'{"inline" if inline else "attachment"}; filename="{ascii_name}"')
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@records.get("/<entity>/<int:record_id>/file/<field>")
@access(USER)
def file_view(entity: str, record_id: int, field: str) -> Response:
    """The file of attachment or image ``field`` of record ``record_id``."""
    spec = entity_spec(entity)
    field_spec = spec.field(field)
    if field_spec is None or not traits_of(field_spec).file:
        raise _missing()
    record = officina().records.get(actor(), spec.name, record_id)
    if field not in record:  # hidden from this user
        raise _missing()
    return send_stored(record.get(field), field_spec)


@records.get("/<entity>/<int:record_id>/line/<table>/<int:line_id>/file/<field>")
@access(USER)
def line_file_view(entity: str, record_id: int, table: str, line_id: int,
                   field: str) -> Response:
    """The file of ``field`` of line ``line_id`` in child table ``table`` of a record."""
    spec = entity_spec(entity)
    table_spec = spec.field(table)
    if table_spec is None or traits_of(table_spec).family != "table":
        raise _missing()
    child = officina().registry.current().registry.entities.get(table_spec.target or "")
    field_spec = child.field(field) if child is not None else None
    if field_spec is None or not traits_of(field_spec).file:
        raise _missing()
    record = officina().records.get(actor(), spec.name, record_id)
    line = next((line for line in record.get(table) or [] if line.get("id") == line_id), None)
    if line is None or field not in line:
        raise _missing()
    return send_stored(line.get(field), field_spec)


BLUEPRINTS: list = []
