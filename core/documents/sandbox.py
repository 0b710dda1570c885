"""The Jinja2 sandbox documents render in: whitelisted attributes and filters, bounded work.

Every document template is compiled by a ``DocumentSandbox`` and nothing else. It is the
one sandbox policy of ``core.sandbox`` (bounded time, loops, value sizes and output, with
the ``[sandbox]`` settings' document limits), and on top of it

- allows only a short list of attributes of plain values (``str.upper``, ``date.year``...);
  record views answer their fields through ``getattr``/``getitem`` and nothing else;
- keeps only harmless filters and globals (no ``format``, ``center``, ``wordwrap``, ``safe``,
  ``lipsum``, ``cycler``, ``joiner``, ``dict``);
- refuses ``self``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.runtime import LoopContext
from jinja2.utils import Namespace

from core.sandbox import (
    BOUNDED_FILTER,
    CONCAT_FILTER,
    LOOP_FILTER,
    BoundedSandbox,
    Budget,
    LimitExceeded,
    current_limits,
    weight,
)

KEPT_FILTERS = ("abs", "capitalize", "count", "d", "default", "dictsort", "e", "escape",
                "first", "float", "groupby", "int", "items", "last", "length", "list",
                "lower", "map", "max", "min", "reject", "rejectattr", "reverse",
                "round", "select", "selectattr", "sort", "string", "striptags", "sum",
                "title", "trim", "truncate", "unique", "upper", "wordcount", "attr",
                "join", "replace", LOOP_FILTER, CONCAT_FILTER, BOUNDED_FILTER)
STRING_METHODS = frozenset({
    "upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith",
    "endswith", "split", "splitlines", "isdigit", "isalpha", "isalnum", "isupper", "islower",
    "count", "find"})
DATE_ATTRIBUTES = frozenset({"year", "month", "day", "weekday", "isoweekday", "isoformat"})
TIME_ATTRIBUTES = frozenset({"hour", "minute", "second"})
LOOP_ATTRIBUTES = frozenset({"index", "index0", "revindex", "revindex0", "first", "last",
                             "length", "previtem", "nextitem", "depth", "depth0", "cycle",
                             "changed"})


def document_budget(time_limit: float | None = None) -> Budget:
    """The budget of one document: the document limits of the ``[sandbox]`` settings."""
    limits = current_limits()
    return Budget(time_limit=time_limit or limits.document_time_limit,
                  max_output=limits.max_document_output, limits=limits)


class DocumentSandbox(BoundedSandbox):
    """The bounded sandbox with whitelists and one ``Budget`` for every part it renders.

    ``views`` are the classes whose instances answer attribute lookups themselves (through
    a ``lookup(name)`` method); ``finalize`` turns every printed value into text.
    """

    def __init__(self, budget: Budget | None = None, *, views: tuple[type, ...] = (),
                 finalize: Callable[[Any], Any] | None = None):
        super().__init__(budget=budget or document_budget(), autoescape=True,
                         finalize=finalize)
        self.last_source = ""  # the text last compiled, to show where an error happened
        self.views = views
        self.filters = {name: self.filters[name] for name in KEPT_FILTERS}
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


__all__ = ["Budget", "DocumentSandbox", "LimitExceeded", "document_budget", "weight"]
