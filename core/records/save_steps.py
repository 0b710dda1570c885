"""The one sequence of steps every create and update of the records service runs, in order
(``STEPS``; an update skips naming, a new record has no stored one to find):

1. ``permission``: the actor may create, or update, records of the entity
   (``PermissionDenied``); an update names the version it starts from.
2. ``transaction``: the transaction opens (a read-only one to validate only); an update's
   stored record is found among the rows the actor may update (``NotFound`` outside
   them), locked.
3. ``values``: defaults, conversion, validation and links, field by field and line by
   line (``writing.prepare``).
4. ``formulas``: the computed fields, lines first.
5. ``unique_checks``: unique fields and groups; then the field errors found so far refuse
   the save (``RecordValidationError``).
6. ``workflow``: the workflow's allowed moves; a ``validate_only`` save ends here, with the
   record as it would be.
7. ``naming``: a new record's reference, drawn from its naming series.
8. ``write``: the row inserted, or its changed fields updated if its version is still the
   one read (``Conflict`` otherwise); an update that changes nothing ends here.
9. ``audit``: the record's audit rows (written before its lines' own, as they always were).
10. ``lines``: the child lines saved to equal the given lists; the record read back whole
    and kept for the rest of the transaction (``core.records.written``).
11. ``search_index``: the record's full-text index row refreshed, and those of the records
    whose search reads a changed field through a link to it (``core.records.fulltext``).
12. ``events``: the change reported to the event sink (the rules), inside the transaction.
13. ``reach``: the record saved must still fall within the rows the actor may write.

``run`` runs them on a ``Save`` and returns the record as its writer may read it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from core.i18n import _
from core.metadata.specs import EntitySpec
from core.records.access import check_reach
from core.records.actor import Actor
from core.records.audit import changed_fields, write_audit
from core.records.errors import RecordValidationError
from core.records.events import EventSink, RecordEvent
from core.records.fulltext import index_saved
from core.records.limits import check_version
from core.records.line_changes import lines_change
from core.records.lines import keep_lines, save_lines
from core.records.naming import next_ref
from core.records.options import SaveOptions
from core.records.pending import release
from core.records.pipeline import raise_errors, stale, would_be, write_changes, write_new
from core.records.reader import RecordReader
from core.records.scope import Scope
from core.records.write_context import Prepared, WriteContext
from core.records.write_marks import write_mark
from core.records.writing import (
    apply_computed,
    check_unique,
    formulas_read,
    prepare,
    stored_lines,
)
from core.records.written import (
    note_created,
    note_existing,
    recall,
    recall_lines,
    remember,
    written,
)
from core.storage.registry_store import Loaded


@dataclass
class Save:
    """One create (``key`` None) or update, as the steps carry it from one to the next."""

    reader: RecordReader
    sink: EventSink | None  # where the change is reported (None: no rules run)
    actor: Actor
    loaded: Loaded
    entity: EntitySpec
    data: Mapping[str, Any]
    options: SaveOptions
    connect: Callable[[], AbstractContextManager[Connection]]  # the transaction to write in
    context: Callable[[Connection], WriteContext]
    key: int | str | None = None  # the record an update changes
    version: int | None = None  # the version an update was given apart from ``data``
    transition_name: str | None = None  # the transition an update was asked to take
    # What the steps find, in order:
    stack: ExitStack = field(init=False)
    scope: Scope = field(init=False)
    expected: int = field(init=False)  # the version an update starts from
    conn: Connection = field(init=False)
    existing: Mapping[str, Any] | None = None  # an update's stored row
    before: dict[str, Any] | None = None  # the copy of it this transaction held before
    ctx: WriteContext = field(init=False)
    prepared: Prepared = field(init=False)
    checkable: bool = True  # the values converted without errors: formulas and unique next
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    transition: str | None = None
    standard: dict[str, Any] = field(default_factory=dict)  # a new record's ref and stamps
    record_id: int = 0
    whole: dict[str, Any] | None = None  # the record as written, lines included
    done: dict[str, Any] | None = None  # set by a step that ends the save early

    @property
    def new(self) -> bool:
        """Whether the save creates a record."""
        return self.key is None


def permission(save: Save) -> None:
    """The actor may create, or update, records of the entity; an update carries the
    version (in ``data`` or apart) of the record it changes."""
    save.scope = Scope(save.reader.policy, save.loaded, save.actor, save.entity,
                       "create" if save.new else "update")
    if save.new:
        return
    t = save.scope.translator
    expected = save.version if save.version is not None else save.data.get("version")
    if isinstance(expected, bool) or not isinstance(expected, int):
        raise RecordValidationError(t.gettext(_("An update must carry the version of the "
                                                "record it changes.")),
                                    {"version": [t.gettext(_("A value is required."))]})
    check_version(expected, t)
    save.expected = expected


def transaction(save: Save) -> None:
    """Open the transaction; for an update, find the stored record within the actor's rows
    (locked, unless validating only) and what this transaction already holds of it."""
    conn = save.conn = save.stack.enter_context(save.connect())
    if not save.new:
        release(conn, save.entity.name)  # values the rules hold back, written first
        find = save.reader.find if save.options.validate_only else save.reader.current
        existing = save.existing = find(conn, save.loaded, save.entity, save.actor,
                                        save.key, save.scope)
        save.before = recall(conn, save.entity.name, existing["id"], copy=False)
    ctx = save.ctx = save.context(conn)
    if save.existing is not None:
        record_id = save.existing["id"]
        for child, rows in (recall_lines(conn, save.entity.name, record_id) or {}).items():
            ctx.stored_cache[(child, record_id)] = rows


def values(save: Save) -> None:
    """Defaults, conversion, validation and links of the given values and lines; errors
    are collected in the write context."""
    ctx = save.ctx
    if not isinstance(save.data, Mapping):
        raise RecordValidationError(ctx.translator.gettext(
            _("Expected an object of field values.")))
    save.prepared = prepare(ctx, save.entity, save.data, save.existing,
                            locked=save.scope.access.locked, hidden=save.scope.access.hidden)
    save.checkable = not ctx.errors


def formulas(save: Save) -> None:
    """Compute the formula fields (reading the stored lines the formulas need)."""
    if not save.checkable:
        return
    entity, existing = save.entity, save.existing
    current: dict[str, Any] = {}
    read = formulas_read(entity)
    for spec in entity.table_fields:
        if spec.name in save.prepared.lines or spec.name not in read:
            continue  # stored lines matter only to the formulas that read them
        child = save.ctx.registry.entity(spec.target or "")
        current[spec.name] = ([] if existing is None else
                              list(stored_lines(save.ctx, child, existing["id"]).values()))
    apply_computed(save.ctx, entity, save.prepared, current)


def unique_checks(save: Save) -> None:
    """Check unique fields against the other records; then refuse the save if any step
    found field errors."""
    if save.checkable:
        check_unique(save.ctx, save.entity, save.prepared.values,
                     save.existing["id"] if save.existing else None)
    raise_errors(save.ctx, save.entity)


def workflow(save: Save) -> None:
    """The transition the change of state makes (a move the workflow forbids is refused);
    a save that only validates ends with the record as it would be."""
    existing = save.existing
    if existing is not None:
        save.changes = changed_fields(existing, save.prepared.values, save.entity)
    if save.sink is not None:
        save.transition = save.sink.transition_for(save.conn, save.actor, save.entity.name,
                                                   existing, save.prepared.values,
                                                   save.transition_name)
    if save.options.validate_only:
        if existing is not None and save.expected != existing["version"]:
            raise stale(save.scope.translator, existing, save.expected)
        save.done = would_be(save.prepared, existing)


def naming(save: Save) -> None:
    """A new record's reference from its naming series, and its creation stamps."""
    if not save.new:
        return
    ctx = save.ctx
    series = save.loaded.schema.system["officina_naming_series"]
    ref = next_ref(save.conn, series, save.entity.naming or "", ctx.today, save.entity.name)
    save.standard = {"ref": ref, "created_at": ctx.now, "created_by": save.actor.username,
                     "modified_at": ctx.now, "modified_by": save.actor.username,
                     "version": 1}


