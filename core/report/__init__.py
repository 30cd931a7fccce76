"""Valuation reports: HDF5 files written live from engine events, read back, validated and exported."""

from core.report.errors import ReportError
from core.report.export import export_report
from core.report.format import FORMAT_NAME, FORMAT_VERSION
from core.report.reader import Report, SampleHistory, SplitValuation, ValuationSelection, open_report
from core.report.repair import repair_report
from core.report.summary import ALL_SPLITS, BestEpoch, best_epoch, write_phi_csv
from core.report.validate import validate_report
from core.report.writer import ReportWriter

__all__ = [
    "ALL_SPLITS",
    "BestEpoch",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "Report",
    "ReportError",
    "ReportWriter",
    "SampleHistory",
    "SplitValuation",
    "ValuationSelection",
    "best_epoch",
    "export_report",
    "open_report",
    "repair_report",
    "validate_report",
    "write_phi_csv",
]
