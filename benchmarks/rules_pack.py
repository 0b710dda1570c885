"""The packs of the rules benchmark, written into a temporary folder at run time.

Both packs have the same two entities: ``ticket`` (selects, money, integer, strings, text,
a datetime, a boolean and a link to ``customer``) and ``customer`` (a ``tier`` select and a
``country``). ``rulesbench50`` carries one workflow of 50 rules with varied conditions (for
the matching benchmark, compared with ``rules_plain.plain_match``); ``rulesbench20`` one of
20 rules on updates, most of them false for a typical update and a few doing a cheap ``set``
or ``notify`` (for the end-to-end benchmark).
"""

from __future__ import annotations

from pathlib import Path

MATCH_PACK = "rulesbench50"
UPDATE_PACK = "rulesbench20"
PRIORITIES = ("low", "normal", "high", "urgent")
STATUSES = ("new", "open", "pending", "resolved", "closed")
TIERS = ("bronze", "silver", "gold", "platinum")
REGIONS = ("EU-North", "EU-South", "US-East", "US-West", "APAC", "LATAM")
COUNTRIES = ("IT", "DE", "FR", "US", "JP", "BR")

CUSTOMER = """\
name: customer
label: Customer
naming: "CUS-{#####}"
title_field: name
fields:
  name: {type: string, length: 120, required: true}
  tier: {type: select, options: [bronze, silver, gold, platinum], default: bronze}
  country: {type: string, length: 2}
permissions:
  agent: [read]
  manager: [read, create, update]
"""

TICKET = """\
name: ticket
label: Ticket
naming: "TCK-{#######}"
title_field: subject
fields:
  subject: {type: string, length: 140, required: true}
  priority: {type: select, options: [low, normal, high, urgent], default: normal}
  status: {type: select, options: [new, open, pending, resolved, closed], default: new}
  amount: {type: money, currency: EUR}
  region: {type: string, length: 20}
  score: {type: integer, default: 0}
  due_at: {type: datetime}
  customer: {type: link, target: customer}
  notes: {type: text}
  assignee: {type: string, length: 60}
  escalated: {type: boolean, default: false}
permissions:
  agent: [read, create, update]
  manager: [read, create, update, delete]
"""

NOTIFY = '[{notify: {to: ["user:alice"], message: "{name}"}}]'

