"""The one sandbox policy for admin and pack content: formulas, rule expressions, notify,
refuse and mail texts, and (through ``core.documents.sandbox``) Word templates.

Everything an administrator or a pack writes in Jinja2 is compiled by a ``BoundedSandbox``
(Jinja's immutable sandbox) made by ``new_sandbox``. On top of Jinja's own checks it

- refuses ``*``, ``**``, ``+``, ``%`` and ``~`` that would build huge values, and caps
  ``range()``, ``join`` and ``replace`` (``max_value_size``, ``max_range``);
- wraps every filter (``guard_filter``): width-like arguments (``center``, ``indent``,
  ``format``...; sizes estimated by ``core.sandbox_sizes``) are refused before the call,
  results are weighed, an iterator's items are weighed as it yields them; ``str.format``
  and wide string methods (``ljust``, ``join``...) are refused before they build;
- counts loop iterations and calls (``max_iterations``) and checks a wall-clock deadline
  while it runs (``time_limit``): counters in the sandbox's own hooks, so it works in any
  thread, without signals;
- bounds the text a template produces (``max_output``).

The work a render or evaluation may do is a ``Budget``, started when it begins (each
``Template.new_context``); a ``Budget`` given to the sandbox instead spans every render
it does (a Word document's parts). Limits break with ``LimitExceeded``, whose message
says which limit the template exceeded and can be translated (``LimitExceeded.localised``).
The limits are the ``[sandbox]`` settings of officina.toml (``SandboxLimits.from_dict``),
installed once per process by ``use_limits``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace
from functools import update_wrapper, wraps
from types import BuiltinMethodType, MethodType
from typing import Any

from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import make_attrgetter
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
)
from jinja2.utils import Namespace
from markupsafe import Markup, escape

from core.i18n import Translator, _
from core.sandbox_sizes import filter_size, printf_size, spec_size, string_method_size

LOOP_FILTER = "officina_loop"
CONCAT_FILTER = "officina_concat"
BOUNDED_FILTER = "officina_bounded"


@dataclass(frozen=True)
class SandboxLimits:
    """How much work one render of admin content may do (the ``[sandbox]`` settings)."""

    time_limit: float = 5.0  # seconds per formula, expression or text
    document_time_limit: float = 10.0  # seconds per Word document, all its parts together
    max_iterations: int = 1_000_000  # loop iterations and calls of one render together
    max_value_size: int = 1_000_000  # characters/items a value may hold (int: bits)
    max_range: int = 100_000  # items one range() may count
    max_output: int = 1_000_000  # characters a formula, expression or text may produce
    max_document_output: int = 50_000_000  # characters of XML one document part may produce

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> SandboxLimits:
        """Limits from a ``[sandbox]`` table; ``ValueError`` names a wrong key or value."""
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"[sandbox]: unknown key(s) {', '.join(unknown)}; expected some "
                             f"of {', '.join(known)}")
        for key, value in values.items():
            number = isinstance(value, int | float) and not isinstance(value, bool)
            whole = key != "time_limit" and not key.endswith("time_limit")
            if not number or value <= 0 or (whole and not isinstance(value, int)):
                kind = "a whole number" if whole else "a number of seconds"
                raise ValueError(f"[sandbox]: {key} must be {kind} above 0, not {value!r}")
        return replace(cls(), **values)


DEFAULT_LIMITS = SandboxLimits()
_limits: list[SandboxLimits] = [DEFAULT_LIMITS]  # the process's limits (see ``use_limits``)


def use_limits(limits: SandboxLimits) -> None:
    """Make ``limits`` the process's sandbox limits (read from officina.toml at start-up)."""
    _limits[0] = limits


def current_limits() -> SandboxLimits:
    """The sandbox limits in force in this process."""
    return _limits[0]


class LimitExceeded(SecurityError):
    """A template took too long, looped too much or produced too much.

    ``str()`` is the English message; ``localised(translator)`` the user's language.
    """

    def __init__(self, message: str, **values: Any):
        self.message_id = message
        self.values = values
        super().__init__(Translator().gettext(message, **values))

    def localised(self, translator: Translator) -> str:
        """The message in ``translator``'s language."""
        return translator.gettext(self.message_id, **self.values)


def _too_big_error(limit: int) -> LimitExceeded:
    return LimitExceeded(_("A value in the template grew too large: more than {size} "
                           "characters or items."), size=f"{limit:,}")


