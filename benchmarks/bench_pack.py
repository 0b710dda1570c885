"""The benchmark pack, written into a temporary folder at run time.

``ticket`` is the sample entity: three links (account, product, agent), a select (status,
five options), a date (opened_on), a string title and a money amount. Only what the engine
creates by default is indexed: ``ref`` (unique), ``modified_at`` and the three link columns.
"""

from __future__ import annotations

from pathlib import Path

PACK = "bench"
TABLES = {"account": "bench_account", "product": "bench_product", "agent": "bench_agent",
          "ticket": "bench_ticket"}
STATUSES = ("open", "pending", "on_hold", "resolved", "closed")
# The naming series of each entity (the loader fills refs in the same format and sets the
# counters, so records created later continue the series).
NAMING = {"account": "ACC-{#####}", "product": "PRD-{#####}", "agent": "AGT-{#####}",
          "ticket": "TCK-{#######}"}

MANIFEST = """\
name: bench
version: "1.0"
label: Benchmark
description: A ticketing pack used only by the benchmarks.
"""

ENTITIES = {
    "account": """\
name: account
label: Account
plural: Accounts
naming: "ACC-{#####}"
title_field: name
search_fields: [name]
fields:
  name: {type: string, length: 140, required: true, label: Name}
  city: {type: string, length: 80, label: City}
""",
    "product": """\
name: product
label: Product
plural: Products
naming: "PRD-{#####}"
title_field: name
fields:
  name: {type: string, length: 140, required: true, label: Name}
""",
    "agent": """\
name: agent
label: Agent
plural: Agents
naming: "AGT-{#####}"
title_field: name
fields:
  name: {type: string, length: 140, required: true, label: Name}
""",
    "ticket": """\
name: ticket
label: Ticket
plural: Tickets
naming: "TCK-{#######}"
title_field: title
search_fields: [title]
fields:
  title: {type: string, length: 140, required: true, label: Title}
  account: {type: link, target: account, required: true, label: Account}
  product: {type: link, target: product, label: Product}
  agent: {type: link, target: agent, label: Agent}
  status: {type: select, options: [open, pending, on_hold, resolved, closed], default: open,
           label: Status}
  opened_on: {type: date, default: $today, label: Opened on}
  amount: {type: money, currency: EUR, label: Amount}
list:
  columns: [ref, title, account, product, agent, status, opened_on, amount]
  filters: [account, status]
  sort: -opened_on
""",
}


def write_pack(root: Path) -> Path:
    """Write the pack into ``root/bench`` and return ``root`` (the search path)."""
    folder = root / PACK
    (folder / "entities").mkdir(parents=True, exist_ok=True)
    (folder / "pack.yaml").write_text(MANIFEST)
    for name, text in ENTITIES.items():
        (folder / "entities" / f"{name}.yaml").write_text(text)
    return root
