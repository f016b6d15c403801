"""The openai backend against a real local HTTP server (http.server in a thread)."""

from __future__ import annotations

import json
import random
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
