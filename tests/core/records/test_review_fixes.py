"""Review fixes seen through the records service, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.metadata.registry import load_registry
from core.records.actor import SYSTEM
from core.records.errors import RecordValidationError
from core.records.reading import ListQuery
from core.storage.migrate import migrate
from tests.conftest import Env, open_env

COMPANIES = ["A_B 50%", "AxB 500", "HD-1 east", "Shop HD-2", "back\\slash", "Plain"]


@pytest.fixture
def named(shop: Env) -> Env:
    for company in COMPANIES:
        shop.service.create(SYSTEM, "customer", {"company": company})
    return shop


def like(env: Env, text: str) -> list[str]:
    page = env.service.list(SYSTEM, "customer", ListQuery(filters=[["company", "like", text]],
                                                          sort=("company",), limit=100))
    return [row["company"] for row in page.rows]


@pytest.mark.parametrize("text, expected", [
    ("a_b", ["A_B 50%"]),               # "_" is an underscore, not any one character
    ("50%", ["A_B 50%"]),               # "%" is a percent sign, not any text
    ("hd", ["HD-1 east", "Shop HD-2"]),  # plain text matches anywhere, in any case
    ("HD*", ["HD-1 east"]),             # a "*" is the wildcard: the value is not wrapped
    ("*hd-2", ["Shop HD-2"]),
    ("a*b*", ["A_B 50%", "AxB 500"]),
    ("a*b", []),                       # starts with "a" and ends with "b"
    ("k\\s", ["back\\slash"]),
    ("_", ["A_B 50%"]),
])
def test_like_is_plain_text_with_star_wildcards(named: Env, text: str,
                                                expected: list[str]) -> None:
    assert like(named, text) == expected


def test_empty_multiselect_is_stored_as_null(shop: Env) -> None:
    none = shop.service.create(SYSTEM, "specimen", {"label_text": "None", "tags": []})
    blank = shop.service.create(SYSTEM, "specimen", {"label_text": "Blank", "tags": ""})
    some = shop.service.create(SYSTEM, "specimen", {"label_text": "Some", "tags": ["hot"]})
    shop.service.update(SYSTEM, "specimen", some["id"], {"version": 1, "tags": []})
    shop.service.create(SYSTEM, "specimen", {"label_text": "Kept", "tags": "new"})
    assert none["tags"] == [] and blank["tags"] == []
    found = shop.service.list(SYSTEM, "specimen", ListQuery(filters=[["tags", "is null"]],
                                                            sort=("label_text",)))
    assert [row["label_text"] for row in found.rows] == ["Blank", "None", "Some"]


@pytest.mark.parametrize("value", [4.5, "4.5"])
def test_integer_with_a_fraction_is_refused_not_truncated(shop: Env, value: object) -> None:
    with pytest.raises(RecordValidationError) as refused:
        shop.service.create(SYSTEM, "specimen", {"label_text": "Half", "count": value})
    assert refused.value.field_errors == {"count": ["Not a valid whole number."]}
    assert shop.service.list(SYSTEM, "specimen").total == 0


def test_integer_given_as_a_whole_float_is_accepted(shop: Env) -> None:
    assert shop.service.create(SYSTEM, "specimen", {"label_text": "Four", "count": 4.0})[
        "count"] == 4


@pytest.fixture
def unsafe_formula_shop(database_url: str, packs_dir: Path) -> Iterator[Env]:
    """The shop with a line formula that the sandbox refuses when it runs."""
    path = packs_dir / "testshop" / "entities" / "sale_line.yaml"
    path.write_text(path.read_text().replace('"(quantity or 0) * (unit_price or 0)"',
                                             '"quantity.__class__"'))
    env = open_env(database_url, ["testshop"], [packs_dir])
    yield env
    env.database.dispose()


def test_formula_evaluating_to_undefined_is_a_field_error(unsafe_formula_shop: Env) -> None:
    env = unsafe_formula_shop
    customer = env.service.create(SYSTEM, "customer", {"company": "ACME"})
    product = env.service.create(SYSTEM, "product", {"title": "Bolt"})
    with pytest.raises(RecordValidationError) as refused:
        env.service.create(SYSTEM, "sale", {"subject": "S", "customer": customer["id"],
                                            "lines": [{"product": product["id"]}]})
    errors = refused.value.field_errors
    assert errors["lines.0.amount"][0].startswith(
        "formula not allowed: access to attribute '__class__'")


def test_unique_index_step_names_its_table(shop: Env, packs_dir: Path) -> None:
    path = packs_dir / "testshop" / "entities" / "customer.yaml"
    path.write_text(path.read_text().replace("city: {type: string, length: 40}",
                                             "city: {type: string, length: 40, unique: true}"))
    plan = migrate(shop.database, load_registry(["testshop"], [packs_dir]))
    unique = [s.description for s in plan.safe if s.description.startswith("create unique")]
    assert len(unique) == 1, plan.describe()
    assert unique[0].endswith("_city on testshop_customer"), unique
