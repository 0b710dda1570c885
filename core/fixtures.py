"""Load a pack's fixtures (demo data) through the records service, once per file.

A record entry creates a record (``values``) or finds an existing one (``find``), then takes
its ``steps`` (workflow transitions and updates) in order. Values may name earlier records
(``"@key"``) and dates relative to the load (``"$today-30d"``, ``"$now+2h"``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.i18n import Translator, _
from core.metadata.diagnostics import MetadataError
from core.metadata.loader import folder_files, read_document
from core.metadata.timeexpr import UNITS
from core.metadata.yaml_source import SourceDocument
from core.officina import Officina
from core.password_hashing import PasswordHashing
from core.records.actor import Actor
from core.records.errors import RecordError
from core.records.json_values import values_from_json
from core.records.reading import ListQuery
from core.users import create_user, set_password_hash, user_exists

RELATIVE = re.compile(r"^\$(today|now)((?:[+-](?:\d+[smhdw])+)*)$")
RELATIVE_START = re.compile(r"^\$(today|now)\b")
OFFSET = re.compile(r"([+-])((?:\d+[smhdw])+)")
PART = re.compile(r"(\d+)([smhdw])")


@dataclass(frozen=True)
class Clock:
    """The moment a load runs: ``now`` in naive UTC (as stored) and the instance's zone."""

    now: dt.datetime
    zone: ZoneInfo

    @property
    def today(self) -> dt.date:
        """Today in the instance's time zone (as ``$today`` defaults are)."""
        return self.now.replace(tzinfo=dt.UTC).astimezone(self.zone).date()

    def relative(self, text: str) -> dt.date | dt.datetime:
        """``$today``, ``$today-30d`` (dates), ``$today-2d+9h`` (that day at 9:00 local
        time), ``$now-3d+2h`` (a moment): dates and times in naive UTC, as stored.

        ValueError for anything else.
        """
        match = RELATIVE.fullmatch(text)
        if not match:
            raise ValueError(text)
        anchor, offsets = match.groups()
        seconds, units = 0, set()
        for sign, parts in OFFSET.findall(offsets):
            for number, unit in PART.findall(parts):
                seconds += (1 if sign == "+" else -1) * int(number) * UNITS[unit]
                units.add(unit)
        offset = dt.timedelta(seconds=seconds)
        if anchor == "now":
            return self.now + offset
        if units <= {"d", "w"}:
            return self.today + offset
        midnight = dt.datetime.combine(self.today, dt.time(), tzinfo=self.zone)
        moment = (midnight.replace(tzinfo=None) + offset).replace(tzinfo=self.zone)
        return moment.astimezone(dt.UTC).replace(tzinfo=None)


class FixtureValueError(ValueError):
    """A ``$today``/``$now`` value that does not parse."""


def resolve(value: Any, keys: dict[str, int], clock: Clock) -> Any:
    """``value`` with ``"@key"`` replaced by the id of the record of that key and relative
    dates (``"$today-30d"``, ``"$now+2h"``) by the date or moment meant, in lists and
    objects too."""
    if isinstance(value, str):
        if value.startswith("@") and value[1:] in keys:
            return keys[value[1:]]
        if RELATIVE_START.match(value):
            try:
                return clock.relative(value)
            except ValueError:
                raise FixtureValueError(value) from None
        return value
    if isinstance(value, list):
        return [resolve(v, keys, clock) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, keys, clock) for k, v in value.items()}
    return value


