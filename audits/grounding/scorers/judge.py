"""``scorer: judge``: a chat model behind an OpenAI-compatible server decides each claim.

Only when a user configures it (Assay calls no outside service by default). One chat completion
per answer through the ``openai`` backend's client (``audits.backends.openai_compat``: retries,
backoff, timeout, concurrency), at temperature 0 with a fixed seed. The prompt (version
``PROMPT_VERSION``) gives the context, the question and the answer's claims, numbered as
``claims.split_claims`` splits them, and asks for JSON only: one ``supported`` / ``unsupported`` /
``contradicted`` verdict per claim with a short quote of the context as evidence. A reply that is
not that JSON (not one valid verdict per claim) makes the row *not scorable* with the reason
``judge reply not parsable`` (counted by reason, out of the rates' n): never a silent pass. A
server that cannot be reached fails the run with one line at the first call (``timeout_s``); a
request the server refuses on its own (HTTP 400/413/422, e.g. a context over the judge's window)
makes that row not scorable (``judge refused the request (HTTP 400)``).

The signature records the server's host, the model and the prompt version.
"""

from __future__ import annotations

import json
import re
from functools import cached_property
from urllib.parse import urlparse

from pydantic import Field

from audits.config import ScannerOptions
from audits.errors import AssayError
from audits.grounding.claims import Claim
from audits.grounding.classifier import CONTRADICTED, SUPPORTED, UNSUPPORTED, ClaimVerdict, Verdict
from audits.grounding.scorers.base import (SCORERS, Row, Scorer, answer_verdict, not_scorable, ranked_spans, settle,
                                          triage)
from audits.grounding.signals import Source
from audits.jsontypes import JsonObject

PROMPT_VERSION = "judge-1"
UNPARSABLE = "judge reply not parsable"
_KEY = "scanners.groundedness.judge"
_VERDICTS = {SUPPORTED: SUPPORTED, UNSUPPORTED: UNSUPPORTED, CONTRADICTED: CONTRADICTED}
_ROW_REFUSALS = (400, 413, 422)  # this request only (too long, rejected input): the row is not scorable
_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.I)
SYSTEM = (
    "You check whether an answer sticks to its context. For each numbered claim of the answer decide, using only "
    "the CONTEXT (not your own knowledge): \"supported\" (the context states it or it follows directly), "
    "\"contradicted\" (the context states something incompatible, e.g. the opposite or another value) or "
    "\"unsupported\" (the context does not say). Reply with JSON only, no other text, exactly: "
    "{\"claims\": [{\"id\": 1, \"verdict\": \"supported\", \"evidence\": \"<a short exact quote of the context, "
    "or empty>\"}]} with one entry per claim, in order.")


class JudgeOptions(ScannerOptions):
    """``scanners.groundedness.judge``: the OpenAI-compatible server and model that judge claims."""

    base_url: str | None = Field(None, description="the server's API root, e.g. http://localhost:8000/v1")
    model: str | None = None
    api_key_env: str | None = "OPENAI_API_KEY"
    timeout_s: float = Field(30.0, gt=0.0, le=600.0)
    max_retries: int = Field(1, ge=0, le=10)
    concurrency: int = Field(4, ge=1, le=64)
    max_tokens: int = Field(512, ge=16, le=8192)
    seed: int = 1234


def prompt(context: str, question: str, claims: list[Claim]) -> str:
    """The user message: context, question and the numbered claims."""
    numbered = "\n".join(f"{k}. {c.text}" for k, c in enumerate(claims, 1))
    asked = f"QUESTION: {question}\n\n" if question else ""
    return f"CONTEXT:\n<<<\n{context}\n>>>\n\n{asked}CLAIMS OF THE ANSWER:\n{numbered}"


