"""The dispatch test pack, with technicians, clients and interventions, on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.records.actor import SYSTEM, Actor
from tests.conftest import Env, open_env

OFFICE = Actor("olga", frozenset({"office"}))
ANNA = Actor("anna", frozenset({"technician"}))
BRUNO = Actor("bruno", frozenset({"technician"}))
AUDITOR = Actor("aldo", frozenset({"auditor"}))
LEAD_BRUNO = Actor("bruno", frozenset({"lead"}))
PLANNER = Actor("pia", frozenset({"planner"}))


@pytest.fixture
def dispatch(database_url: str, packs_dir: Path) -> Iterator[Env]:
    """The dispatch pack, migrated, with two technicians, a client and three interventions.

    - INT-0001: technician Anna, assigned to anna;
    - INT-0002: technician Bruno, assigned to bruno;
    - INT-0003: technician Bruno, assigned to anna.
    """
    env = open_env(database_url, ["dispatch"], [packs_dir])
    service = env.service
    anna = service.create(SYSTEM, "technician", {"full_name": "Anna Rossi", "username": "anna",
                                                 "internal_rate": "40"})
    bruno = service.create(SYSTEM, "technician", {"full_name": "Bruno Neri",
                                                  "username": "bruno"})
    client = service.create(SYSTEM, "client", {"company": "ACME"})
    for subject, technician, assigned, cost, secret in (
            ("Boiler", anna, "anna", "60", "whistle"),
            ("Pump", bruno, "bruno", "30", "quiet"),
            ("Valve", bruno, "anna", "10", None)):
        service.create(SYSTEM, "intervention", {
            "subject": subject, "client": client["id"], "technician": technician["id"],
            "assigned_to": assigned, "price": "100", "internal_cost": cost,
            "secret_note": secret, "parts": [{"part": "gasket", "quantity": 2}]})
    yield env
    env.database.dispose()