class Budget:
    """The work one render may do: a deadline, iterations and output characters."""

    def __init__(self, time_limit: float | None = None, max_iterations: int | None = None,
                 max_output: int | None = None, clock: Callable[[], float] = time.monotonic,
                 limits: SandboxLimits | None = None):
        limits = limits or current_limits()
        self.clock = clock
        self.time_limit = time_limit if time_limit is not None else limits.time_limit
        self.deadline = clock() + self.time_limit
        self.max_iterations = max_iterations or limits.max_iterations
        self.max_output = max_output or limits.max_output
        self.iterations = 0

    def tick(self) -> None:
        """Count one step; raise ``LimitExceeded`` past the iterations or the deadline."""
        self.iterations += 1
        if self.iterations > self.max_iterations:
            raise LimitExceeded(_("The template repeats more than {count} times (loops and "
                                  "calls together)."), count=f"{self.max_iterations:,}")
        if self.iterations % 256 == 0:
            self.check_time()

    def check_time(self) -> None:
        """Raise ``LimitExceeded`` once the deadline has passed."""
        if self.clock() > self.deadline:
            raise LimitExceeded(_("The template exceeded its time limit: it ran longer than "
                                  "{seconds} seconds."), seconds=f"{self.time_limit:g}")


def weight(value: Any, limit: int | None = None) -> int:
    """Characters and items ``value`` holds (shared parts counted each time they appear),
    counted up to just past ``limit``; a container that holds itself weighs too much."""
    limit = limit if limit is not None else current_limits().max_value_size
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


_ACTIVE: ContextVar[Budget | None] = ContextVar("officina_sandbox_budget", default=None)


