"""The registry: packs in dependency order plus the overlay, frozen and hashed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from core.metadata.diagnostics import MetadataError
from core.metadata.registry import load_registry
from tests.conftest import FIXTURE_PACKS


def shop(overlays: dict[str, str] | None = None, version: int = 0):
    return load_registry(["testshop"], [FIXTURE_PACKS], overlays, version)


def test_specs_are_immutable() -> None:
    registry = shop()
    entity = registry.entity("sale")
    with pytest.raises(dataclasses.FrozenInstanceError):
        entity.label = "Order"  # type: ignore[misc]
    with pytest.raises(TypeError):
        registry.entities["other"] = entity  # type: ignore[index]
    assert entity.field("customer").target == "customer"
    assert entity.naming == "SO-{YYYY}-{#####}"
    assert registry.parent_of("sale_line")[0].name == "sale"


def test_defaults_filled_in_from_names() -> None:
    registry = shop()
    customer = registry.entity("customer")
    assert customer.field("company").label == "Company"
    assert registry.entity("specimen").naming == "SPECIMEN-{#####}"
    assert registry.entity("sale_line").naming is None


def test_content_hash_is_stable_and_follows_changes() -> None:
    assert shop().content_hash == shop().content_hash
    assert shop({"sale": "label: Order\n"}).content_hash != shop().content_hash


def test_overlay_adds_custom_fields_and_overrides_presentation() -> None:
    overlay = """
label: Order
custom_fields:
  x_gift_wrap: {type: boolean, label: Gift wrap}
fields:
  status: {label: State, options: [cancelled]}
list:
  columns: [ref, subject, x_gift_wrap]
"""
    registry = shop({"sale": overlay}, version=3)
    sale = registry.entity("sale")
    assert registry.version == 3
    assert sale.label == "Order"
    assert sale.field("x_gift_wrap").custom
    assert sale.field("status").label == "State"
    assert sale.field("status").options == ("draft", "confirmed", "shipped", "cancelled")
    assert sale.list_columns == ("ref", "subject", "x_gift_wrap")
    assert shop().entity("sale").field("x_gift_wrap") is None


@pytest.mark.parametrize("overlay, expected", [
    ("custom_fields:\n  gift: {type: boolean}\n",
     "<customisation of sale>:2: custom_fields.gift: 'gift' is not a valid name: use x_ "
     "followed by lowercase letters, digits or underscores"),
    ("fields:\n  colour: {label: Colour}\n", "<customisation of sale>:2: fields.colour: entity "
                                             "'sale' has no field 'colour'"),
    ("custom_fields:\n  x_who: {type: link, target: nobody}\n",
     "<customisation of sale>:2: custom_fields.x_who.target: link to unknown entity 'nobody'"),
    ("list:\n  columns: [nothing]\n", "<customisation of sale>:2: list.columns[0]: unknown field"),
])
def test_overlay_errors_name_the_customisation(overlay: str, expected: str) -> None:
    with pytest.raises(MetadataError) as caught:
        shop({"sale": overlay})
    assert any(expected in str(d) for d in caught.value.diagnostics), caught.value


def test_pack_folder_must_match_its_name(tmp_path: Path) -> None:
    folder = tmp_path / "shop2"
    folder.mkdir()
    (folder / "pack.yaml").write_text('name: shop\nversion: "1.0"\n')
    with pytest.raises(MetadataError) as caught:
        load_registry(["shop2"], [tmp_path])
    assert "pack.yaml:1: name: pack is named 'shop' but its folder is 'shop2'" in str(caught.value)


def test_customisations_follow_renamed_entities_and_fields(tmp_path) -> None:
    import shutil

    shutil.copytree(FIXTURE_PACKS / "testshop", tmp_path / "testshop")
    shutil.rmtree(tmp_path / "testshop" / "fixtures")
    path = tmp_path / "testshop" / "entities" / "product.yaml"
    path.write_text(path.read_text().replace("name: product\n", "name: article\n"
                                             "renamed_from: product\n").replace(
        "  title: {type: string", "  heading: {renamed_from: title, type: string").replace(
        "title_field: title", "title_field: heading"))
    sale_line = tmp_path / "testshop" / "entities" / "sale_line.yaml"
    sale_line.write_text(sale_line.read_text().replace("target: product", "target: article"))
    overlay = "label: Item\nfields:\n  title: {label: Name}\n"
    registry = load_registry(["testshop"], [tmp_path], {"product": overlay})
    article = registry.entity("article")
    assert article.label == "Item" and article.field("heading").label == "Name"
