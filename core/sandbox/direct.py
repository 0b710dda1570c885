"""Expressions of the common shapes run as plain Python closures, with the sandbox's result.

Most formulas and rule expressions read fields, compare, add, pick between values and sum
or filter lines (``record.item or machine.item``, ``parts | sum(attribute='amount')``).
Evaluating one through Jinja means a fresh context and budget each time, which costs more
than the expression itself. ``direct_evaluator`` turns an expression built only of such
steps into a closure that does the same thing directly, and hands every case it is not
sure of back to the sandbox:

- it is built only for the node types and Jinja built-in filters listed here (anything
  else: no closure, the sandbox evaluates the expression);
- every step checks its operands (a plain ``dict`` key that is no ``dict`` attribute,
  numbers for arithmetic, functions the sandbox would call) and raises ``Fallback``
  otherwise, as does any error: the caller then evaluates the expression in the sandbox,
  which gives its result or its error as always;
- what it builds (literals, filtered lists) and what functions return is weighed against
  the sandbox's value-size limit as the sandbox weighs it (a filter's items without the
  allowance for stored records, as the sandbox weighs an iterator's); no step loops but over
  values that exist already. A closure may hand back more than needed, never less.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import FunctionType, MethodType
from typing import Any

from jinja2 import filters as jinja_filters
from jinja2 import nodes
from jinja2 import tests as jinja_tests
from jinja2.parser import Parser

from core.sandbox.bounded import BoundedSandbox
from core.sandbox.direct_filters import FILTERS, GIVEN, Fallback, Unsupported
from core.sandbox.limits import weight

Evaluator = Callable[[Mapping[str, Any]], Any]
_Step = Callable[["_Run"], Any]


class _Run:
    """One evaluation: the context and the values read from storage (weighed as one item)."""

    __slots__ = ("context", "limit", "stored")

    def __init__(self, context: Mapping[str, Any], limit: int):
        self.context = context
        self.limit = limit  # the sandbox's value-size limit now (``use_limits`` may change it)
        self.stored: dict[int, Any] = {}


def direct_evaluator(environment: BoundedSandbox, expression: str) -> Evaluator | None:
    """A closure evaluating ``expression`` as ``environment`` would, or None when the
    expression has a step with no direct form. The closure raises ``Fallback`` whenever
    the sandbox must evaluate it instead."""
    try:
        parser = Parser(environment, expression, state="variable")
        tree = parser.parse_expression()
        if not parser.stream.eos:
            return None
        step = _Compiler(environment).compile(tree)
    except Exception:  # a step with no direct form, or a syntax error the sandbox reports
        return None

    def evaluate(context: Mapping[str, Any]) -> Any:
        try:
            return step(_Run(context, environment.limits.max_value_size))
        except Fallback:
            raise
        except Exception as exc:
            raise Fallback from exc

    return evaluate


def _weighed(value: Any, limit: int, stored: Mapping[int, Any] | None = None) -> Any:
    """``value``, or ``Fallback`` when the sandbox would find it too big."""
    if isinstance(value, list | dict | tuple | str) and weight(value, limit, stored) > limit:
        raise Fallback  # the sandbox refuses it, with its message
    return value


_NUMBERS = (int, float, Decimal)
_ARITHMETIC: dict[type[nodes.BinExpr], Callable[[Any, Any], Any]] = {
    nodes.Add: operator.add, nodes.Sub: operator.sub, nodes.Mul: operator.mul,
    nodes.Div: operator.truediv, nodes.FloorDiv: operator.floordiv, nodes.Mod: operator.mod,
}
_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gteq": operator.ge,
    "lt": operator.lt, "lteq": operator.le,
    "in": lambda a, b: a in b, "notin": lambda a, b: a not in b,
}


class _Compiler:
    """Jinja expression nodes to closures over a ``_Run``; ``Unsupported`` for a node with
    no direct form."""

    def __init__(self, environment: BoundedSandbox):
        self.environment = environment

    def compile(self, node: nodes.Node) -> _Step:
        """The closure of ``node``."""
        method = _NODES.get(type(node))
        if method is None:
            raise Unsupported(type(node).__name__)
        return method(self, node)

    def const(self, node: nodes.Const) -> _Step:
        value = node.value
        return lambda run: value

    def name(self, node: nodes.Name) -> _Step:
        if node.ctx != "load":
            raise Unsupported("store")
        name = node.name

        def read(run: _Run) -> Any:
            try:
                return run.context[name]
            except KeyError:
                raise Fallback from None  # a global, or undefined

        return read

    def getattr(self, node: nodes.Getattr) -> _Step:
        return _key(self.compile(node.node), node.attr)

    def getitem(self, node: nodes.Getitem) -> _Step:
        if not isinstance(node.arg, nodes.Const) or not isinstance(node.arg.value, str):
            raise Unsupported("subscript")
        return _key(self.compile(node.node), node.arg.value)

    def both(self, node: nodes.And) -> _Step:
        left, right = self.compile(node.left), self.compile(node.right)
        return lambda run: left(run) and right(run)

    def either(self, node: nodes.Or) -> _Step:
        left, right = self.compile(node.left), self.compile(node.right)
        return lambda run: left(run) or right(run)

    def negation(self, node: nodes.Not) -> _Step:
        inner = self.compile(node.node)
        return lambda run: not inner(run)

    def choice(self, node: nodes.CondExpr) -> _Step:
        test, then = self.compile(node.test), self.compile(node.expr1)
        otherwise = self.compile(node.expr2) if node.expr2 is not None else None

        def choose(run: _Run) -> Any:
            if test(run):
                return then(run)
            if otherwise is None:
                raise Fallback  # Jinja's undefined
            return otherwise(run)

        return choose

    def compare(self, node: nodes.Compare) -> _Step:
        first = self.compile(node.expr)
        operands = []
        for operand in node.ops:
            if operand.op not in _COMPARISONS:
                raise Unsupported(operand.op)
            operands.append((_COMPARISONS[operand.op], self.compile(operand.expr)))

        def compare(run: _Run) -> bool:
            left = first(run)
            for check, step in operands:
                right = step(run)
                if not check(left, right):
                    return False
                left = right
            return True

        return compare

    def arithmetic(self, node: nodes.BinExpr) -> _Step:
        function = _ARITHMETIC[type(node)]
        left, right = self.compile(node.left), self.compile(node.right)

        def calculate(run: _Run) -> Any:
            a, b = left(run), right(run)
            if not (isinstance(a, _NUMBERS) and isinstance(b, _NUMBERS)):
                raise Fallback  # text and lists are bounded by the sandbox
            return function(a, b)

        return calculate

    def negative(self, node: nodes.Neg) -> _Step:
        inner = self.compile(node.node)

        def negate(run: _Run) -> Any:
            value = inner(run)
            if not isinstance(value, _NUMBERS):
                raise Fallback
            return -value

        return negate

    def literal(self, node: nodes.List | nodes.Tuple) -> _Step:
        if isinstance(node, nodes.Tuple) and node.ctx != "load":
            raise Unsupported("store")
        items = [self.compile(item) for item in node.items]
        kind = list if isinstance(node, nodes.List) else tuple
        return lambda run: _weighed(kind(item(run) for item in items), run.limit, run.stored)

    def mapping(self, node: nodes.Dict) -> _Step:
        pairs = [(self.compile(pair.key), self.compile(pair.value)) for pair in node.items]
        return lambda run: _weighed({key(run): value(run) for key, value in pairs},
                                    run.limit, run.stored)

    def test(self, node: nodes.Test) -> _Step:
        if node.name != "none" or node.args or node.kwargs or node.dyn_args \
                or node.dyn_kwargs or not self._jinja_test("none"):
            raise Unsupported(node.name)
        inner = self.compile(node.node)
        return lambda run: inner(run) is None

    def call(self, node: nodes.Call) -> _Step:
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise Unsupported("dynamic arguments")
        args = [self.compile(arg) for arg in node.args]
        kwargs = [(keyword.key, self.compile(keyword.value)) for keyword in node.kwargs]
        if isinstance(node.node, nodes.Getattr) and node.node.attr == "get" \
                and not kwargs and 1 <= len(args) <= 2:
            return _dict_get(self.compile(node.node.node), args)
        if not isinstance(node.node, nodes.Name):
            raise Unsupported("call")
        name = node.node.name

        def call(run: _Run) -> Any:
            function = run.context.get(name)
            if not isinstance(function, FunctionType | MethodType) \
                    or getattr(function, "unsafe_callable", False) \
                    or getattr(function, "alters_data", False):
                raise Fallback  # the sandbox decides what it may call
            result = function(*(arg(run) for arg in args),
                              **{key: value(run) for key, value in kwargs})
            if getattr(function, "officina_reads_stored", False):
                if isinstance(result, dict | list):
                    run.stored[id(result)] = result
                return result
            return _weighed(result, run.limit, run.stored)

        return call

    def filter(self, node: nodes.Filter) -> _Step:
        if node.node is None or node.dyn_args is not None or node.dyn_kwargs is not None \
                or node.name not in FILTERS or not self._jinja_filter(node.name):
            raise Unsupported("filter")
        shape = tuple(arg.value if isinstance(arg, nodes.Const) else GIVEN
                      for arg in node.args)
        options = {keyword.key: _constant(keyword.value) for keyword in node.kwargs}
        if node.name == "map" and shape and not self._jinja_filter(shape[0]):
            raise Unsupported("map")
        if node.name == "selectattr" and len(shape) > 1 and not self._jinja_test(shape[1]):
            raise Unsupported("selectattr")
        apply, iterates = FILTERS[node.name](shape, options)
        given = [self.compile(arg) for arg in node.args if not isinstance(arg, nodes.Const)]
        value = self.compile(node.node)

        def filtered(run: _Run) -> Any:
            result = apply(value(run), [arg(run) for arg in given])
            return _weighed(result, run.limit, None if iterates else run.stored)

        return filtered

    def _jinja_filter(self, name: Any) -> bool:
        """Whether the sandbox's filter ``name`` is Jinja's own (under the sandbox's guard)."""
        found = self.environment.filters.get(name)
        return found is not None and getattr(found, "__wrapped__", found) \
            is jinja_filters.FILTERS.get(name)

    def _jinja_test(self, name: Any) -> bool:
        found = self.environment.tests.get(name)
        return found is not None and found is jinja_tests.TESTS.get(name)


_NODES: dict[type[nodes.Node], Callable[[_Compiler, Any], _Step]] = {
    nodes.Const: _Compiler.const, nodes.Name: _Compiler.name,
    nodes.Getattr: _Compiler.getattr, nodes.Getitem: _Compiler.getitem,
    nodes.And: _Compiler.both, nodes.Or: _Compiler.either, nodes.Not: _Compiler.negation,
    nodes.CondExpr: _Compiler.choice, nodes.Compare: _Compiler.compare,
    **{kind: _Compiler.arithmetic for kind in _ARITHMETIC},
    nodes.Neg: _Compiler.negative, nodes.List: _Compiler.literal,
    nodes.Tuple: _Compiler.literal, nodes.Dict: _Compiler.mapping,
    nodes.Test: _Compiler.test, nodes.Call: _Compiler.call, nodes.Filter: _Compiler.filter,
}


def _key(owner: _Step, key: str) -> _Step:
    """``owner.key`` of a plain dict that has the key (what the sandbox reads too)."""
    if hasattr(dict, key):
        raise Unsupported("a dict attribute")  # Jinja finds the method first

    def read(run: _Run) -> Any:
        value = owner(run)
        if type(value) is not dict or key not in value:
            raise Fallback
        return value[key]

    return read


def _dict_get(owner: _Step, args: list[_Step]) -> _Step:
    """``owner.get(key[, default])`` of a plain dict."""

    def get(run: _Run) -> Any:
        mapping = owner(run)
        if type(mapping) is not dict:
            raise Fallback
        return _weighed(mapping.get(*(arg(run) for arg in args)), run.limit, run.stored)

    return get


def _constant(node: nodes.Node) -> Any:
    if not isinstance(node, nodes.Const):
        raise Unsupported("a computed keyword argument")
    return node.value


__all__ = ["Evaluator", "Fallback", "direct_evaluator"]
