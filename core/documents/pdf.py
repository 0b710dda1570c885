"""PDF output: a rendered .docx converted by LibreOffice headless, warm where possible.

Each process keeps one ``PdfConverter``. Its first conversion starts ``soffice --headless``
listening on a private pipe, plus a small bridge (``uno_bridge.py``, run with Debian's system
Python, which has ``python3-uno``) that asks that LibreOffice to load a file and store it as
PDF; later conversions reuse both, so a page does not pay LibreOffice's start-up (seconds)
but only the conversion itself. When the warm converter cannot start (no ``python3-uno``, a
LibreOffice that does not answer), each document is converted by a cold
``soffice --convert-to pdf`` instead.

LibreOffice runs with a profile of its own per converter (``-env:UserInstallation``, under the
system's temporary folder keyed by process id), so web workers, the outbox worker and the
command line never share or lock each other's profile. Conversions are serialised per
converter (one at a time), limited in time (``OFFICINA_PDF_TIMEOUT`` seconds per document by
default) and every failure is a ``PdfError`` with a localised message.

No LibreOffice outlives what needs it: soffice always runs under a guard
(``soffice_guard.py``) in a process group of its own, and the guard kills the whole group when
a lifeline pipe closes, which the kernel does when the converter's process or the UNO bridge
exits in any way, SIGKILL included. A timeout, a stop and the process's exit kill the group
too.

The settings it reads from the environment (``OFFICINA_SOFFICE``, ``OFFICINA_UNO_PYTHON``,
``OFFICINA_PDF_WARM``, ``OFFICINA_PDF_TIMEOUT``) are in ``pdf_settings``; the warm pair of
processes in ``pdf_bridge``.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from core.documents.pdf_bridge import Bridge
from core.documents.pdf_settings import (
    DEFAULT_UNO_PYTHON,
    SOFFICE_ENV,
    UNO_PYTHON_ENV,
    PdfError,
    _check_docx,
    _warm_enabled,
    find_soffice,
    pdf_timeout,
)
from core.documents.soffice_processes import Guarded, close_lifeline, lifeline_pipe
from core.i18n import Translator, _

log = logging.getLogger(__name__)

BRIDGE = Path(__file__).with_name("uno_bridge.py")
START_TIMEOUT = 60.0  # a first start creates the profile: a few seconds, more on a busy host
RETRY_WARM_AFTER = 60.0  # seconds before trying the warm converter again after it failed
WORD_FILTER = "MS Word 2007 XML"


def _remove_abandoned(base: Path) -> None:
    """Remove the folders of converters whose process is gone (killed before its cleanup)."""
    for folder in base.iterdir():
        owner = folder.name.partition("-")[0]
        if not owner.isdigit():
            continue
        try:
            os.kill(int(owner), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass



class PdfConverter:
    """Converts .docx to PDF with one LibreOffice of its own, kept running between calls."""

    def __init__(self, soffice: str | None = None, *, warm: bool | None = None,
                 uno_python: str | None = None, workdir: Path | None = None):
        """``soffice``: the program (default: ``find_soffice()``, looked up at each call);
        ``warm``: keep LibreOffice running (default: unless ``OFFICINA_PDF_WARM=0``)."""
        self.soffice = soffice
        self.warm = _warm_enabled() if warm is None else warm
        self.uno_python = uno_python or os.environ.get(UNO_PYTHON_ENV) or DEFAULT_UNO_PYTHON
        self.owner_pid = os.getpid()
        self._workdir = workdir
        self._own_workdir = workdir is None
        self._lock = threading.Lock()
        self._bridge: Bridge | None = None
        self._warm_failed_at: float | None = None
        self._counter = 0
        atexit.register(self.shutdown)

    # -- public ---------------------------------------------------------------------------

    @property
    def soffice_pid(self) -> int | None:
        """Process id of the warm LibreOffice's guard (its process group holds LibreOffice),
        if one is running."""
        bridge = self._bridge
        return bridge.soffice.pid if bridge is not None and bridge.alive() else None

    @property
    def workdir(self) -> Path:
        """The converter's folder: LibreOffice profile and files being converted."""
        if self._workdir is None:
            base = Path(tempfile.gettempdir()) / f"officina-lo-{os.getuid()}"
            base.mkdir(mode=0o700, exist_ok=True)
            _remove_abandoned(base)
            self._workdir = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=base))
        return self._workdir

    def convert(self, docx: bytes, *, timeout: float | None = None,
                language: str | None = None) -> bytes:
        """The PDF of ``docx``; ``PdfError`` if it is not Word, LibreOffice is missing, fails
        or takes longer than ``timeout`` seconds (default ``pdf_timeout()``; not counting a
        first start of LibreOffice)."""
        return self.convert_many([docx], timeout=timeout, language=language)[0]

    def convert_many(self, docs: Sequence[bytes], *, timeout: float | None = None,
                     language: str | None = None) -> list[bytes]:
        """The PDFs of ``docs`` in order, ``timeout`` seconds (default ``pdf_timeout()``) for
        each document."""
        timeout = pdf_timeout() if timeout is None else timeout
        t = Translator(language or "en")
        for docx in docs:
            _check_docx(docx, t)
        binary = self.soffice or find_soffice()
        if binary is None or not os.access(binary, os.X_OK):
            raise PdfError(t.gettext(
                _("LibreOffice is not installed, so documents cannot be converted to PDF: "
                  "install Debian's libreoffice-writer-nogui (or set OFFICINA_SOFFICE to the "
                  "soffice program).")))
        if not self._lock.acquire(timeout=max(timeout, 1.0) * max(len(docs), 1) + START_TIMEOUT):
            raise PdfError(t.gettext(_("LibreOffice is busy converting other documents: "
                                       "try again in a moment.")))
        try:
            if self._use_warm(binary):
                return [self._convert_warm(docx, timeout, t) for docx in docs]
            return self._convert_cold(binary, docs, timeout, t)
        finally:
            self._lock.release()

    def shutdown(self) -> None:
        """Stop LibreOffice and remove the profile; the next conversion starts again."""
        if os.getpid() != self.owner_pid:
            return  # a forked child: the processes and folder belong to the parent
        with self._lock:
            self._stop_warm()
            if self._own_workdir and self._workdir is not None:
                shutil.rmtree(self._workdir, ignore_errors=True)
                self._workdir = None

    # -- warm -----------------------------------------------------------------------------

    def _use_warm(self, binary: str) -> bool:
        if not self.warm:
            return False
        if self._bridge is not None and self._bridge.alive():
            return True
        self._stop_warm()
        if self._warm_failed_at is not None \
                and time.monotonic() - self._warm_failed_at < RETRY_WARM_AFTER:
            return False
        try:
            self._bridge = self._start_warm(binary)
        except OSError as error:
            log.warning("warm PDF converter unavailable, converting cold: %s", error)
            self._warm_failed_at = time.monotonic()
            return False
        self._warm_failed_at = None
        return True

    def _start_warm(self, binary: str) -> Bridge:
        pipe = f"officina-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        # The bridge holds a second lifeline of the guard: if it dies, LibreOffice goes too.
        bridge_end, bridge_hold = lifeline_pipe()
        try:
            soffice = Guarded([binary, *self._soffice_options(), "--nodefault",
                                f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
                               extra_lifelines=(bridge_end,))
            try:
                with (self.workdir / "bridge.log").open("ab") as errors:
                    process = subprocess.Popen(
                        [self.uno_python, str(BRIDGE), pipe, str(soffice.pid)],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                        pass_fds=(bridge_hold,), start_new_session=True)
            except OSError:
                soffice.kill()
                raise
        finally:
            os.close(bridge_end)
            close_lifeline(bridge_hold)
        bridge = Bridge(soffice, process)
        try:
            answer = bridge.read_line(time.monotonic() + START_TIMEOUT)
        except TimeoutError:
            answer = "error\tno answer from LibreOffice"
        if answer != "ready":
            bridge.stop()
            raise OSError(f"the UNO bridge did not start: {answer or 'it exited'}"
                          f" (see {self.workdir / 'bridge.log'})")
        return bridge

    def _stop_warm(self, *, politely: bool = True) -> None:
        if self._bridge is not None:
            self._bridge.stop(politely=politely)
            self._bridge = None

    def _convert_warm(self, docx: bytes, timeout: float, t: Translator) -> bytes:
        bridge = self._bridge
        assert bridge is not None
        source, target = self._paths()
        source.write_bytes(docx)
        try:
            try:
                bridge.send(f"convert\t{source}\t{target}")
                answer = bridge.read_line(time.monotonic() + timeout)
            except TimeoutError:
                self._stop_warm(politely=False)  # stuck in the document: kill, start afresh
                raise PdfError(self._timeout_message(timeout, t)) from None
            except OSError:
                answer = None
            if answer is None:
                self._stop_warm()
                raise PdfError(t.gettext(_("LibreOffice stopped unexpectedly while converting "
                                           "the document to PDF.")))
            if answer != "ok":
                _error, kind, detail = [*answer.split("\t", 2), "", ""][:3]
                log.info("LibreOffice could not convert a document: %s", answer)
                if kind == "open":
                    raise PdfError(self._unreadable_message(t))
                raise PdfError(self._failed_message(detail or answer, t))
            if not target.is_file():
                raise PdfError(self._failed_message("no PDF was written", t))
            return target.read_bytes()
        finally:
            source.unlink(missing_ok=True)
            target.unlink(missing_ok=True)

    # -- cold -----------------------------------------------------------------------------

    def _convert_cold(self, binary: str, docs: Sequence[bytes], timeout: float,
                      t: Translator) -> list[bytes]:
        pairs = [self._paths() for _doc in docs]
        outdir = pairs[0][1].parent if pairs else self.workdir
        for (source, _target), docx in zip(pairs, docs, strict=True):
            source.write_bytes(docx)
        guarded = Guarded(
            [binary, *self._soffice_options(), f"--infilter={WORD_FILTER}",
             "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(outdir),
             *[str(source) for source, _target in pairs]],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            output, _errors = guarded.process.communicate(timeout=timeout * max(len(docs), 1))
        except subprocess.TimeoutExpired:
            guarded.kill()
            self._cleanup(pairs)
            raise PdfError(self._timeout_message(timeout, t)) from None
        guarded.kill()  # anything it left behind
        try:
            results = []
            for source, target in pairs:
                if not target.is_file():
                    lines = output.decode(errors="replace").strip().splitlines()
                    log.info("LibreOffice could not convert %s: %s", source.name, lines)
                    if any("could not be loaded" in line for line in lines):
                        raise PdfError(self._unreadable_message(t))
                    raise PdfError(self._failed_message(
                        lines[-1] if lines else f"no PDF was written for {source.name}", t))
                results.append(target.read_bytes())
            return results
        finally:
            self._cleanup(pairs)

    # -- helpers --------------------------------------------------------------------------

    def _soffice_options(self) -> list[str]:
        profile = self.workdir / "profile"
        return ["--headless", "--invisible", "--nologo", "--norestore", "--nolockcheck",
                f"-env:UserInstallation={profile.as_uri()}"]

    def _paths(self) -> tuple[Path, Path]:
        folder = self.workdir / "io"
        folder.mkdir(exist_ok=True)
        self._counter += 1
        stem = f"document-{self._counter}"
        return folder / f"{stem}.docx", folder / f"{stem}.pdf"

    @staticmethod
    def _cleanup(pairs: Sequence[tuple[Path, Path]]) -> None:
        for source, target in pairs:
            source.unlink(missing_ok=True)
            target.unlink(missing_ok=True)

    @staticmethod
    def _timeout_message(timeout: float, t: Translator) -> str:
        return t.gettext(_("The PDF conversion took longer than {seconds} seconds and was "
                           "stopped."), seconds=f"{timeout:g}")

    @staticmethod
    def _unreadable_message(t: Translator) -> str:
        return t.gettext(_("LibreOffice could not open the document: it is damaged or not a "
                           "Word (.docx) file."))

    @staticmethod
    def _failed_message(detail: str, t: Translator) -> str:
        return t.gettext(_("LibreOffice could not convert the document to PDF: {detail}"),
                         detail=detail)


class _DefaultConverter:
    """The process's converter, created at first use (and again in a forked child)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._converter: PdfConverter | None = None
        self._config: tuple[str | None, bool] | None = None

    def get(self) -> PdfConverter:
        config = (os.environ.get(SOFFICE_ENV), _warm_enabled())
        with self._lock:
            current = self._converter
            if current is not None and current.owner_pid == os.getpid() \
                    and self._config == config:
                return current
            if current is not None and current.owner_pid == os.getpid():
                current.shutdown()  # the settings changed
            self._converter, self._config = PdfConverter(), config
            return self._converter


_default = _DefaultConverter()


def default_converter() -> PdfConverter:
    """This process's shared converter."""
    return _default.get()


def convert_to_pdf(docx: bytes, *, timeout: float | None = None,
                   language: str | None = None) -> bytes:
    """Convert a .docx to PDF with this process's warm LibreOffice; ``PdfError`` on failure.

    ``timeout`` limits the conversion itself, in seconds (default ``pdf_timeout()``);
    ``language`` is the language of the error messages (default English)."""
    return default_converter().convert(docx, timeout=timeout, language=language)


def convert_many(docs: Sequence[bytes], timeout: float | None = None, *,
                 language: str | None = None) -> list[bytes]:
    """Convert a batch of .docx files to PDF, in order, with one LibreOffice kept running
    (``timeout`` seconds per document, default ``pdf_timeout()``). Meant for the worker: a
    month of reports is minutes of work, not something a web request waits for."""
    return default_converter().convert_many(docs, timeout=timeout, language=language)


if __name__ == "__main__":  # convert a file by hand: python -m core.documents.pdf IN.docx OUT.pdf
    Path(sys.argv[2]).write_bytes(convert_to_pdf(Path(sys.argv[1]).read_bytes()))
