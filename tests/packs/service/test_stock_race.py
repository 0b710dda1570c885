"""Two technicians finish, at the same moment and in two processes, interventions that used
the last unit of the same part: one reserves it, the other is told it is not in stock any
more, and the item is never booked below zero."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.records.errors import RecordError
from tests.packs.service.conftest import OFFICE, TECHNICIAN, ServiceEnv, attach_service
from tests.packs.service.test_call_flow import _on_site_with
from tests.support.races import run_racers

ROUNDS = 6


def _finish_each(url: str, now: Any, interventions: list[int], barrier: Any,
                 results: Any, number: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = attach_service(Path(folder), url, now)
        outcomes = []
        try:
            for key in interventions:
                barrier.wait(60)
                try:
                    env.transition(TECHNICIAN, "intervention", key, "finish")
                    outcomes.append("ok")
                except RecordError as error:
                    outcomes.append(f"{type(error).__name__}: {error.message}")
                except Exception as error:  # reported, so that the test names it
                    outcomes.append(f"crash: {error!r}")
        finally:
            results.put((number, outcomes))
            env.officina.close()


def test_the_last_unit_is_never_reserved_twice(service: ServiceEnv) -> None:
    items = [service.records.create(OFFICE, "item", {
        "code": f"CMP-{n}", "description": "Compressore", "kind": "spare_part",
        "sale_price": "790.00", "stock_on_hand": "1"}) for n in range(ROUNDS)]
    mine = [[_on_site_with(service, item, "1")["id"] for item in items] for _racer in "ab"]
    reported = run_racers(_finish_each, [
        (service.officina.settings.database_url, service.clock.now, keys) for keys in mine])
    by_round = list(zip(reported[0], reported[1], strict=True))
    assert [round_.count("ok") for round_ in by_round] == [1] * ROUNDS
    refusals = {text for round_ in by_round for text in round_ if text != "ok"}
    assert refusals <= {
        f"RuleRefused: CMP-{n} (Compressore) non è{more} disponibile a magazzino: "
        "disponibili 0, richiesti 1." for n in range(ROUNDS) for more in ("", " più")}
    for item in items:
        stored = service.get("item", item["id"])
        assert (stored["reserved"], stored["available"]) == (Decimal("1"), Decimal("0"))
