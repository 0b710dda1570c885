"""Record events: what happened to a record, reported by the records service to its event
sink (the rules engine) inside the transaction. Owned by records: the rules implement
``EventSink``; records never import the rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from core.records.actor import Actor


@dataclass(frozen=True)
class RecordEvent:
    """A change, transition, timer or named event of one record."""

    kind: str
    entity: str
    record: Mapping[str, Any]
    actor: Actor
    old: Mapping[str, Any] | None = None
    changed: frozenset[str] = field(default_factory=frozenset)
    transition: str | None = None
    timer: str | None = None
    name: str | None = None
    rule: str | None = None
    # The connection's record-write mark (core.records.write_marks) when ``record`` was read:
    # while it is unchanged, rules use ``record`` (with its lines) instead of reading it again.
    write_mark: int | None = None


class EventSink(Protocol):
    """Where the records service reports changes (the rules engine), inside its transaction."""

    def transition_for(self, connection: Connection, actor: Actor, entity: str,
                       old: Mapping[str, Any] | None, new: Mapping[str, Any],
                       requested: str | None = None) -> str | None:
        """The transition a change of state makes (refusing illegal ones), or None."""
        ...

    def emit(self, connection: Connection, event: RecordEvent) -> bool:
        """Run the rules ``event`` fires (True if any action ran); an exception rolls back."""
        ...


class EventRelay:
    """The records service's end of its event sink, made with the service: the rules
    engine, which needs the service to be built, attaches to it afterwards (one sink)."""

    def __init__(self) -> None:
        self.sink: EventSink | None = None

    def attach(self, sink: EventSink) -> None:
        """Report the service's events to ``sink`` from now on."""
        if self.sink is not None and self.sink is not sink:
            raise RuntimeError("the records service's events go to a sink already")
        self.sink = sink

    def transition_for(self, connection: Connection, actor: Actor, entity: str,
                       old: Mapping[str, Any] | None, new: Mapping[str, Any],
                       requested: str | None = None) -> str | None:
        """The attached sink's answer; None without one."""
        if self.sink is None:
            return None
        return self.sink.transition_for(connection, actor, entity, old, new, requested)

    def emit(self, connection: Connection, event: RecordEvent) -> bool:
        """The attached sink's run of ``event``; False (nothing ran) without one."""
        return self.sink is not None and self.sink.emit(connection, event)
