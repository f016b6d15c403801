"""The openai backend against a real local HTTP server (http.server in a thread)."""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from audits.backends.base import Request
from audits.backends.openai_compat import OpenAIBackend
from audits.config import ModelConfig
from audits.errors import AssayError


class ChatServer:
    """A chat-completions endpoint whose behaviour depends on the user message:
    ``fail500:<k>`` / ``busy429:<k>`` / ``slow:<k>`` misbehave on the first k calls, ``down`` always
    answers 503; anything else is echoed back after a short random delay."""

    def __init__(self):
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[dict, dict]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = body["messages"][-1]["content"]
                with server.lock:
                    server.calls[prompt] += 1
                    call = server.calls[prompt]
                    server.requests.append((dict(self.headers), body))
                if self.path != "/v1/chat/completions":
                    return self._reply(404, {"error": "not found"})
                kind, _, count = prompt.partition(":")
                first_calls = call <= int(count or 0)
                if kind == "down":
                    return self._reply(503, {"error": "overloaded"})
                if kind == "fail500" and first_calls:
                    return self._reply(500, {"error": "boom"})
                if kind == "busy429" and first_calls:
                    return self._reply(429, {"error": "slow down"}, {"Retry-After": "0"})
                if kind == "slow" and first_calls:
                    time.sleep(1.0)
                time.sleep(random.uniform(0, 0.03))
                self._reply(200, {"model": body["model"], "system_fingerprint": "fp-test",
                                  "choices": [{"message": {"role": "assistant", "content": f" echo {prompt} "}}]})

            def _reply(self, status, payload, headers=None):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = ChatServer()
    yield srv
    srv.close()


def _backend(base_url: str, **overrides) -> OpenAIBackend:
    options = dict(backend="openai", base_url=base_url, model_name="tiny-chat", api_key_env="ASSAY_TEST_KEY",
                   concurrency=8, timeout_s=5.0, max_retries=2, system_prompt="Be brief.", max_new_tokens=12)
    options.update(overrides)
    return OpenAIBackend(ModelConfig(**options), backoff_s=0.01)


def test_results_keep_request_order_under_concurrency(server, monkeypatch):
    monkeypatch.setenv("ASSAY_TEST_KEY", "sk-local-123")
    backend = _backend(server.base_url)
    requests = [Request(str(i), f"question {i}") for i in range(40)]
    assert backend.generate(requests) == [f"echo question {i}" for i in range(40)]
    headers, body = server.requests[0]
    assert headers["Authorization"] == "Bearer sk-local-123"
    assert body["model"] == "tiny-chat" and body["max_tokens"] == 12 and body["temperature"] == 0.0
    assert body["seed"] == 1234 and body["top_p"] == 1.0
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    ident = backend.identity()
    assert ident["served_model"] == "tiny-chat" and ident["system_fingerprint"] == "fp-test"


def test_no_authorization_header_without_a_key(server, monkeypatch):
    monkeypatch.delenv("ASSAY_TEST_KEY", raising=False)
    assert _backend(server.base_url).generate([Request("0", "hello")]) == ["echo hello"]
    assert "Authorization" not in server.requests[0][0]


@pytest.mark.parametrize("prompt", ["fail500:1", "busy429:2", "slow:1"])
def test_retries_after_500_429_and_timeout(server, prompt):
    backend = _backend(server.base_url, timeout_s=0.4)
    assert backend.generate([Request("0", prompt), Request("1", "fine")]) == [f"echo {prompt}", "echo fine"]
    assert server.calls[prompt] == int(prompt.split(":")[1]) + 1
    assert server.calls["fine"] == 1


def test_gives_up_after_the_retries(server):
    backend = _backend(server.base_url, max_retries=3)
    with pytest.raises(AssayError, match=r"failed after 4 attempt\(s\): HTTP 503.*server is running"):
        backend.generate([Request(str(i), "ok") for i in range(5)] + [Request("x", "down")])
    assert server.calls["down"] == 4


def test_unreachable_endpoint_and_client_errors(server):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(AssayError, match=r"failed after 2 attempt\(s\): Connect"):
        _backend(f"http://127.0.0.1:{port}/v1", max_retries=1).generate([Request("0", "hi")])
    with pytest.raises(AssayError, match="HTTP 404.*base_url"):  # wrong API root: not retried
        _backend(server.base_url.removesuffix("/v1")).generate([Request("0", "hi")])
    with pytest.raises(AssayError, match="model_name is not set"):
        _backend(server.base_url, model_name=None)


# ---------------------------------------------------------------------------------------------
# Log-likelihoods for choice tasks from the completions API (vLLM, SGLang, the OpenAI legacy API)

_TOKEN = re.compile(r"\s*\S+|\s+")


def _fake_logprob(token: str) -> float:
    """The test server's 'model': a deterministic log-probability per token."""
    return -(0.25 * len(token) + 0.1 * (sum(map(ord, token)) % 5))


def expected_loglikelihood(prompt: str, continuation: str) -> float:
    """What the server's numbers give for the continuation's tokens (those ending after the prompt)."""
    text, total, pos = prompt + continuation, 0.0, 0
    for tok in _TOKEN.findall(text):
        pos += len(tok)
        if pos > len(prompt):
            total += _fake_logprob(tok)
    return total


