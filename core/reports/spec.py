"""Report specifications: frozen forms of ``reports/*.yaml``, read from the packs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.metadata.diagnostics import Diagnostic, MetadataError
from core.metadata.loader import read_pack
from core.metadata.specs import Registry

FUNCTIONS = ("count", "sum", "avg", "min", "max")


@dataclass(frozen=True)
class Aggregate:
    """One aggregate of a report; ``label`` is its key in result rows."""

    function: str
    field: str | None
    label: str


@dataclass(frozen=True)
class DashboardSpec:
    """Where a report appears on home dashboards: for which roles, how and in what order."""

    roles: frozenset[str] = field(default_factory=frozenset)
    chart: str | None = None
    order: int = 100
    rows: int = 5

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DashboardSpec:
        """A dashboard entry from the report's ``dashboard`` key."""
        return cls(roles=frozenset(data.get("roles") or ()), chart=data.get("chart") or None,
                   order=int(data.get("order", 100)), rows=int(data.get("rows", 5)))


@dataclass(frozen=True)
class ReportSpec:
    """A report: filters, up to two group fields and aggregates over one entity."""

    name: str
    label: str
    entity: str
    description: str = ""
    filters: tuple[tuple[Any, ...], ...] = ()
    group_by: tuple[str, ...] = ()
    aggregates: tuple[Aggregate, ...] = ()
    columns: tuple[str, ...] = ()
    sort: str | None = None
    chart: str = "none"
    roles: frozenset[str] = field(default_factory=frozenset)
    pack: str = ""
    group_choices: tuple[str, ...] = ()
    dashboard: DashboardSpec | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], pack: str = "") -> ReportSpec:
        """A spec from a report document (checked later, when the report runs)."""
        aggregates = tuple(
            Aggregate(function=str(a.get("function", "")), field=a.get("field"),
                      label=str(a.get("label") or default_label(a.get("function", ""),
                                                                a.get("field"))))
            for a in data.get("aggregates") or [{"function": "count"}])
        return cls(name=str(data.get("name", "")), label=str(data.get("label", "")),
                   entity=str(data.get("entity", "")),
                   description=str(data.get("description", "")),
                   filters=tuple(tuple(f) if isinstance(f, list | tuple) else f
                                 for f in data.get("filters") or ()),
                   group_by=tuple(data.get("group_by") or ()), aggregates=aggregates,
                   columns=tuple(data.get("columns") or ()), sort=data.get("sort") or None,
                   chart=str(data.get("chart", "none")),
                   roles=frozenset(data.get("roles") or ()), pack=pack,
                   group_choices=tuple(data.get("group_choices") or ()),
                   dashboard=(DashboardSpec.from_dict(data["dashboard"])
                              if isinstance(data.get("dashboard"), Mapping) else None))

    def raw_filters(self) -> list[Any]:
        """The filters in the list form the filter parser reads."""
        return [list(f) if isinstance(f, tuple) else f for f in self.filters]


def default_label(function: str, field_name: str | None) -> str:
    """The key of an aggregate without a label: ``count``, ``sum_total``..."""
    return f"{function}_{field_name}" if field_name else str(function)


def load_reports(registry: Registry) -> dict[str, ReportSpec]:
    """Every report of the registry's packs by name; a later pack's report wins.

    Raises ``MetadataError`` when a report file does not read or fit its schema.
    """
    problems: list[Diagnostic] = []
    reports: dict[str, ReportSpec] = {}
    for pack in registry.packs:
        source = read_pack(Path(pack.path), problems)
        if source is None:
            continue
        for document in source.documents.get("report", []):
            spec = ReportSpec.from_dict(document.data, pack.name)
            reports[spec.name] = spec
    if problems:
        raise MetadataError(problems)
    return reports
