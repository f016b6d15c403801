"""The audit log of one run as readable lines for the report: when, who, what act, on what.

Each entry's JSON details (which the log's hash covers, kept as they are in the catalog and
``assay log``) are read for the few words a reader needs: the decision of a sign-off, the control
and status of an attestation, the label of a review, the format and SHA-256 prefix of an export."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from audits.jsontypes import JsonObject
from reports.glossary import act

MAX_LINES = 80   # the newest entries of a run; the rest are counted and `assay log` prints them all
COLUMNS = ["when", "who", "act", "on what"]


def _details(raw: object) -> JsonObject:
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _short(digest: object) -> str:
    return str(digest)[:12] if digest else ""


def act_text(action: str, details: JsonObject) -> str:
    """The act in words with what the details add, e.g. 'signed off the run: approve',
    'attested a manual control: INT-REL-1 of internal-llm, attested', 'exported the report as pdf'."""
    words = act(action)
    extra = ""
    if action == "policy.signoff":
        extra = str(details.get("decision") or "")
    elif action == "policy.attest":
        control = " of ".join(str(x) for x in (details.get("control"), details.get("pack")) if x)
        extra = ", ".join(x for x in (control, str(details.get("status") or "")) if x)
    elif action in ("review.label", "review.adjudicate"):
        extra = str(details.get("label") or "").replace("_", " ")
    elif action == "review.flag":
        extra = ", ".join(str(f).replace("_", " ") for f in details.get("flags") or [])
    elif action == "report.generated":
        kind = details.get("format") or "a file"
        words = f"exported the {'evidence pack' if kind == 'pack' else 'report'}" + \
            (f" as {kind}" if kind not in ("pack", "a file") else "")
        extra = f"SHA-256 {_short(details.get('sha256'))}" if details.get("sha256") else ""
    elif action.startswith("export.retraining"):
        extra = f"{details.get('records')} records, SHA-256 {_short(details.get('sha256'))}" \
            if details.get("records") is not None else ""
    elif action == "run.started":
        extra = " on ".join(str(x) for x in (details.get("model"), details.get("device")) if x)
    elif action == "run.completed":
        extra = f"manifest SHA-256 {_short(details.get('manifest_sha256'))}" if details.get("manifest_sha256") else ""
    elif action == "run.failed":
        extra = str(details.get("error") or "")[:120]
    return f"{words}: {extra}" if extra else words


def target_text(target: object, run_id: str) -> str:
    """'this run', or 'output bbq-gender / 17' for an entry about one sample of it."""
    text = str(target or "")
    if text == run_id:
        return "this run"
    if text.startswith(run_id + "/"):
        return "output " + " / ".join(text[len(run_id) + 1:].split("/", 1))
    return text or "—"


def when_text(ts: object) -> str:
    stamp = pd.Timestamp(ts) if ts is not None and not (isinstance(ts, float) and pd.isna(ts)) else None
    return stamp.strftime("%Y-%m-%d %H:%M:%S UTC") if stamp is not None and not pd.isna(stamp) else "—"


def run_log(entries: pd.DataFrame, run_id: str, limit: int = MAX_LINES) -> tuple[pd.DataFrame, int]:
    """The entries about ``run_id`` (the run itself, or one of its samples), oldest first, as
    (when, who, act, on what) rows: the newest ``limit`` of them, and how many were left out."""
    if entries is None or entries.empty:
        return pd.DataFrame(columns=COLUMNS), 0
    target = entries["target"].astype(str)
    mine = entries[(target == run_id) | target.str.startswith(run_id + "/")].sort_values("seq")
    left_out = max(0, len(mine) - limit)
    mine = mine.tail(limit)
    rows = [{"when": when_text(r["ts"]), "who": str(r["actor"]),
             "act": act_text(str(r["action"]), _details(r["details"])), "on what": target_text(r["target"], run_id)}
            for r in mine.to_dict("records")]
    return pd.DataFrame(rows, columns=COLUMNS), left_out