# (name, trigger line(s), condition as YAML flow text or None). Every rule notifies alice:
# matching never runs actions, so what they do does not matter there.
MATCH_RULES: list[tuple[str, str, str | None]] = [
    ("r01", "created", "{field: priority, eq: urgent}"),
    ("r02", "created", "{all: [{field: priority, in: [high, urgent]}, "
                       "{field: customer.tier, eq: gold}]}"),
    ("r03", "created", "{field: amount, gt: 5000}"),
    ("r04", "created", "{all: [{field: amount, ge: 1000}, {field: amount, lt: 2000}]}"),
    ("r05", "created", "{field: subject, contains: refund}"),
    ("r06", "created", "{field: subject, matches: '^\\[(EU|US)\\]'}"),
    ("r07", "created", "{any: [{field: customer.tier, in: [gold, platinum]}, "
                       "{field: amount, gt: 8000}]}"),
    ("r08", "created", "{not: {field: region, eq: EU-North}}"),
    ("r09", "created", "{all: [{field: region, ne: APAC}, {field: priority, ne: low}]}"),
    ("r10", "created", "{all: [{field: customer.country, eq: IT}, "
                       "{field: region, contains: eu}]}"),
    ("r11", "created", "{all: [{field: score, ge: 50}, {field: score, le: 80}]}"),
    ("r12", "created", "{field: due_at, is: empty}"),
    ("r13", "created", "{field: due_at, before: now + 1d}"),
    ("r14", "created", "{field: due_at, gt: '2026-06-01T00:00:00'}"),
    ("r15", "created", None),
    ("r16", "created", "{user: role, eq: manager}"),
    ("r17", "created", "{not: {any: [{field: priority, eq: low}, "
                       "{field: status, in: [resolved, closed]}]}}"),
    ("r18", "created", "{all: [{field: notes, is: set}, {field: notes, contains: VIP}]}"),
    ("r19", "created", "{all: [{field: customer.tier, ne: bronze}, {field: amount, le: 100}]}"),
    ("r20", "created", "{any: [{field: score, lt: 10}, {field: score, gt: 95}]}"),
    ("r21", "updated\n    fields: [priority]", "{field: priority, eq: urgent}"),
    ("r22", "updated\n    fields: [status]", "{all: [{field: status, eq: resolved}, "
                                             "{old: status, ne: resolved}]}"),
    ("r23", "updated", "{all: [{changed: amount}, {field: amount, gt: 5000}]}"),
    ("r24", "updated", "{all: [{changed: score}, {old: score, lt: 50}, "
                       "{field: score, ge: 50}]}"),
    ("r25", "updated\n    fields: [region, customer]", "{field: customer.tier, eq: platinum}"),
    ("r26", "updated", "{any: [{changed: priority}, {changed: status}]}"),
    ("r27", "updated", "{all: [{not: {changed: notes}}, "
                       "{field: notes, matches: '(?i)urgent|asap'}]}"),
    ("r28", "updated", "{all: [{field: status, in: [new, open]}, {field: priority, eq: high}, "
                       "{field: amount, gt: 2000}]}"),
    ("r29", "updated", "{all: [{not: {field: status, eq: closed}}, "
                       "{field: due_at, before: now}]}"),
    ("r30", "updated", "{all: [{field: subject, contains: outage}, "
                       "{field: customer.tier, in: [gold, platinum]}]}"),
    ("r31", "updated", "{all: [{field: escalated, eq: true}, {field: status, ne: closed}]}"),
    ("r32", "updated", "{all: [{field: escalated, eq: false}, {field: priority, eq: urgent}, "
                       "{changed: priority}]}"),
    ("r33", "updated", "{all: [{old: priority, eq: low}, "
                       "{field: priority, in: [high, urgent]}]}"),
    ("r34", "updated", "{user: username, eq: alice}"),
    ("r35", "updated", "{all: [{user: role, in: [agent]}, {changed: assignee}]}"),
    ("r36", "updated", "{all: [{field: assignee, is: empty}, {field: status, eq: open}]}"),
    ("r37", "updated", "{any: [{all: [{field: region, eq: US-East}, {field: amount, gt: 3000}]}, "
                       "{all: [{field: region, eq: US-West}, {field: amount, gt: 4000}]}]}"),
    ("r38", "updated", "{not: {all: [{field: score, ge: 20}, {field: score, le: 90}]}}"),
    ("r39", "updated\n    fields: [amount, score]", "{field: amount, is: set}"),
    ("r40", "updated", "{all: [{field: customer.country, in: [DE, FR]}, "
                       "{not: {field: customer.tier, eq: bronze}}]}"),
    ("r41", "updated", "{all: [{old: status, eq: pending}, {field: status, eq: open}]}"),
    ("r42", "updated", "{all: [{field: region, matches: '^EU-'}, "
                       "{field: priority, ne: normal}]}"),
    ("r43", "updated", "{all: [{field: notes, contains: refund}, {field: amount, gt: 500}]}"),
    ("r44", "updated", "{field: due_at, after: now + 2d}"),
    ("r45", "updated", "{field: score, eq: 0}"),
    ("r46", "updated", "{field: amount, is: empty}"),
    ("r47", "updated\n    fields: [status]", None),
    ("r48", "updated", "{all: [{any: [{field: customer.tier, eq: gold}, "
                       "{field: customer.tier, eq: silver}]}, {field: region, ne: EU-South}]}"),
    ("r49", "updated", "{all: [{field: amount, ne: 0}, {field: score, ne: 50}]}"),
    ("r50", "updated", "{all: [{changed: status}, {field: status, eq: closed}, "
                       "{field: customer.tier, eq: platinum}]}"),
]

