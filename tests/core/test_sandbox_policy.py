"""One sandbox policy bounds formulas, rule expressions, notify and mail texts: what an
administrator writes stops with a clear message instead of eating memory or hanging."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.config import load_settings
from core.metadata.expressions import FormulaError, compile_formula
from core.records.actor import SYSTEM, Actor
from core.records.errors import RecordValidationError
from core.rules.actions import RuleActionError, render_text
from core.rules.mail import MailTemplate, MailTemplateError, render_mail
from core.sandbox import SandboxLimits, current_limits, reads_stored, use_limits
from tests.conftest import open_env
from tests.support.packs import write_pack

NESTED_RANGES = ("{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}"
                 "{% endfor %}{% endfor %}")


@pytest.fixture
def limits() -> Iterator[None]:
    """Lets a test install its own limits, and puts the process's back afterwards."""
    before = current_limits()
    yield
    use_limits(before)


def test_a_huge_repetition_in_a_formula_stops_at_once_on_save(tmp_path: Path) -> None:
    write_pack(tmp_path, "p", {"entities/probe.yaml": """
        name: probe
        label: Probe
        fields:
          title: {type: string}
          size: {type: integer, computed: "('a' * 10**9) | length"}
        """})
    env = open_env(f"sqlite:///{tmp_path}/probe.sqlite", ["p"], [tmp_path])
    try:
        started = time.monotonic()
        with pytest.raises(RecordValidationError) as caught:
            env.service.create(SYSTEM, "probe", {"title": "x"})
        assert time.monotonic() - started < 5
        assert caught.value.field_errors["size"] == [
            "formula stopped: A value in the template grew too large: more than 1,000,000 "
            "characters or items."]
        with pytest.raises(RecordValidationError) as italian:
            env.service.create(Actor("it", frozenset({"admin"}), language="it"), "probe",
                               {"title": "x"})
        assert "troppo grande" in italian.value.field_errors["size"][0]
        with env.database.read() as connection:
            count = connection.execute(sa.select(sa.func.count()).select_from(
                env.schema.table("probe"))).scalar_one()
        assert count == 0  # nothing half-written
    finally:
        env.database.dispose()


@pytest.mark.parametrize("expression", [
    "'a' * 10**9",
    "2 ** 10000000",
    "range(10**9) | list",
    "(range(90000) | list) * 20",
    "'%0999999d' % 1",
    "'x' * 900000 ~ 'y' * 900000",
])
def test_rule_expressions_that_would_build_huge_values_are_stopped(expression: str) -> None:
    with pytest.raises(FormulaError) as caught:
        compile_formula(expression)({})
    assert caught.value.limit is not None, caught.value
    assert str(caught.value).startswith("formula stopped: ")


def test_nested_ranges_in_a_mail_text_stop_within_the_time_limit(limits: None) -> None:
    # Only the time limit may stop it: on a fast machine the output limit came first.
    use_limits(SandboxLimits(time_limit=0.5, max_iterations=10**12, max_output=10**9))
    template = MailTemplate("report", subject={"en": "Report"}, body={"en": NESTED_RANGES})
    started = time.monotonic()
    with pytest.raises(MailTemplateError) as caught:
        render_mail(template, {}, "en")
    assert time.monotonic() - started < 3
    assert str(caught.value) == ("mail template 'report' (body, en): stopped by the sandbox: "
                                 "The template exceeded its time limit: it ran longer than "
                                 "0.5 seconds.")


def test_nested_ranges_also_stop_at_the_iteration_limit() -> None:
    template = MailTemplate("report", subject={"en": "Report"}, body={"en": NESTED_RANGES})
    with pytest.raises(MailTemplateError, match="repeats more than 1,000,000 times"):
        render_mail(template, {}, "en")


def test_the_time_limit_holds_in_a_worker_thread(limits: None) -> None:
    use_limits(SandboxLimits(time_limit=0.3, max_iterations=10**12, max_output=10**9))
    outcome: list[str] = []

    def render() -> None:
        try:
            render_text(NESTED_RANGES, {})
        except RuleActionError as exc:
            outcome.append(str(exc))

    worker = threading.Thread(target=render)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert outcome and "longer than 0.3 seconds" in outcome[0]


def test_a_notify_text_producing_too_much_is_stopped(limits: None) -> None:
    use_limits(SandboxLimits(max_output=1000))
    with pytest.raises(RuleActionError, match="output is too large: more than 1,000"):
        render_text("{% for i in range(100) %}{{ 'x' * 20 }}{% endfor %}", {})
    assert render_text("{% for i in range(10) %}{{ 'x' * 20 }}{% endfor %}", {}) == "x" * 200


def test_ordinary_mail_still_renders_with_escaping() -> None:
    template = MailTemplate("hello", subject={"en": "Hi {{ name }}"},
                            body={"en": "{{ items | join(', ') }} & more\n"},
                            html={"en": "<p>{{ name }}: {{ items | join(', ') }}</p>"})
    rendered = render_mail(template, {"name": "A&B", "items": ["x<y", "z"]}, "en")
    assert rendered.subject == "Hi A&B"
    assert rendered.text == "x<y, z & more\n"
    assert rendered.html == "<p>A&amp;B: x&lt;y, z</p>"


