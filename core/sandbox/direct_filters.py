"""The Jinja built-in filters that ``core.sandbox.direct`` runs itself, each as Jinja runs
it for plain values: ``sum``, ``length``/``count``, ``list``, ``default``, ``map`` (by an
attribute, or with ``default``) and ``selectattr`` (truthy, or one of the equality tests).

A builder takes the filter's arguments as written (constants, or ``GIVEN`` for one computed
when it runs) and gives the filter, or raises ``Unsupported``; the filter raises
``Fallback`` for an item it is not sure of (not a plain dict holding the key).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any


class Fallback(Exception):
    """This evaluation needs the sandbox (a value of an unexpected kind, or an error)."""


class Unsupported(Exception):
    """The expression has a step with no direct form."""


GIVEN = object()  # an argument computed when the filter runs (not a constant)


def _item_key(attribute: Any) -> str:
    """A filter's ``attribute``: one plain key (``a.b`` and numbers are left to Jinja)."""
    if not isinstance(attribute, str) or not attribute.isidentifier() \
            or hasattr(dict, attribute):
        raise Unsupported("attribute")
    return attribute


def _field_of(item: Any, key: str) -> Any:
    if type(item) is not dict or key not in item:
        raise Fallback
    return item[key]


_Apply = Callable[[Any, list[Any]], Any]
_Built = tuple[_Apply, bool]  # the filter, and whether Jinja's yields items (an iterator)


def _constants(shape: tuple[Any, ...], name: str) -> tuple[Any, ...]:
    if GIVEN in shape:
        raise Unsupported(name)
    return shape


def _sum(shape: tuple[Any, ...], options: dict[str, Any]) -> _Built:
    if shape or set(options) - {"attribute"}:
        raise Unsupported("sum")
    if "attribute" not in options:
        return (lambda value, _: sum(value, 0)), False
    key = _item_key(options["attribute"])
    return (lambda value, _: sum((_field_of(item, key) for item in value), 0)), False


def _length(shape: tuple[Any, ...], options: dict[str, Any]) -> _Built:
    if shape or options:
        raise Unsupported("length")
    return (lambda value, _: len(value)), False


def _as_list(shape: tuple[Any, ...], options: dict[str, Any]) -> _Built:
    if shape or options:
        raise Unsupported("list")
    return (lambda value, _: list(value)), False


def _default_of(shape: tuple[Any, ...]) -> Callable[[Any], Any]:
    if len(_constants(shape, "default")) > 2:
        raise Unsupported("default")
    fallback = shape[0] if shape else ""
    boolean = bool(shape[1]) if len(shape) > 1 else False
    return lambda value: fallback if boolean and not value else value


def _default(shape: tuple[Any, ...], options: dict[str, Any]) -> _Built:
    if options:
        raise Unsupported("default")
    each = _default_of(shape)
    return (lambda value, _: each(value)), False


def _map(shape: tuple[Any, ...], options: dict[str, Any]) -> _Built:
    if not shape and set(options) == {"attribute"}:
        key = _item_key(options["attribute"])
        return (lambda value, _: [_field_of(item, key) for item in value]), True
    if shape and not options and shape[0] in ("default", "d"):
        each = _default_of(shape[1:])
        return (lambda value, _: [each(item) for item in value]), True
    raise Unsupported("map")


_TESTED: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "==": operator.eq, "equalto": operator.eq,
    "ne": operator.ne, "!=": operator.ne,
}


def _selectattr(shape: tuple[Any, ...], options: dict[str, Any]) -> _Built:
    if options or not shape or GIVEN in shape[:2]:
        raise Unsupported("selectattr")
    key = _item_key(shape[0])
    if len(shape) == 1:
        return (lambda value, _: [item for item in value if _field_of(item, key)]), True
    if len(shape) != 3 or shape[1] not in _TESTED:
        raise Unsupported("selectattr")
    test = _TESTED[shape[1]]
    if shape[2] is GIVEN:
        return (lambda value, given: [item for item in value
                                      if test(_field_of(item, key), given[0])]), True
    wanted = shape[2]
    return (lambda value, _: [item for item in value
                              if test(_field_of(item, key), wanted)]), True


FILTERS: dict[str, Callable[[tuple[Any, ...], dict[str, Any]], _Built]] = {
    "sum": _sum, "length": _length, "count": _length, "list": _as_list, "map": _map,
    "selectattr": _selectattr, "default": _default, "d": _default,
}
__all__ = ["FILTERS", "GIVEN", "Fallback", "Unsupported"]
