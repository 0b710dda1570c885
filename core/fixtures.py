"""Load a pack's fixtures (demo data) through the records service, once per file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core.metadata.diagnostics import MetadataError
from core.metadata.loader import read_pack
from core.officina import Officina
from core.records.actor import Actor
from core.records.errors import RecordError


def _resolve(value: Any, keys: dict[str, int]) -> Any:
    """Replace ``"@key"`` strings (and in lists/dicts) by the id of the record with that key."""
    if isinstance(value, str) and value.startswith("@") and value[1:] in keys:
        return keys[value[1:]]
    if isinstance(value, list):
        return [_resolve(v, keys) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, keys) for k, v in value.items()}
    return value


def load_fixtures(officina: Officina, pack_name: str, actor: Actor) -> list[str]:
    """Load every fixtures file of ``pack_name`` not loaded yet, all in one transaction.

    Returns the files loaded. A failing record stops everything, naming its file and
    position, and nothing is written.
    """
    pack_spec = next((p for p in officina.registry.current().registry.packs
                      if p.name == pack_name), None)
    if pack_spec is None:
        raise RecordError(f"Pack '{pack_name}' is not enabled in this instance.")
    problems: list = []
    source = read_pack(Path(pack_spec.path), problems)
    if source is None or problems:
        raise MetadataError(problems)
    loads = officina.registry.current().schema.system["officina_fixture_load"]
    loaded_files: list[str] = []
    keys: dict[str, int] = {}
    with officina.database.write() as connection:
        done = set(connection.execute(sa.select(loads.c.file).where(loads.c.pack == pack_name))
                   .scalars())
        for document in source.documents.get("fixtures", []):
            name = Path(document.file).name
            if name in done:
                continue
            for index, record in enumerate(document.data["records"]):
                values = _resolve(record["values"], keys)
                try:
                    created = officina.records.create(actor, record["entity"], values,
                                                      connection=connection)
                except RecordError as exc:
                    line = document.line_of(["records", index])
                    raise RecordError(f"{document.file}:{line}: records[{index}]: "
                                      f"{exc.describe()}") from None
                if record.get("key"):
                    keys[record["key"]] = created["id"]
            connection.execute(loads.insert().values(
                pack=pack_name, file=name, loaded_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
            loaded_files.append(document.file)
    return loaded_files
