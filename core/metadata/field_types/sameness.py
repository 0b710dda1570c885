"""Whether two declarations are the same definition: the same type of a pack, loaded again.

Each instance loads a pack's ``hooks.py`` afresh, so the field type it returns is a new
object made of new functions (from a copy of the pack, perhaps); the second instance of a
process registers nothing, and needs to know that its type is the one already registered.
Two declarations are the same when their data are equal and their functions have the same
name, code, defaults and closed-over values; classes, when they have the same module and
name.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from typing import Any


def _same_function(a: types.FunctionType, b: types.FunctionType) -> bool:
    if a.__code__ != b.__code__:
        return False
    cells_a = [cell.cell_contents for cell in a.__closure__ or ()]
    cells_b = [cell.cell_contents for cell in b.__closure__ or ()]
    return (a.__qualname__ == b.__qualname__
            and same_definition(a.__defaults__, b.__defaults__)
            and same_definition(a.__kwdefaults__, b.__kwdefaults__)
            and same_definition(cells_a, cells_b))


def _same_class(a: type, b: type) -> bool:
    return (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def same_definition(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` declare the same thing (see the module's docstring)."""
    if a is b:
        return True
    if isinstance(a, type) and isinstance(b, type):
        return _same_class(a, b)
    if not _same_class(type(a), type(b)):
        return False
    if isinstance(a, types.FunctionType):
        return _same_function(a, b)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(same_definition(getattr(a, f.name), getattr(b, f.name))
                   for f in dataclasses.fields(a))
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(map(same_definition, a, b))
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(same_definition(a[k], b[k]) for k in a)
    return bool(a == b)
