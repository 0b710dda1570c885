"""Records read again inside the transaction that wrote them show what the database holds.

The records service keeps a copy of each record it wrote in a transaction (to spare the rules
and the next write a read); these tests check that a reader never sees a copy that went stale:
after a change of a linked record's title, after a rolled-back savepoint, in the next
transaction on the same connection.
"""

from __future__ import annotations

import pytest

from core.records.actor import SYSTEM
from core.records.errors import Conflict
from tests.conftest import Env


@pytest.fixture
def sale(shop: Env) -> dict:
    acme = shop.service.create(SYSTEM, "customer", {"company": "ACME", "vat": "IT01"})
    bolt = shop.service.create(SYSTEM, "product", {"title": "Bolt", "price": "0.50"})
    return shop.service.create(SYSTEM, "sale", {
        "subject": "Spring order", "customer": acme["id"],
        "lines": [{"product": bolt["id"], "quantity": "10", "unit_price": "0.50"}]})


def test_a_linked_records_new_title_shows_in_the_same_transaction(shop: Env,
                                                                   sale: dict) -> None:
    service = shop.service
    with shop.database.write() as connection:
        changed = service.update(SYSTEM, "sale", sale["id"], {"subject": "Summer order"},
                                 version=sale["version"], connection=connection)
        product = sale["lines"][0]["product"]
        bolt = service.get(SYSTEM, "product", product, connection=connection)
        service.update(SYSTEM, "product", product, {"title": "Bolt M6"},
                       version=bolt["version"], connection=connection)
        customer = service.get(SYSTEM, "customer", sale["customer"], connection=connection)
        service.update(SYSTEM, "customer", customer["id"], {"company": "ACME Srl"},
                       version=customer["version"], connection=connection)
        again = service.get(SYSTEM, "sale", sale["id"], connection=connection)
    assert changed["subject"] == "Summer order" and changed["version"] == sale["version"] + 1
    assert again["subject"] == "Summer order" and again["version"] == changed["version"]
    assert again["lines"][0]["_titles"] == {"product": "Bolt M6"}
    assert again["_titles"]["customer"] == "ACME Srl"
    assert again == service.get(SYSTEM, "sale", sale["id"])


def test_a_rolled_back_savepoint_leaves_the_record_as_stored(shop: Env, sale: dict) -> None:
    service = shop.service
    with shop.database.write() as connection:
        with pytest.raises(RuntimeError), connection.begin_nested():
            service.update(SYSTEM, "sale", sale["id"], {"subject": "Never saved"},
                           version=sale["version"], connection=connection)
            raise RuntimeError("the caller gives up")
        inside = service.get(SYSTEM, "sale", sale["id"], connection=connection)
        assert inside["subject"] == "Spring order" and inside["version"] == sale["version"]
        with pytest.raises(Conflict):  # the version the savepoint wrote is gone
            service.update(SYSTEM, "sale", sale["id"], {"subject": "Stale"},
                           version=sale["version"] + 1, connection=connection)
        saved = service.update(SYSTEM, "sale", sale["id"], {"subject": "Autumn order"},
                               version=sale["version"], connection=connection)
    assert saved["version"] == sale["version"] + 1
    assert service.get(SYSTEM, "sale", sale["id"])["subject"] == "Autumn order"


def test_the_next_transaction_reads_what_others_wrote_meanwhile(shop: Env,
                                                                sale: dict) -> None:
    service = shop.service
    with shop.database.write() as connection:
        service.update(SYSTEM, "sale", sale["id"], {"subject": "First"},
                       version=sale["version"], connection=connection)
    service.update(SYSTEM, "sale", sale["id"], {"subject": "Second"},
                   version=sale["version"] + 1)  # its own transaction
    for _ in range(3):  # whichever pooled connection comes back
        with shop.database.write() as connection:
            current = service.get(SYSTEM, "sale", sale["id"], connection=connection)
        assert current["subject"] == "Second" and current["version"] == sale["version"] + 2
