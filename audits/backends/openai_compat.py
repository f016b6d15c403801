"""The ``openai`` backend: any OpenAI-compatible server (vLLM, TGI, SGLang, Ollama).

This is how Assay audits a model served by an inference engine. ``generate`` is one POST to
``{base_url}/chat/completions`` per request. ``loglikelihood`` (choice tasks) asks the
completions API for the log-probabilities of the prompt's own tokens, with the first of these
the server offers (``model.logprobs``):

* ``echo``: ``/completions`` with ``echo: true, logprobs: 1`` (the OpenAI legacy API; vLLM,
  SGLang); the continuation's tokens are found by their ``text_offset``;
* ``prompt_logprobs``: ``/completions`` with vLLM's ``prompt_logprobs: 0``;
* ``off``: no scoring; choice tasks are answered by generating text and matching it.

``auto`` (default) tries ``echo`` then ``prompt_logprobs`` on the first call and keeps the one
that works; a server with neither fails with a one-line error naming the missing feature. The
text scored is the raw prompt followed by the continuation (no chat template: the server's
completions API reads plain text, as lm-evaluation-harness's ``local-completions`` does), after
the system prompt and a blank line when one applies, as the hf backend reads plain text. A
task's ``system_prompt`` overrides the model's in both verbs ("" or null: none).

Requests run concurrently on a thread pool of ``model.concurrency``; 429, 5xx, connection errors
and timeouts are retried with exponential backoff and jitter (``model.max_retries``); results
come back in request order. Named ``openai_compat`` so that it never shadows the ``openai`` package.
"""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any

from audits.backends.base import BACKENDS, Backend, Request, system_prompt_for
from audits.errors import AssayError
from audits.jsontypes import JsonObject

_RETRY_STATUS = {408, 409, 425, 429} | set(range(500, 600))


