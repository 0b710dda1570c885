"""The rules engine: matches events with durable-rules and runs actions in the transaction.

The records service calls ``transition_for`` before a change of state and ``emit`` after every
write, with its connection. Actions that change records go back through the records service,
so a rule's change can fire further rules, up to ``max_depth`` (then the change is refused as
a loop). Every firing is logged in ``officina_rule_log``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from core.i18n import Translator, _
from core.i18n_metadata import MetadataTranslator
from core.metadata.specs import Registry
from core.metadata.workflow_specs import ActionSpec, StateMachineSpec, TransitionSpec
from core.records.actor import ADMIN_ROLE, Actor
from core.records.errors import PermissionDenied, RecordError, RecordValidationError
from core.records.events import RecordEvent
from core.records.pending import drop_all, release
from core.records.written import recall
from core.rules.actions import load_mail_template, run_action
from core.rules.compiler import GUARD_PREFIX, CompiledEntity, compile_entity
from core.rules.context import ActionContext, RuleActionError, load_calendar
from core.rules.facts import build_fact
from core.rules.host import RulesHost
from core.rules.lookups import LOOKUPS
from core.rules.mail import MailTemplate
from core.rules.registry_actions import ActionRegistry
from core.storage.tables import Schema

if TYPE_CHECKING:
    from core.records.service import RecordsService

_chain: ContextVar[tuple[str, ...]] = ContextVar("officina_rule_chain", default=())
# The rule log rows of the outermost ``emit`` running on a connection (in its ``info``),
# written in one statement when it ends; dropped with it when it fails.
PENDING_LOG = "officina_rule_log_pending"


class RuleLoopError(RecordError):
    """Rules kept firing each other past the depth limit."""

    code = "rule_loop"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Firing:
    """A rule that matched an event (for explain and dry runs)."""

    rule: str
    actions: tuple[ActionSpec, ...]
    location: str


@contextmanager
def acting_as(rule: str) -> Iterator[None]:
    """Run code as rule ``rule``: on the chain of rules (for the depth limit), and with
    failures other than record errors told as the rule's."""
    token = _chain.set((*_chain.get(), rule))
    try:
        yield
    except RecordError:
        raise
    except Exception as exc:
        raise RuleActionError(f"rule {rule} failed: {exc}") from exc
    finally:
        _chain.reset(token)


def may_fire(compiled: CompiledEntity, event: RecordEvent) -> bool:
    """Whether some rule of ``compiled`` has ``event``'s trigger (its kind, a field an update
    changed, its transition, timer, event or schedule): when none has, nothing is matched."""
    for rule in compiled.rules.values():
        if rule.trigger != event.kind or (rule.transition and rule.transition != event.transition) \
                or (rule.timer and rule.timer != event.timer) \
                or (rule.event and rule.event != event.name):
            continue
        if rule.trigger == "updated" and rule.fields and event.changed.isdisjoint(rule.fields):
            continue
        if rule.trigger == "schedule" and event.rule != rule.qualified_name:
            continue
        return True
    return False


