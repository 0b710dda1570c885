"""A small pack with checked identifiers and a unique group, migrated on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.records.actor import Actor
from tests.conftest import Env, open_env
from tests.support.packs import write_pack

CLERK = Actor("carla", frozenset({"clerk"}))
IMPIEGATA = Actor("ilaria", frozenset({"clerk"}), language="it")
ACCESS = "permissions: {clerk: [read, create, update]}\n"

FILES = {
    "entities/company.yaml": """
        name: company
        label: Company
        naming: "CO-{###}"
        title_field: name
        fields:
          name: {type: string, length: 80, required: true}
          vat: {type: string, length: 20, unique: true, check: it.iva, label: VAT number}
          tax_code: {type: string, length: 16, check: it.codicefiscale, label: Fiscal code}
          iban: {type: string, length: 34, check: iban, label: IBAN}
          imei: {type: string, length: 20, check: imei, label: IMEI}
        """ + ACCESS,
    "entities/model.yaml": """
        name: model
        label: Model
        naming: "MOD-{###}"
        title_field: name
        fields:
          name: {type: string, length: 80, required: true}
        """ + ACCESS,
    "entities/unit.yaml": """
        name: unit
        label: Unit
        naming: "U-{###}"
        title_field: serial
        fields:
          model: {type: link, target: model, required: true, label: Model}
          batch: {type: string, length: 20, label: Batch}
          serial: {type: string, length: 40, required: true, label: Serial number}
          site: {type: string, length: 40, label: Site}
        unique:
          - [model, serial]
          - [model, batch, site]
        """ + ACCESS,
    "translations/it/LC_MESSAGES/checks.po": """
        msgid ""
        msgstr ""
        "Language: it\\n"
        "Content-Type: text/plain; charset=utf-8\\n"

        msgid "Model"
        msgstr "Modello"

        msgid "Batch"
        msgstr "Lotto"
        """,
}


@pytest.fixture
def checks(database_url: str, tmp_path: Path) -> Iterator[Env]:
    """The ``checks`` pack, migrated, on SQLite and PostgreSQL."""
    write_pack(tmp_path / "packs", "checks", FILES)
    env = open_env(database_url, ["checks"], [tmp_path / "packs"])
    yield env
    env.database.dispose()


def rows(env: Env, entity: str) -> list[dict]:
    """Every stored row of ``entity``, by id."""
    table = env.schema.table(entity)
    with env.database.read() as connection:
        return [dict(r._mapping) for r in connection.execute(sa.select(table)
                                                             .order_by(table.c.id))]