def write(save: Save) -> None:
    """Insert the new row, or update the changed fields of the stored version; an update
    that changes nothing (no field, line or state) writes nothing: no version, no audit."""
    ctx, entity, table = save.ctx, save.entity, save.loaded.schema.table(save.entity.name)
    if save.existing is None:
        save.record_id = write_new(save.conn, table, {**save.prepared.values, **save.standard},
                                   ctx, entity)
        return
    existing, expected = save.existing, save.expected
    save.record_id = existing["id"]
    if not save.changes and save.transition is None and not (
            save.prepared.lines and lines_change(ctx, entity, existing["id"], save.prepared)):
        if expected != existing["version"]:
            raise stale(ctx.translator, existing, expected)
        save.done = save.reader.result(save.conn, save.loaded, save.actor, entity,
                                       existing["id"],
                                       recall(save.conn, entity.name, existing["id"]))
        return
    result = write_changes(save.reader.statements, ctx, entity, table, existing, expected,
                           save.changes)
    if result.rowcount == 0:
        raise stale(ctx.translator, existing, expected)


def audit(save: Save) -> None:
    """The audit rows of the record's changed fields (all of a new record's values)."""
    changes = save.changes if not save.new else {
        k: (None, v) for k, v in save.prepared.values.items() if v is not None}
    write_audit(save.conn, save.loaded.schema.system["officina_audit"],
                username=save.actor.username, action="create" if save.new else "update",
                entity=save.entity.name, record_id=save.record_id, changes=changes,
                at=save.ctx.now, spec=save.entity)