def test_limits_are_settings_of_officina_toml(tmp_path: Path) -> None:
    (tmp_path / "officina.toml").write_text("[sandbox]\ntime_limit = 1.5\nmax_range = 500\n")
    settings = load_settings(tmp_path)
    assert settings.sandbox.time_limit == 1.5
    assert settings.sandbox.max_range == 500
    assert settings.sandbox.max_iterations == SandboxLimits().max_iterations
    (tmp_path / "officina.toml").write_text("[sandbox]\nmax_loops = 5\n")
    with pytest.raises(ValueError, match=r"\[sandbox\]: unknown key\(s\) max_loops"):
        load_settings(tmp_path)
    (tmp_path / "officina.toml").write_text("[sandbox]\nmax_range = -1\n")
    with pytest.raises(ValueError, match="max_range must be a whole number above 0"):
        load_settings(tmp_path)


def test_a_range_above_the_setting_is_refused(limits: None) -> None:
    use_limits(SandboxLimits(max_range=500))
    with pytest.raises(RuleActionError, match="range\\(\\) in a template counts at most 500"):
        render_text("{% for i in range(501) %}{% endfor %}", {})
    assert compile_formula("range(500) | sum")({}) == sum(range(500))


@pytest.mark.parametrize("expression", [
    "'a' | center(2 * 10**9) | length",
    "'%09999999d' | format(1) | length",
    "'%(n)099999999d' | format(n=1) | length",
    "('%9999s' * 90000) % ((1,) * 90000)",
    "'x' | indent(20000000, true)",
    "('\n' * 2000) | indent('y' * 900000)",
    "('x' * 2000) | wordwrap(1, wrapstring='y' * 900000)",
    "(range(2000) | list) | tojson(indent=900000)",
    "[1] | batch(2 * 10**9, 'x') | list",
    "(range(3000) | map('center', 900000) | list) | length",
    "range(5000) | map('center', 900000) | join",
    "'{:>3999999999}'.format(1)",
    "'{:>{w}}'.format(1, w=3999999999)",
    "'a'.ljust(4 * 10**9)",
    "'y'.center(900000).join(range(5000) | map('string') | list)",
])
def test_filters_and_string_methods_that_would_build_huge_values_are_stopped(
        expression: str) -> None:
    with pytest.raises(FormulaError) as caught:
        compile_formula(expression)({})
    assert caught.value.limit is not None, caught.value
    assert str(caught.value) == ("formula stopped: A value in the template grew too large: "
                                 "more than 1,000,000 characters or items.")


@pytest.mark.parametrize(("expression", "expected"), [
    ("'ab' | center(6)", "  ab  "),
    ("'%5.2f|%-4s|%%' | format(3.14159, 'x')", " 3.14|x   |%"),
    ("'%(a)s-%(b)03d' | format(a='n', b=7)", "n-007"),
    ("'%05d' % 42", "00042"),
    ("'{:>6}|{:.2f}|{w}'.format('x', 2.5, w=3)", "     x|2.50|3"),
    ("'a\nb' | indent(2, true)", "  a\n  b"),
    ("'a b c' | wordwrap(1)", "a\nb\nc"),
    ("['a', 'b'] | map('upper') | join(', ')", "A, B"),
    ("[1, 2, 3] | batch(2, 0) | list", [[1, 2], [3, 0]]),
    ("{'a': 1} | tojson(indent=2)", '{\n  "a": 1\n}'),
    ("'x'.ljust(3) ~ '|'", "x  |"),
    ("[{'n': 'a'}, {'n': 'b'}] | join('-', attribute='n')", "a-b"),
])
def test_ordinary_filters_and_formatting_still_work(expression: str, expected: object) -> None:
    assert compile_formula(expression)({}) == expected


def test_records_read_from_storage_are_not_weighed_again_but_what_is_built_from_them_is(
        limits: None) -> None:
    use_limits(SandboxLimits(max_value_size=1_000))
    stored = {"id": 1, "notes": "x" * 900, "lines": [{"text": "y" * 50}]}

    def read(_key: int) -> dict:
        return stored

    plain = dict(read=lambda key: read(key))
    marked = dict(read=reads_stored(lambda key: read(key)))
    with pytest.raises(FormulaError, match="grew too large"):
        compile_formula("[read(1), read(1)]")(plain)  # an unmarked function's result is weighed
    assert compile_formula("[read(1), read(1)]")(marked) == [stored, stored]
    assert compile_formula("read(1).notes | length")(marked) == 900
    for built in ("read(1).notes ~ read(1).notes", "([read(1)] * 2) | join(',')",
                  "read(1).notes * 2"):
        with pytest.raises(FormulaError, match="grew too large"):
            compile_formula(built)(marked)
