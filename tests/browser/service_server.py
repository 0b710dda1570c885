"""A real Officina server with the service pack, for the browser scenario of a service call.

The instance runs on SQLite and the real clock. It holds the master data of the service
pack's tests (``tests/packs/service/conftest.py``: Rossi Meccanica with its site, contact and
out-of-warranty chiller, spare parts, the standard tariff and SLA, technician Tino), with
Tino's absence moved to next week so that planning dates can be chosen relative to today,
and a second technician, Ugo, with an intervention of his own that Tino must not see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from core.officina import Officina
from tests.core.rules.conftest import Clock
from tests.packs.service.conftest import COORDINATOR, OFFICE, ServiceEnv, master_data
from tests.support.web_server import TestUser, WebServer, start_web_server

ROME = ZoneInfo("Europe/Rome")
SERVICE_USERS = [
    TestUser("olga", "Olga-pw-1", ("office",)),                      # takes calls, bills
    TestUser("cora", "Cora-pw-1", ("coordinator",), language="it"),  # plans technicians
    TestUser("tino", "Tino-pw-1", ("technician",), language="it"),   # works on site
    TestUser("mara", "Mara-pw-1", ("manager",)),                     # watches SLAs, margins
]


@dataclass(frozen=True)
class ServiceDates:
    """Today in Brescia and Tino's absence, a week from today."""

    today: dt.date
    absent_from: dt.date
    absent_to: dt.date

    @classmethod
    def from_today(cls, today: dt.date) -> ServiceDates:
        return cls(today, today + dt.timedelta(days=7), today + dt.timedelta(days=11))

    def next_working_day(self) -> dt.date:
        """The first Monday-to-Friday day after today (well before the absence)."""
        day = self.today + dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return day


@dataclass
class ServiceServer:
    """The running server, the master data it was seeded with and the scenario's dates."""

    web: WebServer
    data: dict[str, dict]
    dates: ServiceDates

    @property
    def url(self) -> str:
        return self.web.url

    def password(self, username: str) -> str:
        return self.web.password(username)


def start_service_server(folder: Path) -> ServiceServer:
    """Seed and serve the service pack in ``folder``; stop it with ``.web.stop()``."""
    dates = ServiceDates.from_today(dt.datetime.now(ROME).date())
    data: dict[str, dict] = {}

    def seed(officina: Officina) -> None:
        env = ServiceEnv(officina, Clock(dt.datetime.now(dt.UTC).replace(tzinfo=None)))
        data.update(master_data(env))
        tino = data["technician"]
        data["technician"] = env.update(COORDINATOR, "technician", tino["id"], {
            "absences": [{"from_date": dates.absent_from.isoformat(),
                          "to_date": dates.absent_to.isoformat(), "reason": "holiday"}]})
        data["other_technician"] = env.records.create(COORDINATOR, "technician", {
            "username": "ugo", "full_name": "Ugo Neri", "kind": "internal"})
        other_call = env.records.create(OFFICE, "service_call", {
            "subject": "Perdita d'acqua dal refrigeratore", "customer": data["customer"]["id"],
            "machine": data["machine"]["id"], "priority": "normal"})
        interventions = env.records.list(OFFICE, "intervention").rows
        data["other_intervention"] = env.update(
            COORDINATOR, "intervention",
            next(i["id"] for i in interventions if i["service_call"] == other_call["id"]),
            {"technician": data["other_technician"]["id"]})

    web = start_web_server(folder, ["service"], [], users=SERVICE_USERS, demo=False, seed=seed)
    return ServiceServer(web, data, dates)
