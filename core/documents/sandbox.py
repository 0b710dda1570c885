"""The Jinja2 sandbox documents render in: whitelisted attributes and filters, bounded work.

Every document template is compiled by a ``DocumentSandbox`` (an immutable sandbox) and
nothing else. On top of Jinja's own sandbox it

- allows only a short list of attributes of plain values (``str.upper``, ``date.year``...);
  record views answer their fields through ``getattr``/``getitem`` and nothing else;
- keeps only harmless filters and globals (no ``format``, ``center``, ``wordwrap``, ``safe``,
  ``lipsum``, ``cycler``, ``joiner``, ``dict``);
- refuses ``*``, ``**``, ``+`` and ``%`` that would build huge values;
- counts loop iterations and calls, and checks a wall-clock deadline while rendering;
- bounds the size of the text a template produces.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.filters import make_attrgetter
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace
from markupsafe import escape

MAX_OPERATION_SIZE = 1_000_000  # longest string/list (and widest int, in bits) an operator builds
MAX_ITERATIONS = 1_000_000  # loop iterations and calls, all loops of one render together
MAX_OUTPUT_CHARS = 50_000_000  # text (XML) one part of a document may render to
DEFAULT_TIME_LIMIT = 10.0  # seconds
LOOP_FILTER = "officina_loop"
CONCAT_FILTER = "officina_concat"
WIDE_FORMAT = re.compile(r"%[-+ #0]*(\*|\d{5,})|%[-+ #0]*\d*\.(\*|\d{5,})")

KEPT_FILTERS = ("abs", "capitalize", "count", "d", "default", "dictsort", "e", "escape",
                "first", "float", "groupby", "int", "items", "last", "length", "list",
                "lower", "map", "max", "min", "reject", "rejectattr", "reverse",
                "round", "select", "selectattr", "sort", "string", "striptags", "sum",
                "title", "trim", "truncate", "unique", "upper", "wordcount", "attr")
BOUNDED_FILTER = "officina_bounded"
STRING_METHODS = frozenset({
    "upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith",
    "endswith", "split", "splitlines", "isdigit", "isalpha", "isalnum", "isupper", "islower",
    "count", "find"})
DATE_ATTRIBUTES = frozenset({"year", "month", "day", "weekday", "isoweekday", "isoformat"})
TIME_ATTRIBUTES = frozenset({"hour", "minute", "second"})
LOOP_ATTRIBUTES = frozenset({"index", "index0", "revindex", "revindex0", "first", "last",
                             "length", "previtem", "nextitem", "depth", "depth0", "cycle",
                             "changed"})


class LimitExceeded(SecurityError):
    """A template took too long, looped too much or produced too much."""


class Budget:
    """The work one render may do: a deadline, iterations and output characters."""

    def __init__(self, time_limit: float = DEFAULT_TIME_LIMIT,
                 max_iterations: int = MAX_ITERATIONS, max_output: int = MAX_OUTPUT_CHARS,
                 clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.time_limit = time_limit
        self.deadline = clock() + time_limit
        self.max_iterations = max_iterations
        self.max_output = max_output
        self.iterations = 0

    def tick(self) -> None:
        """Count one step; raise ``LimitExceeded`` past the iterations or the deadline."""
        self.iterations += 1
        if self.iterations > self.max_iterations:
            raise LimitExceeded(f"the template repeats more than {self.max_iterations:,} "
                                "times (loops and calls together)")
        if self.iterations % 256 == 0:
            self.check_time()

    def check_time(self) -> None:
        """Raise ``LimitExceeded`` once the deadline has passed."""
        if self.clock() > self.deadline:
            raise LimitExceeded(f"rendering took longer than {self.time_limit:g} seconds")


def weight(value: Any, limit: int = MAX_OPERATION_SIZE) -> int:
    """Characters and items ``value`` holds (shared parts counted each time they appear),
    counted up to just past ``limit``; a container that holds itself weighs too much."""
    total = 0
    stack: list[tuple[Any, tuple[int, ...]]] = [(value, ())]
    while stack:
        item, trail = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, list | tuple | dict | Namespace):
            if id(item) in trail:
                return limit + 1
            inner = (*trail, id(item))
            total += 1
            if isinstance(item, dict):
                values: Iterable[Any] = [*item.keys(), *item.values()]
            elif isinstance(item, Namespace):
                values = list(object.__getattribute__(item, "_Namespace__attrs").values())
            else:
                values = item
            stack.extend((v, inner) for v in values)
        else:
            total += 1
        if total > limit:
            return total
    return total


def _too_big(value: Any) -> bool:
    return weight(value) > MAX_OPERATION_SIZE


class DocumentSandbox(ImmutableSandboxedEnvironment):
    """An immutable sandbox with whitelists and a ``Budget``; one per render or validation.

    ``views`` are the classes whose instances answer attribute lookups themselves (through
    a ``lookup(name)`` method); ``finalize`` turns every printed value into text.
    """

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, budget: Budget | None = None, *, views: tuple[type, ...] = (),
                 finalize: Callable[[Any], Any] | None = None):
        super().__init__(undefined=StrictUndefined, autoescape=True, finalize=finalize)
        self.budget = budget or Budget()
        self.last_source = ""  # the text last compiled, to show where an error happened
        self.views = views
        self.filters = {name: self.filters[name] for name in KEPT_FILTERS}
        self.filters[LOOP_FILTER] = self._bounded_iteration
        self.filters[CONCAT_FILTER] = self._bounded_concat
        self.filters[BOUNDED_FILTER] = self._bounded_value
        self.filters["join"] = self._bounded_join
        self.filters["replace"] = self._bounded_replace
        self.globals = {"range": self.globals["range"], "namespace": self.globals["namespace"]}
        self.tests.pop("callable", None)

    # -- attributes and items ---------------------------------------------------------------

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Only a short list of attributes of plain values (see the module's docstring)."""
        if attr.startswith("_"):
            return False
        if isinstance(obj, str):
            return attr in STRING_METHODS
        if isinstance(obj, dict):
            return attr in ("items", "keys", "values", "get")
        if isinstance(obj, dt.datetime):
            return attr in DATE_ATTRIBUTES | TIME_ATTRIBUTES
        if isinstance(obj, dt.date):
            return attr in DATE_ATTRIBUTES
        if isinstance(obj, LoopContext):
            return attr in LOOP_ATTRIBUTES
        return isinstance(obj, Namespace)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """A view's field, or a whitelisted attribute of a plain value."""
        self.budget.tick()
        if isinstance(obj, self.views):
            if attribute.startswith("_"):
                return self.unsafe_undefined(obj, attribute)
            return obj.lookup(attribute)
        if isinstance(obj, str) and attribute not in STRING_METHODS:
            return self.unsafe_undefined(obj, attribute)  # also format, which Jinja wraps
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """``record['field']`` as ``record.field``; items of lists and dicts as usual."""
        self.budget.tick()
        if isinstance(obj, self.views) and isinstance(argument, str):
            return self.getattr(obj, argument)
        return super().getitem(obj, argument)

    # -- work bounds ------------------------------------------------------------------------

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Call as the sandbox does, counting the call and refusing huge results."""
        __self.budget.tick()
        result = super().call(__context, __obj, *args, **kwargs)
        if _too_big(result):
            raise LimitExceeded("a value in the template grew too large")
        return result

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Refuse ``*``, ``**``, ``+`` and ``%`` that would build huge values."""
        if (operator == "**" and isinstance(left, int) and isinstance(right, int)
                and right > 0 and left.bit_length() * right > MAX_OPERATION_SIZE):
            raise LimitExceeded("power too large")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (isinstance(seq, str | bytes | list | tuple) and isinstance(count, int)
                        and weight(seq) * count > MAX_OPERATION_SIZE):
                    raise LimitExceeded("repetition too large")
        if operator == "+" and weight(left) + weight(right) > MAX_OPERATION_SIZE:
            raise LimitExceeded("a value in the template grew too large")
        if operator == "%" and isinstance(left, str) and WIDE_FORMAT.search(left):
            raise LimitExceeded("format width too large")
        return super().call_binop(context, operator, left, right)

    def _bounded_iteration(self, iterable: Any) -> Iterator[Any]:
        for item in iterable:
            self.budget.tick()
            yield item

    def _bounded_value(self, value: Any) -> Any:
        if _too_big(value):
            raise LimitExceeded("a value in the template grew too large")
        return value

    def _bounded_concat(self, parts: list[Any]) -> str:
        self._bounded_value(parts)
        return "".join(str(p) for p in parts)

    def _bounded_join(self, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
        items = list(value)
        if weight(items) + len(str(d)) * len(items) > MAX_OPERATION_SIZE:
            raise LimitExceeded("a value in the template grew too large")
        if attribute is not None:
            getter = make_attrgetter(self, attribute)
            items = [getter(item) for item in items]
        return escape(d).join(escape(item) for item in items)

    def _bounded_replace(self, value: Any, old: str, new: str, count: int | None = None) -> Any:
        text = str(value)
        grows = text.count(str(old)) * max(len(str(new)) - len(str(old)), 0)
        if len(text) + grows > MAX_OPERATION_SIZE:
            raise LimitExceeded("a value in the template grew too large")
        return text.replace(str(old), str(new), -1 if count is None else count)

    def concat(self, chunks: Iterable[str]) -> str:  # type: ignore[override]
        """Join a template's output, stopping at the size limit or the deadline."""
        out: list[str] = []
        size = 0
        for chunk in chunks:
            size += len(chunk)
            if size > self.budget.max_output:
                raise LimitExceeded("the document is too large")
            self.budget.tick()
            out.append(chunk)
        return "".join(out)

    # -- compilation ------------------------------------------------------------------------

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse, then bound every loop and ``~`` and refuse ``self``."""
        self.last_source = source
        tree = super()._parse(source, name, filename)
        for node in tree.find_all(nodes.Name):
            if node.name == "self":
                raise TemplateSyntaxError("'self' is not available in documents",
                                          node.lineno, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, LOOP_FILTER, [], [], None, None,
                                     lineno=loop.lineno)
        _bound_literals(tree)
        for concat in tree.find_all(nodes.Concat):
            concat.nodes = [nodes.Filter(nodes.List(concat.nodes, lineno=concat.lineno),
                                         CONCAT_FILTER, [], [], None, None,
                                         lineno=concat.lineno)]
        return tree


def _bounded(node: nodes.Node) -> nodes.Node:
    """A list, dict or tuple literal wrapped in the filter that bounds its weight."""
    if isinstance(node, nodes.List | nodes.Dict) or (
            isinstance(node, nodes.Tuple) and node.ctx == "load"):
        return nodes.Filter(node, BOUNDED_FILTER, [], [], None, None, lineno=node.lineno)
    return node


def _bound_literals(tree: nodes.Node) -> None:
    """Wrap every list, dict and tuple literal of ``tree`` (see ``_bounded``)."""
    for parent in [tree, *tree.find_all(nodes.Node)]:
        for name in parent.fields:
            value = getattr(parent, name, None)
            if isinstance(value, nodes.Node):
                setattr(parent, name, _bounded(value))
            elif isinstance(value, list):
                setattr(parent, name, [_bounded(v) if isinstance(v, nodes.Node) else v
                                       for v in value])


__all__ = ["Budget", "DocumentSandbox", "LimitExceeded", "weight"]
