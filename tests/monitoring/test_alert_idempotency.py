"""Exactly once per failing check, across re-runs: a webhook that reads the body and then stalls past
the timeout is logged as a delivery *uncertain* (the key in the payload lets the receiver dedupe) and a
re-run of the check does not send it again; one that was delivered is not sent again either; one that
certainly failed (refused, nothing sent) is sent on the re-run; a changed verdict is a new alert."""

from __future__ import annotations

import json
import socket
import threading
import time

from policies import Checklist, ChecklistItem, load_pack
from policies.notify import alert_key, send_alerts
from policies.schema import Notify


class _Staller:
    """A local webhook that reads each whole request (headers and body), records the JSON body, then
    either stalls without answering (``stall_s``) or answers 200 at once."""

    def __init__(self, stall_s: float = 0.0, port: int = 0):
        self.bodies: list[dict] = []
        self.headers: list[bytes] = []
        self.stall_s = stall_s
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", port))
        self.server.listen(8)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            data = b""
            while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < self._length(data):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            self.headers.append(head)
            self.bodies.append(json.loads(body))
            if self.stall_s:
                time.sleep(self.stall_s)  # the body arrived; the answer never comes in time
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            conn.close()

    @staticmethod
    def _length(data: bytes) -> int:
        for line in data.partition(b"\r\n\r\n")[0].split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                return int(line.split(b":")[1])
        return 0

    def close(self) -> None:
        self.server.close()


def _check(url: str, value: float = 0.4, status: str = "fail"):
    pack = load_pack("internal-llm").model_copy(update={"notify": Notify(webhook=url, timeout_s=0.5)})
    item = ChecklistItem(pack=pack.name, control_id="ACC-1", title="accuracy", source="internal", owner="ml",
                         severity="high", kind="check", status=status, value=value, threshold=">= 0.85")
    return Checklist("r1", [pack.name], [item]), [pack], item


def _alert_entries(catalog) -> list[tuple[str, dict]]:
    from audits.store.queries.alerts import alert_entries

    return alert_entries(catalog, "r1")


def test_a_webhook_that_stalls_after_reading_the_body_is_uncertain_and_not_resent(catalog, capsys):
    hook = _Staller(stall_s=3.0)
    try:
        checklist, packs, item = _check(hook.url)
        [first] = send_alerts(catalog, checklist, packs, {"run_id": "r1"}, "ada")
        [again] = send_alerts(catalog, checklist, packs, {"run_id": "r1"}, "ada")  # the check re-run
        time.sleep(0.2)
    finally:
        hook.close()
    key = alert_key("r1", item)
    assert (first.outcome, first.error, first.key) == ("uncertain", "timed out after 0.5s", key)
    assert (again.outcome, again.delivered) == ("skipped", False)
    assert len(hook.bodies) == 1  # one alert reached the receiver, not two
    assert hook.bodies[0]["assay_alert_key"] == key and hook.bodies[0]["text"].startswith("Assay: FAIL internal-llm/ACC-1")
    assert f"idempotency-key: {key}".encode() in hook.headers[0].lower()
    logged = _alert_entries(catalog)
    assert [a for a, _ in logged] == ["alert_attempt", "alert_uncertain", "alert_skipped"]
    assert all(d["key"] == key for _, d in logged) and logged[2][1]["earlier"] == "uncertain"
    err = capsys.readouterr().err
    assert "delivery uncertain, not resent on a re-run" in err and f"(key {key})" in err
    assert "not sent again to webhook" in err


def test_a_delivered_alert_is_not_sent_again_and_a_changed_verdict_is_a_new_alert(catalog):
    hook = _Staller()
    try:
        checklist, packs, _ = _check(hook.url)
        outcomes = [d.outcome for _ in range(3) for d in send_alerts(catalog, checklist, packs, {"run_id": "r1"}, "ada")]
        worse, packs, _ = _check(hook.url, value=0.3)  # the same control, another verdict: a new alert
        [new] = send_alerts(catalog, worse, packs, {"run_id": "r1"}, "ada")
        time.sleep(0.2)
    finally:
        hook.close()
    assert outcomes == ["delivered", "skipped", "skipped"] and new.outcome == "delivered"
    assert len(hook.bodies) == 2 and hook.bodies[0]["assay_alert_key"] != hook.bodies[1]["assay_alert_key"]


def test_a_refused_delivery_is_certain_and_is_sent_on_the_re_run(catalog):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: connection refused, nothing sent
    checklist, packs, _ = _check(f"http://127.0.0.1:{port}/hook")
    [refused] = send_alerts(catalog, checklist, packs, {"run_id": "r1"}, "ada")
    assert refused.outcome == "failed" and refused.error.startswith("not delivered: ")
    hook = _Staller(port=port)  # the receiver is back: the re-run sends the alert that never arrived
    try:
        [later] = send_alerts(catalog, checklist, packs, {"run_id": "r1"}, "ada")
        [after] = send_alerts(catalog, checklist, packs, {"run_id": "r1"}, "ada")
        time.sleep(0.2)
    finally:
        hook.close()
    assert (later.outcome, after.outcome) == ("delivered", "skipped") and len(hook.bodies) == 1
    assert [a for a, _ in _alert_entries(catalog)] == ["alert_attempt", "alert_failed", "alert_attempt",
                                                        "alert_delivered", "alert_skipped"]


def test_a_redirecting_webhook_is_a_failed_delivery_not_a_get_that_answers_200(catalog):
    """urllib follows a 302 by sending a GET without the body; the new location's 200 was logged as
    delivered, though no alert was posted anywhere."""
    from http.server import BaseHTTPRequestHandler, HTTPServer

    posted: list[bytes] = []

    class Moved(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            posted.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(302)
            self.send_header("Location", "/new-hook")
            self.end_headers()

        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Moved)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        checklist, packs, _ = _check(f"http://127.0.0.1:{server.server_port}/old-hook")
        [moved] = send_alerts(catalog, checklist, packs, {"run_id": "r1"}, "ada")
    finally:
        server.shutdown()
        server.server_close()
    assert (moved.outcome, moved.delivered) == ("failed", False) and len(posted) == 1
    assert moved.error == "HTTP 302 (a redirect, not followed: put the URL it points to in the pack)"
    assert [a for a, _ in _alert_entries(catalog)] == ["alert_attempt", "alert_failed"]
