"""Alert deliveries in the audit log: every alert `assay check` sends (or fails to send) is an entry."""

from __future__ import annotations

from typing import Any

from audits.store.catalog import Catalog
from audits.store.queries import audit_log


def record_delivery(cat: Catalog, actor: str, delivered: bool, target: str, details: dict[str, Any]) -> None:
    """Append ``alert_delivered`` or ``alert_failed`` (with the channel, control and error) to the log."""
    with cat.connect(write=True) as con:
        audit_log.append(con, actor, "alert_delivered" if delivered else "alert_failed", target, details)


def deliveries(cat: Catalog, run_id: str) -> list[dict[str, Any]]:
    """The alert entries of the audit log for one run, oldest first."""
    with cat.connect() as con:
        rows = con.execute("SELECT actor, action, target, details FROM audit_log WHERE action IN "
                           "('alert_delivered', 'alert_failed') AND target LIKE ? ORDER BY seq", [f"{run_id}/%"]).df()
    return rows.to_dict("records")
