"""An instance of the service pack with its workflows, a clock the tests move by hand, the
users of each role and the master data a service company starts from."""

from __future__ import annotations

import base64
import datetime as dt
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.actor import Actor
from core.records.reading import ListQuery
from core.rules.mail import MailSettings
from core.rules.worker import Worker, WorkerOptions
from core.storage.migrate import migrate
from core.ui.app import create_app
from core.users import create_user, hash_password, set_password_hash
from tests.core.rules.conftest import Clock
from tests.support.golden import GOLDEN, tree_digest
from tests.support.users import FAST_HASHING
from tests.ui.conftest import sign_in

OFFICE = Actor("olga", frozenset({"office"}), "it")
COORDINATOR = Actor("cora", frozenset({"coordinator"}), "it")
TECHNICIAN = Actor("tino", frozenset({"technician"}), "it")
MANAGER = Actor("mara", frozenset({"manager"}), "en")
USERS = {OFFICE: "olga@example.com", COORDINATOR: "cora@example.com",
         TECHNICIAN: "tino@example.com", MANAGER: "mara@example.com"}
# A 1x1 transparent PNG, as the signature pad would send it.
SIGNATURE_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


@dataclass
class ServiceEnv:
    """The instance, its clock and the master data (``data['customer']['id']``...)."""

    officina: Officina
    clock: Clock
    data: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def records(self):
        return self.officina.records

    def worker(self, mail: MailSettings | None = None) -> Worker:
        return Worker(self.officina.rules, mail, WorkerOptions(), clock=self.clock,
                      documents=self.officina.documents)

    def rows(self, table: str, **where: object) -> list[dict[str, Any]]:
        t = self.officina.registry.current().schema.system[table]
        statement = sa.select(t).order_by(t.c.id)
        for key, value in where.items():
            statement = statement.where(t.c[key] == value)
        with self.officina.database.read() as connection:
            return [dict(r._mapping) for r in connection.execute(statement)]

    def get(self, entity: str, key: int | str, actor: Actor = OFFICE) -> dict[str, Any]:
        return self.records.get(actor, entity, key)

    def update(self, actor: Actor, entity: str, key: int, values: dict[str, Any]
               ) -> dict[str, Any]:
        current = self.records.get(actor, entity, key)
        return self.records.update(actor, entity, key, values, version=current["version"])

    def transition(self, actor: Actor, entity: str, key: int, name: str) -> dict[str, Any]:
        return self.records.transition(actor, entity, key, name)

    def new_call(self, subject: str, **values: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """A call on the master data's machine, entered by the office, and the intervention
        its rules created."""
        call = self.records.create(OFFICE, "service_call", {
            "subject": subject, "customer": self.data["customer"]["id"],
            "machine": self.data["machine"]["id"], **values})
        intervention = self.records.list(OFFICE, "intervention", ListQuery(
            filters=[["service_call", "=", call["id"]]])).rows
        assert len(intervention) == 1
        return call, self.get("intervention", intervention[0]["id"])


def attach_service(tmp_path: Path, database_url: str, now: dt.datetime) -> ServiceEnv:
    """The service pack on ``database_url`` as it is, its clock at ``now`` (naive UTC)."""
    officina = Officina.open(Settings(instance=tmp_path, database_url=database_url,
                                      packs=("service",), pack_paths=(BUILTIN_PACKS,),
                                      registry_check_interval=0, passwords=FAST_HASHING))
    clock = Clock(now)
    officina.rules.clock = clock
    officina.records.clock = clock
    return ServiceEnv(officina, clock)


def open_service(tmp_path: Path, database_url: str, now: dt.datetime) -> ServiceEnv:
    """The service pack migrated on ``database_url``, its clock at ``now`` (naive UTC), with
    a user of each role."""
    env = attach_service(tmp_path, database_url, now)
    migrate(env.officina.database, env.officina.registry.current().registry)
    with env.officina.database.write() as connection:
        for actor, address in USERS.items():
            create_user(connection, actor.username, None, roles=tuple(actor.roles),
                        email=address, language=actor.language, hashing=FAST_HASHING)
    return env


def master_data(env: ServiceEnv) -> dict[str, dict[str, Any]]:
    """A customer with a site and a contact, a chiller under contract-free warranty rules,
    spare parts in stock, the standard tariff and SLA, and a technician on holiday."""
    create = env.records.create
    d: dict[str, dict[str, Any]] = {}
    d["customer"] = create(OFFICE, "customer", {
        "company_name": "Rossi Meccanica S.r.l.", "vat_number": "IT01234560173",
        "city": "Brescia", "province": "BS", "language": "it"})
    d["site"] = create(OFFICE, "site", {"customer": d["customer"]["id"],
                                        "site_name": "Stabilimento Nord", "city": "Brescia"})
    d["contact"] = create(OFFICE, "contact", {
        "customer": d["customer"]["id"], "full_name": "Mario Rossi",
        "email": "mario.rossi@rossi.example"})
    d["filter"] = create(OFFICE, "item", {
        "code": "FLT-200", "description": "Filtro aria 200 mm", "kind": "spare_part",
        "purchase_price": "12.40", "sale_price": "24.00", "stock_on_hand": "10"})
    d["compressor"] = create(OFFICE, "item", {
        "code": "CMP-7K", "description": "Compressore 7 kW", "kind": "spare_part",
        "purchase_price": "480.00", "sale_price": "790.00", "stock_on_hand": "1"})
    d["chiller"] = create(OFFICE, "item", {
        "code": "CH-50", "description": "Refrigeratore 50 kW", "kind": "product",
        "serial_tracked": True, "sale_price": "14500.00"})
    d["machine"] = create(OFFICE, "machine", {
        "serial_number": "CH50-0001", "item": d["chiller"]["id"],
        "customer": d["customer"]["id"], "site": d["site"]["id"],
        "installed_on": "2023-03-01", "parts_warranty_until": "2025-03-01",
        "labour_warranty_until": "2025-03-01"})
    d["tariff"] = create(MANAGER, "tariff", {
        "code": "STD", "name": "Tariffa standard", "call_out_fee": "50.00",
        "hourly_rate": "48.00", "overtime_rate": "62.00", "travel_hourly_rate": "30.00",
        "km_rate": "0.50", "per_diem": "40.00", "valid_from": "2026-01-01", "standard": True})
    d["sla"] = create(MANAGER, "sla", {
        "name": "Standard", "calendar": "office", "warning_percent": 75, "standard": True,
        "targets": [{"priority": "normal", "response_hours": "4", "resolution_hours": "16"},
                    {"priority": "urgent", "response_hours": "2", "resolution_hours": "8"}]})
    d["technician"] = create(COORDINATOR, "technician", {
        "username": "tino", "full_name": "Tino Bassi", "kind": "internal",
        "absences": [{"from_date": "2026-12-07", "to_date": "2026-12-11",
                      "reason": "holiday"}]})
    return d


def web_client(service: ServiceEnv, actor: Actor, password: str) -> FlaskClient:
    """``actor`` signed in to the web UI of ``service`` with ``password`` (set here)."""
    users = service.officina.registry.current().schema.system["officina_user"]
    with service.officina.database.write() as connection:
        connection.execute(users.update().where(users.c.username == actor.username)
                           .values(password_hash=hash_password(password, FAST_HASHING)))
    app = create_app(service.officina.settings, {"TESTING": True}, service.officina)
    return sign_in(app.test_client(), actor.username, password)


@pytest.fixture
def service(database_url: str, tmp_path: Path) -> Iterator[ServiceEnv]:
    """Monday 23 November 2026, 09:00 in Brescia (08:00 UTC), with the master data."""
    now = dt.datetime(2026, 11, 23, 8, 0)

    def build(url: str) -> dict[str, dict[str, Any]]:
        with tempfile.TemporaryDirectory() as folder:
            golden = open_service(Path(folder), url, now)
            try:
                return master_data(golden)
            finally:
                golden.officina.close()

    copied = GOLDEN.provide(database_url, ("service master data", now,
                                           tree_digest([BUILTIN_PACKS])), build)
    if copied is None:
        env = open_service(tmp_path, database_url, now)
        env.data = master_data(env)
    else:
        env = attach_service(tmp_path, database_url, now)
        env.data = copied.extra
    yield env
    env.officina.close()


WEB_PASSWORD = "Service-pw-1"
FULL_NAMES = {"cora": "Cora Bassi", "mara": "Mara Conti", "olga": "Olga Riva",
              "tino": "Tino Bassi"}


@pytest.fixture
def web(service: ServiceEnv) -> Flask:
    """The web application over ``service``; its users sign in with ``WEB_PASSWORD``."""
    users = service.officina.registry.current().schema.system["officina_user"]
    with service.officina.database.write() as connection:
        for username, name in FULL_NAMES.items():
            set_password_hash(connection, username, hash_password(WEB_PASSWORD, FAST_HASHING))
            connection.execute(users.update().where(users.c.username == username)
                               .values(full_name=name))
    return create_app(service.officina.settings, {"TESTING": True}, service.officina)


def browser_of(app: Flask, username: str) -> FlaskClient:
    """A browser signed in to ``app`` (the ``web`` fixture) as ``username``."""
    return sign_in(app.test_client(), username, WEB_PASSWORD)
