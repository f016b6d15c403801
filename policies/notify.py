"""Alerts from `assay check`: one message per control whose verdict a pack's ``notify:`` asks for.

A pack's ``notify`` block names a webhook (``{"text": ..., "assay_alert_key": ...}`` JSON, which Slack
and Teams incoming webhooks accept) and/or a file that gets one JSON line per alert. Without a webhook
nothing leaves the machine.

**Exactly once.** Each alert has an idempotency key (``alert_key``: run, pack, control and a hash of
the verdict), sent in the body and as the ``Idempotency-Key`` header and written in every log entry.
Before a channel is tried the attempt is logged (``alert_attempt``); after it the outcome:
``alert_delivered``, ``alert_failed`` (certainly not received: refused, nothing sent, a non-2xx
answer) or ``alert_uncertain`` (the body was sent and no answer came in time: the receiver may have
it, and can dedupe on the key). A re-run of the check resends only what certainly failed; a delivered,
uncertain or interrupted one is not sent again (said on stderr and logged as ``alert_skipped``). A
failure is printed as well as logged, never dropped silently.
"""

from __future__ import annotations

import hashlib
import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypedDict

from audits.store.catalog import Catalog
from audits.store.queries.alerts import AlertDetails, claim, record_delivery, record_skip
from audits.store.records import RunRecord


@dataclass
class Delivery:
    """One alert on one channel: where it went, whether it arrived, and why not."""

    pack: str
    control_id: str
    channel: str          # webhook | file
    target: str
    delivered: bool
    error: str | None = None
    key: str = ""
    outcome: str = ""     # delivered | failed | uncertain | skipped (an earlier check delivered or may have)


class AlertLine(TypedDict):
    """One line of a pack's ``notify.file``: when, which run, pack and control, the verdict, the text, the key."""

    at: str
    run_id: str
    pack: str
    control_id: str
    status: str
    text: str
    key: str


def message(item: Any, run: RunRecord) -> str:
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


@dataclass(frozen=True)
class Sent:
    """What became of one webhook POST: ``error`` None when it answered 2xx; ``sent`` whether the whole
    request (headers and body) went out, so a receiver may hold it even when no answer came."""

    error: str | None
    sent: bool

    @property
    def outcome(self) -> str:
        """delivered, failed (certainly not received) or uncertain (sent, no answer in time)."""
        if self.error is None:
            return "delivered"
        return "uncertain" if self.sent and not self.error.startswith("HTTP ") else "failed"


def post_webhook(url: str, text: str, timeout_s: float) -> str | None:
    """POST ``{"text": text}``; None when the server answered 2xx, else the error in words."""
    return deliver_webhook(url, text, timeout_s).error


def deliver_webhook(url: str, text: str, timeout_s: float, key: str | None = None) -> Sent:
    """POST ``{"text": text, "assay_alert_key": key}`` (and the ``Idempotency-Key`` header). ``timeout_s``
    bounds the whole delivery: a server that answers a byte at a time (each read inside urllib's
    per-read timeout) held ``assay check`` for minutes; past the deadline it is a timed-out delivery."""
    import threading

    sent = threading.Event()
    outcome: list[str | None] = []
    worker = threading.Thread(target=lambda: outcome.append(_post(url, text, timeout_s, key, sent)), daemon=True)
    worker.start()
    worker.join(timeout_s)
    return Sent(outcome[0] if outcome else f"timed out after {timeout_s:g}s", sent.is_set())


def _opener(sent: Any) -> urllib.request.OpenerDirector:
    """urllib's opener whose HTTP(S) connections set ``sent`` once the request (headers and body) is out."""
    import http.client

    def tracked(base: type) -> type:
        class Connection(base):  # type: ignore[misc, valid-type]
            def request(self, *args: Any, **kwargs: Any) -> None:
                super().request(*args, **kwargs)
                sent.set()
        return Connection

    class Http(urllib.request.HTTPHandler):
        def http_open(self, req: Any) -> Any:
            return self.do_open(tracked(http.client.HTTPConnection), req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req: Any) -> Any:
            return self.do_open(tracked(http.client.HTTPSConnection), req, context=self._context)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None  # urllib would re-send a redirected POST as a GET without the body: a 200 with no alert

    return urllib.request.build_opener(Http, Https, NoRedirect)