class CompletionsServer:
    """``/v1/completions`` in one of the modes real servers show: ``echo`` (echo + logprobs with
    text offsets), ``prompt_logprobs`` (vLLM's extension; echo answered 400), ``none`` (both
    answered 400, as servers without the feature do) or ``ignores`` (200 but no logprobs);
    ``/v1/chat/completions`` answers "yes" to everything."""

    def __init__(self, mode: str, fail_first: int = 0):
        self.mode, self.fail_first, self.bodies, self.lock = mode, fail_first, [], threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.bodies.append(body)
                    failing = len(server.bodies) <= server.fail_first
                if failing:
                    return self._reply(503, {"error": "warming up"})
                if self.path == "/v1/chat/completions":
                    return self._reply(200, {"choices": [{"message": {"content": "yes"}}]})
                self._reply(*server.complete(body))

            def _reply(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def complete(self, body: dict) -> tuple[int, dict]:
        text = body["prompt"]
        tokens = _TOKEN.findall(text)
        offsets = [sum(len(t) for t in tokens[:i]) for i in range(len(tokens))]
        values = [None] + [_fake_logprob(t) for t in tokens[1:]]
        wants_echo, wants_prompt = bool(body.get("echo")), "prompt_logprobs" in body
        choice: dict = {"text": " x", "index": 0, "finish_reason": "length"}
        if self.mode == "ignores":
            return 200, {"choices": [choice]}
        if wants_echo and self.mode == "echo":
            choice["logprobs"] = {"tokens": tokens + [" x"], "token_logprobs": values + [-0.5],
                                  "text_offset": offsets + [len(text)]}
            return 200, {"choices": [choice]}
        if wants_prompt and self.mode == "prompt_logprobs":
            choice["prompt_logprobs"] = [None] + [
                {str(1000 + i): {"logprob": v, "rank": 3, "decoded_token": t},
                 "7": {"logprob": -0.01, "rank": 1, "decoded_token": "@@"}}  # a top-1 alternative
                for i, (t, v) in enumerate(zip(tokens[1:], values[1:]))]
            return 200, {"choices": [choice]}
        feature = "echo" if wants_echo else "prompt_logprobs"
        return 400, {"error": {"message": f"{feature} is not supported", "type": "invalid_request_error"}}

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _choice_requests() -> list[Request]:
    prompts = [f"Applicant {i} has a steady income.\nShould the loan be approved? Answer yes or no.\nAnswer:"
               for i in range(12)]
    return [Request(str(i), p, continuation=c) for i, p in enumerate(prompts) for c in (" yes", " no")]


@pytest.mark.parametrize("mode", ["echo", "prompt_logprobs"])
def test_loglikelihood_from_the_servers_prompt_logprobs(mode):
    srv = CompletionsServer(mode, fail_first=1)  # the first request gets a 503: retried like generate
    try:
        backend = _backend(srv.base_url, concurrency=4)
        assert "loglikelihood" in backend.capabilities
        requests = _choice_requests()
        scores = backend.loglikelihood(requests)
        assert scores == pytest.approx([expected_loglikelihood(r.prompt, r.continuation) for r in requests], abs=1e-9)
        assert backend._logprobs_mode == mode  # auto found what the server offers
        body = srv.bodies[-1]
        assert body["max_tokens"] == 1 and body["temperature"] == 0.0 and body["model"] == "tiny-chat"
        assert (body.get("echo"), body.get("logprobs")) == ((True, 1) if mode == "echo" else (None, None))
    finally:
        srv.close()


def test_choice_task_scored_through_the_server():
    from audits.config import TaskConfig
    from audits.inference import infer_block
    import pandas as pd

    srv = CompletionsServer("echo")
    try:
        task = TaskConfig(name="loan", type="choice", dataset={"path": "unused.jsonl"}, choices=["yes", "no"])
        chunk = pd.DataFrame({"sample_id": ["a", "b"], "input": ["Approve? Answer:", "Deny it? Reply:"],
                              "choices": [["yes", "no"], ["yes", "no"]]})
        out = infer_block(_backend(srv.base_url), task, chunk)
        assert [len(lp) for lp in out["choice_logprobs"]] == [2, 2]
        assert all(p in ("yes", "no") for p in out["prediction"])
    finally:
        srv.close()


@pytest.mark.parametrize("mode", ["none", "ignores"])
def test_a_server_without_prompt_logprobs_names_the_missing_feature(mode):
    srv = CompletionsServer(mode)
    try:
        with pytest.raises(AssayError) as err:
            _backend(srv.base_url).loglikelihood(_choice_requests()[:2])
        message = str(err.value)
        assert "echo" in message and "prompt_logprobs" in message and "logprobs: off" in message
        assert "\n" not in message
    finally:
        srv.close()


def test_forced_mode_the_server_lacks_is_one_error():
    srv = CompletionsServer("echo")
    try:
        with pytest.raises(AssayError, match=r"does not support `prompt_logprobs`.*HTTP 400.*model.logprobs"):
            _backend(srv.base_url, logprobs="prompt_logprobs").loglikelihood(_choice_requests()[:1])
    finally:
        srv.close()


def test_logprobs_off_answers_choice_tasks_by_generation():
    from audits.config import TaskConfig
    from audits.inference import infer_block
    import pandas as pd

    srv = CompletionsServer("none")
    try:
        backend = _backend(srv.base_url, logprobs="off")
        assert backend.capabilities == frozenset({"generate"})
        task = TaskConfig(name="loan", type="choice", dataset={"path": "unused.jsonl"}, choices=["yes", "no"])
        chunk = pd.DataFrame({"sample_id": ["a"], "input": ["Approve?"], "choices": [["yes", "no"]]})
        out = infer_block(backend, task, chunk)
        assert out["prediction"].tolist() == ["yes"] and out["raw_output"].tolist() == ["yes"]
        assert all(b.get("messages") for b in srv.bodies)  # only chat requests were made
    finally:
        srv.close()
