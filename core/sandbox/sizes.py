"""How big a value a filter, a string method or a format would build, told before it runs.

``core.sandbox`` refuses a call whose estimate is above its value-size limit, so that a
huge width (``center(2*10**9)``, ``'%09999999d'``, ``'{:>99999999}'``) never allocates.
The estimates are upper bounds of the characters or items the call produces; they need no
more than the arguments (and ``weigh``, the sandbox's ``weight``, for ``tojson``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

UNBOUNDED = float("inf")
# One printf conversion (``%%`` included, so that it can be skipped): width and precision.
_PRINTF = re.compile(r"%(?:%|(?:\([^)]*\))?[-+ #0]*(\*|\d*)(?:\.(\*|\d*))?)")
_WIDE_DIGITS = 5  # a printf width or precision of this many digits is refused outright
# A format spec: [[fill]align][sign][z][#][0][width][grouping][.precision][type].
_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d*))?", re.DOTALL)
WIDTH_FILTERS = frozenset({"center", "indent", "truncate", "wordwrap", "batch", "slice",
                           "tojson", "urlize", "format"})
STRING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "join",
                            "replace"})


def printf_size(template: str) -> float:
    """Characters ``template % args`` may produce beyond its arguments' own text
    (``UNBOUNDED`` for a ``*`` width or a width or precision of five digits or more)."""
    total = float(len(template))
    for match in _PRINTF.finditer(template):
        if match.group(0) == "%%":
            continue
        for part in match.groups():
            if part == "*" or (part and len(part) >= _WIDE_DIGITS):
                return UNBOUNDED
            total += int(part) if part else 0
    return total


def spec_size(spec: str) -> int:
    """The width plus the precision a ``str.format`` spec asks for."""
    match = _SPEC.match(spec)
    if match is None:
        return 0
    return sum(int(part) for part in match.groups() if part)


@cache
def _signature(func: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(func)
    except (TypeError, ValueError):
        return None


def _arguments(func: Callable[..., Any], args: Sequence[Any],
               kwargs: Mapping[str, Any]) -> dict[str, Any] | None:
    signature = _signature(func)
    if signature is None:
        return None
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return None  # the filter itself will say what is wrong
    bound.apply_defaults()
    return dict(bound.arguments)


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes) else len(str(value))


def filter_size(name: str, func: Callable[..., Any], args: Sequence[Any],
                kwargs: Mapping[str, Any], weigh: Callable[[Any], int], skip: int = 0) -> float:
    """Characters or items the filter ``name`` would build from ``args`` (0: not a filter
    whose arguments can make it big; the first ``skip`` arguments are Jinja's context)."""
    if name not in WIDTH_FILTERS:
        return 0
    every = args
    args = args[skip:]
    numbers = [v for v in (*args[1:], *kwargs.values())
               if isinstance(v, int) and not isinstance(v, bool)]
    largest = max(numbers, default=0)
    if name == "format":
        return printf_size(args[0]) if args and isinstance(args[0], str) else 0
    bound = _arguments(func, every, kwargs)
    if bound is None:
        return largest
    value = bound.get("s", bound.get("value"))
    if name == "indent":
        width = bound.get("width", 4)
        prefix_size = len(width) if isinstance(width, str) else int(width or 0)
        lines = str(value).count("\n") + 1
        return max(largest, _length(value) + lines * prefix_size)
    if name == "wordwrap":
        text = _length(value)
        width = max(int(bound.get("width") or 1), 1)
        wrap = bound.get("wrapstring") or "\n"
        return max(largest, text + (text // width + 1) * _length(wrap))
    if name == "tojson":
        indent = bound.get("indent")
        if isinstance(indent, int) and indent > 0:
            return max(largest, weigh(value) * (indent + 1))
    return largest


def string_method_size(method: Any, args: Sequence[Any], kwargs: Mapping[str, Any],
                       weigh: Callable[[Any], int]) -> float:
    """Characters a bound ``str``/``bytes`` method (``center``, ``join``...) would build."""
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "")
    if not isinstance(owner, str | bytes) or name not in STRING_METHODS:
        return 0
    values = [*args, *kwargs.values()]
    numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    largest = max(numbers, default=0)
    if name == "expandtabs":
        return len(owner) + owner.count("\t" if isinstance(owner, str) else b"\t") * largest
    if name == "join" and args:
        items = args[0]
        count = len(items) if isinstance(items, Sequence) else 0
        return weigh(items) + count * len(owner)
    if name == "replace" and len(args) >= 2:
        old, new = args[0], args[1]
        try:
            grows = (owner.count(old) + (1 if not old else 0)) * max(len(new) - len(old), 0)
        except TypeError:
            return 0
        return len(owner) + grows
    return max(largest, len(owner))
