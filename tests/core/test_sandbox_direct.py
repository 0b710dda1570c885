"""Expressions run directly (``core.sandbox.direct``) give what the sandbox gives, and hand
back to the sandbox every case they are not sure of."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from core.metadata.expressions import FormulaError, compile_formula
from core.sandbox import FORMULA, BoundedSandbox, SandboxLimits, reads_stored, sandbox_for
from core.sandbox.direct import Fallback, direct_evaluator

TODAY = dt.date(2026, 12, 4)


def _context() -> dict[str, Any]:
    machine = {"item": 7, "contract": None, "labour_warranty_until": dt.date(2027, 1, 1),
               "parts_warranty_until": dt.date(2026, 1, 1)}

    @reads_stored
    def get(entity: str, key: Any) -> dict[str, Any] | None:
        return {"machine": machine, "contract": None}.get(entity) if key else None

    return {
        "record": {"item": None, "site": 4, "machine": 5, "priority": "high",
                   "problem_type": "installation", "opened_at": dt.datetime(2026, 12, 4, 9),
                   "subject": "Pump leaks", "hours": Decimal("2.5"), "count": 3},
        "machine": machine, "today": TODAY,
        "parts": [{"amount": Decimal("1.50"), "cost": None}, {"amount": 2, "cost": 3}],
        "targets": [{"priority": "high", "hours": 4}, {"priority": "low", "hours": 24}],
        "get": get, "twice": lambda value: value * 2,
    }


SAME_AS_SANDBOX = [
    "record.item or machine.item",
    "record.site and record.machine",
    "not record.item",
    "record.count + 2 * 3 - 1",
    "record.hours * 4 / 100",
    "record.count // 2 + record.count % 2",
    "-record.count",
    "record.priority == 'high' and record.count >= 3",
    "1 < record.count < 5",
    "record.priority in ['high', 'urgent']",
    "record.priority not in ('low',)",
    "'yes' if machine.labour_warranty_until >= today else 'no'",
    "(('in_warranty' if machine.labour_warranty_until and machine.labour_warranty_until"
    " >= today else 'parts_only') if machine.parts_warranty_until and"
    " machine.parts_warranty_until >= today else 'out')",
    "record.item is none",
    "record.site is not none",
    "{'maintenance': 'scheduled', 'installation': 'install'}.get(record.problem_type,"
    " 'repair')",
    "{'a': 1}.get('b')",
    "[get('machine', record.machine)]",
    "(get('contract', record.machine) or {'sla': none}).sla",
    "get('machine', record.machine).item",
    "parts | sum(attribute='amount')",
    "parts | length",
    "parts | count",
    "targets | selectattr('priority', 'eq', record.priority) | list",
    "targets | selectattr('priority', '==', 'low') | list",
    "targets | selectattr('hours') | list",
    "parts | map(attribute='cost') | map('default', 0, true) | sum",
    "record.item | default('none given')",
    "record['site']",
    "twice(record.count)",
    "[1, 2, 3] | sum",
]


@pytest.mark.parametrize("expression", SAME_AS_SANDBOX)
def test_an_expression_run_directly_gives_the_sandboxs_result(expression: str) -> None:
    environment = sandbox_for(FORMULA)
    direct = direct_evaluator(environment, expression)
    assert direct is not None, "expected a direct form"
    expected = environment.compile_expression(expression, undefined_to_none=False)(
        **_context())
    result = direct(_context())
    assert result == expected
    assert type(result) is type(expected)


HANDED_BACK = [
    "record.missing or 1",  # undefined: the sandbox says so
    "unknown_name",
    "record.subject + record.subject",  # text is bounded by the sandbox
    "record.count / 0",
    "record.item.deeper",  # None has no field
    "machine.contract.sla",
    "parts | sum(attribute='cost')",  # None + 3 fails
    "'yes' if record.item",  # no else: undefined
    "range(3) | list",  # a global of the sandbox's own
    "targets | selectattr('missing', 'eq', 1) | list",
]


@pytest.mark.parametrize("expression", HANDED_BACK)
def test_a_case_the_closure_is_not_sure_of_goes_back_to_the_sandbox(expression: str) -> None:
    direct = direct_evaluator(sandbox_for(FORMULA), expression)
    assert direct is not None
    with pytest.raises(Fallback):
        direct(_context())


NO_DIRECT_FORM = [
    "record.subject ~ '!'",  # concatenation
    "record.count ** 2",
    "record.subject | upper",  # a filter with no direct form
    "record.items",  # a dict method, which Jinja finds first
    "parts | sum(attribute='a.b')",
    "record.subject.format(1)",
    "[x for x in y]",  # not even an expression
]


@pytest.mark.parametrize("expression", NO_DIRECT_FORM)
def test_an_expression_with_other_steps_is_left_to_the_sandbox(expression: str) -> None:
    assert direct_evaluator(sandbox_for(FORMULA), expression) is None


def test_a_function_that_is_not_plain_python_is_left_to_the_sandbox() -> None:
    direct = direct_evaluator(sandbox_for(FORMULA), "fn('a')")
    assert direct is not None
    with pytest.raises(Fallback):
        direct({"fn": str.upper})  # a method descriptor: the sandbox decides

    def unsafe(value: str) -> str:
        return value

    unsafe.unsafe_callable = True  # type: ignore[attr-defined]
    with pytest.raises(Fallback):
        direct({"fn": unsafe})


def test_a_value_too_big_for_the_sandbox_goes_back_to_it() -> None:
    environment = BoundedSandbox(policy=FORMULA, limits=SandboxLimits(max_value_size=10))
    direct = direct_evaluator(environment, "[record.subject, record.subject]")
    assert direct is not None
    assert direct({"record": {"subject": "abc"}}) == ["abc", "abc"]
    with pytest.raises(Fallback):
        direct({"record": {"subject": "a" * 20}})


def test_a_formula_keeps_its_sandbox_errors_when_run_directly() -> None:
    formula = compile_formula("record.count / record.zero")
    assert formula({"record": {"count": 4, "zero": 2}}) == 2
    with pytest.raises(FormulaError, match="formula failed"):
        formula({"record": {"count": 4, "zero": 0}})
    with pytest.raises(FormulaError):
        compile_formula("record.subject or record.absent.deeper")({"record": {}})
