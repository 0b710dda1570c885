"""Limits of the records service on SQLite and PostgreSQL: every value outside what a column,
a filter or a record may hold is a translated error naming the field, and nothing is written."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from core.files import FileStore
from core.records.actor import Actor
from core.records.errors import NotFound, QueryError, RecordValidationError
from core.records.limits import Limits
from core.records.reading import ListQuery
from core.records.service import RecordsService, ServiceOptions
from tests.conftest import Env, open_env

ADMIN = Actor("ada", frozenset({"admin"}))
CLERK = Actor("carla", frozenset({"clerk"}))
OTHER_CLERK = Actor("cesare", frozenset({"clerk"}))
ITALIAN = Actor("giulia", frozenset({"admin"}), language="it")
TOO_BIG = 2**63


@pytest.fixture
def lab(database_url: str, packs_dir: Path) -> Iterator[Env]:
    """The test shop with an unbounded integer on specimens, which clerks may write."""
    specimen = packs_dir / "testshop" / "entities" / "specimen.yaml"
    specimen.write_text(specimen.read_text() + "  serial: {type: integer}\n"
                        "permissions:\n  clerk: [read, create, update]\n")
    env = open_env(database_url, ["testshop"], [packs_dir])
    yield env
    env.database.dispose()


def count(env: Env, entity: str) -> int:
    with env.database.read() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(
            env.schema.table(entity))).scalar_one()


def refused(call, *args, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(RecordValidationError) as caught:
        call(*args, **kwargs)
    return caught.value.field_errors


def png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


# -- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "message"), [
    ("serial", TOO_BIG, "Out of range: must be between -9223372036854775808 and "
                        "9223372036854775807."),
    ("serial", "-9223372036854775809", "Out of range"),
    ("serial", 1e300, "Out of range"),
    ("serial", float("nan"), "Not a valid whole number."),
    ("effort", "9999999999999999999h", "Out of range"),
    ("price", "100000000000000000", "Too large: at most 16 digits before the decimal point."),
    ("ratio", "1e999999999", "Not a valid number."),
    ("ratio", "Infinity", "Not a valid number."),
    ("owner", TOO_BIG, "Not a valid reference."),
])
def test_numbers_outside_their_column_are_field_errors(lab: Env, field: str, value: object,
                                                       message: str) -> None:
    errors = refused(lab.service.create, ADMIN, "specimen", {field: value})
    assert list(errors) == [field] and errors[field][0].startswith(message)
    assert count(lab, "specimen") == 0


def test_the_largest_integer_is_stored(lab: Env) -> None:
    saved = lab.service.create(ADMIN, "specimen", {"serial": 2**63 - 1, "effort": "1h"})
    assert lab.service.get(ADMIN, "specimen", saved["id"])["serial"] == 2**63 - 1


def test_range_errors_are_translated(lab: Env) -> None:
    errors = refused(lab.service.create, ITALIAN, "specimen", {"serial": TOO_BIG})
    assert errors["serial"] == ["Fuori intervallo: deve essere tra -9223372036854775808 e "
                                "9223372036854775807."]


@pytest.mark.parametrize("key", [TOO_BIG, "99999999999999999999999", "²", "CUS\x00", "\ud800",
                                 "x" * 500])
def test_keys_no_record_can_have_are_not_found(lab: Env, key: object) -> None:
    with pytest.raises(NotFound):
        lab.service.get(ADMIN, "customer", key)
    with pytest.raises(NotFound):
        lab.service.update(ADMIN, "customer", key, {"city": "Roma"}, version=1)


def test_a_version_past_the_column_is_refused_and_nothing_changes(lab: Env) -> None:
    saved = lab.service.create(ADMIN, "customer", {"company": "ACME", "city": "Milano"})
    errors = refused(lab.service.update, ADMIN, "customer", saved["id"], {"city": "Roma"},
                     version=TOO_BIG)
    assert list(errors) == ["version"] and errors["version"][0].startswith("Out of range")
    assert lab.service.get(ADMIN, "customer", saved["id"])["city"] == "Milano"


def test_an_offset_past_the_database_is_a_query_error(lab: Env) -> None:
    with pytest.raises(QueryError, match="offset must be a whole number of at most"):
        lab.service.list(ADMIN, "customer", ListQuery(offset=TOO_BIG))
    assert lab.service.list(ADMIN, "customer", ListQuery(offset=TOO_BIG - 1)).rows == []


# -- filters ---------------------------------------------------------------------------------


def nested(depth: int) -> object:
    node: object = ["company", "=", "ACME"]
    for _level in range(depth):
        node = {"not": node}
    return node


@pytest.mark.parametrize(("filters", "message"), [
    (nested(9), "nested at most 8 levels deep"),
    ({"or": [["id", "=", n] for n in range(1, 502)]}, "at most 500 items"),
    ([["id", "in", list(range(1, 502))]], "at most 500 items"),
    ([{"or": [["id", "=", n] for n in range(i * 100 + 1, i * 100 + 101)]} for i in range(3)],
     "at most 200 conditions"),
    ([["id", "=", TOO_BIG]], "Out of range"),
    ([["company", "like", "AC\x00"]], "NUL character"),
    ([["company", "=", "\ud800"]], "lone UTF-16 surrogate"),
    ([["company", "in", ["ACME", "x" * 256]]], "At most 255 characters"),
])
def test_filters_beyond_their_limits_are_query_errors(lab: Env, filters: object,
                                                      message: str) -> None:
    with pytest.raises(QueryError, match=message):
        lab.service.list(ADMIN, "customer", ListQuery(filters=filters))


def test_filters_within_their_limits_run(lab: Env) -> None:
    lab.service.create(ADMIN, "customer", {"company": "ACME"})
    assert len(lab.service.list(ADMIN, "customer", ListQuery(filters=nested(8))).rows) == 1
    many = [["id", "in", list(range(1, 501))]]
    assert len(lab.service.list(ADMIN, "customer", ListQuery(filters=many)).rows) == 1


def test_filter_limits_are_settings(lab: Env) -> None:
    service = RecordsService(lab.database, lab.store, options=ServiceOptions(
        limits=Limits(max_filter_depth=1, max_filter_items=3, max_filter_conditions=2)))
    with pytest.raises(QueryError, match="at most 1 levels"):
        service.list(ADMIN, "customer", ListQuery(filters=nested(2)))
    with pytest.raises(QueryError, match="at most 3 items"):
        service.list(ADMIN, "customer", ListQuery(filters=[["id", "in", [1, 2, 3, 4]]]))
    with pytest.raises(QueryError, match="at most 2 conditions"):
        service.list(ADMIN, "customer", ListQuery(filters=[["id", "=", n] for n in (1, 2, 3)]))
    assert service.list(ADMIN, "customer", ListQuery(filters=nested(1))).rows == []


@pytest.mark.parametrize("search", ["AC\x00ME", "\udfff", "a" * 1001])
def test_searches_the_database_cannot_compare_are_query_errors(lab: Env, search: str) -> None:
    with pytest.raises(QueryError, match="Search"):
        lab.service.list(ADMIN, "customer", ListQuery(search=search))


# -- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "message"), [
    ("label_text", "Ab\x00c", "Contains a NUL character, which cannot be stored."),
    ("body", "line\x00", "Contains a NUL character, which cannot be stored."),
    ("body", "half \ud83d pair", "Contains an invalid character (a lone UTF-16 surrogate)."),
    ("email", "a\x00@example.com", "Contains a NUL character, which cannot be stored."),
    ("homepage", "https://example.com/\x00", "Contains a NUL character, which cannot be stored."),
    ("colour", "red\x00", "Contains a NUL character, which cannot be stored."),
    ("body", "x" * 100_001, "At most 100000 characters."),
    ("email", "a" * 250 + "@b.it", "At most 254 characters."),
    ("homepage", "https://example.com/" + "a" * 1990, "At most 2000 characters."),
])
def test_unstorable_or_too_long_text_is_a_field_error(lab: Env, field: str, value: str,
                                                      message: str) -> None:
    errors = refused(lab.service.create, ADMIN, "specimen", {field: value})
    assert message in errors[field]
    assert count(lab, "specimen") == 0


def test_a_line_with_unstorable_text_names_the_line(lab: Env) -> None:
    customer = lab.service.create(ADMIN, "customer", {"company": "ACME"})
    product = lab.service.create(ADMIN, "product", {"title": "Bolt"})
    errors = refused(lab.service.create, ADMIN, "sale", {
        "subject": "Order", "customer": customer["id"],
        "lines": [{"product": product["id"], "notes": [{"note": "ok"}, {"note": "\x00"}]}]})
    assert errors == {"lines.0.notes.1.note": [
        "Contains a NUL character, which cannot be stored."]}
    assert count(lab, "sale") == 0 and count(lab, "sale_line") == 0


def test_the_longest_text_is_stored(lab: Env) -> None:
    saved = lab.service.create(ADMIN, "specimen", {"body": "é" * 100_000})
    assert len(lab.service.get(ADMIN, "specimen", saved["id"])["body"]) == 100_000


# -- child lines -----------------------------------------------------------------------------


def test_child_lines_beyond_the_setting_are_refused(lab: Env) -> None:
    service = RecordsService(lab.database, lab.store,
                             options=ServiceOptions(limits=Limits(max_lines=3)))
    customer = service.create(ADMIN, "customer", {"company": "ACME"})
    product = service.create(ADMIN, "product", {"title": "Bolt"})
    sale = {"subject": "Order", "customer": customer["id"]}
    errors = refused(service.create, ITALIAN, "sale",
                     {**sale, "lines": [{"product": product["id"]}] * 4})
    assert errors == {"lines": ["Al massimo 3 righe."]}
    assert count(lab, "sale") == 0 and count(lab, "sale_line") == 0
    saved = service.create(ADMIN, "sale", {**sale, "lines": [{"product": product["id"]}] * 3})
    assert len(saved["lines"]) == 3


def test_the_default_line_limit_is_a_thousand(lab: Env) -> None:
    assert RecordsService(lab.database, lab.store).options.limits.max_lines == 1_000


# -- files -----------------------------------------------------------------------------------


@pytest.fixture
def files_lab(lab: Env, tmp_path: Path) -> tuple[RecordsService, FileStore]:
    store = FileStore(tmp_path / "files")
    return RecordsService(lab.database, lab.store, files=store), store


def test_a_user_attaches_only_files_they_uploaded(lab: Env, files_lab) -> None:
    service, store = files_lab
    key = store.put(b"%PDF-1.4 carla's manual", "manual.pdf", owner="carla")
    mine = service.create(CLERK, "specimen", {"manual": key})
    assert mine["manual"] == key
    errors = refused(service.create, OTHER_CLERK, "specimen", {"manual": key})
    assert errors == {"manual": ['The file "manual.pdf" was not uploaded by you: upload it '
                                 'here.']}
    assert count(lab, "specimen") == 1
    # Keeping the value a record already holds is no new attachment.
    kept = service.update(OTHER_CLERK, "specimen", mine["id"], {"manual": key, "serial": 7},
                          version=mine["version"])
    assert kept["manual"] == key and kept["serial"] == 7
    # Uploading the same bytes makes them the uploader's too; administrators attach anything.
    store.put(b"%PDF-1.4 carla's manual", "copy.pdf", owner="cesare")
    assert service.create(OTHER_CLERK, "specimen", {"manual": key})["manual"] == key
    other = store.put(b"%PDF-1.4 someone's", "x.pdf", owner="ivo")
    assert service.create(ADMIN, "specimen", {"manual": other})["manual"] == other


@pytest.mark.parametrize(("data", "message"), [
    (b"\x89PNG\r\n\x1a\nnot really", '"fake.png" is not a PNG, JPEG, GIF or WebP image.'),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", '"fake.png" is not a PNG, JPEG, GIF or '
                                                   'WebP image.'),
    (png((9000, 5000), "1"), '"fake.png" is too large an image: at most 40000000 pixels '
                             '(width times height).'),
])
def test_images_must_decode_within_the_pixel_limit(lab: Env, files_lab, data: bytes,
                                                   message: str) -> None:
    service, store = files_lab
    key = store.put(data, "fake.png", owner="carla")
    assert refused(service.create, CLERK, "specimen", {"picture": key}) == {
        "picture": [message]}
    assert count(lab, "specimen") == 0


def test_a_real_image_is_attached(files_lab) -> None:
    service, store = files_lab
    key = store.put(png((40, 30)), "photo.png", owner="carla")
    assert service.create(CLERK, "specimen", {"picture": key})["picture"] == key


def test_limits_from_settings_name_a_bad_key() -> None:
    assert Limits.from_settings({"max_lines": 50}).max_lines == 50
    with pytest.raises(ValueError, match="unknown setting 'max_line'"):
        Limits.from_settings({"max_line": 50})
    with pytest.raises(ValueError, match="max_lines: must be a whole number of at least 1"):
        Limits.from_settings({"max_lines": 0})
