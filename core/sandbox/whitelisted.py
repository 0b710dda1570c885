"""``WhitelistedSandbox``: the bounded sandbox of a whitelisted policy (documents).

On top of the bounds of every sandbox it

- allows only the whitelisted attributes of plain values (``str.upper``, ``date.year``...,
  ``core.sandbox.policies``); views (record views) answer their fields through
  ``getattr``/``getitem`` and nothing else;
- keeps only the whitelisted filters and globals (no ``format``, ``center``, ``wordwrap``,
  ``safe``, ``lipsum``, ``cycler``, ``joiner``, ``dict``) and no ``callable`` test;
- refuses ``self``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.runtime import LoopContext
from jinja2.utils import Namespace

from core.sandbox.bounded import BoundedSandbox
from core.sandbox.policies import (
    DATE_ATTRIBUTES,
    DICT_METHODS,
    KEPT_FILTERS,
    KEPT_GLOBALS,
    LOOP_ATTRIBUTES,
    STRING_METHODS,
    TIME_ATTRIBUTES,
)


class WhitelistedSandbox(BoundedSandbox):
    """The bounded sandbox with whitelists; ``views`` are the classes whose instances answer
    attribute lookups themselves (through a ``lookup(name)`` method)."""

    def __init__(self, *, views: tuple[type, ...] = (), **options: Any):
        super().__init__(**options)
        self.last_source = ""  # the text last compiled, to show where an error happened
        self.views = views
        self.filters = {name: self.filters[name] for name in KEPT_FILTERS}
        self.globals = {name: self.globals[name] for name in KEPT_GLOBALS}
        self.tests.pop("callable", None)

    # -- attributes and items ---------------------------------------------------------------

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Only the whitelisted attributes of plain values (see the module's docstring)."""
        if attr.startswith("_"):
            return False
        if isinstance(obj, str):
            return attr in STRING_METHODS
        if isinstance(obj, dict):
            return attr in DICT_METHODS
        if isinstance(obj, dt.datetime):
            return attr in DATE_ATTRIBUTES | TIME_ATTRIBUTES
        if isinstance(obj, dt.date):
            return attr in DATE_ATTRIBUTES
        if isinstance(obj, LoopContext):
            return attr in LOOP_ATTRIBUTES
        return isinstance(obj, Namespace)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """A view's field, or a whitelisted attribute of a plain value."""
        if isinstance(obj, self.views):
            self.budget.tick()
            if attribute.startswith("_"):
                return self.unsafe_undefined(obj, attribute)
            return obj.lookup(attribute)
        if isinstance(obj, str) and attribute not in STRING_METHODS:
            return self.unsafe_undefined(obj, attribute)  # also format, which Jinja wraps
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """``record['field']`` as ``record.field``; items of lists and dicts as usual."""
        if isinstance(obj, self.views) and isinstance(argument, str):
            return self.getattr(obj, argument)
        return super().getitem(obj, argument)

    # -- compilation ------------------------------------------------------------------------

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse and bound (as every sandbox does), refusing ``self``."""
        self.last_source = source
        tree = super()._parse(source, name, filename)
        for node in tree.find_all(nodes.Name):
            if node.name == "self":
                raise TemplateSyntaxError("'self' is not available in documents",
                                          node.lineno, name, filename)
        return tree


__all__ = ["WhitelistedSandbox"]
