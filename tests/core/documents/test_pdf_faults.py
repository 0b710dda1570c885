"""Faults around the real LibreOffice: a killed converter or bridge leaves no LibreOffice
behind, and a conversion that hangs ends at the configured timeout.

LibreOffice's processes are found through ``/proc`` by the profile each converter gives them
(``-env:UserInstallation=…``), which is unique per test, so other tests' LibreOffice never
counts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.documents.pdf import PdfConverter
from core.documents.pdf_settings import DEFAULT_TIMEOUT, TIMEOUT_ENV, PdfError, pdf_timeout
from tests.core.documents.test_pdf import make_docx, pdf_text

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
GONE_WITHIN = 10.0  # seconds: the guard polls five times a second
LIBREOFFICE = ("soffice.bin", "oosplash")


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def profile_processes(workdir: Path) -> dict[int, str]:
    """The live processes started for the profile in ``workdir``: pid -> program name."""
    marker = f"-env:UserInstallation={(workdir / 'profile').as_uri()}".encode()
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and marker in _read(f"/proc/{entry}/cmdline").split(b"\0"):
            stat = _read(f"/proc/{entry}/stat")
            if stat and stat.rsplit(b")", 1)[1].split()[0] != b"Z":  # not a zombie
                found[int(entry)] = _read(f"/proc/{entry}/comm").decode().strip()
    return found


def wait_until_gone(workdir: Path, within: float = GONE_WITHIN) -> dict[int, str]:
    """What is still running for ``workdir`` after ``within`` seconds (empty once all is)."""
    deadline = time.monotonic() + within
    while (left := profile_processes(workdir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def bridge_of(converter: PdfConverter) -> int:
    """The pid of ``converter``'s UNO bridge: the child of this process running
    ``uno_bridge.py PIPE GUARD_PID`` for that converter's guard. (Other converters of this
    process, such as the process's default one an earlier test used, have bridges too.)"""
    guard = converter.soffice_pid
    assert guard is not None, "the converter has no warm LibreOffice"
    for entry in os.listdir("/proc"):
        stat = _read(f"/proc/{entry}/stat") if entry.isdigit() else b""
        arguments = _read(f"/proc/{entry}/cmdline").split(b"\0")
        if stat and int(stat.rsplit(b")", 1)[1].split()[1]) == os.getpid() \
                and any(argument.endswith(b"uno_bridge.py") for argument in arguments) \
                and arguments[-2:] == [str(guard).encode(), b""]:
            return int(entry)
    raise AssertionError(f"no UNO bridge is running for the guard {guard}")


@pytest.fixture
def warm(tmp_path: Path) -> Iterator[PdfConverter]:
    converter = PdfConverter(warm=True, workdir=tmp_path / "converter")
    converter.workdir.mkdir()
    yield converter
    converter.shutdown()
    assert wait_until_gone(converter.workdir) == {}


OWNER = """
import sys, time
from pathlib import Path
from core.documents.pdf import PdfConverter
from tests.core.documents.test_pdf import make_docx
converter = PdfConverter(warm=sys.argv[2] == "warm", workdir=Path(sys.argv[1]))
while True:
    converter.convert(make_docx(), timeout=120)
    print("converted", flush=True)
    if sys.argv[2] == "warm":
        time.sleep(600)
"""


@pytest.mark.parametrize("mode", ["warm", "cold"])
def test_a_killed_converter_process_leaves_no_libreoffice(tmp_path: Path, mode: str) -> None:
    workdir = tmp_path / "owner"
    workdir.mkdir()
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(workdir), mode],
                             stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert owner.stdout is not None and owner.stdout.readline() == b"converted\n"
        if mode == "cold":  # kill it in the middle of its next conversion
            deadline = time.monotonic() + 60
            while "soffice.bin" not in profile_processes(workdir).values():
                assert time.monotonic() < deadline, "LibreOffice did not start again"
                time.sleep(0.05)
        running = profile_processes(workdir)
        assert set(running.values()) >= {"soffice.bin"}
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        assert wait_until_gone(workdir) == {}
    finally:
        owner.kill()
        owner.wait(10)


def test_a_killed_bridge_takes_its_libreoffice_along(warm: PdfConverter, tmp_path: Path) -> None:
    warm.convert(make_docx("Prima"))
    assert "soffice.bin" in profile_processes(warm.workdir).values()
    os.kill(bridge_of(warm), signal.SIGKILL)
    assert wait_until_gone(warm.workdir) == {}
    # the next document starts a new pair
    assert "Dopo" in pdf_text(warm.convert(make_docx("Dopo")), tmp_path)


def test_a_hung_conversion_ends_at_the_configured_timeout(
        warm: PdfConverter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, "3")
    warm.convert(make_docx())
    stuck = [pid for pid, name in profile_processes(warm.workdir).items()
             if name in LIBREOFFICE]
    for pid in stuck:  # LibreOffice stops answering in the middle of the work
        os.kill(pid, signal.SIGSTOP)
    started = time.monotonic()
    with pytest.raises(PdfError) as raised:
        warm.convert(make_docx(), language="it")
    took = time.monotonic() - started
    assert raised.value.message == ("La conversione in PDF ha richiesto più di 3 secondi ed è "
                                    "stata interrotta.")
    assert 3 <= took < 3 + GONE_WITHIN
    assert wait_until_gone(warm.workdir, within=2) == {}
    assert "Riprova" in pdf_text(warm.convert(make_docx("Riprova")), tmp_path)


def test_the_timeout_is_a_setting_with_a_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    assert pdf_timeout() == DEFAULT_TIMEOUT == 30
    monkeypatch.setenv(TIMEOUT_ENV, "12.5")
    assert pdf_timeout() == 12.5
    for wrong in ("soon", "0", "-4", "nan"):
        monkeypatch.setenv(TIMEOUT_ENV, wrong)
        assert pdf_timeout() == DEFAULT_TIMEOUT