def _post(url: str, text: str, timeout_s: float, key: str | None, sent: Any) -> str | None:
    payload: dict[str, str] = {"text": text}
    headers = {"Content-Type": "application/json"}
    if key:
        payload["assay_alert_key"] = key
        headers["Idempotency-Key"] = key
    body = json.dumps(payload).encode("utf-8")
    try:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        with _opener(sent).open(request, timeout=timeout_s) as response:  # noqa: S310 - the pack's own URL
            status = response.status
    except urllib.error.HTTPError as err:
        if 300 <= err.code < 400:
            return f"HTTP {err.code} (a redirect, not followed: put the URL it points to in the pack)"
        return f"HTTP {err.code}"
    except TimeoutError:
        return f"timed out after {timeout_s:g}s"
    except ValueError as err:  # a URL the pack's pattern admits but urllib cannot parse (http://[bad, a port > 65535)
        return f"not delivered: the URL is malformed ({err})"
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        return f"timed out after {timeout_s:g}s" if "timed out" in str(reason) else f"not delivered: {reason}"
    return None if 200 <= status < 300 else f"HTTP {status}"


def _append_line(path: str, record: AlertLine) -> str | None:
    try:
        target = Path(path).expanduser()
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    except OSError as err:
        return f"cannot write {path}: {err.strerror or err}"
    return None


def alert_key(run_id: str, item: Any) -> str:
    """The alert's idempotency key: SHA-256 (32 hex) of the run, pack, control and a hash of the verdict
    (status, value, bound, threshold, n), so a re-run of the same check is the same alert and a changed
    verdict is a new one."""
    verdict = json.dumps([item.status, item.value, getattr(item, "bound", None), item.threshold,
                          getattr(item, "n", None)], default=str)
    verdict_hash = hashlib.sha256(verdict.encode("utf-8")).hexdigest()
    return hashlib.sha256(json.dumps([run_id, item.pack, item.control_id, verdict_hash]).encode()).hexdigest()[:32]


_EARLIER = {"delivered": "already delivered", "uncertain": "delivery uncertain earlier (the receiver may have it)",
            "attempted": "an earlier attempt was interrupted (the receiver may have it)"}


def send_alerts(cat: Catalog, checklist: Any, packs: list[Any], run: RunRecord, actor: str) -> list[Delivery]:
    """Send one alert per (pack, control) whose status the pack's ``notify.on`` lists, on each channel,
    at most once per idempotency key and channel (see the module docstring)."""
    out: list[Delivery] = []
    by_name = {p.name: p for p in packs}
    for item in checklist.items:
        pack = by_name.get(item.pack)
        notify = getattr(pack, "notify", None)
        if notify is None or item.status not in notify.on:
            continue
        text = message(item, run)
        key = alert_key(run["run_id"], item)
        record = AlertLine(at=datetime.now(timezone.utc).isoformat(), run_id=run["run_id"], pack=item.pack,
                           control_id=item.control_id, status=item.status, text=text, key=key)
        log_target = f"{run['run_id']}/{item.pack}/{item.control_id}"
        for channel, target in (("webhook", notify.webhook), ("file", notify.file)):
            if not target:
                continue
            shown = shown_target(channel, target)  # never the webhook's secret path in the log or on screen
            details = AlertDetails(channel=channel, target=shown, status=item.status, key=key)
            earlier = claim(cat, actor, log_target, details)
            if earlier is not None:
                record_skip(cat, actor, log_target, AlertDetails(**details, earlier=earlier))
                print(f"assay: alert for {item.pack}/{item.control_id} not sent again to {channel} {shown}: "
                      f"{_EARLIER[earlier]} (key {key})", file=sys.stderr)
                out.append(Delivery(item.pack, item.control_id, channel, shown, earlier == "delivered", None, key,
                                    "skipped"))
                continue
            if channel == "webhook":
                result = deliver_webhook(target, text, notify.timeout_s, key)
                error, outcome = result.error, result.outcome
            else:
                error = _append_line(target, record)
                outcome = "failed" if error else "delivered"
            record_delivery(cat, actor, outcome, log_target, AlertDetails(**details, error=error))
            if outcome == "uncertain":
                print(f"assay: alert for {item.pack}/{item.control_id} may not have reached {channel} {shown}: "
                      f"{error} after it was sent — delivery uncertain, not resent on a re-run (key {key}; "
                      "logged in the audit log)", file=sys.stderr)
            elif error:
                print(f"assay: alert for {item.pack}/{item.control_id} not delivered to {channel} {shown}: {error} "
                      "(logged in the audit log)", file=sys.stderr)
            out.append(Delivery(item.pack, item.control_id, channel, shown, outcome == "delivered", error, key,
                                outcome))
    return out
