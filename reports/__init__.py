"""Quarterly audit reports: PDF (reportlab), self-contained HTML (jinja2), CSV/Parquet tables.

Public API::

    build_pdf(cat, run_id, compare=None) -> bytes
    build_html(cat, run_id, compare=None) -> str
    tables(cat, run_id, compare=None) -> dict[str, DataFrame]
    save_report(cat, run_id, output, fmt=None, compare=None, actor="cli") -> list[(path, sha256)]

``compare=None`` compares with the previous run of the same audit; ``"none"`` disables it.
"""

from __future__ import annotations

from audits.store.catalog import Catalog
from reports.data import ReportData, collect, tables
from reports.document import SECTION_TITLES, build_document
from reports.export import save_report


def build_pdf(cat: Catalog, run_id: str, compare: str | None = None) -> bytes:
    """The report as PDF bytes (no audit-log entry; ``save_report`` logs what it writes)."""
    from reports.pdf import render_pdf

    return render_pdf(build_document(collect(cat, run_id, compare)))


def build_html(cat: Catalog, run_id: str, compare: str | None = None) -> str:
    """The report as one self-contained HTML page (charts embedded as base64 PNG)."""
    from reports.html import render_html

    return render_html(build_document(collect(cat, run_id, compare)))


__all__ = ["ReportData", "SECTION_TITLES", "build_document", "build_html", "build_pdf", "collect", "save_report",
           "tables"]
