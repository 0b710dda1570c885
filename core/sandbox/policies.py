"""The named sandbox policies: what each kind of admin content may do in Jinja.

Every template or expression an administrator or a pack writes is compiled by a sandbox
that ``core.sandbox.factory`` makes from one of these policies. They share the limits (the
``[sandbox]`` settings), the whitelists below and the Babel filters of
``core.sandbox.filters``; they differ only where their content does:

- ``FORMULA`` (``RULE_EXPRESSION`` is the same policy: both are compiled by
  ``core.metadata.expressions.compile_formula``): expressions computing a value; Jinja's
  filters and globals, no escaping, no formatting filters (a formula yields data);
- ``NOTIFY_TEXT``: notify and refuse texts, as formulas, with the Babel filters; a date,
  datetime or number they show is written in the reader's language and time zone;
- ``MAIL_TEXT`` and ``MAIL_HTML``: a mail's subject and text body, and its HTML body
  (autoescaped); trailing newlines kept; the Babel filters in the recipient's language and
  time zone, which also write every date and number shown;
- ``DOCUMENT``: Word templates; autoescaped XML, the Babel filters, only whitelisted
  attributes and a short list of filters and globals, no ``self``, and one budget for all
  the parts of a document under the document limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.sandbox.limits import Budget, SandboxLimits
from core.sandbox.tree import INTERNAL_FILTERS

# --- the whitelists of a whitelisted policy (documents) ----------------------------------

KEPT_FILTERS = ("abs", "capitalize", "count", "d", "default", "dictsort", "e", "escape",
                "first", "float", "groupby", "int", "items", "last", "length", "list",
                "lower", "map", "max", "min", "reject", "rejectattr", "reverse",
                "round", "select", "selectattr", "sort", "string", "striptags", "sum",
                "title", "trim", "truncate", "unique", "upper", "wordcount", "attr",
                "join", "replace", *INTERNAL_FILTERS)
KEPT_GLOBALS = ("range", "namespace")
STRING_METHODS = frozenset({
    "upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith",
    "endswith", "split", "splitlines", "isdigit", "isalpha", "isalnum", "isupper", "islower",
    "count", "find"})
DICT_METHODS = frozenset({"items", "keys", "values", "get"})
DATE_ATTRIBUTES = frozenset({"year", "month", "day", "weekday", "isoweekday", "isoformat"})
TIME_ATTRIBUTES = frozenset({"hour", "minute", "second"})
LOOP_ATTRIBUTES = frozenset({"index", "index0", "revindex", "revindex0", "first", "last",
                             "length", "previtem", "nextitem", "depth", "depth0", "cycle",
                             "changed"})


@dataclass(frozen=True)
class SandboxPolicy:
    """What one kind of content may do; the factory builds its sandbox from this."""

    name: str
    autoescape: bool = False
    keep_trailing_newline: bool = False
    formatting: bool = False  # the Babel filters (date, datetime, money, number, duration)
    formats_output: bool = False  # every ``{{ value }}`` shown in the language (dates, numbers)
    whitelisted: bool = False  # only the whitelisted attributes, filters and globals above
    shared_budget: bool = False  # one budget spans every render (a document's parts)
    cache_templates: bool = True  # keep the templates compiled from text (``from_string``)
    time_setting: str = "time_limit"  # the [sandbox] key bounding one budget's time
    output_setting: str = "max_output"  # the [sandbox] key bounding one render's output

    def budget(self, limits: SandboxLimits, time_limit: float | None = None) -> Budget:
        """A fresh budget under ``limits`` (``time_limit``: seconds instead of the policy's)."""
        return Budget(time_limit=time_limit or getattr(limits, self.time_setting),
                      max_output=getattr(limits, self.output_setting), limits=limits)


FORMULA = SandboxPolicy("formula")
RULE_EXPRESSION = FORMULA  # rule conditions and ``=`` values are formulas
NOTIFY_TEXT = SandboxPolicy("notify_text", formatting=True, formats_output=True)
MAIL_TEXT = SandboxPolicy("mail", keep_trailing_newline=True, formatting=True,
                          formats_output=True)
MAIL_HTML = SandboxPolicy("mail_html", autoescape=True, keep_trailing_newline=True,
                          formatting=True, formats_output=True)
DOCUMENT = SandboxPolicy("document", autoescape=True, formatting=True, whitelisted=True,
                         shared_budget=True, cache_templates=False,
                         time_setting="document_time_limit",
                         output_setting="max_document_output")
POLICIES = {policy.name: policy for policy in
            (FORMULA, NOTIFY_TEXT, MAIL_TEXT, MAIL_HTML, DOCUMENT)}


__all__ = ["DOCUMENT", "FORMULA", "MAIL_HTML", "MAIL_TEXT", "NOTIFY_TEXT", "POLICIES",
           "RULE_EXPRESSION", "SandboxPolicy"]