class BoundedTemplate(Template):
    """A template that starts a fresh ``Budget`` each time it is rendered or evaluated."""

    def new_context(self, vars: Any = None, shared: bool = False,
                    locals: Any = None) -> Any:
        """Jinja's context, after starting the budget of this render."""
        environment = self.environment
        if isinstance(environment, BoundedSandbox) and environment.fixed_budget is None:
            _ACTIVE.set(environment.new_budget())
        return super().new_context(vars, shared, locals)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with bounds on time, loops, value sizes and output."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    template_class = BoundedTemplate

    def __init__(self, *, limits: SandboxLimits | None = None, budget: Budget | None = None,
                 **options: Any):
        options.setdefault("undefined", StrictUndefined)
        options.setdefault("autoescape", False)
        super().__init__(**options)
        self._limits = limits
        self.fixed_budget = budget
        self.filters[LOOP_FILTER] = self._bounded_iteration
        self.filters[CONCAT_FILTER] = self._bounded_concat
        self.filters[BOUNDED_FILTER] = self._bounded_value
        self.filters["join"] = self._bounded_join
        self.filters["replace"] = self._bounded_replace
        self.globals["range"] = self._bounded_range

    @property  # type: ignore[override]
    def filters(self) -> dict[str, Any]:
        """The filters; each one set is wrapped by ``_guard_filter``."""
        return self._guarded_filters

    @filters.setter
    def filters(self, value: Mapping[str, Any]) -> None:
        self._guarded_filters = _GuardedFilters(self, value)

    @property
    def limits(self) -> SandboxLimits:
        """The limits given to this sandbox, else the process's (``use_limits``)."""
        return self._limits or current_limits()

    def new_budget(self) -> Budget:
        """A fresh budget for one render under this sandbox's limits."""
        return Budget(limits=self.limits)

    @property
    def budget(self) -> Budget:
        """The budget of the render under way."""
        if self.fixed_budget is not None:
            return self.fixed_budget
        active = _ACTIVE.get()
        if active is None:
            active = self.new_budget()
            _ACTIVE.set(active)
        return active

    def too_big(self, value: Any) -> bool:
        """Whether ``value`` holds more than the sandbox lets a value hold."""
        return weight(value, self.limits.max_value_size) > self.limits.max_value_size

    def _check_size(self, value: Any) -> Any:
        if self.too_big(value):
            raise _too_big_error(self.limits.max_value_size)
        return value

    # -- work bounds ------------------------------------------------------------------------

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Look ``attribute`` up as the sandbox does, counting the step."""
        self.budget.tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """Look ``argument`` up as the sandbox does, counting the step."""
        self.budget.tick()
        return super().getitem(obj, argument)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Call as the sandbox does, counting the call and refusing huge results."""
        __self.budget.tick()
        if isinstance(__obj, BuiltinMethodType) and getattr(__obj, "__name__", "") == "join" \
                and args and not isinstance(args[0], list | tuple | str):
            args = (list(args[0]), *args[1:])  # weighed below, before joining
        __self._refuse_above(string_method_size(__obj, args, kwargs, __self._weigh))
        return __self._check_size(super().call(__context, __obj, *args, **kwargs))

    def _weigh(self, value: Any) -> int:
        return weight(value, self.limits.max_value_size)

    def _refuse_above(self, size: float) -> None:
        if size > self.limits.max_value_size:
            raise _too_big_error(self.limits.max_value_size)

    def guard_filter(self, name: str, func: Any) -> Any:
        """``func`` refusing arguments that would build a huge value, and results too big
        (an iterator's items are weighed as it yields them)."""
        if (not callable(func) or getattr(func, "officina_guarded", False)
                or name in (LOOP_FILTER, CONCAT_FILTER, BOUNDED_FILTER)):
            return func  # a loop's items already exist; the other two bound themselves
        skip = 1 if hasattr(func, "jinja_pass_arg") else 0

        @wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            self._refuse_above(filter_size(name, func, args, kwargs, self._weigh, skip))
            result = func(*args, **kwargs)
            if isinstance(result, Iterator):
                return self._weighed_items(result)
            return self._check_size(result)

        guarded.officina_guarded = True  # type: ignore[attr-defined]
        return guarded

    def _weighed_items(self, items: Iterator[Any]) -> Iterator[Any]:
        limit = self.limits.max_value_size
        total = 0
        for item in items:
            total += weight(item, limit)
            if total > limit:
                raise _too_big_error(limit)
            yield item

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format``/``format_map`` as Jinja's sandbox runs them, refusing a width or
        precision that would make the text too big before formatting it."""
        if not isinstance(value, MethodType | BuiltinMethodType) or value.__name__ not in (
                "format", "format_map") or not isinstance(value.__self__, str):
            return None
        text: str = value.__self__
        formatter: SandboxedFormatter
        if isinstance(text, Markup):
            formatter = _BoundedEscapeFormatter(self, escape=text.escape)
        else:
            formatter = _BoundedFormatter(self)
        is_format_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs, args = args[0], ()
            formatter.produced = 0
            return type(text)(formatter.vformat(text, args, kwargs))

        return update_wrapper(wrapper, value)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Refuse ``*``, ``**``, ``+`` and ``%`` that would build huge values."""
        size = self.limits.max_value_size
        if (operator == "**" and isinstance(left, int) and isinstance(right, int)
                and right > 0 and left.bit_length() * right > size):
            raise _too_big_error(size)
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (isinstance(seq, str | bytes | list | tuple) and isinstance(count, int)
                        and weight(seq, size) * count > size):
                    raise _too_big_error(size)
        if operator == "+" and weight(left, size) + weight(right, size) > size:
            raise _too_big_error(size)
        if operator == "%" and isinstance(left, str):
            self._refuse_above(printf_size(left) + weight(right, size))
        return super().call_binop(context, operator, left, right)

    def _bounded_range(self, *args: int) -> range:
        numbers = range(*args)
        if len(numbers) > self.limits.max_range:
            raise LimitExceeded(_("Range too big: range() in a template counts at most "
                                  "{count} items."), count=f"{self.limits.max_range:,}")
        return numbers

    def _bounded_iteration(self, iterable: Any) -> Iterator[Any]:
        for item in iterable:
            self.budget.tick()
            yield item

    def _bounded_value(self, value: Any) -> Any:
        return self._check_size(value)

    def _bounded_concat(self, parts: list[Any]) -> str:
        self._check_size(parts)
        return self._check_size("".join(str(p) for p in parts))

    def _bounded_join(self, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
        limit = self.limits.max_value_size
        getter = make_attrgetter(self, attribute) if attribute is not None else None
        separator = len(str(d))
        items: list[Any] = []
        total = 0
        for item in value:  # weighed while consuming, so nothing huge is ever held
            total += weight(item, limit) + separator
            if total > limit:
                raise _too_big_error(limit)
            items.append(item)
        if getter is not None:
            items = [getter(item) for item in items]
            self._check_size(items)
        if self.autoescape:
            return escape(d).join(escape(item) for item in items)
        return str(d).join(str(item) for item in items)

    def _bounded_replace(self, value: Any, old: str, new: str, count: int | None = None) -> Any:
        text = str(value)
        grows = text.count(str(old)) * max(len(str(new)) - len(str(old)), 0)
        if len(text) + grows > self.limits.max_value_size:
            raise _too_big_error(self.limits.max_value_size)
        return text.replace(str(old), str(new), -1 if count is None else count)

    def output_limit(self) -> int:
        """The most characters one render may produce."""
        return self.budget.max_output

    def concat(self, chunks: Iterable[str]) -> str:  # type: ignore[override]
        """Join a template's output, stopping at the size limit or the deadline."""
        out: list[str] = []
        size = 0
        budget = self.budget
        for chunk in chunks:
            size += len(chunk)
            if size > budget.max_output:
                raise LimitExceeded(_("The template's output is too large: more than {size} "
                                      "characters."), size=f"{budget.max_output:,}")
            budget.tick()
            out.append(chunk)
        return "".join(out)

    # -- compilation ------------------------------------------------------------------------

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse, then bound every loop, ``~`` and literal (see ``bound_tree``)."""
        return bound_tree(super()._parse(source, name, filename))

    def compile(self, source: Any, name: str | None = None, filename: str | None = None,
                raw: bool = False, defer_init: bool = False) -> Any:
        """Compile as Jinja does; a ready tree (an expression's) is bounded first."""
        if isinstance(source, nodes.Template):
            source = bound_tree(source)
        return super().compile(source, name, filename, raw, defer_init)


class _GuardedFilters(dict[str, Any]):
    """A sandbox's filters: every filter put in is wrapped by ``guard_filter``."""

    def __init__(self, sandbox: BoundedSandbox, filters: Mapping[str, Any]):
        super().__init__()
        self._sandbox = sandbox
        self.update(filters)

    def __setitem__(self, name: str, func: Any) -> None:
        super().__setitem__(name, self._sandbox.guard_filter(name, func))

    def update(self, *others: Any, **more: Any) -> None:  # type: ignore[override]
        """Put every filter of ``others`` and ``more`` in, wrapped."""
        for name, func in dict(*others, **more).items():
            self[name] = func

    def setdefault(self, name: str, func: Any = None) -> Any:
        """The filter ``name``, put in (wrapped) first if missing."""
        if name not in self:
            self[name] = func
        return self[name]

    def copy(self) -> dict[str, Any]:  # type: ignore[override]
        """A plain dict of the (wrapped) filters."""
        return dict(self)


class _FormatBound:
    """A ``str.format`` formatter refusing a width or precision (all fields together)
    above the sandbox's value-size limit before formatting a field."""

    _env: BoundedSandbox
    produced = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        limit = self._env.limits.max_value_size
        if self.produced + spec_size(format_spec) > limit:
            raise _too_big_error(limit)
        text = super().format_field(value, format_spec)  # type: ignore[misc]
        self.produced += len(text)
        if self.produced > limit:
            raise _too_big_error(limit)
        return text


class _BoundedFormatter(_FormatBound, SandboxedFormatter):
    pass


class _BoundedEscapeFormatter(_FormatBound, SandboxedEscapeFormatter):
    pass


def _bounded(node: nodes.Node) -> nodes.Node:
    """A list, dict or tuple literal wrapped in the filter that bounds its weight."""
    if isinstance(node, nodes.List | nodes.Dict) or (
            isinstance(node, nodes.Tuple) and node.ctx == "load"):
        return nodes.Filter(node, BOUNDED_FILTER, [], [], None, None, lineno=node.lineno)
    return node


def bound_tree(tree: nodes.Template) -> nodes.Template:
    """``tree`` with every loop counted, every ``~`` and literal bounded (in place)."""
    for loop in tree.find_all(nodes.For):
        if not (isinstance(loop.iter, nodes.Filter) and loop.iter.name == LOOP_FILTER):
            loop.iter = nodes.Filter(loop.iter, LOOP_FILTER, [], [], None, None,
                                     lineno=loop.lineno)
    for parent in [tree, *tree.find_all(nodes.Node)]:
        if isinstance(parent, nodes.Filter) and parent.name == BOUNDED_FILTER:
            continue
        for name in parent.fields:
            value = getattr(parent, name, None)
            if isinstance(value, nodes.Node):
                setattr(parent, name, _bounded(value))
            elif isinstance(value, list):
                setattr(parent, name, [_bounded(v) if isinstance(v, nodes.Node) else v
                                       for v in value])
    for concat in tree.find_all(nodes.Concat):
        if not (len(concat.nodes) == 1 and isinstance(concat.nodes[0], nodes.Filter)
                and concat.nodes[0].name == CONCAT_FILTER):
            concat.nodes = [nodes.Filter(nodes.List(concat.nodes, lineno=concat.lineno),
                                         CONCAT_FILTER, [], [], None, None,
                                         lineno=concat.lineno)]
    return tree


def new_sandbox(*, html: bool = False, keep_trailing_newline: bool = False,
                limits: SandboxLimits | None = None) -> BoundedSandbox:
    """The sandbox for formulas, rule expressions and texts (``html``: autoescaped)."""
    return BoundedSandbox(limits=limits, autoescape=html,
                          keep_trailing_newline=keep_trailing_newline)


__all__ = ["DEFAULT_LIMITS", "BoundedSandbox", "Budget", "LimitExceeded", "SandboxLimits",
           "current_limits", "new_sandbox", "use_limits", "weight"]
