"""One factory makes the sandbox of every named policy: the same limits everywhere, the
Babel filters where content is shown to people, whitelists where documents need them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from jinja2.exceptions import SecurityError

from core.sandbox import (
    DOCUMENT,
    FORMULA,
    MAIL_HTML,
    MAIL_TEXT,
    NOTIFY_TEXT,
    BabelFilters,
    LimitExceeded,
    SandboxLimits,
    build_sandbox,
    current_limits,
    sandbox_for,
    use_limits,
)

LOOP = "{% for i in range(501) %}{% endfor %}done"


@pytest.fixture
def limits() -> Iterator[None]:
    before = current_limits()
    yield
    use_limits(before)


@pytest.mark.parametrize("policy", [FORMULA, NOTIFY_TEXT, MAIL_TEXT, MAIL_HTML, DOCUMENT],
                         ids=lambda policy: policy.name)
def test_every_policy_obeys_the_sandbox_settings(policy, limits: None) -> None:
    use_limits(SandboxLimits(max_range=500))
    sandbox = build_sandbox(policy) if policy.shared_budget else sandbox_for(policy)
    with pytest.raises(LimitExceeded, match="counts at most 500 items"):
        sandbox.from_string(LOOP).render()
    use_limits(SandboxLimits(max_range=501))
    sandbox = build_sandbox(policy) if policy.shared_budget else sandbox_for(policy)
    assert sandbox.from_string(LOOP).render() == "done"


def test_a_document_keeps_one_budget_under_the_document_limits(limits: None) -> None:
    use_limits(SandboxLimits(max_output=10, max_document_output=30))
    document = build_sandbox(DOCUMENT)
    assert document.from_string("{{ 'x' * 25 }}").render() == "x" * 25  # above max_output
    with pytest.raises(LimitExceeded, match="more than 30 characters"):
        document.from_string("{{ 'x' * 31 }}").render()
    with pytest.raises(LimitExceeded, match="more than 10 characters"):
        sandbox_for(MAIL_TEXT).from_string("{{ 'x' * 11 }}").render()
    with pytest.raises(ValueError, match="one budget per render"):
        sandbox_for(DOCUMENT)


def test_mail_formats_in_its_language_and_time_zone_formulas_do_not_format() -> None:
    moment = {"at": dt.datetime(2026, 12, 2, 23, 30)}  # UTC
    text = "{{ at | date('d MMM y') }}, {{ at | datetime }}"
    italian = sandbox_for(MAIL_TEXT, "it", "Europe/Rome")
    assert italian.from_string(text).render(moment) == "3 dic 2026, 03/12/2026, 00:30"
    english = sandbox_for(MAIL_TEXT, "en", "America/New_York")
    assert " ".join(english.from_string(text).render(moment).split()) == \
        "2 Dec 2026, Dec 2, 2026, 6:30 PM"
    assert sandbox_for(MAIL_TEXT, "it", "Europe/Rome") is italian  # made once, kept
    assert italian.from_string(text) is italian.from_string(text)  # compiled once
    assert "date" not in sandbox_for(FORMULA).filters
    assert sandbox_for(FORMULA).from_string("{{ at }}").render(moment) == "2026-12-02 23:30:00"


def test_notices_and_mails_show_plain_dates_and_numbers_in_the_readers_language() -> None:
    values = {"day": dt.date(2027, 1, 5), "at": dt.datetime(2026, 12, 2, 23, 30),
              "hours": Decimal("8.50"), "units": 3.0, "count": 12, "name": "A"}
    text = "{{ day }} {{ at }} {{ hours }} {{ units }} {{ count }} {{ name }}"
    italian = sandbox_for(NOTIFY_TEXT, "it", "Europe/Rome").from_string(text).render(values)
    assert italian == "05/01/2027 03/12/2026, 00:30 8,50 3 12 A"
    english = sandbox_for(MAIL_TEXT, "en", "Europe/Rome").from_string(text).render(values)
    assert english == "Jan 5, 2027 Dec 3, 2026, 12:30\u202fAM 8.50 3 12 A"


def test_the_policies_differ_only_where_their_content_does() -> None:
    value = {"name": "A<B"}
    assert sandbox_for(MAIL_TEXT).from_string("{{ name }}\n").render(value) == "A<B\n"
    assert sandbox_for(MAIL_HTML).from_string("{{ name }}").render(value) == "A&lt;B"
    assert sandbox_for(NOTIFY_TEXT).from_string("{{ name }}\n").render(value) == "A<B"
    document = build_sandbox(DOCUMENT, formatting=BabelFilters("it"))
    assert document.from_string("{{ name | lower }}").render(value) == "a&lt;b"
    with pytest.raises(SecurityError):
        document.from_string("{{ name.format(1) }}").render(value)
    assert sandbox_for(FORMULA).from_string("{{ '{}'.format(1) }}").render() == "1"
    assert "format" not in document.filters and "format" in sandbox_for(FORMULA).filters