@BACKENDS.register("openai")
class OpenAIBackend(Backend):
    """Chat completions over HTTP. ``backoff_s`` is the first retry delay (doubled each time)."""

    name = "openai"
    capabilities = frozenset({"generate", "loglikelihood"})  # per instance: no loglikelihood with logprobs: off
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
        self.completions_url = config.base_url.rstrip("/") + "/completions"
        self.capabilities = self.capabilities_for(config)
        self._logprobs_mode: str | None = None if config.logprobs == "auto" else config.logprobs
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(config.api_key_env or "", "") if config.api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        limits = httpx.Limits(max_connections=config.concurrency, max_keepalive_connections=config.concurrency)
        self._client = httpx.Client(headers=headers, timeout=config.timeout_s, limits=limits)
        self._served: JsonObject = {}  # what the server said answered
        self._lock = threading.Lock()

    @staticmethod
    def capabilities_for(config) -> frozenset[str]:
        """What an instance built from ``config`` can do (no log-likelihoods with ``logprobs: off``)."""
        off = getattr(config, "logprobs", "auto") == "off"
        return frozenset({"generate"}) if off else frozenset({"generate", "loglikelihood"})

    def _payload(self, prompt: str, system_prompt: str | None = None) -> JsonObject:
        messages = [{"role": "user", "content": prompt}]
        system = system_prompt_for(self.config, Request("", prompt, system_prompt=system_prompt))
        if system:
            messages.insert(0, {"role": "system", "content": system})
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

    def complete(self, prompt: str, system_prompt: str | None = None) -> str:
        """One chat completion, with retries. Raises AssayError when it cannot get an answer.
        ``system_prompt``: None for the model's, "" for none, else this text."""
        return self._parse(self._post(self.url, self._payload(prompt, system_prompt)))

    def _post(self, url: str, payload: JsonObject, *, reject: bool = True):
        """POST with retries; the 200 response, or (``reject=False``) the first client error's response."""
        import httpx

        attempts = self.config.max_retries + 1
        last = ""
        for attempt in range(attempts):
            response = None
            try:
                response = self._client.post(url, json=payload)
            except httpx.TimeoutException:
                last = f"timed out after {self.config.timeout_s:g} s"
            except httpx.TransportError as err:
                last = f"{type(err).__name__}: {err}"
            else:
                if response.status_code == 200:
                    return response
                if response.status_code not in _RETRY_STATUS:
                    if not reject:
                        return response
                    raise AssayError(f"{url} answered HTTP {response.status_code}: {response.text[:200]!r}",
                                     _fix_for(response.status_code, self.config.api_key_env))
                last = f"HTTP {response.status_code}"
            if attempt + 1 < attempts:
                time.sleep(self._delay(attempt, response))
        raise AssayError(f"endpoint {url} failed after {attempts} attempt(s): {last}",
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
        return self._map(lambda req: self.complete(req.prompt, req.system_prompt), requests, desc)

    def loglikelihood(self, requests: list[Request], *, desc: str = "score") -> list[float]:
        """log P(continuation | prompt) per request, from the server's prompt log-probabilities."""
        if "loglikelihood" not in self.capabilities:
            raise NotImplementedError("model.logprobs is 'off'")
        if requests and self._logprobs_mode is None:  # auto: find what the server offers, once
            first = requests[0]
            self._logprobs_mode = self._probe(self.scored_prompt(first), first.continuation or "")
        return self._map(lambda req: self._score(self.scored_prompt(req), req.continuation or "", self._logprobs_mode),
                         requests, desc)

    def scored_prompt(self, request: Request) -> str:
        """The plain text a continuation is scored after, as the hf backend reads it without a chat
        template: the system prompt (the task's, else the model's; none when "") and a blank line, then the prompt."""
        system = system_prompt_for(self.config, request)
        return f"{system}\n\n{request.prompt}" if system else request.prompt

    def count_tokens(self, texts: list[str]) -> list[int]:
        raise AssayError("normalize: tokens needs the model's tokenizer, which the openai backend does not have",
                         "set the task's normalize to bytes or none")

    def _map(self, fn, requests: list[Request], desc: str) -> list:
        """``fn`` over the requests on the thread pool, results in request order."""
        from tqdm.auto import tqdm

        out: list = [None] * len(requests)
        pool = ThreadPoolExecutor(max_workers=self.config.concurrency)
        try:
            with tqdm(total=len(requests), desc=desc, unit="sample") as bar:
                futures = {pool.submit(fn, req): i for i, req in enumerate(requests)}
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        out[futures[fut]] = fut.result()  # re-raises the first failure
                        bar.update(1)
        finally:  # on failure, drop queued requests instead of waiting for them
            pool.shutdown(wait=False, cancel_futures=True)
        return out

    # ------------------------------------------------------------------ log-probabilities
    def _probe(self, prompt: str, continuation: str) -> str:
        """The first prompt-log-probability API the server offers, or a one-line AssayError."""
        problems = []
        for mode in ("echo", "prompt_logprobs"):
            try:
                self._score(prompt, continuation, mode, probing=True)
                return mode
            except _Unsupported as err:
                problems.append(f"{mode}: {err}")
        raise AssayError(f"the server at {self.config.base_url} offers no prompt log-probabilities, which choice "
                         f"tasks need (completions API echo+logprobs, vLLM prompt_logprobs): {'; '.join(problems)}",
                         "serve the model with vLLM or SGLang (both offer them), or set model.logprobs: off "
                         "to answer choice tasks by generating text")

    def _score(self, prompt: str, continuation: str, mode: str, probing: bool = False) -> float:
        """log P(continuation | prompt) with one completions call; _Unsupported while probing."""
        try:
            return self._score_once(prompt, continuation, mode)
        except _Unsupported as err:
            if probing:
                raise
            feature = "`echo` with `logprobs`" if mode == "echo" else "`prompt_logprobs`"
            raise AssayError(f"the server at {self.config.base_url} does not support {feature} on its completions "
                             f"API ({err})", "set model.logprobs to auto, the other mode, or off") from None

    def _score_once(self, prompt: str, continuation: str, mode: str) -> float:
        text = prompt + continuation
        payload: JsonObject = {"model": self.config.model_name, "prompt": text, "max_tokens": 1,
                                   "temperature": 0.0, "seed": self.config.seed}
        if mode == "echo":
            payload.update({"echo": True, "logprobs": 1})
        else:
            payload["prompt_logprobs"] = 0
        response = self._post(self.completions_url, payload, reject=False)
        if response.status_code in (401, 403, 404):  # wrong key or URL: not a missing feature
            raise AssayError(f"{self.completions_url} answered HTTP {response.status_code}: {response.text[:200]!r}",
                             _fix_for(response.status_code, self.config.api_key_env))
        if response.status_code != 200:  # any other client error: the request's extra fields are not offered
            raise _Unsupported(f"HTTP {response.status_code} {response.text[:120]!r}")
        try:
            choice = response.json()["choices"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            raise _Unsupported(f"not a completion: {response.text[:120]!r}") from None
        tokens = _echo_tokens(choice, text) if mode == "echo" else _prompt_logprob_tokens(choice, text)
        if tokens is None:
            raise _Unsupported("the completions API answered without them")
        return _continuation_logprob(tokens, len(prompt), len(text))

    def identity(self) -> JsonObject:
        return {"backend": "openai", "base_url": self.config.base_url, "model": self.config.model_name,
                "served_model": self._served.get("model"), "system_fingerprint": self._served.get("system_fingerprint")}

    def close(self) -> None:
        self._client.close()


class _Unsupported(Exception):
    """The server does not offer this log-probability API (auto mode moves on to the next)."""


def _echo_tokens(choice: JsonObject, text: str) -> list[tuple[int, float | None]] | None:
    """(character offset, logprob) of each prompt token from an ``echo`` response, or None."""
    lp = choice.get("logprobs") or {}
    offsets, values = lp.get("text_offset"), lp.get("token_logprobs")
    if not offsets or not values or len(offsets) != len(values):
        return None
    tokens = [(int(o), v) for o, v in zip(offsets, values) if int(o) < len(text)]  # drop the generated token
    return tokens if tokens and tokens[0][0] == 0 else None  # no echo: the prompt's tokens are missing


def _prompt_logprob_tokens(choice: JsonObject, text: str) -> list[tuple[int, float | None]] | None:
    """(character offset, logprob) of each prompt token from vLLM's ``prompt_logprobs``, or None.

    Each entry maps token ids to ``{logprob, rank, decoded_token}`` and holds the prompt's own token
    (plus the top-k when k > 0); the first entry is None. Tokens are placed from the end of the
    text backwards, picking in each entry the token whose text ends there.
    """
    entries = choice.get("prompt_logprobs")
    if not entries or entries[0] is not None or len(entries) < 2:
        return None
    tokens: list[tuple[int, float | None]] = []
    end = len(text)
    for entry in reversed(entries[1:]):
        if not entry:
            return None
        infos = list(entry.values())
        match = [e for e in infos if (d := e.get("decoded_token") or "") and text[:end].endswith(d)]
        info = (match or infos)[0]
        end -= len(info.get("decoded_token") or "")
        tokens.append((max(end, 0), float(info["logprob"])))
    tokens.append((0, None))
    return tokens[::-1]


def _continuation_logprob(tokens: list[tuple[int, float | None]], ctx_chars: int, total_chars: int) -> float:
    """Sum of the logprobs of the tokens that end after the prompt (those that carry the continuation)."""
    total = 0.0
    for i, (start, value) in enumerate(tokens):
        end = tokens[i + 1][0] if i + 1 < len(tokens) else total_chars
        if end > ctx_chars:
            if value is None:
                raise AssayError("the server returned no log-probability for a continuation token",
                                 "check that the prompt is not empty")
            total += float(value)
    return total


def _fix_for(status: int, key_env: str | None) -> str:
    if status in (401, 403):
        return f"set a valid API key in the environment variable {key_env or 'OPENAI_API_KEY'}"
    if status == 404:
        return "check model.base_url (usually ends in /v1) and model.model_name"
    return "check the request settings (model.model_name, max_new_tokens, temperature) against the server"
