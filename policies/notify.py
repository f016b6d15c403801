"""Alerts from `assay check`: one message per control whose verdict a pack's ``notify:`` asks for.

A pack's ``notify`` block names a webhook (``{"text": ...}`` JSON, which Slack and Teams incoming
webhooks accept) and/or a file that gets one JSON line per alert. Without a webhook nothing leaves
the machine. Every delivery is written to the audit log (``alert_delivered`` / ``alert_failed``
with the error: a timeout, a refused connection, a non-2xx status); a failure is also printed,
never dropped silently.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from audits.store.catalog import Catalog
from audits.store.queries.alerts import record_delivery


@dataclass
class Delivery:
    """One alert on one channel: where it went, whether it arrived, and why not."""

    pack: str
    control_id: str
    channel: str          # webhook | file
    target: str
    delivered: bool
    error: str | None = None


def message(item: Any, run: dict[str, Any]) -> str:
    """The alert text: verdict, pack/control, run, audit and period, title, the value and why."""
    value = "" if item.value is None else f" value {item.value:.4g} {item.threshold or ''}".rstrip()
    detail = f" — {item.detail}" if item.detail else ""
    return (f"Assay: {item.status.upper()} {item.pack}/{item.control_id} on run {run['run_id']} "
            f"({run.get('audit')} {run.get('period')}): {item.title}{value}{detail}")


def shown_target(channel: str, target: str) -> str:
    """``target`` as it may be logged and printed: a webhook URL's path and query are its secret (anyone
    holding a Slack or Teams incoming-webhook URL can post to the channel), so only its scheme and host
    are kept, with a short SHA-256 of the whole URL to tell two apart; a file path is shown as it is."""
    if channel != "webhook":
        return target
    import hashlib
    from urllib.parse import urlsplit

    digest = hashlib.sha256(target.encode("utf-8")).hexdigest()[:12]
    try:
        parts = urlsplit(target)
        host = parts.hostname or ""
    except ValueError:  # e.g. http://[bad: shown without its host, never echoed whole
        return f"malformed URL (sha256 {digest})"
    return f"{parts.scheme}://{host}/… (sha256 {digest})"


def post_webhook(url: str, text: str, timeout_s: float) -> str | None:
    """POST ``{"text": text}``; None when the server answered 2xx, else the error in words. ``timeout_s``
    bounds the whole delivery: a server that answers a byte at a time (each read inside urllib's
    per-read timeout) held ``assay check`` for minutes; past the deadline it is a timed-out delivery."""
    import threading

    outcome: list[str | None] = []
    worker = threading.Thread(target=lambda: outcome.append(_post(url, text, timeout_s)), daemon=True)
    worker.start()
    worker.join(timeout_s)
    return outcome[0] if outcome else f"timed out after {timeout_s:g}s"


def _post(url: str, text: str, timeout_s: float) -> str | None:
    body = json.dumps({"text": text}).encode("utf-8")
    try:
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - the pack's own URL
            status = response.status
    except urllib.error.HTTPError as err:
        return f"HTTP {err.code}"
    except TimeoutError:
        return f"timed out after {timeout_s:g}s"
    except ValueError as err:  # a URL the pack's pattern admits but urllib cannot parse (http://[bad, a port > 65535)
        return f"not delivered: the URL is malformed ({err})"
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        return f"timed out after {timeout_s:g}s" if "timed out" in str(reason) else f"not delivered: {reason}"
    return None if 200 <= status < 300 else f"HTTP {status}"


def _append_line(path: str, record: dict[str, Any]) -> str | None:
    try:
        target = Path(path).expanduser()
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    except OSError as err:
        return f"cannot write {path}: {err.strerror or err}"
    return None


def send_alerts(cat: Catalog, checklist: Any, packs: list[Any], run: dict[str, Any], actor: str) -> list[Delivery]:
    """Send one alert per (pack, control) whose status the pack's ``notify.on`` lists, on each channel."""
    out: list[Delivery] = []
    by_name = {p.name: p for p in packs}
    for item in checklist.items:
        pack = by_name.get(item.pack)
        notify = getattr(pack, "notify", None)
        if notify is None or item.status not in notify.on:
            continue
        text = message(item, run)
        record = {"at": datetime.now(timezone.utc).isoformat(), "run_id": run["run_id"], "pack": item.pack,
                  "control_id": item.control_id, "status": item.status, "text": text}
        channels = [("webhook", notify.webhook), ("file", notify.file)]
        for channel, target in channels:
            if not target:
                continue
            error = post_webhook(target, text, notify.timeout_s) if channel == "webhook" else _append_line(target, record)
            shown = shown_target(channel, target)  # never the webhook's secret path in the log or on screen
            delivery = Delivery(item.pack, item.control_id, channel, shown, error is None, error)
            record_delivery(cat, actor, delivery.delivered, f"{run['run_id']}/{item.pack}/{item.control_id}",
                            {"channel": channel, "target": shown, "status": item.status, "error": error})
            if error:
                print(f"assay: alert for {item.pack}/{item.control_id} not delivered to {channel} {shown}: {error} "
                      "(logged in the audit log)", file=sys.stderr)
            out.append(delivery)
    return out
