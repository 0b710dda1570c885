"""Whether the child lines of an update would change what is stored (so a write that
changes nothing can be skipped: no new version, no audit, no event)."""

from __future__ import annotations

from core.metadata.specs import EntitySpec
from core.records.audit import changed_fields
from core.records.write_context import Prepared, WriteContext
from core.records.writing import stored_lines


def lines_change(ctx: WriteContext, entity: EntitySpec, parent_id: int,
                 prepared: Prepared) -> bool:
    """True when saving ``prepared``'s lines would add, remove, move or change a line of
    record ``parent_id`` (or of its lines, recursively)."""
    for name, lines in prepared.lines.items():
        spec = entity.field(name)
        child = ctx.registry.entity(spec.target or "") if spec is not None else None
        if child is None:
            return True
        stored = stored_lines(ctx, child, parent_id)
        if [line.line_id for line in lines] != list(stored):
            return True  # a new, removed or reordered line
        for line in lines:
            if changed_fields(line.current, line.values, child):
                return True
            if line.lines and line.line_id is not None \
                    and lines_change(ctx, child, line.line_id, line):
                return True
    return False
