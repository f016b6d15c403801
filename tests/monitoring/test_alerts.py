"""Alerts: `assay check` posts exactly one alert per failing control to a local webhook, appends a
line per alert to a file, logs a delivery that timed out after it was sent as alert_uncertain; packs read trend and drift."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import yaml

from tests.conftest import run_cli
from tests.monitoring.conftest import log_config, run_config, write_log


class _Receiver:
    """A local webhook: records each POSTed JSON body; answers 200, or sleeps past the client's timeout."""

    def __init__(self, delay_s: float = 0.0, status: int = 200):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(json.loads(body))
                time.sleep(delay_s)
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):  # quiet
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    """Three quarterly runs of a log audit whose accuracy falls; the last one's inputs changed topic."""
    from audits.store.catalog import Catalog

    tmp = tmp_path_factory.mktemp("alerts")
    mp = pytest.MonkeyPatch()
    mp.setenv("ASSAY_KEY_DIR", str(tmp / "keys"))
    cat = Catalog(tmp / "c.duckdb")
    ids = []
    for i, (acc, topic, period) in enumerate([(0.9, "billing", "2026-Q2"), (0.75, "billing", "2026-Q3"),
                                              (0.6, "cooking", "2026-Q4")]):
        log = write_log(tmp / f"{period}.jsonl", 150, acc, seed=30 + i, topic=topic)
        ids.append(run_config(cat, log_config(tmp, log, period=period)))
    yield tmp, cat, ids
    mp.undo()


def _pack(tmp, name, controls, notify) -> str:
    body = {"name": name, "title": "Monitoring", "controls": [
        {"id": cid, "title": f"{cid} holds", "source": "internal", "owner": "compliance", "check": check}
        for cid, check in controls], "notify": notify}
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(body))
    return str(path)


def test_exactly_one_alert_per_failing_check_and_a_line_per_alert_in_the_file(audit):
    from audits.store.queries.alerts import deliveries

    tmp, cat, (_, _, q4) = audit
    hook = _Receiver()
    try:
        sink = tmp / "alerts.jsonl"
        pack = _pack(tmp, "monitor", [("EM-HIGH", "exact_match >= 0.95"), ("FB-HIGH", "feedback_positive_rate >= 0.99"),
                                      ("EM-SANE", "exact_match >= 0.1")], {"webhook": hook.url, "file": str(sink)})
        proc = run_cli("check", q4, "--policy", pack, catalog=cat.path)
        assert proc.returncode == 1, proc.stderr
        texts = sorted(r["text"] for r in hook.received)
        assert len(texts) == 2 and all(set(r) == {"text", "assay_alert_key"} for r in hook.received)
        assert texts[0].startswith(f"Assay: FAIL monitor/EM-HIGH on run {q4} (support-log 2026-Q4): EM-HIGH holds")
        assert texts[1].startswith(f"Assay: FAIL monitor/FB-HIGH on run {q4}")
        lines = [json.loads(x) for x in sink.read_text().splitlines()]
        assert sorted(x["control_id"] for x in lines) == ["EM-HIGH", "FB-HIGH"]
        logged = deliveries(cat, q4)
        assert sorted((d["action"], d["target"]) for d in logged) == sorted(
            [("alert_delivered", f"{q4}/monitor/EM-HIGH")] * 2 + [("alert_delivered", f"{q4}/monitor/FB-HIGH")] * 2)
    finally:
        hook.close()


def test_a_timed_out_webhook_is_logged_as_a_failed_delivery(audit):
    from audits.store.queries.alerts import deliveries

    tmp, cat, (_, q3, _) = audit
    slow = _Receiver(delay_s=3.0)
    broken = _Receiver(status=500)
    try:
        for hook, name in ((slow, "slow"), (broken, "broken")):
            pack = _pack(tmp, name, [("EM-HIGH", "exact_match >= 0.95")], {"webhook": hook.url, "timeout_s": 0.5})
            proc = run_cli("check", q3, "--policy", pack, catalog=cat.path)
            assert proc.returncode == 1
        logged = [d for d in deliveries(cat, q3)]
        assert [(d["action"], d["target"]) for d in logged] == [("alert_uncertain", f"{q3}/slow/EM-HIGH"),
                                                                 ("alert_failed", f"{q3}/broken/EM-HIGH")]
        errors = [json.loads(d["details"])["error"] for d in logged]
        assert errors == ["timed out after 0.5s", "HTTP 500"]
        assert len(slow.received) == 1 and len(broken.received) == 1
        assert "not delivered to webhook" in proc.stderr and "HTTP 500 (logged in the audit log)" in proc.stderr
    finally:
        slow.close()
        broken.close()


def test_packs_read_trend_slope_and_input_drift(audit):
    tmp, cat, (q2, q3, q4) = audit
    pack = _pack(tmp, "drifting", [("TREND", "trend.exact_match.slope_high >= -0.01"), ("DRIFT", "drift.inputs == 0")],
                 {"file": str(tmp / "drift-alerts.jsonl")})
    body = json.loads(run_cli("check", q4, "--policy", pack, "--json", catalog=cat.path).stdout)
    verdicts = {c["control_id"]: (c["verdict"], c["value"]) for c in body["controls"]}
    assert verdicts["TREND"][0] == "fail" and verdicts["TREND"][1] < -0.01
    assert verdicts["DRIFT"] == ("fail", 1.0)
    early = json.loads(run_cli("check", q3, "--policy", pack, "--json", catalog=cat.path).stdout)
    verdicts = {c["control_id"]: c["verdict"] for c in early["controls"]}
    assert verdicts == {"TREND": "no-data", "DRIFT": "pass"}  # two runs: no trend test yet; same topic: no drift


def test_notify_without_a_channel_is_refused_at_load(tmp_path):
    from audits.errors import AssayError
    from policies import load_pack

    pack = _pack(tmp_path, "quiet", [("EM", "exact_match >= 0.5")], {"on": ["fail"]})
    with pytest.raises(AssayError, match="give 'webhook' \\(an http\\(s\\) URL\\) and/or 'file'"):
        load_pack(pack)
    pack = _pack(tmp_path, "ftp", [("EM", "exact_match >= 0.5")], {"webhook": "ftp://example.org/x"})
    with pytest.raises(AssayError, match="invalid value at 'notify.webhook'"):
        load_pack(pack)
