"""One JSON encoding of the engine's values, and one producer of outbox rows."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest

from core.json_encoding import to_json

CORE = Path(__file__).resolve().parents[2] / "core"


def test_values_are_written_as_people_and_other_programs_read_them() -> None:
    text = to_json({"due": dt.date(2026, 12, 4), "at": dt.datetime(2026, 12, 4, 9, 30),
                    "opens": dt.time(8, 0), "price": Decimal("1E+2"), "rate": Decimal("0.10"),
                    "id": UUID(int=1), "tags": {"b", "a"}})
    assert json.loads(text) == {"due": "2026-12-04", "at": "2026-12-04T09:30:00",
                                "opens": "08:00:00", "price": "100", "rate": "0.10",
                                "id": "00000000-0000-0000-0000-000000000001",
                                "tags": ["a", "b"]}


def test_an_unknown_value_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="cannot write object as JSON"):
        to_json({"x": object()})


def test_only_the_outbox_module_inserts_outbox_rows() -> None:
    writers = [path.relative_to(CORE).as_posix() for path in CORE.rglob("*.py")
               if re.search(r"officina_outbox\"\]\s*\.insert\(|outbox\.insert\(",
                            path.read_text(encoding="utf-8"))]
    assert writers == ["storage/outbox.py"]
