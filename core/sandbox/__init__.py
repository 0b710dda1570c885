"""The Jinja sandbox of admin and pack content: formulas, rule expressions, notify and refuse
texts, mail and Word templates, each compiled by a sandbox of its named policy.

- ``limits``: the ``[sandbox]`` settings (``SandboxLimits``, ``use_limits``) and a render's
  ``Budget``; ``LimitExceeded`` when a template exceeds one;
- ``bounded``: ``BoundedSandbox``, Jinja's immutable sandbox bounding time, loops, value
  sizes and output (``tree`` rewrites templates for it, ``sizes`` estimates filter results);
- ``policies``: the named policies and the whitelists they share;
- ``whitelisted``: the sandbox of a whitelisted policy (documents);
- ``filters``: the Babel filters (dates, numbers, money) in a language and time zone;
- ``direct`` (with ``direct_filters``): expressions of the common shapes run as closures,
  handing every case they are not sure of back to the sandbox;
- ``factory``: ``sandbox_for(policy, locale, tz)`` and ``build_sandbox``, the only places
  a sandbox is made.
"""

from __future__ import annotations

from core.sandbox.bounded import BoundedSandbox
from core.sandbox.factory import build_sandbox, sandbox_for
from core.sandbox.filters import BabelFilters
from core.sandbox.limits import (
    DEFAULT_LIMITS,
    Budget,
    LimitExceeded,
    SandboxLimits,
    current_limits,
    reads_stored,
    use_limits,
    weight,
)
from core.sandbox.policies import (
    DOCUMENT,
    FORMULA,
    MAIL_HTML,
    MAIL_TEXT,
    NOTIFY_TEXT,
    RULE_EXPRESSION,
    SandboxPolicy,
)
from core.sandbox.tree import BOUNDED_FILTER, CONCAT_FILTER, LOOP_FILTER
from core.sandbox.whitelisted import WhitelistedSandbox

__all__ = ["BOUNDED_FILTER", "CONCAT_FILTER", "DEFAULT_LIMITS", "DOCUMENT", "FORMULA",
           "LOOP_FILTER", "MAIL_HTML", "MAIL_TEXT", "NOTIFY_TEXT", "RULE_EXPRESSION",
           "BabelFilters", "BoundedSandbox", "Budget", "LimitExceeded", "SandboxLimits",
           "SandboxPolicy", "WhitelistedSandbox", "build_sandbox", "current_limits",
           "reads_stored", "sandbox_for", "use_limits", "weight"]
