"""Officina benchmark: what the generated web pages cost on top of the records service.

Loads the test shop pack on SQLite with customers and sales (two lines each), signs a clerk
in, and times, interleaved, the records-service call behind each page against the page
itself served by the Flask application (routing, session, permissions, template, locale
formatting), with Flask's test client so no network is involved:

    .venv/bin/python benchmarks/ui.py                 # 20,000 sales, 60 rounds
    .venv/bin/python benchmarks/ui.py --sales 2000 --rounds 20

Prints medians in milliseconds and the ratio page / service call.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.config import Settings
from core.metadata.loader import BUILTIN_PACKS
from core.officina import Officina
from core.records.actor import SYSTEM
from core.records.reading import ListQuery
from core.storage.migrate import migrate
from core.ui.app import create_app
from core.users import actor_for, create_user
from tests.support.users import FAST_HASHING

PACKS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "packs"


def _load(instance: Officina, sales: int) -> int:
    records = instance.records
    customers = [records.create(SYSTEM, "customer", {"company": f"Customer {n}",
                                                     "city": "Brescia"})["id"]
                 for n in range(50)]
    product = records.create(SYSTEM, "product", {"title": "Bolt", "price": "1.50"})["id"]
    last = 0
    with instance.database.write() as connection:
        for n in range(sales):
            last = records.create(SYSTEM, "sale", {
                "subject": f"Order {n}", "customer": customers[n % len(customers)],
                "lines": [{"product": product, "quantity": 2, "unit_price": "1.50"},
                          {"product": product, "quantity": 1, "unit_price": "3.00"}]},
                connection=connection)["id"]
    return last


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sales", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=60)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="officina-ui-bench-"))
    settings = Settings(instance=folder, database_url=f"sqlite:///{folder / 'bench.sqlite3'}",
                        packs=("testshop",), pack_paths=(PACKS, BUILTIN_PACKS),
                        passwords=FAST_HASHING)
    instance = Officina.open(settings)
    migrate(instance.database, instance.registry.current().registry)
    with instance.database.write() as connection:
        create_user(connection, "carla", "Carla-pw-1", roles=("clerk",), hashing=FAST_HASHING)
        clerk = actor_for(connection, "carla")
    started = time.perf_counter()
    sale_id = _load(instance, options.sales)
    print(f"loaded {options.sales} sales in {time.perf_counter() - started:.1f} s")

    app = create_app(settings, {"TESTING": True})
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    client.post("/login", data={"username": "carla", "password": "Carla-pw-1",
                                "csrf_token": token})
    records = app.extensions["officina"].records

    def page(path: str) -> Callable[[], None]:
        def fetch() -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        return fetch

    pairs: dict[str, tuple[Callable[[], object], Callable[[], None]]] = {
        "list, 50 rows": (lambda: records.list(clerk, "sale", ListQuery(limit=50)),
                          page("/app/sale")),
        "list filtered + sorted": (
            lambda: records.list(clerk, "sale", ListQuery(
                filters=[["status", "=", "draft"]], sort=("subject",), limit=50)),
            page("/app/sale?f.status=draft&sort=subject")),
        "detail with lines": (lambda: records.get(clerk, "sale", sale_id),
                              page(f"/app/sale/{sale_id}")),
        "edit form": (lambda: records.get(clerk, "sale", sale_id),
                      page(f"/app/sale/{sale_id}/edit")),
    }
    times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in pairs}
    for _ in range(options.rounds):
        for name, (service_call, page_call) in pairs.items():
            for index, call in enumerate((service_call, page_call)):
                begin = time.perf_counter()
                call()
                times[name][index].append(time.perf_counter() - begin)
    print(f"{'what':<26}{'service ms':>12}{'page ms':>10}{'ratio':>8}")
    for name, (service_times, page_times) in times.items():
        service_ms, page_ms = _median_ms(service_times), _median_ms(page_times)
        print(f"{name:<26}{service_ms:>12.2f}{page_ms:>10.2f}{page_ms / service_ms:>8.1f}")


if __name__ == "__main__":
    main()
