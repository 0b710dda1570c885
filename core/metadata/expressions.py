"""Formulas for computed fields, run only in Jinja2's sandbox (never ``eval``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from jinja2 import TemplateSyntaxError, Undefined, meta, nodes
from jinja2.sandbox import SecurityError

from core.i18n import Translator, _
from core.sandbox import BOUNDED_FILTER, FORMULA, BoundedSandbox, LimitExceeded, sandbox_for
from core.sandbox.direct import Fallback, direct_evaluator


class FormulaError(Exception):
    """A formula could not be compiled or evaluated (``limit``: the sandbox limit it hit)."""

    def __init__(self, message: str, limit: LimitExceeded | None = None):
        super().__init__(message)
        self.limit = limit

    def localised(self, translator: Translator) -> str:
        """The message in ``translator``'s language (limits are translated)."""
        if self.limit is None:
            return str(self)
        return translator.gettext(_("formula stopped: {reason}"),
                                  reason=self.limit.localised(translator))


@cache
def _environment() -> BoundedSandbox:
    """The sandbox of the formula policy, shared by every formula and rule expression."""
    return sandbox_for(FORMULA)


@cache
def compile_formula(expression: str) -> Callable[[Mapping[str, Any]], Any]:
    """Compile ``expression`` (Jinja2 expression syntax) into a function of a context."""
    try:
        compiled = _environment().compile_expression(expression, undefined_to_none=False)
    except TemplateSyntaxError as exc:
        raise FormulaError(f"syntax error in formula: {exc.message}") from None

    path = _plain_path(expression)
    direct = direct_evaluator(_environment(), expression) if path is None else None

    def evaluate(context: Mapping[str, Any]) -> Any:
        if path is not None:
            found = _follow(context, path)
            if found is not _MISSING:
                return found
        elif direct is not None:
            try:
                return direct(context)
            except Fallback:
                pass  # the sandbox gives the result, or says what is wrong
        try:
            result = compiled(**context)
            if isinstance(result, Undefined):
                # An unknown name or a refused attribute: raise the error it stands for.
                result._fail_with_undefined_error()
            return result
        except LimitExceeded as exc:
            raise FormulaError(f"formula stopped: {exc}", exc) from None
        except SecurityError as exc:
            raise FormulaError(f"formula not allowed: {exc}") from None
        except Exception as exc:
            raise FormulaError(f"formula failed: {exc}") from None

    return evaluate


_PATH = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*")
_CONSTANTS = frozenset({"true", "false", "none", "True", "False", "None"})
_MISSING = object()


def _plain_path(expression: str) -> tuple[str, ...] | None:
    """The names of an expression that only reads ``name.key.key`` (the most common kind),
    else None."""
    match = _PATH.fullmatch(expression)
    if match is None:
        return None
    path = tuple(match[1].split("."))
    return None if path[0] in _CONSTANTS else path


def _follow(context: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """``name.key.key`` read straight from ``context`` when every step is a plain dict's
    key (what the sandbox would read too), else ``_MISSING``: the sandbox then evaluates it
    (and reports what is wrong)."""
    if path[0] not in context:
        return _MISSING
    value = context[path[0]]
    for key in path[1:]:
        if type(value) is not dict or key not in value or hasattr(dict, key):
            return _MISSING
        value = value[key]
    return value


def formula_syntax_error(expression: str) -> str | None:
    """The syntax error in ``expression``, or None when it compiles."""
    try:
        compile_formula(expression)
    except FormulaError as exc:
        return str(exc)
    return None


def formula_names(expression: str) -> set[str]:
    """The variables ``expression`` reads, less the sandbox's globals (``range``, ``dict``...).

    Empty when the expression does not parse: its syntax error is reported on its own.
    """
    environment = _environment()
    try:
        parsed = environment.parse(f"{{{{ {expression} }}}}")
    except TemplateSyntaxError:
        return set()
    return set(meta.find_undeclared_variables(parsed)) - set(environment.globals)


def formula_words(expression: str) -> set[str]:
    """Every name, attribute and text constant in ``expression`` (``lines | sum(attribute=
    'amount')`` gives lines, sum, attribute and amount): what it may refer to.

    Empty when the expression does not parse.
    """
    try:
        parsed = _environment().parse(f"{{{{ {expression} }}}}")
    except TemplateSyntaxError:
        return set()
    words: set[str] = set()
    for node in parsed.find_all((nodes.Name, nodes.Getattr, nodes.Const)):
        if isinstance(node, nodes.Name):
            words.add(node.name)
        elif isinstance(node, nodes.Getattr):
            words.add(node.attr)
        elif isinstance(node, nodes.Const) and isinstance(node.value, str):
            words.add(node.value)
    return words


def line_values_keys(expression: str) -> set[str] | None:
    """The keys of the values an expression that is one ``edit_lines(entity, table, lines,
    where, values)`` or ``edit_lines_by(entity, table, lines, match, values)`` call sets on
    lines (``values`` a dict of constant keys); None for any other expression."""
    try:
        parsed = _environment().parse(f"{{{{ {expression} }}}}")
    except TemplateSyntaxError:
        return None
    body = parsed.body[0] if len(parsed.body) == 1 else None
    call = body.nodes[0] if isinstance(body, nodes.Output) and len(body.nodes) == 1 else None
    if not isinstance(call, nodes.Call) or not isinstance(call.node, nodes.Name) \
            or call.node.name not in ("edit_lines", "edit_lines_by") or len(call.args) != 5 \
            or call.kwargs:
        return None
    values = call.args[4]
    if isinstance(values, nodes.Filter) and values.name == BOUNDED_FILTER:
        values = values.node  # the sandbox bounds every literal
    if not isinstance(values, nodes.Dict) or not all(
            isinstance(pair.key, nodes.Const) and isinstance(pair.key.value, str)
            for pair in values.items):
        return None
    return {pair.key.value for pair in values.items}
