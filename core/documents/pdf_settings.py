"""What the PDF converter reads from the environment, the error it raises, its input check.

``OFFICINA_SOFFICE`` (the soffice program, default ``soffice`` or ``libreoffice`` on the PATH),
``OFFICINA_UNO_PYTHON`` (the Python with ``uno``, default ``/usr/bin/python3``),
``OFFICINA_PDF_WARM=0`` (always convert cold), ``OFFICINA_PDF_TIMEOUT`` (seconds a document may
take, default 30).
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import zipfile

from core.documents.errors import DocumentError
from core.i18n import Translator, _

log = logging.getLogger(__name__)

SOFFICE_ENV = "OFFICINA_SOFFICE"
UNO_PYTHON_ENV = "OFFICINA_UNO_PYTHON"
WARM_ENV = "OFFICINA_PDF_WARM"
TIMEOUT_ENV = "OFFICINA_PDF_TIMEOUT"
DEFAULT_TIMEOUT = 30.0  # seconds per document: a report takes one or two, warm
DEFAULT_UNO_PYTHON = "/usr/bin/python3"


class PdfError(DocumentError):
    """A document could not be converted to PDF; the message says why, in the user's language."""

    code = "document"


def find_soffice() -> str | None:
    """The LibreOffice program to run: ``OFFICINA_SOFFICE`` if set, else one on the PATH."""
    configured = os.environ.get(SOFFICE_ENV)
    if configured:
        return shutil.which(configured)
    return shutil.which("soffice") or shutil.which("libreoffice")


def _warm_enabled() -> bool:
    return os.environ.get(WARM_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def pdf_timeout() -> float:
    """Seconds one document may take: ``OFFICINA_PDF_TIMEOUT``, else ``DEFAULT_TIMEOUT``."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < 86400:
        log.warning("%s=%r is not a number of seconds: using %g", TIMEOUT_ENV, raw,
                    DEFAULT_TIMEOUT)
        return DEFAULT_TIMEOUT
    return seconds


def _check_docx(docx: bytes, t: Translator) -> None:
    """Refuse what is not a Word document before LibreOffice guesses what it might be."""
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as archive:
            if "word/document.xml" in archive.namelist():
                return
    except (zipfile.BadZipFile, ValueError):
        pass
    raise PdfError(t.gettext(_("The document is not a Word (.docx) file, so it cannot be "
                               "converted to PDF.")))

