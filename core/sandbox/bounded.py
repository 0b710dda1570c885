"""``BoundedSandbox``: Jinja's immutable sandbox with bounds on the work a template does.

On top of Jinja's own checks it

- refuses ``*``, ``**``, ``+``, ``%`` and ``~`` that would build huge values, and caps
  ``range()``, ``join`` and ``replace`` (``max_value_size``, ``max_range``);
- wraps every filter (``guard_filter``): width-like arguments (``center``, ``indent``,
  ``format``...; sizes estimated by ``core.sandbox.sizes``) are refused before the call,
  results are weighed, an iterator's items are weighed as it yields them; ``str.format``
  and wide string methods (``ljust``, ``join``...) are refused before they build;
- counts loop iterations and calls (``max_iterations``) and checks a wall-clock deadline
  while it runs (``time_limit``): counters in the sandbox's own hooks, so it works in any
  thread, without signals;
- bounds the text a template produces (``max_output``).

A fresh ``Budget`` starts with each render or evaluation (each ``Template.new_context``);
a ``Budget`` given to the sandbox instead spans every render it does (a Word document's
parts). Sandboxes are made by ``core.sandbox.factory`` from a named policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from functools import update_wrapper, wraps
from types import BuiltinMethodType, MethodType
from typing import Any

from jinja2 import StrictUndefined, Template, nodes
from jinja2.filters import make_attrgetter
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
)
from markupsafe import Markup, escape

from core.i18n import _
from core.sandbox.limits import (
    Budget,
    LimitExceeded,
    SandboxLimits,
    current_limits,
    too_big_error,
    weight,
)
from core.sandbox.policies import FORMULA, SandboxPolicy
from core.sandbox.sizes import filter_size, printf_size, spec_size, string_method_size
from core.sandbox.tree import (
    BOUNDED_FILTER,
    CONCAT_FILTER,
    INTERNAL_FILTERS,
    LOOP_FILTER,
    bound_tree,
)

MAX_CACHED_TEMPLATES = 1024  # texts compiled and kept by one sandbox

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

    def __init__(self, *, policy: SandboxPolicy = FORMULA, limits: SandboxLimits | None = None,
                 budget: Budget | None = None, **options: Any):
        options.setdefault("undefined", StrictUndefined)
        options.setdefault("autoescape", policy.autoescape)
        options.setdefault("keep_trailing_newline", policy.keep_trailing_newline)
        super().__init__(**options)
        self.policy = policy
        self._limits = limits
        self.fixed_budget = budget
        self._compiled: dict[str, Template] = {}
        self._default_budget = (policy.time_setting, policy.output_setting) == (
            "time_limit", "max_output")
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
        """A fresh budget for one render under this sandbox's limits and policy."""
        if self._default_budget:  # the hot path of formulas: as few steps as possible
            return Budget(limits=self._limits or current_limits())
        return self.policy.budget(self.limits)

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
        limit = self.limits.max_value_size
        if weight(value, limit, self.budget.stored) > limit:
            raise too_big_error(limit)
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
        result = super().call(__context, __obj, *args, **kwargs)
        if getattr(__obj, "officina_reads_stored", False):  # exists already: not weighed
            if isinstance(result, dict | list):
                __self.budget.stored[id(result)] = result
            return result
        return __self._check_size(result)

    def _weigh(self, value: Any) -> int:
        return weight(value, self.limits.max_value_size)

    def _refuse_above(self, size: float) -> None:
        if size > self.limits.max_value_size:
            raise too_big_error(self.limits.max_value_size)

    def guard_filter(self, name: str, func: Any) -> Any:
        """``func`` refusing arguments that would build a huge value, and results too big
        (an iterator's items are weighed as it yields them)."""
        if (not callable(func) or getattr(func, "officina_guarded", False)
                or name in INTERNAL_FILTERS):
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
                raise too_big_error(limit)
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
            raise too_big_error(size)
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (isinstance(seq, str | bytes | list | tuple) and isinstance(count, int)
                        and weight(seq, size) * count > size):
                    raise too_big_error(size)
        if operator == "+" and weight(left, size) + weight(right, size) > size:
            raise too_big_error(size)
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
                raise too_big_error(limit)
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
            raise too_big_error(self.limits.max_value_size)
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

    def from_string(self, source: Any, globals: Any = None,
                    template_class: type[Template] | None = None) -> Template:
        """The template of ``source``, compiled once (when the policy keeps templates)."""
        if not (self.policy.cache_templates and isinstance(source, str) and globals is None
                and template_class is None):
            return super().from_string(source, globals, template_class)
        template = self._compiled.get(source)
        if template is None:
            if len(self._compiled) >= MAX_CACHED_TEMPLATES:
                self._compiled.clear()
            template = self._compiled[source] = super().from_string(source)
        return template

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
            raise too_big_error(limit)
        text = super().format_field(value, format_spec)  # type: ignore[misc]
        self.produced += len(text)
        if self.produced > limit:
            raise too_big_error(limit)
        return text


class _BoundedFormatter(_FormatBound, SandboxedFormatter):
    pass


class _BoundedEscapeFormatter(_FormatBound, SandboxedEscapeFormatter):
    pass


__all__ = ["BoundedSandbox", "BoundedTemplate"]
