"""Reports: grouped aggregates over one entity's records, defined in packs."""

from core.reports.engine import (
    Aggregate,
    ReportColumn,
    ReportResult,
    ReportSpec,
    load_reports,
    run_report,
)

__all__ = ["Aggregate", "ReportColumn", "ReportResult", "ReportSpec", "load_reports",
           "run_report"]