def parse_reply(reply: str, n_claims: int) -> list[tuple[str, str]] | None:
    """[(verdict, evidence)] per claim from the judge's reply, or None when it is not exactly that."""
    text = _FENCE.sub("", reply or "").strip()
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        body = json.loads(text[start:end + 1])
        items = body["claims"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(items, list) or len(items) != n_claims:
        return None
    out: list[tuple[str, str] | None] = [None] * n_claims
    for k, item in enumerate(items):
        if not isinstance(item, dict):
            return None
        verdict = _VERDICTS.get(str(item.get("verdict", "")).strip().lower())
        idx = item.get("id", k + 1)
        if verdict is None or not isinstance(idx, int) or not 1 <= idx <= n_claims or out[idx - 1] is not None:
            return None
        out[idx - 1] = (verdict, str(item.get("evidence") or ""))
    return out  # type: ignore[return-value]


@SCORERS.register("judge")
class JudgeScorer(Scorer):
    """One chat completion per answer; verdicts from its JSON reply."""

    name = "judge"

    @property
    def judge(self) -> JudgeOptions:
        if self.options.judge is None:
            raise AssayError("scanners.groundedness.scorer is 'judge' but scanners.groundedness.judge is not set",
                             "add judge: {base_url: http://<server>/v1, model: <served model>}")
        return self.options.judge

    def check(self) -> None:
        j = self.judge
        if not j.base_url or not urlparse(j.base_url).scheme.startswith("http") or not urlparse(j.base_url).netloc:
            raise AssayError(f"{_KEY}.base_url is not set to an http(s) URL (got {j.base_url!r})",
                             "set it to the judge server's API root, e.g. http://localhost:8000/v1")
        if not j.model:
            raise AssayError(f"{_KEY}.model is not set", "set it to the model the judge server serves")

    def signature(self) -> str:
        j = self.judge
        return (f"scorer:judge|host:{urlparse(j.base_url or '').netloc}|model:{j.model}|prompt:{PROMPT_VERSION}"
                f"|temperature:0|seed:{j.seed}")

    @property
    def version(self) -> str:
        return f"judge:{self.judge.model}:{PROMPT_VERSION}"

    @cached_property
    def backend(self):  # noqa: ANN201 - the openai backend's client
        from audits.backends.openai_compat import OpenAIBackend
        from audits.config import ModelConfig

        j = self.judge
        config = ModelConfig(backend="openai", path=str(j.model), base_url=j.base_url, model_name=j.model,
                             api_key_env=j.api_key_env, temperature=0.0, seed=j.seed, max_new_tokens=j.max_tokens,
                             timeout_s=j.timeout_s, max_retries=j.max_retries, concurrency=j.concurrency)
        return OpenAIBackend(config)

    def setup(self) -> None:
        self.check()
        self.backend  # noqa: B018 - builds the client

    def ask(self, prompts: list[str]) -> list[str | int]:
        """The judge's replies, in order (the HTTP status where the server refused that one request:
        400, 413, 422, e.g. a context over its window); one-line AssayError when the server cannot
        answer at all (down, timing out, a wrong key, URL or model)."""
        backend = self.backend

        def one(text: str) -> str | int:
            response = backend._post(backend.url, backend._payload(text, SYSTEM), reject=False)
            if response.status_code in _ROW_REFUSALS:
                return int(response.status_code)
            if response.status_code != 200:
                raise AssayError(f"{backend.url} answered HTTP {response.status_code}: {response.text[:200]!r}",
                                 f"check {_KEY}.base_url, model and api_key_env")
            return backend._parse(response)

        try:
            return backend._map(one, prompts, "groundedness judge")
        except AssayError as err:
            raise AssayError(f"groundedness judge ({self.judge.model} at {self.judge.base_url}): {err.problem}",
                             f"check that the judge server is running and {_KEY}.base_url / model are right, "
                             f"or raise {_KEY}.timeout_s") from None

    def score(self, rows: list[Row]) -> list[Verdict]:
        self.setup()
        partial: set[int] = set()
        out, todo = triage(rows, int(self.options.max_context_chars), partial)
        replies = self.ask([prompt(rows[i][1], rows[i][2], claims) for i, claims in todo]) if todo else []
        sources: dict[str, Source] = {}
        for (i, claims), reply in zip(todo, replies):
            if isinstance(reply, int):
                out[i] = not_scorable(f"judge refused the request (HTTP {reply})")
                continue
            parsed = parse_reply(reply, len(claims))
            if parsed is None:
                out[i] = not_scorable(UNPARSABLE)
                continue
            context = rows[i][1]
            if context not in sources:
                sources[context] = Source.build(context)
            src = sources[context]
            verdicts = []
            for claim, (verdict, evidence) in zip(claims, parsed):
                span = _span(context, evidence, claim.text, src)
                verdicts.append(ClaimVerdict(claim, verdict, 0.0 if verdict == SUPPORTED else 1.0, *span))
            out[i] = answer_verdict(verdicts)
        settle(out, partial)
        return [v for v in out if v is not None]

    def close(self) -> None:
        if "backend" in self.__dict__:
            self.backend.close()

    def quality(self) -> JsonObject:
        return {**super().quality(), "prompt_version": PROMPT_VERSION}


def _span(context: str, evidence: str, claim: str, source: Source) -> tuple[int, int]:
    """Where the judge's quote stands in the context, else the sentence sharing most words with the claim."""
    quote = evidence.strip().strip('"').strip()
    if quote:
        at = context.find(quote)
        if at < 0:
            at = context.lower().find(quote.lower())
        if at >= 0:
            return at, at + len(quote)
    order = ranked_spans(claim, source)
    return source.spans[order[0]] if order else (0, 0)
