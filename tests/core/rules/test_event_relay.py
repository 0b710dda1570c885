"""The records service is built with its event sink: an ``EventRelay`` the rules engine
attaches to once built (it needs the service), as ``Officina.open`` wires them."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.records.events import EventRelay
from core.records.service import RecordsService
from core.rules.engine import RulesEngine
from tests.conftest import open_env
from tests.core.rules.conftest import COORDINATOR


def test_rules_run_once_the_engine_attaches_to_the_relay(database_url: str,
                                                         packs_dir: Path) -> None:
    env = open_env(database_url, ["helpdesk"], [packs_dir])
    try:
        relay = EventRelay()
        service = RecordsService(env.database, env.store, events=relay)
        before = service.create(COORDINATOR, "ticket", {"subject": "Printer jam"})
        assert before["due_at"] is None  # nothing attached yet: no rule set the deadline
        engine = RulesEngine(service)
        relay.attach(engine)
        assert service.events is engine
        after = service.create(COORDINATOR, "ticket", {"subject": "Printer jam"})
        assert after["due_at"] is not None  # the deadline rule ran
        with pytest.raises(RuntimeError):
            relay.attach(RulesEngine(service))  # one sink: a second engine is refused
    finally:
        env.database.dispose()
