"""The service pack's workflows: what its rules cost on the records service's writes.

On SQLite, with the service pack's master data (tests/packs/service/conftest.py), times
interleaved rounds of:

- entering a service call with its rules (contract and warranty lookup, SLA deadlines on the
  office calendar, two timers, the first intervention) against the same insert with the rules
  engine detached;
- verifying an intervention (charges from the tariff over two timesheet lines and a part,
  stock unloaded) against an update of the same size without rules;
- the daily maintenance generation of one scheduled-maintenance contract with ten machines
  (two operations each, 90 days), run again on unchanged data (it finds everything there).

    .venv/bin/python benchmarks/service.py --rounds 20
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.records.reading import ListQuery
from core.rules.worker import WorkerReport
from tests.packs.service.conftest import (
    COORDINATOR,
    MANAGER,
    OFFICE,
    ServiceEnv,
    master_data,
    open_service,
)


def timed(action: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    action(*args)
    return (time.perf_counter() - started) * 1000


def median(values: list[float]) -> float:
    return statistics.median(values)


def call_values(env: ServiceEnv, index: int) -> dict:
    d = env.data
    return {"subject": f"Guasto {index}", "customer": d["customer"]["id"],
            "site": d["site"]["id"], "contact": d["contact"]["id"],
            "machine": d["machine"]["id"], "priority": "normal"}


def worked_intervention(env: ServiceEnv, index: int) -> int:
    d = env.data
    call = env.records.create(OFFICE, "service_call", call_values(env, index))
    row = env.records.list(OFFICE, "intervention", ListQuery(
        filters=[["service_call", "=", call["id"]]])).rows[0]
    env.update(COORDINATOR, "intervention", row["id"], {
        "technician": d["technician"]["id"],
        "timesheet": [{"work_date": "2026-11-23", "normal_hours": "2", "km": 40},
                      {"work_date": "2026-11-24", "normal_hours": "1.5", "overtime_hours": "1"}],
        "parts": [{"item": d["filter"]["id"], "quantity": "1", "price": "24.00"}]})
    for name in ("start", "finish"):
        env.transition(COORDINATOR, "intervention", row["id"], name)
    return row["id"]


def maintenance_contract(env: ServiceEnv, machines: int) -> dict:
    d = env.data
    plan = env.records.create(COORDINATOR, "maintenance_plan", {
        "name": "Refrigeratori", "operations": [
            {"sequence": 10, "description": "Filtri", "recurrence": "FREQ=WEEKLY;BYDAY=TU"},
            {"sequence": 20, "description": "Gas", "recurrence": "FREQ=MONTHLY;BYMONTHDAY=1"}]})
    lines = []
    for index in range(machines):
        machine = env.records.create(OFFICE, "machine", {
            "serial_number": f"BENCH-{index:04d}", "item": d["chiller"]["id"],
            "customer": d["customer"]["id"]})
        lines.append({"machine": machine["id"], "maintenance_plan": plan["id"]})
    contract = env.records.create(MANAGER, "contract", {
        "subject": "Manutenzione", "customer": d["customer"]["id"],
        "contract_type": "scheduled_maintenance", "start_date": "2026-10-01",
        "end_date": "2027-09-30", "lines": lines})
    env.transition(MANAGER, "contract", contract["id"], "activate")
    return contract


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--machines", type=int, default=10)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="officina-service-bench-"))
    env = open_service(folder, f"sqlite:///{folder}/bench.sqlite3",
                       dt.datetime(2026, 11, 23, 8, 0))
    env.data = master_data(env)
    env.update(OFFICE, "item", env.data["filter"]["id"], {"stock_on_hand": "100000"})
    engine = env.records.events
    with_rules, without_rules, verify, plain_update = [], [], [], []
    for index in range(args.rounds):
        values = call_values(env, index)
        with_rules.append(timed(env.records.create, OFFICE, "service_call", values))
        env.records.events = None
        without_rules.append(timed(env.records.create, OFFICE, "service_call", values))
        env.records.events = engine
        intervention = worked_intervention(env, index)
        verify.append(timed(env.transition, OFFICE, "intervention", intervention, "verify"))
        other = worked_intervention(env, index)
        env.records.events = None
        plain_update.append(timed(env.update, OFFICE, "intervention", other,
                                  {"work_done": f"Fatto {index}"}))
        env.records.events = engine
    contract = maintenance_contract(env, args.machines)
    generated = env.records.list(OFFICE, "intervention", ListQuery(
        filters=[["contract", "=", contract["id"]]], limit=1000)).total
    worker = env.worker()
    rerun = []
    for _ in range(3):
        rerun.append(timed(worker._run_schedule, "contract",
                           "maintenance_schedule.generate_maintenance", WorkerReport()))
    print(f"service call entered, with rules:     {median(with_rules):7.1f} ms")
    print(f"service call entered, without rules:  {median(without_rules):7.1f} ms"
          f"   ratio {median(with_rules) / median(without_rules):.1f}x")
    print(f"intervention verified (charges):      {median(verify):7.1f} ms")
    print(f"intervention updated, without rules:  {median(plain_update):7.1f} ms"
          f"   ratio {median(verify) / median(plain_update):.1f}x")
    print(f"maintenance generated on activation:  {generated} interventions for "
          f"{args.machines} machines")
    print(f"daily generation over all contracts, nothing new: {median(rerun):7.1f} ms")
    env.officina.close()


if __name__ == "__main__":
    main()
