"""The ``openai`` backend: any OpenAI-compatible chat endpoint (vLLM server, TGI, Ollama).

Each request is one POST to ``{base_url}/chat/completions``. Requests run concurrently on a
thread pool of ``model.concurrency``; 429, 5xx, connection errors and timeouts are retried with
exponential backoff and jitter (``model.max_retries``); results come back in request order.
Named ``openai_compat`` so that it never shadows the ``openai`` package.
"""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any

from audits.backends.base import BACKENDS, Backend, Request
from audits.errors import AssayError

_RETRY_STATUS = {408, 409, 425, 429} | set(range(500, 600))


@BACKENDS.register("openai")
class OpenAIBackend(Backend):
    """Chat completions over HTTP. ``backoff_s`` is the first retry delay (doubled each time)."""

    name = "openai"
    capabilities = frozenset({"generate"})
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0

    def __init__(self, config, *, backoff_s: float | None = None):
        super().__init__(config)
        import httpx

        if not config.base_url:
            raise AssayError("model.base_url is not set for the openai backend",
                             "set it to the server's API root, e.g. http://localhost:8000/v1")
        if not config.model_name:
            raise AssayError("model.model_name is not set for the openai backend",
                             "set it to the model the server serves (e.g. the vLLM --model value)")
        if backoff_s is not None:
            self.backoff_s = backoff_s
        self.url = config.base_url.rstrip("/") + "/chat/completions"
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(config.api_key_env or "", "") if config.api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        limits = httpx.Limits(max_connections=config.concurrency, max_keepalive_connections=config.concurrency)
        self._client = httpx.Client(headers=headers, timeout=config.timeout_s, limits=limits)
        self._served: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _payload(self, prompt: str) -> dict[str, Any]:
        messages = [{"role": "user", "content": prompt}]
        if self.config.system_prompt:
            messages.insert(0, {"role": "system", "content": self.config.system_prompt})
        return {"model": self.config.model_name, "messages": messages, "temperature": self.config.temperature,
                "top_p": self.config.top_p, "max_tokens": self.config.max_new_tokens, "seed": self.config.seed}

    def _delay(self, attempt: int, response=None) -> float:
        retry_after = response.headers.get("Retry-After") if response is not None else None
        if retry_after is not None:
            try:
                return min(max(float(retry_after), 0.0), self.max_backoff_s)
            except ValueError:
                pass
        base = min(self.backoff_s * (2 ** attempt), self.max_backoff_s)
        return base / 2 + random.uniform(0, base / 2)  # "equal jitter"

    def complete(self, prompt: str) -> str:
        """One chat completion, with retries. Raises AssayError when it cannot get an answer."""
        import httpx

        attempts = self.config.max_retries + 1
        last = ""
        for attempt in range(attempts):
            response = None
            try:
                response = self._client.post(self.url, json=self._payload(prompt))
            except httpx.TimeoutException:
                last = f"timed out after {self.config.timeout_s:g} s"
            except httpx.TransportError as err:
                last = f"{type(err).__name__}: {err}"
            else:
                if response.status_code == 200:
                    return self._parse(response)
                if response.status_code not in _RETRY_STATUS:
                    raise AssayError(f"{self.url} answered HTTP {response.status_code}: {response.text[:200]!r}",
                                     _fix_for(response.status_code, self.config.api_key_env))
                last = f"HTTP {response.status_code}"
            if attempt + 1 < attempts:
                time.sleep(self._delay(attempt, response))
        raise AssayError(f"endpoint {self.url} failed after {attempts} attempt(s): {last}",
                         "check that the server is running and model.base_url is right, "
                         "or raise model.timeout_s / model.max_retries")

    def _parse(self, response) -> str:
        try:
            body = response.json()
            content = body["choices"][0]["message"].get("content")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise AssayError(f"{self.url} returned a response that is not a chat completion: {response.text[:200]!r}",
                             "point model.base_url at an OpenAI-compatible API root (usually ending in /v1)") from None
        if not self._served:
            with self._lock:
                self._served = {k: body.get(k) for k in ("model", "system_fingerprint") if body.get(k)}
        return (content or "").strip()

    def generate(self, requests: list[Request], *, desc: str = "generate") -> list[str]:
        from tqdm.auto import tqdm

        out: list[str] = [""] * len(requests)
        pool = ThreadPoolExecutor(max_workers=self.config.concurrency)
        try:
            with tqdm(total=len(requests), desc=desc, unit="sample") as bar:
                futures = {pool.submit(self.complete, req.prompt): i for i, req in enumerate(requests)}
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        out[futures[fut]] = fut.result()  # re-raises the first failure
                        bar.update(1)
        finally:  # on failure, drop queued requests instead of waiting for them
            pool.shutdown(wait=False, cancel_futures=True)
        return out

    def identity(self) -> dict[str, Any]:
        return {"backend": "openai", "base_url": self.config.base_url, "model": self.config.model_name,
                "served_model": self._served.get("model"), "system_fingerprint": self._served.get("system_fingerprint")}

    def close(self) -> None:
        self._client.close()


def _fix_for(status: int, key_env: str | None) -> str:
    if status in (401, 403):
        return f"set a valid API key in the environment variable {key_env or 'OPENAI_API_KEY'}"
    if status == 404:
        return "check model.base_url (usually ends in /v1) and model.model_name"
    return "check the request settings (model.model_name, max_new_tokens, temperature) against the server"
