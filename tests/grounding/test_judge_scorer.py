"""The ``judge`` groundedness scorer against a local http.server speaking the OpenAI chat-completions
JSON (a fake of a server outside this machine): verdicts and spans from its JSON, temperature 0 and
the seed in every request, an unparsable reply counted as not scorable (never a pass), a server
that hangs or is down as one line, bad settings at prepare, and a run through run_audit."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from audits.errors import AssayError
from audits.grounding.scorers import build_scorer
from audits.grounding.scorers.judge import PROMPT_VERSION, SYSTEM, UNPARSABLE, parse_reply
from audits.runner import run_audit
from audits.scanners.groundedness import GroundednessOptions
from audits.store import bundle_reader
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q
from tests.grounding.test_scorers import POLICY, _bad, _config


class FakeJudge:
    """Judges like a careful model would on these rows: a claim standing in the context is supported
    (quoted as evidence), one naming '90 days' contradicted, others unsupported. An answer mentioning
    GARBLE gets prose, FENCE gets its JSON inside a markdown fence, SLEEP a reply after 3 s, TOOLONG
    HTTP 400 (context length exceeded), NOKEY HTTP 401."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.lock = threading.Lock()
        judge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with judge.lock:
                    judge.bodies.append(body)
                reply = judge.reply(body["messages"][-1]["content"])
                if "SLEEP" in reply:
                    time.sleep(3)
                if reply in ("TOOLONG", "NOKEY"):
                    data = json.dumps({"error": {"message": "context length exceeded" if reply == "TOOLONG" else "bad key"}})
                    self.send_response(400 if reply == "TOOLONG" else 401)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data.encode())
                    return
                data = json.dumps({"id": "x", "model": body["model"], "object": "chat.completion",
                                   "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}}]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data.encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @staticmethod
    def reply(message: str) -> str:
        context = message.split("<<<\n", 1)[1].split("\n>>>", 1)[0]
        claims = re.findall(r"^(\d+)\. (.*)$", message.split("CLAIMS OF THE ANSWER:\n", 1)[1], re.M)
        text = " ".join(c for _, c in claims)
        if "GARBLE" in text:
            return "The answer looks mostly fine to me."
        if "SLEEP" in text:
            return "SLEEP"
        if "TOOLONG" in text or "NOKEY" in text:
            return "TOOLONG" if "TOOLONG" in text else "NOKEY"
        out = []
        for k, claim in claims:
            if claim.rstrip(".") in context:
                out.append({"id": int(k), "verdict": "supported", "evidence": claim.rstrip(".")})
            elif "90 days" in claim:
                out.append({"id": int(k), "verdict": "Contradicted", "evidence": "within 30 days of purchase"})
            else:
                out.append({"id": int(k), "verdict": "unsupported", "evidence": ""})
        body = json.dumps({"claims": out})
        return f"```json\n{body}\n```" if "FENCE" in text else body

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = FakeJudge()
    yield srv
    srv.close()


def judge(base_url: str | None, **extra):
    return build_scorer(GroundednessOptions.model_validate(
        {"scorer": "judge", "judge": {"base_url": base_url, "model": "judge-7b", **extra}}))


def test_verdicts_spans_and_requests(server):
    rows = [("Refunds are available within 30 days of purchase. Our support office is in Dublin.", POLICY, "q1"),
            ("Refunds are available within 90 days. Our support office is in Paris.", POLICY, "q2"),
            ("I don't know.", POLICY, "q3"), ("Shipping is free.", "", "q4"),
            ("FENCE Shipping is free on orders over 50 euros.", POLICY, "q5")]
    out = judge(server.base_url).score(rows)
    assert [v.verdict for v in out] == ["grounded", "hallucinated", "abstained", "not scorable", "hallucinated"]
    assert [c.verdict for c in out[0].claims] == ["supported", "supported"] and out[0].groundedness == 1.0
    assert [c.verdict for c in out[1].claims] == ["contradicted", "unsupported"] and out[1].score == 1.0
    a, b = out[1].claims[0].span_start, out[1].claims[0].span_end
    assert POLICY[a:b] == "within 30 days of purchase"  # the judge's quote, found in the context
    assert POLICY[out[0].claims[1].span_start:out[0].claims[1].span_end] == "Our support office is in Dublin"
    assert [c.verdict for c in out[4].claims] == ["unsupported"]  # fenced JSON is read
    assert len(server.bodies) == 3  # one request per scorable answer; declined and empty-context rows cost nothing
    body = next(b for b in server.bodies if "QUESTION: q1" in b["messages"][1]["content"])  # concurrent: any order
    assert all(b["temperature"] == 0.0 and b["seed"] == 1234 for b in server.bodies)
    assert body["temperature"] == 0.0 and body["seed"] == 1234 and body["model"] == "judge-7b"
    assert body["messages"][0] == {"role": "system", "content": SYSTEM}
    assert "1. Refunds are available within 30 days of purchase.\n2. Our support office is in Dublin." in \
        body["messages"][1]["content"]


def test_an_unparsable_reply_is_not_scorable_never_a_pass(server):
    out = judge(server.base_url).score([("GARBLE Refunds are available within 30 days.", POLICY, "")])
    assert out[0].verdict == "not scorable" and out[0].reason == UNPARSABLE == "judge reply not parsable"
    assert out[0].hallucination is None and out[0].claims == []


def test_a_refused_request_is_that_row_not_scorable_a_wrong_key_fails_the_run(server):
    out = judge(server.base_url).score([("TOOLONG Refunds are available.", POLICY, ""),
                                        ("Our support office is in Dublin.", POLICY, "")])
    assert out[0].verdict == "not scorable" and out[0].reason == "judge refused the request (HTTP 400)"
    assert out[1].verdict == "grounded"
    with pytest.raises(AssayError) as err:
        judge(server.base_url).score([("NOKEY Refunds are available.", POLICY, "")])
    assert "\n" not in str(err.value) and "answered HTTP 401" in str(err.value)


def test_parse_reply_wants_one_valid_verdict_per_claim():
    ok = '{"claims": [{"id": 2, "verdict": "unsupported"}, {"id": 1, "verdict": " Supported ", "evidence": "x"}]}'
    assert parse_reply("Here you go: " + ok, 2) == [("supported", "x"), ("unsupported", "")]
    assert parse_reply(ok, 3) is None  # a claim left out
    assert parse_reply('{"claims": [{"id": 1, "verdict": "probably"}]}', 1) is None
    assert parse_reply('{"claims": [{"id": 1, "verdict": "supported"}, {"id": 1, "verdict": "supported"}]}', 2) is None
    assert parse_reply('{"verdicts": []}', 0) is None and parse_reply("", 1) is None and parse_reply("{oops}", 1) is None


def test_a_judge_that_hangs_fails_in_one_line_at_its_timeout(server):
    started = time.perf_counter()
    with pytest.raises(AssayError) as err:
        judge(server.base_url, timeout_s=0.5, max_retries=0).score([("SLEEP Refunds are available.", POLICY, "")])
    assert time.perf_counter() - started < 2.5
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"groundedness judge (judge-7b at {server.base_url}): endpoint ")
    assert "timed out after 0.5 s" in message and "scanners.groundedness.judge.timeout_s" in message


def test_a_judge_that_is_down_fails_in_one_line():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    with pytest.raises(AssayError) as err:
        judge(f"http://127.0.0.1:{port}/v1", max_retries=0).score([("Refunds are available.", POLICY, "")])
    assert "\n" not in str(err.value) and "ConnectError" in str(err.value)


def test_signature_names_host_model_and_prompt_version():
    sig = judge("http://judge.internal:8000/v1", seed=7).signature()
    assert sig == f"scorer:judge|host:judge.internal:8000|model:judge-7b|prompt:{PROMPT_VERSION}|temperature:0|seed:7"


def test_bad_judge_settings_fail_in_one_line_before_inference(tmp_path):
    assert _bad(tmp_path, {"scorer": "judge", "judge": {"model": "m"}}) == (
        "scanners.groundedness.judge.base_url is not set to an http(s) URL (got None) — set it to the judge "
        "server's API root, e.g. http://localhost:8000/v1")
    assert "base_url is not set to an http(s) URL (got 'localhost:8000')" in _bad(
        tmp_path, {"scorer": "judge", "judge": {"base_url": "localhost:8000", "model": "m"}})
    assert _bad(tmp_path, {"scorer": "judge", "judge": {"base_url": "http://x/v1"}}) == (
        "scanners.groundedness.judge.model is not set — set it to the model the judge server serves")
    assert "is 'judge' but scanners.groundedness.judge is not set" in _bad(tmp_path, {"scorer": "judge"})
    assert "unknown option 'scanners.groundedness.judge.temperature'" in _bad(
        tmp_path, {"scorer": "judge", "judge": {"base_url": "http://x/v1", "model": "m", "temperature": 1.0}})


def test_run_audit_with_the_judge_counts_unparsable_rows(tmp_path, server):
    rows = [("g1", "new", POLICY, "Refunds are available within 30 days of purchase."),
            ("h1", "loyal", POLICY, "Refunds are available within 90 days."),
            ("x1", "new", POLICY, "GARBLE Shipping is free."),
            ("a1", "loyal", POLICY, "I don't know.")]
    cat = Catalog(tmp_path / "cat.duckdb")
    config = _config(tmp_path, rows, {"scorer": "judge", "judge": {"base_url": server.base_url, "model": "judge-7b"}})
    run_id = run_audit(config, cat, actor="tester")
    task = runs_q.get_results(cat, run_id).task("support")
    hal = task.metrics["hallucination_rate"]
    assert hal.n == 2 and hal.value == 0.5 and "|scorer:judge|host:127.0.0.1:" in hal.signature
    block = task.groundedness
    assert block.not_scorable_reasons == {UNPARSABLE: 1} and block.n_not_scorable == 1 and block.n_scorable == 2
    assert block.detector["measured"] is False and block.detector["prompt_version"] == PROMPT_VERSION
    samples = bundle_reader.read_table(cat, run_id, "samples").set_index("sample_id")
    assert samples.loc["x1", "groundedness_verdict"] == "not scorable"
    assert samples.loc["x1", "groundedness_reason"] == UNPARSABLE
