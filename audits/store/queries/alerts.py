"""Alert deliveries in the audit log: every alert `assay check` sends (or fails to send) is an entry.

Each alert has an idempotency key (``policies.notify.alert_key``). Before a channel is tried,
``claim`` appends ``alert_attempt`` in the same write transaction that reads what the log already
holds for that key and channel, so two checks at once cannot both send; after it,
``record_delivery`` appends ``alert_delivered``, ``alert_failed`` (certainly not received: refused,
nothing sent, a non-2xx answer) or ``alert_uncertain`` (the body went out and no answer came: the
receiver may have it).
"""

from __future__ import annotations

import json
from typing import Any, Required, TypedDict

from audits.store.catalog import Catalog
from audits.store.queries import audit_log

OUTCOME_ACTIONS = {"delivered": "alert_delivered", "failed": "alert_failed", "uncertain": "alert_uncertain"}
_STATES = {"alert_attempt": "attempted", **{action: state for state, action in OUTCOME_ACTIONS.items()}}


class AlertDetails(TypedDict, total=False):
    """An alert entry's ``details``: the channel, its shown target (``policies.notify.shown_target``), the
    verdict's status and the idempotency key; an outcome adds ``error``, a skip the ``earlier`` state."""

    channel: Required[str]   # webhook | file
    target: Required[str]
    status: Required[str]
    key: Required[str]
    error: str | None
    earlier: str             # attempted | delivered | uncertain


class DeliveryEntry(TypedDict):
    """An alert outcome row of the audit log (``details`` as stored: :class:`AlertDetails` in JSON)."""

    actor: str
    action: str              # alert_delivered | alert_failed | alert_uncertain
    target: str              # run/pack/control
    details: str


def record_delivery(cat: Catalog, actor: str, delivered: bool | str, target: str, details: AlertDetails) -> None:
    """Append the outcome of one delivery (``delivered``: True/False, or 'delivered' / 'failed' /
    'uncertain') with the channel, control, key and error."""
    outcome = delivered if isinstance(delivered, str) else ("delivered" if delivered else "failed")
    with cat.connect(write=True) as con:
        audit_log.append(con, actor, OUTCOME_ACTIONS[outcome], target, details)


def _state(con: Any, target: str, key: str, channel: str, shown: str) -> str | None:
    """The latest state the log holds for one alert on one channel: attempted, delivered, failed,
    uncertain, or None."""
    rows = con.execute("SELECT action, details FROM audit_log WHERE target = ? AND action IN "
                       "('alert_attempt', 'alert_delivered', 'alert_failed', 'alert_uncertain') ORDER BY seq",
                       [target]).fetchall()
    state = None
    for action, details in rows:
        d = json.loads(details or "{}")
        if d.get("key") == key and d.get("channel") == channel and d.get("target") == shown:
            state = _STATES[action]
    return state


def claim(cat: Catalog, actor: str, target: str, details: AlertDetails) -> str | None:
    """Append ``alert_attempt`` for ``details['key']`` on its channel and target unless the log shows
    it delivered, possibly delivered (uncertain) or attempted without an outcome; returns that earlier
    state (then nothing is appended), or None when the caller may send (never tried, or failed)."""
    with cat.connect(write=True) as con:
        prior = _state(con, target, details["key"], details["channel"], details["target"])
        if prior in ("delivered", "uncertain", "attempted"):
            return prior
        audit_log.append(con, actor, "alert_attempt", target, details)
    return None


def deliveries(cat: Catalog, run_id: str) -> list[DeliveryEntry]:
    """The alert outcome entries of the audit log for one run, oldest first."""
    with cat.connect() as con:
        rows = con.execute("SELECT actor, action, target, details FROM audit_log WHERE action IN "
                           "('alert_delivered', 'alert_failed', 'alert_uncertain') AND target LIKE ? ORDER BY seq",
                           [f"{run_id}/%"]).fetchall()
    return [DeliveryEntry(actor=a, action=act, target=t, details=d) for a, act, t, d in rows]


def record_skip(cat: Catalog, actor: str, target: str, details: AlertDetails) -> None:
    """Append ``alert_skipped``: a re-run did not send an alert an earlier check delivered or may have."""
    with cat.connect(write=True) as con:
        audit_log.append(con, actor, "alert_skipped", target, details)


def alert_entries(cat: Catalog, run_id: str) -> list[tuple[str, AlertDetails]]:
    """Every alert entry of one run (attempts, outcomes, skips) as (action, details), oldest first."""
    with cat.connect() as con:
        rows = con.execute("SELECT action, details FROM audit_log WHERE action LIKE 'alert\\_%' ESCAPE '\\' "
                           "AND target LIKE ? ORDER BY seq", [f"{run_id}/%"]).fetchall()
    return [(action, json.loads(details or "{}")) for action, details in rows]
