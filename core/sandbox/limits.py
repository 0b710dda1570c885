"""What one render of admin content may do: the ``[sandbox]`` limits and a render's budget.

The limits are the ``[sandbox]`` settings of officina.toml (``SandboxLimits.from_dict``),
installed once per process by ``use_limits``. The work a render or evaluation may do is a
``Budget``; past a limit it raises ``LimitExceeded``, whose message says which limit the
template exceeded and can be translated (``LimitExceeded.localised``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.utils import Namespace

from core.i18n import Translator, _


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


def too_big_error(limit: int) -> LimitExceeded:
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
        # Values this render read from storage (``reads_stored`` functions), by id, each held
        # so its id stays its own: they exist already, so a container holding one grows by a
        # reference, not by their size.
        self.stored: dict[int, Any] = {}

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


def weight(value: Any, limit: int | None = None,
           stored: Mapping[int, Any] | None = None) -> int:
    """Characters and items ``value`` holds (shared parts counted each time they appear),
    counted up to just past ``limit``; a container that holds itself weighs too much. A part
    found in ``stored`` (by identity) counts as one item: it was not built by the template."""
    limit = limit if limit is not None else current_limits().max_value_size
    total = 0
    stack: list[tuple[Any, tuple[int, ...]]] = [(value, ())]
    while stack:
        item, trail = stack.pop()
        if stored and stored.get(id(item)) is item:
            total += 1
        elif isinstance(item, str | bytes):
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




def reads_stored(function: Callable[..., Any]) -> Callable[..., Any]:
    """Mark ``function`` (a template global) as returning values read from storage, such as
    records: the sandbox does not weigh what it returns, and a container built around it
    counts it as one item. Its arguments, and whatever a template builds from its result,
    are bounded as usual."""
    function.officina_reads_stored = True  # type: ignore[attr-defined]
    return function


__all__ = ["DEFAULT_LIMITS", "Budget", "LimitExceeded", "SandboxLimits", "current_limits",
           "reads_stored", "too_big_error", "use_limits", "weight"]