class RulesEngine:
    """One per process: compiles workflows per registry version and runs them."""

    def __init__(self, records: RecordsService, host: RulesHost | None = None,
                 actions: ActionRegistry | None = None, max_depth: int = 8,
                 clock: Any = utcnow):
        self.records = records
        self.host = host or RulesHost()
        self.actions = actions or ActionRegistry()
        self.max_depth = max_depth
        self.clock = clock
        self._compiled: dict[int, dict[str, CompiledEntity]] = {}
        self._templates: dict[tuple[int, str], MailTemplate] = {}
        self._lock = threading.Lock()

    # -- compilation ------------------------------------------------------------------------

    def compiled(self, registry: Registry, entity: str) -> CompiledEntity:
        """The compiled rules of ``entity`` for this registry (registered on first use)."""
        key = id(registry)
        with self._lock:
            by_entity = self._compiled.get(key)
            if by_entity is None:
                by_entity = {name: compile_entity(spec, registry)
                             for name, spec in registry.entities.items() if not spec.is_child}
                for compiled in by_entity.values():
                    self.host.register(compiled.rulesets)
                self._compiled = {key: by_entity}  # keep only the registry in force
        return by_entity[entity]

    def mail_template(self, registry: Registry, name: str) -> MailTemplate:
        """A mail template of the packs, read once per registry."""
        key = (id(registry), name)
        if key not in self._templates:
            self._templates[key] = load_mail_template(registry, name)
        return self._templates[key]

    def _loaded(self) -> tuple[Registry, Schema]:
        loaded = self.records.registry.current()
        return loaded.registry, loaded.schema

    # -- matching ---------------------------------------------------------------------------

    def match(self, connection: Connection, event: RecordEvent,
              now: dt.datetime | None = None) -> list[str]:
        """Names of the rules (and guards) ``event`` satisfies."""
        registry, schema = self._loaded()
        compiled = self.compiled(registry, event.entity)
        if compiled.empty:
            return []
        fact = build_fact(connection, registry, schema, compiled.plan, event,
                          now or self.clock())
        return self.host.match(compiled.rulesets, fact)

    def firings(self, connection: Connection, event: RecordEvent) -> list[Firing]:
        """The rules ``event`` would fire, without running them."""
        registry, _schema = self._loaded()
        compiled = self.compiled(registry, event.entity)
        return [Firing(name, compiled.rules[name].actions, compiled.rules[name].location)
                for name in self.match(connection, event) if name in compiled.rules]

    # -- state machines ---------------------------------------------------------------------

    def transition_for(self, connection: Connection, actor: Actor, entity: str,
                       old: Mapping[str, Any] | None, new: Mapping[str, Any],
                       requested: str | None = None) -> str | None:
        """The transition a change of state makes; refuses moves the workflow forbids."""
        registry, _schema = self._loaded()
        machine = registry.state_machine(entity)
        if machine is None:
            return None
        t = Translator(actor.language)
        labels = MetadataTranslator(registry.packs, actor.language)
        state = new.get(machine.field, old.get(machine.field) if old else None)
        if old is None:
            if state not in (None, machine.initial):
                initial = labels.translate_option(None, machine.initial)
                raise RecordValidationError(
                    t.gettext(_("A new record starts in state \"{state}\"."), state=initial),
                    {machine.field: [t.gettext(_("Must be \"{state}\" when created."),
                                               state=initial)]})
            return None
        previous = old.get(machine.field)
        if state == previous and requested is None:
            return None
        candidates = machine.between(previous, state)
        if requested is not None:
            candidates = [c for c in candidates if c.name == requested]
        if not candidates:
            raise RecordValidationError(
                self._no_way(t, labels, machine, previous, state, requested),
                {machine.field: [t.gettext(_("Not allowed from \"{state}\"."),
                                           state=labels.translate_option(None, previous))]})
        refusals = []
        for candidate in candidates:
            if candidate.roles and not actor.is_admin and not (candidate.roles & actor.roles):
                refusals.append(PermissionDenied(t.gettext(
                    _("Only {roles} may \"{transition}\"."),
                    roles=", ".join(sorted(candidate.roles)),
                    transition=labels.gettext(candidate.label))))
                continue
            if candidate.guard is not None and not self._guard_holds(
                    connection, actor, entity, old, new, candidate):
                refusals.append(RecordValidationError(t.gettext(
                    _("\"{transition}\" is not possible yet: its conditions are not met."),
                    transition=labels.gettext(candidate.label))))
                continue
            return candidate.name
        raise refusals[0]

    @staticmethod
    def _no_way(t: Translator, labels: MetadataTranslator, machine: StateMachineSpec,
                source: Any, target: Any, requested: str | None) -> str:
        def state(value: Any) -> str:
            return labels.translate_option(None, value) if isinstance(value, str) else value

        allowed = [f"{labels.gettext(x.label)} (→ {state(x.target)})"
                   for x in machine.transitions if source in x.sources]
        if requested is not None and machine.transition(requested) is not None:
            return t.gettext(_("\"{transition}\" cannot start from \"{state}\"."),
                             transition=labels.gettext(machine.transition(requested).label),
                             state=state(source))
        return t.gettext(_("Cannot go from \"{source}\" to \"{target}\"; from \"{source}\" "
                           "the workflow allows: {allowed}."), source=state(source),
                         target=state(target), allowed=", ".join(allowed) or "—")

    def _guard_holds(self, connection: Connection, actor: Actor, entity: str,
                     old: Mapping[str, Any], new: Mapping[str, Any],
                     transition: TransitionSpec) -> bool:
        event = RecordEvent("guard", entity, {**old, **new}, actor, old=old,
                            changed=frozenset(k for k in new if new[k] != old.get(k)),
                            transition=transition.name)
        return any(name.startswith(GUARD_PREFIX) and name.endswith(f".{transition.name}")
                   for name in self.match(connection, event))

    # -- running ----------------------------------------------------------------------------

    def emit(self, connection: Connection, event: RecordEvent) -> bool:
        """Run every rule ``event`` fires (and the state machine's actions) in ``connection``.

        Returns whether any action ran (so the caller knows to read the record again). The
        firings are logged when the outermost ``emit`` on the connection ends, all at once.
        """
        outermost = PENDING_LOG not in connection.info
        if not outermost:
            return self._emit(connection, event)
        pending: list[dict[str, Any]] = []
        connection.info[PENDING_LOG] = pending
        connection.info[LOOKUPS] = {}
        log = self._loaded()[1].system["officina_rule_log"]
        try:
            ran = self._emit(connection, event)
            if pending:
                connection.execute(log.insert(), pending)
        finally:
            del connection.info[PENDING_LOG]
            connection.info.pop(LOOKUPS, None)
            drop_all(connection)  # nothing is left held unless the run failed
        return ran

    def _emit(self, connection: Connection, event: RecordEvent) -> bool:
        registry, schema = self._loaded()
        chain = _chain.get()
        if len(chain) >= self.max_depth:
            raise RuleLoopError(Translator(event.actor.language).gettext(
                _("Rules fire each other more than {depth} levels deep (a loop?): {chain}."),
                depth=self.max_depth, chain=" → ".join(chain)))
        now = self.clock()
        ran = False
        if event.kind == "transition":
            ran = self._state_actions(connection, registry, schema, event, now)
        compiled = self.compiled(registry, event.entity)
        if may_fire(compiled, event):
            for name in self.match(connection, event, now):
                rule = compiled.rules.get(name)
                if rule is not None:
                    calendar = registry.workflows[rule.workflow].calendar
                    self._run(connection, registry, schema, event, name, rule.actions, now,
                              calendar)
                    ran = True
        # The sets of this event's rules on its record, as one change.
        release(connection, event.entity, event.record.get("id"))
        return ran

    def write_held(self, ctx: ActionContext, values: dict[str, Any]) -> None:
        """Write the values the ``set`` actions of ``ctx``'s event held back for its record,
        as ``ctx``'s rule (the first that set one), as one update."""
        with acting_as(ctx.rule):
            entity, record_id = ctx.event.entity, ctx.event.record["id"]
            current = recall(ctx.connection, entity, record_id, copy=False) \
                or self.records.get(ctx.actor, entity, record_id, connection=ctx.connection)
            self.records.update(ctx.actor, entity, record_id, values,
                                version=current["version"], connection=ctx.connection)

    def _state_actions(self, connection: Connection, registry: Registry, schema: Schema,
                       event: RecordEvent, now: dt.datetime) -> bool:
        machine = registry.state_machine(event.entity)
        transition = machine.transition(event.transition or "") if machine else None
        if machine is None or transition is None:
            return False
        source = (event.old or {}).get(machine.field)
        steps = [(f"{event.entity}.leave.{source}", machine.on_leave.get(source, ())),
                 (f"{event.entity}.transition.{transition.name}", transition.actions),
                 (f"{event.entity}.enter.{transition.target}",
                  machine.on_enter.get(transition.target, ()))]
        workflow = next(w for w in registry.workflows_of(event.entity)
                        if w.state_machine is machine)
        ran = False
        for name, actions in steps:
            if actions:
                self._run(connection, registry, schema, event, name, actions, now,
                          workflow.calendar)
                ran = True
        return ran

    def _run(self, connection: Connection, registry: Registry, schema: Schema,
             event: RecordEvent, name: str, actions: tuple[ActionSpec, ...],
             now: dt.datetime, calendar: str | None) -> None:
        started = time.perf_counter()
        ctx = ActionContext(
            engine=self, records=self.records, timezone=self.records.options.timezone,
            connection=connection, registry=registry, schema=schema, event=event,
            rule=name, now=now, calendar=load_calendar(registry, calendar),
            actor=Actor(f"rule:{name}", frozenset({ADMIN_ROLE}), event.actor.language,
                        trusted=True))
        with acting_as(name):
            for action in actions:
                run_action(ctx, action)
        connection.info[PENDING_LOG].append({
            "at": now, "rule": name, "event": event.kind, "entity": event.entity,
            "record_id": event.record.get("id"), "username": event.actor.username,
            "result": "done", "duration_ms": (time.perf_counter() - started) * 1000})