# (name, trigger, condition, actions): 20 rules on updates. Four can be true for a typical
# update (notes mentioning a refund, an urgent ticket of a gold or platinum customer, a large
# amount, a high score); the other sixteen look at the same fields but are (almost) never true.
UPDATE_RULES: list[tuple[str, str, str, str]] = [
    ("refund_note", "updated\n    fields: [notes]", "{field: notes, contains: refund}",
     '[{notify: {to: ["user:alice"], message: "Refund mentioned"}}]'),
    ("urgent_key_customer", "updated\n    fields: [priority]",
     "{all: [{field: priority, eq: urgent}, {field: customer.tier, in: [gold, platinum]}]}",
     '[{notify: {to: ["user:bob"], message: "Urgent ticket of a key customer"}}]'),
    ("big_amount", "updated\n    fields: [amount]",
     "{all: [{field: amount, gt: 9000}, {field: escalated, eq: false}]}",
     "[{set: {escalated: true}}]"),
    ("high_score", "updated\n    fields: [score]", "{field: score, ge: 95}",
     "[{set: {assignee: senior}}]"),
    ("antarctica", "updated", "{field: region, eq: Antarctica}", NOTIFY),
    ("negative_amount", "updated", "{field: amount, lt: 0}", NOTIFY),
    ("zzz_subject", "updated", "{field: subject, matches: '^ZZZ'}", NOTIFY),
    ("odd_score", "updated", "{all: [{field: score, eq: -1}, "
                             "{field: customer.tier, eq: platinum}]}", NOTIFY),
    ("reopened_closed", "updated", "{all: [{old: status, eq: closed}, {field: status, eq: new}, "
                                   "{field: priority, eq: urgent}]}", NOTIFY),
    ("due_long_ago", "updated", "{field: due_at, before: now - 3650d}", NOTIFY),
    ("nobody_urgent", "updated", "{all: [{field: assignee, eq: nobody}, "
                                 "{field: priority, eq: urgent}]}", NOTIFY),
    ("low_but_huge", "updated", "{all: [{field: priority, eq: low}, "
                                "{field: amount, gt: 99999}]}", NOTIFY),
    ("bronze_million", "updated", "{all: [{field: customer.tier, eq: bronze}, "
                                  "{field: amount, ge: 1000000}]}", NOTIFY),
    ("jp_latam", "updated", "{all: [{field: customer.country, eq: JP}, "
                            "{field: region, eq: LATAM}, {field: score, gt: 1000}]}", NOTIFY),
    ("escalated_low", "updated", "{all: [{field: escalated, eq: true}, "
                                 "{field: priority, eq: low}, {field: score, lt: -5}]}", NOTIFY),
    ("legal_words", "updated\n    fields: [notes]", "{field: notes, matches: '(?i)lawsuit|"
                                                    "attorney'}", NOTIFY),
    ("closed_unpaid", "updated\n    fields: [status]",
     "{all: [{field: status, eq: closed}, {field: amount, is: empty}]}", NOTIFY),
    ("not_any_region", "updated", "{not: {field: region, in: [EU-North, EU-South, US-East, "
                                  "US-West, APAC, LATAM]}}", NOTIFY),
    ("score_vs_old", "updated", "{all: [{changed: score}, {old: score, gt: 1000}]}", NOTIFY),
    ("silver_outage", "updated", "{all: [{field: subject, contains: 'total outage'}, "
                                 "{field: customer.tier, eq: silver}]}", NOTIFY),
]

MANIFEST = """\
name: {name}
version: "1.0"
description: Rules benchmark pack.
"""


def _workflow(name: str, rules: list[tuple[str, str, str | None, str]]) -> str:
    lines = [f"name: {name}", "entity: ticket", "rules:"]
    for rule, trigger, condition, actions in rules:
        lines += [f"  - name: {rule}", f"    on: {trigger}"]
        if condition is not None:
            lines.append(f"    when: {condition}")
        lines.append(f"    do: {actions.replace('{name}', rule)}")
    return "\n".join(lines) + "\n"


def _write(root: Path, pack: str, workflow: str | None) -> None:
    folder = root / pack
    (folder / "entities").mkdir(parents=True, exist_ok=True)
    (folder / "pack.yaml").write_text(MANIFEST.format(name=pack))
    (folder / "entities" / "customer.yaml").write_text(CUSTOMER)
    (folder / "entities" / "ticket.yaml").write_text(TICKET)
    if workflow is not None:
        (folder / "workflows").mkdir(exist_ok=True)
        (folder / "workflows" / "bench.yaml").write_text(workflow)


def write_packs(root: Path) -> Path:
    """Write both packs into ``root`` and return it (the search path)."""
    _write(root, MATCH_PACK, _workflow("bench50", [(*r, NOTIFY) for r in MATCH_RULES]))
    _write(root, UPDATE_PACK, _workflow("bench20", UPDATE_RULES))
    return root
