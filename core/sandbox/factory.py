"""The one factory of sandboxes: every Jinja environment of admin content is made here.

``sandbox_for(policy, locale, tz)`` is the shared, cached sandbox of a policy (formulas, rule
expressions, notify texts, mail in one language and time zone); its compiled templates are
kept with it. ``build_sandbox`` makes a sandbox of its own, for a render that holds state
(a Word document: one budget for all its parts, the text last compiled, its formatter).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from core.sandbox.bounded import BoundedSandbox
from core.sandbox.filters import DEFAULT_TIMEZONE, BabelFilters
from core.sandbox.limits import Budget, SandboxLimits, current_limits
from core.sandbox.policies import SandboxPolicy
from core.sandbox.whitelisted import WhitelistedSandbox

DEFAULT_LOCALE = "en"


def build_sandbox(policy: SandboxPolicy, *, formatting: BabelFilters | None = None,
                  budget: Budget | None = None, finalize: Callable[[Any], Any] | None = None,
                  views: tuple[type, ...] = (), limits: SandboxLimits | None = None
                  ) -> BoundedSandbox:
    """A new sandbox of ``policy``; ``formatting`` gives its Babel filters (a formatting
    policy without it formats in English and the default time zone). A policy with a shared
    budget gets ``budget``, else a fresh one under its limits."""
    options: dict[str, Any] = {"policy": policy, "limits": limits, "finalize": finalize}
    if policy.shared_budget:
        options["budget"] = budget or policy.budget(limits or current_limits())
    elif budget is not None:
        options["budget"] = budget
    sandbox: BoundedSandbox
    if policy.whitelisted:
        sandbox = WhitelistedSandbox(views=views, **options)
    else:
        sandbox = BoundedSandbox(**options)
    if policy.formatting:
        formatting = formatting or BabelFilters(DEFAULT_LOCALE)
        sandbox.filters.update(formatting.as_filters())
        if policy.formats_output and finalize is None:
            sandbox.finalize = formatting.shown
    return sandbox


@lru_cache(maxsize=128)
def sandbox_for(policy: SandboxPolicy, locale: str | None = None,
                tz: str | None = None) -> BoundedSandbox:
    """The shared sandbox of ``policy`` (in ``locale`` and time zone ``tz``, for a policy that
    formats; ignored otherwise), made once and kept with its compiled templates."""
    if policy.shared_budget:
        raise ValueError(f"the {policy.name} policy keeps one budget per render: use "
                         "build_sandbox")
    if not policy.formatting:
        return _plain_sandbox(policy)
    return build_sandbox(policy, formatting=BabelFilters(locale or DEFAULT_LOCALE,
                                                         tz or DEFAULT_TIMEZONE))


@lru_cache(maxsize=16)
def _plain_sandbox(policy: SandboxPolicy) -> BoundedSandbox:
    return build_sandbox(policy)


__all__ = ["build_sandbox", "sandbox_for"]