class _DemoPasswords:
    """The demo users' password hashed in a background thread while the records load.

    argon2 at the instance's cost takes a good fraction of a second per user and releases
    the GIL: each user gets a hash of their own (their own salt, the configured cost), made
    while the main thread loads records; the users are created first without one (rules may
    look them up) and given their hash at the end of the load, in the same transaction.
    """

    def __init__(self, password: str | None, hashing: PasswordHashing,
                 documents: Sequence[SourceDocument]):
        names = dict.fromkeys(user["username"] for document in documents
                              for user in document.data.get("users") or [])
        self._pool: ThreadPoolExecutor | None = None
        self._hashes: dict[str, Future[str]] = {}
        if password and names:
            self._pool = ThreadPoolExecutor(max_workers=1,
                                            thread_name_prefix="officina-demo-passwords")
            self._hashes = {name: self._pool.submit(hashing.hash, password) for name in names}
        self.created: list[str] = []

    def store(self, connection: Connection) -> None:
        """Give the users created by the load their password hash (waits for the hashes)."""
        for username in self.created:
            set_password_hash(connection, username, self._hashes[username].result())

    def close(self) -> None:
        """Stop hashing (the hashes not needed any more are dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


class _Loader:
    """Loads one file's records on one connection, naming file:line on failure."""

    def __init__(self, officina: Officina, actor: Actor, connection: Connection,
                 clock: Clock, keys: dict[str, int], passwords: _DemoPasswords):
        self.records = officina.records
        self.registry = officina.registry
        self.passwords = passwords
        self.actor = actor
        self.connection = connection
        self.clock = clock
        self.keys = keys
        self.t = Translator(actor.language)

    def fail(self, document: SourceDocument, path: list, message: str) -> RecordError:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)[1:]
        return RecordError(f"{document.file}:{document.line_of(path)}: {where}: {message}")

    def values(self, document: SourceDocument, path: list, raw: Any) -> Any:
        """``raw`` with its keys and relative dates resolved (``resolve``)."""
        try:
            return resolve(raw, self.keys, self.clock)
        except FixtureValueError as exc:
            raise self.fail(document, path, self.t.gettext(
                _("\"{value}\" is not a relative date: use $today or $now followed by "
                  "offsets such as -30d, +2h, +1w (e.g. $today-30d, $now-3d+2h)."),
                value=str(exc))) from None

    def field_values(self, document: SourceDocument, path: list, entity: str,
                     raw: dict[str, Any]) -> dict[str, Any]:
        """A record's ``values`` (or an ``update``, a ``find``) resolved, each as its field's
        type reads JSON (a fixture's values are JSON written as YAML)."""
        return values_from_json(self.registry.current().registry, entity,
                                self.values(document, path, raw))

    def load(self, document: SourceDocument) -> None:
        for user in document.data.get("users") or []:
            if not user_exists(self.connection, user["username"]):
                create_user(self.connection, user["username"], None,
                            roles=tuple(user["roles"]), language=user.get("language", "en"),
                            full_name=user.get("full_name", ""), email=user.get("email", ""))
                self.passwords.created.append(user["username"])
        for index, record in enumerate(document.data["records"]):
            at = ["records", index]
            entity = record["entity"]
            if "find" in record:
                record_id = self.find(document, at, entity, record["find"])
            else:
                values = self.field_values(document, [*at, "values"], entity,
                                           record["values"])
                try:
                    created = self.records.create(self.actor, entity, values,
                                                  connection=self.connection)
                except RecordError as exc:
                    raise self.fail(document, at, exc.describe()) from None
                record_id = created["id"]
            if record.get("key"):
                self.keys[record["key"]] = record_id
            for number, step in enumerate(record.get("steps") or []):
                self.step(document, [*at, "steps", number], entity, record_id, step)

    def find(self, document: SourceDocument, at: list, entity: str,
             raw: dict[str, Any]) -> int:
        """The id of the one record of ``entity`` whose fields have the given values."""
        wanted = self.field_values(document, [*at, "find"], entity, raw)
        filters = [[name, "is null"] if value is None else [name, "=", value]
                   for name, value in wanted.items()]
        try:
            page = self.records.list(self.actor, entity, ListQuery(
                filters=filters, limit=2, fields=("id",), exact_count=True),
                connection=self.connection)
        except RecordError as exc:
            raise self.fail(document, [*at, "find"], exc.describe()) from None
        if len(page.rows) != 1:
            shown = ", ".join(f"{k}: {v}" for k, v in raw.items())
            message = (_("No {entity} matches {values}.") if not page.rows else
                       _("Several records of {entity} match {values}: add fields to "
                         "find only one."))
            raise self.fail(document, [*at, "find"],
                            self.t.gettext(message, entity=entity, values=shown))
        return page.rows[0]["id"]

    def step(self, document: SourceDocument, at: list, entity: str, record_id: int,
             step: dict[str, Any]) -> None:
        """Take a transition, or update fields (at the record's current version)."""
        try:
            if "transition" in step:
                self.records.transition(self.actor, entity, record_id, step["transition"],
                                        connection=self.connection)
                return
            values = self.field_values(document, [*at, "update"], entity, step["update"])
            current = self.records.get(self.actor, entity, record_id,
                                       connection=self.connection)
            self.records.update(self.actor, entity, record_id, values,
                                version=current["version"], connection=self.connection)
        except RecordError as exc:
            if exc.message.startswith(f"{document.file}:"):
                raise
            raise self.fail(document, at, exc.describe()) from None


def _pending(folder: Path, done: set[str]) -> list[SourceDocument]:
    """The fixtures files of ``folder`` not loaded yet, read and checked, in load order."""
    problems: list = []
    documents = [read_document(path, "fixtures", problems) for path in folder_files(folder)
                 if path.name not in done]
    if problems:
        raise MetadataError(problems)
    return [d for d in documents if d is not None]


def load_fixtures(officina: Officina, pack_name: str, actor: Actor,
                  users_password: str | None = None) -> list[str]:
    """Load every fixtures file of ``pack_name`` not loaded yet, all in one transaction.

    Returns the files loaded. The files' ``users`` that do not exist yet are created with
    ``users_password`` (none: they cannot sign in with a password). A failing record or step
    stops everything, naming its file, line and position, and nothing is written.

    Fixtures are pack files, written by the pack's author as its rules are: ``actor``'s
    rights apply, but as a trusted actor, so fixtures may fill the fields rules fill
    (history of demo records), read-only ones included.
    """
    actor = replace(actor, trusted=True)
    pack_spec = next((p for p in officina.registry.current().registry.packs
                      if p.name == pack_name), None)
    if pack_spec is None:
        raise RecordError(f"Pack '{pack_name}' is not enabled in this instance.")
    loads = officina.registry.current().schema.system["officina_fixture_load"]
    clock = Clock(officina.records.clock(), ZoneInfo(officina.records.options.timezone))
    loaded_files: list[str] = []
    keys: dict[str, int] = {}
    loaded_query = sa.select(loads.c.file).where(loads.c.pack == pack_name)
    with officina.database.read() as connection:
        done = set(connection.execute(loaded_query).scalars())
    documents = _pending(Path(pack_spec.path) / "fixtures", done)
    passwords = _DemoPasswords(users_password, officina.settings.passwords, documents)
    try:
        with officina.database.write() as connection:
            done = set(connection.execute(loaded_query).scalars())  # another load may have run
            loader = _Loader(officina, actor, connection, clock, keys, passwords)
            for document in documents:
                name = Path(document.file).name
                if name in done:
                    continue
                loader.load(document)
                connection.execute(loads.insert().values(
                    pack=pack_name, file=name,
                    loaded_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
                loaded_files.append(document.file)
            passwords.store(connection)
    finally:
        passwords.close()
    return loaded_files
