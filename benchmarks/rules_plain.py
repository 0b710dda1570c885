"""Two ways of taking the 50 decisions of ``rules_pack.MATCH_RULES`` without durable-rules.

``plain_match`` is what a developer would write by hand: one ``if`` per rule over the same
flat facts (keys documented in ``core.rules.conditions``), doing its own text tests on the
record's values (it ignores the ``p__<n>`` keys the fact builder adds for text predicates).

``ExpressionMatcher`` compiles the durable-rules expressions ``compile_entity`` produces into
Python closures: the same rulesets, matched without the engine (a possible replacement).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

WORKFLOW = "bench50"
DAY = 86400.0
JUNE_2026 = (dt.datetime(2026, 6, 1) - dt.datetime(1970, 1, 1)).total_seconds()
EU_PREFIX = re.compile(r"^\[(EU|US)\]")
URGENT_ASAP = re.compile(r"(?i)urgent|asap")
EU_REGION = re.compile(r"^EU-")


def plain_match(f: Mapping[str, Any]) -> set[str]:
    """Names of the rules ``f`` satisfies, decided by hand-written Python."""
    get = f.get
    fired: list[str] = []
    kind = get("t__kind")
    priority = get("r__priority")
    status = get("r__status")
    amount = get("r__amount")
    region = get("r__region")
    score = get("r__score")
    due = get("r__due_at")
    tier = get("r__customer__tier")
    country = get("r__customer__country")
    subject = get("r__subject")
    notes = get("r__notes")
    now = f["_now"]
    if kind == "created":
        if priority == "urgent":
            fired.append("r01")
        if priority in ("high", "urgent") and tier == "gold":
            fired.append("r02")
        if amount is not None and amount > 5000:
            fired.append("r03")
        if amount is not None and 1000 <= amount < 2000:
            fired.append("r04")
        if subject is not None and "refund" in subject.lower():
            fired.append("r05")
        if subject is not None and EU_PREFIX.search(subject):
            fired.append("r06")
        if tier in ("gold", "platinum") or (amount is not None and amount > 8000):
            fired.append("r07")
        if region != "EU-North":
            fired.append("r08")
        if region != "APAC" and priority != "low":
            fired.append("r09")
        if country == "IT" and region is not None and "eu" in region.lower():
            fired.append("r10")
        if score is not None and 50 <= score <= 80:
            fired.append("r11")
        if due is None:
            fired.append("r12")
        if due is not None and due < now + DAY:
            fired.append("r13")
        if due is not None and due > JUNE_2026:
            fired.append("r14")
        fired.append("r15")
        if get("u__role__manager"):
            fired.append("r16")
        if not (priority == "low" or status in ("resolved", "closed")):
            fired.append("r17")
        if notes is not None and "vip" in notes.lower():
            fired.append("r18")
        if tier != "bronze" and amount is not None and amount <= 100:
            fired.append("r19")
        if score is not None and (score < 10 or score > 95):
            fired.append("r20")
    elif kind == "updated":
        if get("c__priority") and priority == "urgent":
            fired.append("r21")
        if get("c__status") and status == "resolved" and get("o__status") != "resolved":
            fired.append("r22")
        if get("c__amount") and amount is not None and amount > 5000:
            fired.append("r23")
        old_score = get("o__score")
        if (get("c__score") and old_score is not None and old_score < 50
                and score is not None and score >= 50):
            fired.append("r24")
        if (get("c__region") or get("c__customer")) and tier == "platinum":
            fired.append("r25")
        if get("c__priority") or get("c__status"):
            fired.append("r26")
        if not get("c__notes") and notes is not None and URGENT_ASAP.search(notes):
            fired.append("r27")
        if status in ("new", "open") and priority == "high" and amount is not None \
                and amount > 2000:
            fired.append("r28")
        if status != "closed" and due is not None and due < now:
            fired.append("r29")
        if subject is not None and "outage" in subject.lower() and tier in ("gold", "platinum"):
            fired.append("r30")
        if get("r__escalated") is True and status != "closed":
            fired.append("r31")
        if get("r__escalated") is False and priority == "urgent" and get("c__priority"):
            fired.append("r32")
        if get("o__priority") == "low" and priority in ("high", "urgent"):
            fired.append("r33")
        if get("u__name") == "alice":
            fired.append("r34")
        if get("u__role__agent") and get("c__assignee"):
            fired.append("r35")
        if get("r__assignee") is None and status == "open":
            fired.append("r36")
        if amount is not None and ((region == "US-East" and amount > 3000)
                                   or (region == "US-West" and amount > 4000)):
            fired.append("r37")
        if score is None or score < 20 or score > 90:
            fired.append("r38")
        if (get("c__amount") or get("c__score")) and amount is not None:
            fired.append("r39")
        if country in ("DE", "FR") and tier != "bronze":
            fired.append("r40")
        if get("o__status") == "pending" and status == "open":
            fired.append("r41")
        if region is not None and EU_REGION.search(region) and priority != "normal":
            fired.append("r42")
        if notes is not None and "refund" in notes.lower() and amount is not None \
                and amount > 500:
            fired.append("r43")
        if due is not None and due > now + 2 * DAY:
            fired.append("r44")
        if score == 0:
            fired.append("r45")
        if amount is None:
            fired.append("r46")
        if get("c__status"):
            fired.append("r47")
        if tier in ("gold", "silver") and region != "EU-South":
            fired.append("r48")
        if amount != 0 and score != 50:
            fired.append("r49")
        if get("c__status") and status == "closed" and tier == "platinum":
            fired.append("r50")
    return {f"{WORKFLOW}.{name}" for name in fired}


# -- the compiled expressions, matched by closures ------------------------------------------

Test = Callable[[Mapping[str, Any]], bool]
MISSING = object()
ORDER = {"$lt": lambda a, b: a < b, "$lte": lambda a, b: a <= b,
         "$gt": lambda a, b: a > b, "$gte": lambda a, b: a >= b}


def _operand(value: Any) -> Callable[[Mapping[str, Any]], Any]:
    """A constant, a fact key (``$m``) or a sum (``$add``) as a function of the fact."""
    if isinstance(value, dict) and "$m" in value:
        key = value["$m"]
        return lambda f: f.get(key, MISSING)
    if isinstance(value, dict) and "$add" in value:
        left, right = _operand(value["$add"]["$l"]), _operand(value["$add"]["$r"])

        def add(f: Mapping[str, Any]) -> Any:
            a, b = left(f), right(f)
            return MISSING if a is MISSING or b is MISSING else a + b

        return add
    return lambda _f: value


def _equal_to(value: Any) -> Callable[[Any], bool]:
    """Equality as JSON has it: 1 equals 1.0, but true is not 1."""
    if isinstance(value, bool):
        return lambda v: v is value
    if isinstance(value, int | float):
        return lambda v: v == value and not isinstance(v, bool)
    return lambda v: v == value


def _all(parts: list[Test]) -> Test:
    if len(parts) == 2:
        first, second = parts
        return lambda f: first(f) and second(f)
    return lambda f: all(part(f) for part in parts)


def _any(parts: list[Test]) -> Test:
    if len(parts) == 2:
        first, second = parts
        return lambda f: first(f) or second(f)
    return lambda f: any(part(f) for part in parts)


def compile_expression(expression: Mapping[str, Any]) -> Test:
    """A closure testing a fact against one durable-rules expression (the subset in use)."""
    (op, argument), = expression.items()
    if op in ("$and", "$or"):
        parts = [compile_expression(item) for item in argument]
        return _all(parts) if op == "$and" else _any(parts)
    if op in ("$ex", "$nex"):
        (key, _one), = argument.items()
        if op == "$ex":
            return lambda f: key in f
        return lambda f: key not in f
    if op in ORDER or op == "$neq":
        (key, bound), = argument.items()
        if op == "$neq":
            equal = _equal_to(bound)
            return lambda f: key in f and not equal(f[key])
        compare = ORDER[op]
        if not isinstance(bound, dict):
            return lambda f: (v := f.get(key)) is not None and compare(v, bound)
        other = _operand(bound)

        def ordered(f: Mapping[str, Any]) -> bool:
            value, limit = f.get(key, MISSING), other(f)
            return value is not MISSING and limit is not MISSING and compare(value, limit)

        return ordered
    key, equal = op, _equal_to(argument)
    return lambda f: key in f and equal(f[key])


class ExpressionMatcher:
    """The rules of compiled rulesets as closures, tested one after the other."""

    def __init__(self, rulesets: Mapping[str, Mapping[str, Any]]):
        self.tests = [(name, compile_expression(rule["all"][0]["m"]))
                      for ruleset in rulesets.values() for name, rule in ruleset.items()]

    def match(self, fact: Mapping[str, Any]) -> set[str]:
        return {name for name, test in self.tests if test(fact)}