def lines(save: Save) -> None:
    """Save the given child lines (each line audited); then read the record back whole and
    keep it, and the lines known, for the rest of the transaction."""
    ctx, entity, conn, prepared = save.ctx, save.entity, save.conn, save.prepared
    save_lines(ctx, entity, save.record_id, prepared, new=save.new)
    written(conn, save.loaded.registry, entity.name, save.record_id,
            titles=not save.new and entity.title_field in save.changes)
    if save.new:
        note_created(conn, entity.name, save.record_id)
        # A new record has the lines just written: none to read when none were given.
        known = {f.name: [] for f in entity.table_fields} \
            if not any(prepared.lines.values()) else None
    else:
        if not prepared.lines:  # the lines read for this write are still the stored ones
            keep_lines(ctx, entity, save.record_id)
        # Lines not written are as the copy before the write holds them, if there is one.
        before = save.before
        known = before if before is not None and not prepared.lines and all(
            f.name in before for f in entity.table_fields) else None
    whole = save.whole = save.reader.fetch(conn, save.loaded, entity, save.record_id, None,
                                           save.actor, lines_of=known)
    remember(conn, entity.name, whole)
    note_existing(conn, entity, whole)
    if save.new and known is not None:
        keep_lines(ctx, entity, save.record_id, known_empty=True)


def search_index(save: Save) -> None:
    """Refresh the full-text index rows the write changed, in its transaction."""
    index_saved(save.conn, save.loaded, save.entity, save.record_id,
                None if save.new else save.changes)


def events(save: Save) -> None:
    """Report ``created``, or ``updated`` (and ``transition``), to the sink; when its rules
    wrote, the record is taken as they left it (if this transaction knows it)."""
    if save.sink is None:
        return
    conn, whole, entity = save.conn, save.whole, save.entity.name
    fetched = write_mark(conn)
    if save.new:
        save.sink.emit(conn, RecordEvent("created", entity, whole, save.actor,
                                         changed=frozenset(save.prepared.values),
                                         write_mark=fetched))
    else:
        changed = frozenset(save.changes)
        save.sink.emit(conn, RecordEvent("updated", entity, whole, save.actor,
                                         old=save.existing, changed=changed,
                                         write_mark=fetched))
        if save.transition is not None:
            save.sink.emit(conn, RecordEvent("transition", entity, whole, save.actor,
                                             old=save.existing, changed=changed,
                                             transition=save.transition, write_mark=fetched))
    if write_mark(conn) != fetched:  # the rules wrote: as they left it, if known
        save.whole = recall(conn, entity, save.record_id)


def reach(save: Save) -> None:
    """The record saved must fall within the rows the actor may create, or update."""
    check_reach(save.conn, save.scope, save.record_id, "create" if save.new else "update")


STEPS: tuple[Callable[[Save], None], ...] = (
    permission, transaction, values, formulas, unique_checks, workflow, naming, write,
    audit, lines, search_index, events, reach)


def run(save: Save) -> dict[str, Any]:
    """Run ``STEPS`` on ``save`` in order, inside its transaction: the record saved as its
    writer may read it, or the record a step ended the save with."""
    with ExitStack() as stack:
        save.stack = stack
        for step in STEPS:
            step(save)
            if save.done is not None:
                return save.done
        return save.reader.result(save.conn, save.loaded, save.actor, save.entity,
                                  save.record_id, save.whole)
