"""The choice-scoring rules verified against lm-evaluation-harness 0.4.13 on BBQ (benchmarks/bench_harness_mc.py),
pinned without the harness: its recorded per-row log-likelihoods and verdicts (``data/harness_mc_bbq.json``,
written by ``bench_harness_mc.py --fixture``) go through Assay's own ``score_chunk``."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from audits.backends import choices as ch
from audits.backends.base import Backend, Request
from audits.config import ModelConfig

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = json.loads((Path(__file__).parent / "data" / "harness_mc_bbq.json").read_text(encoding="utf-8"))
_spec = importlib.util.spec_from_file_location("bench_harness_mc", ROOT / "benchmarks" / "bench_harness_mc.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)  # type: ignore[union-attr]


class Replay(Backend):
    """Answers each (sample, continuation) with the log-likelihood the harness recorded for it."""

    name = "harness-replay"
    capabilities = frozenset({"loglikelihood"})

    def __init__(self, table: dict[tuple[str, str], float]):
        super().__init__(ModelConfig(path="harness-replay"))
        self.table = table

    def loglikelihood(self, requests: list[Request], *, desc: str = "score") -> list[float]:
        return [self.table[(r.sample_id, r.continuation or "")] for r in requests]

    def identity(self):
        return {"backend": self.name}


def _score(rows: list[dict], fmt: str, chat: bool, normalize: str, delim: str) -> list[int]:
    """Assay's picks (indices) on the recorded rows; the replay table is keyed by the continuation
    the harness scored (delimiter + target), so a different delimiter rule fails the lookup."""
    table = {(str(i), delim + t): ll for i, r in enumerate(rows) for t, ll in zip(r["choices"], r["harness_lls"])}
    chunk = pd.DataFrame({"sample_id": [str(i) for i in range(len(rows))], "input": ["-"] * len(rows),
                          "choices": [r["answers"] for r in rows]})
    out = ch.score_chunk(Replay(table), bench.task_config(fmt, chat, normalize=normalize), chunk, templated=chat)
    return [r["answers"].index(p) for r, p in zip(rows, out["prediction"])]


@pytest.mark.parametrize("variant", sorted(FIXTURE))
def test_the_harness_rule_as_transcribed_gives_its_own_verdicts(variant):
    rows = FIXTURE[variant]["rows"]
    assert len(rows) >= 100
    for r in rows:
        picks = bench.harness_picks(r["harness_lls"], r["choices"])
        assert [float(p == r["label"]) for p in picks] == [r["acc"], r["acc_norm"], r["acc_bytes"]]


@pytest.mark.parametrize("variant", sorted(FIXTURE))
def test_assay_normalize_none_and_bytes_give_the_harness_verdicts(variant):
    """acc <-> normalize: none; acc_bytes <-> normalize: bytes (the target's UTF-8 length, delimiter
    excluded); acc_norm (characters) equals acc_bytes here because every BBQ answer is ASCII."""
    fmt, chat = variant.split("-")[0], variant.endswith("-chat")
    rows = FIXTURE[variant]["rows"]
    delim = "" if chat else " "  # the harness drops the delimiter under a chat template (no gen_prefix)
    none, nbytes = (_score(rows, fmt, chat, n, delim) for n in ("none", "bytes"))
    assert [float(p == r["label"]) for p, r in zip(none, rows)] == [r["acc"] for r in rows]
    assert [float(p == r["label"]) for p, r in zip(nbytes, rows)] == [r["acc_bytes"] for r in rows]
    assert all(c.isascii() for r in rows for c in r["answers"])
    assert [r["acc_norm"] for r in rows] == [r["acc_bytes"] for r in rows]


@pytest.mark.parametrize("variant", sorted(FIXTURE))
def test_the_harness_scored_the_continuations_assay_scores(variant):
    fmt, chat = variant.split("-")[0], variant.endswith("-chat")
    first = FIXTURE[variant]["rows"][0]
    task = bench.task_config(fmt, chat)
    assert [cont for _, cont in FIXTURE[variant]["harness_request_0"]] == \
        [ch.delimiter(task, chat) + t for t in ch.targets(first["answers"], fmt)]


def test_non_ascii_answers_are_where_bytes_and_the_harness_acc_norm_part():
    """The one documented difference: the harness's acc_norm divides by characters, Assay's
    normalize: bytes (like the harness's acc_bytes) by UTF-8 bytes. 'naïve' is 5 characters, 6 bytes."""
    row = {"choices": ["naïve", "naive"], "answers": ["naïve", "naive"], "label": 0, "harness_lls": [-6.0, -5.5]}
    acc, acc_norm, acc_bytes = bench.harness_picks(row["harness_lls"], row["choices"])
    assert (acc, acc_norm, acc_bytes) == (1, 1, 0)  # -1.2 vs -1.1 per character; -1.0 vs -1.1 per byte
    assert _score([row], "text", False, "bytes", " ") == [acc_bytes]
    assert _score([row], "text", False, "none", " ") == [acc]
