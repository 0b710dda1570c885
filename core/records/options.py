"""The options of the records service: its tunables (``ServiceOptions``) and how one write
runs (``SaveOptions``)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.records.actor import Actor
from core.records.limits import DEFAULT_LIMITS, Limits


@dataclass(frozen=True)
class ServiceOptions:
    """Tunables of the records service."""

    count_limit: int = 10_000
    max_page_size: int = 1_000
    timezone: str = "Europe/Rome"  # whose "today" defaults and naming series use
    limits: Limits = DEFAULT_LIMITS  # lines per record, filter sizes, image pixels


@dataclass(frozen=True)
class SaveOptions:
    """The choices a caller makes about one create or update.

    ``validate_only``: run the steps that check the record (permission, defaults,
    conversion, validation, links, formulas, unique checks and the workflow's allowed moves)
    and return the record as it would be saved, or raise the ``RecordValidationError`` the
    save would; nothing is written, no naming number is taken, no rule runs, nothing is
    audited. ``trusted``: write as the engine itself (may set read-only fields and the
    fields the system fills), as an actor with ``Actor.trusted`` does.
    """

    validate_only: bool = False
    trusted: bool = False

    def actor(self, actor: Actor) -> Actor:
        """``actor`` as this write acts: trusted when the options say so."""
        return replace(actor, trusted=True) if self.trusted and not actor.trusted else actor


SAVE = SaveOptions()
VALIDATE_ONLY = SaveOptions(validate_only=True)
