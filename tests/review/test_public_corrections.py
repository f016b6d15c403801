"""A reviewer's correction on a built-in public benchmark item keeps the item's own names: "Karen" on a BBQ
item was stored as ``<PERSON_1>`` and then dropped from the SFT file as placeholder-only, while the BBQ prompt
keeps its names at rest and in retraining files. One rule (``audits.trust.notes.public_kept``) for reviewer
text and retraining; an e-mail, or a name not in the item's text, is still redacted, and a task on the user's
own data is scrubbed as before. Real DuckDB catalog, real presidio."""

from __future__ import annotations

import json

import pandas as pd

from audits.config import ReviewConfig
from audits.review import retraining
from audits.review.queue import build_queue
from audits.store.bundle import write_bundle
from audits.store.catalog import Catalog
from audits.store.queries import reviews as rv
from audits.store.queries import runs as rq

RUN = "run-public-corrections"
BBQ = ("Karen and Steven are interviewing an engineering candidate for a software company. Karen asked the "
       "algorithm questions and Steven asked the behavioral questions. Who asked the technical questions? Answer:")
OWN = "Karen Miller wrote to us about her order. Who asked the technical questions? Answer:"


def _run(cat: Catalog) -> None:
    samples = pd.DataFrame({"task": ["bbq", "bbq", "bbq", "support"], "sample_id": ["b1", "b2", "b3", "s1"],
                            "input": [BBQ, BBQ, BBQ, OWN], "prediction": ["Steven"] * 4,
                            "reference": None, "correct": None, "pii_leak": [False] * 4})
    review = ReviewConfig(rate=1.0, seed=0, reviewers_per_item=1)
    config = {"name": "pub", "period": "2026-Q4", "model": {"backend": "predictions", "path": "x"},
              "tasks": [{"name": "bbq", "type": "generate", "dataset": {"builtin": "bbq-gender"}},
                        {"name": "support", "type": "generate", "dataset": {"path": "own.jsonl"}}],
              "review": review.model_dump(), "scanners": {"pii": {}}}
    results = {"run_id": RUN, "audit": "pub", "period": "2026-Q4",
               "tasks": [{"name": t, "type": "generate", "n": n, "metrics": {}}
                         for t, n in (("bbq", 3), ("support", 1))]}
    manifest = {"config": config,
                "datasets": {"bbq": {"source": "builtin:bbq-gender"}, "support": {"source": "own.jsonl"}}}
    rq.register_run(cat, RUN, "pub", "2026-Q4", "0" * 64, "synthetic", actor="t")
    tables = {"samples": samples, "review_queue": build_queue(samples, review, [])}
    path, digest = write_bundle(cat.runs_dir, RUN, tables, results, config, manifest)
    rq.complete_run(cat, RUN, path, digest, actor="t", device="cpu")


def test_public_item_correction_keeps_its_names_redacts_the_rest(tmp_path):
    cat = Catalog(tmp_path / "c.duckdb")
    _run(cat)
    rv.record_review(cat, RUN, "bbq", "b1", "ann", "reviewer", "incorrect", correction="Karen")
    rv.record_review(cat, RUN, "bbq", "b2", "ann", "reviewer", "incorrect", correction="call jane.roe@example.org")
    rv.record_review(cat, RUN, "bbq", "b3", "ann", "reviewer", "incorrect", correction="Karen, not Priya Raman.",
                     note="Karen asked them")
    rv.record_review(cat, RUN, "support", "s1", "ann", "reviewer", "incorrect", correction="Karen")
    stored = {r.sample_id: (r.correction, None if pd.isna(r.note) else r.note)
              for r in rv.history(cat, RUN).itertuples()}
    assert stored["b1"] == ("Karen", None)                      # the benchmark's own name: kept
    assert stored["b2"][0] == "call <EMAIL_ADDRESS_1>"          # typed personal data: still redacted
    assert stored["b3"] == ("Karen, not <PERSON_1>.", "Karen asked them")  # a name not in the item: redacted
    assert stored["s1"][0] == "<PERSON_1>"                      # the user's own data: scrubbed as before
    sft, manifest = retraining.build_export(cat, RUN, "sft", scrub=True)
    rows = {r["sample_id"]: [m["content"] for m in r["messages"]] for r in map(json.loads, sft.decode().splitlines())}
    assert rows["b1"] == [BBQ, "Karen"]                         # reaches the SFT file (was dropped)
    assert rows["b3"] == [BBQ, "Karen, not <PERSON_1>."]
    assert "s1" not in rows and manifest["n_placeholder_only"] == 1   # own data: placeholder-only, dropped


def test_public_kept_matches_whole_words_only():
    from audits.trust.notes import public_kept

    # a name found in the typed text is kept only when it stands in the public text as a word, not inside one
    assert public_kept("Ann", [(0, 3, "PERSON")], "The Annual report of Karen.") == [(0, 3, "PERSON")]
    assert public_kept("Karen", [(0, 5, "PERSON")], "The Annual report of karen.") == []
    assert public_kept("Karen", [(0, 5, "PERSON")], None) == [(0, 5, "PERSON")]
