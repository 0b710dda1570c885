"""An instance over the docshop pack, with one job to print, on each backend."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.actor import SYSTEM, Actor
from tests.conftest import migrate_instance
from tests.support.users import FAST_HASHING

FIXTURE_PACKS = Path(__file__).resolve().parents[2] / "fixtures" / "packs"
ADMIN = Actor("boss", frozenset({"admin"}), language="en")
TECHNICIAN = Actor("tom", frozenset({"technician"}), language="it")
OUTSIDER = Actor("olga", frozenset({"clerk"}), language="en")


def png(rgb: tuple[int, int, int], size: tuple[int, int] = (40, 20)) -> bytes:
    """A small PNG picture of one colour."""
    width, height = size

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
def officina(database_url: str, tmp_path: Path) -> Iterator[Officina]:
    """The docshop instance, migrated, with a customer, a machine and job ``JOB``."""
    settings = Settings(instance=tmp_path / "instance", database_url=database_url,
                        packs=("docshop",), pack_paths=(FIXTURE_PACKS, BUILTIN_PACKS),
                        registry_check_interval=0, passwords=FAST_HASHING)
    instance = Officina.open(settings)
    migrate_instance(instance)
    yield instance
    instance.close()


@pytest.fixture
def job(officina: Officina) -> dict:
    """A done job on 23/11/2026 with two hours lines, two parts, a photo and a signature."""
    files = officina.records.files
    assert files is not None
    records = officina.records
    customer = records.create(SYSTEM, "customer", {"name": "Rossi & Figli", "city": "Pavia"})
    machine = records.create(SYSTEM, "machine", {
        "model": "Press X200", "serial_number": "SN-778", "customer": customer["id"],
        "photo": files.put(png((0, 0, 255)), "press.png")})
    return records.create(SYSTEM, "job", {
        "subject": "Hydraulic leak", "machine": machine["id"], "day": dt.date(2026, 11, 23),
        "status": "done", "internal_cost": Decimal("99.00"), "signer_name": "Mario Bianchi",
        "signature": files.put(png((0, 0, 0), (80, 30)), "signature.png"),
        "hours": [
            {"day": dt.date(2026, 11, 23), "technician": "Anna", "hours": Decimal("2.50")},
            {"day": dt.date(2026, 11, 24), "technician": "Luca", "hours": Decimal("1.25")}],
        "parts": [
            {"item": "Gasket", "quantity": Decimal("2"), "price": Decimal("617.28")},
            {"item": "Oil 5 l", "quantity": Decimal("1"), "price": Decimal("45.00")}],
    })
