"""Reviewer text: built-in benchmark text is kept as it is at rest (it is no one's personal data),
model outputs are still scanned, redacted values get one pseudonym per item (``<PERSON_1>``) across
input, output and reference, and the leaked span that queued an item is shown raw only to roles
allowed to see raw personal data. Real runs through the runner on a real catalog; real presidio."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from audits.datasets.builtin import BUILTINS, public_tasks
from audits.trust.redact import Redactor, pseudonymise, redact_samples

BBQ_IDS = {"bbq-05587": "Robert is good at math.",                        # a name from the item: kept
           "bbq-01519": "Thomas. Call Peter Fischer on +1 415-555-0132.",  # a new name and a phone: leaked
           "bbq-04378": "Patricia"}
SUPPORT = [{"id": "s1", "question": "I am Anna Schmidt (anna.schmidt@example.org). Where is my parcel?",
            "answer": "Dear Anna Schmidt, it ships today."}]


@pytest.fixture
def key_dir(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "keys"
    monkeypatch.setenv("ASSAY_KEY_DIR", str(path))
    return path


def _config(tmp: Path, store_raw: bool = False) -> Path:
    (tmp / "support.jsonl").write_text("".join(json.dumps(r) + "\n" for r in SUPPORT))
    preds = [{"task": "bbq", "sample_id": k, "prediction": v} for k, v in BBQ_IDS.items()]
    preds.append({"task": "support", "sample_id": "s1",
                  "prediction": "Anna Schmidt, we wrote to anna.schmidt@example.org; Bob Stone will call."})
    (tmp / "preds.jsonl").write_text("".join(json.dumps(p) + "\n" for p in preds))
    config = {"name": "reviewer-text", "period": "2026-Q4", "bootstrap": 20,
              "model": {"backend": "predictions", "path": str(tmp / "preds.jsonl")},
              "tasks": [{"name": "bbq", "type": "generate", "prompt": "{context} {question}",
                         "dataset": {"builtin": "bbq-gender", "filter": {"id": list(BBQ_IDS)}},
                         "fields": {"id": "id", "reference": "ans0"}},
                        {"name": "support", "type": "generate", "dataset": {"path": str(tmp / "support.jsonl")},
                         "fields": {"id": "id", "reference": "answer"}, "prompt": "{question}"}],
              "scanners": {"pii": {"store_raw": store_raw}}, "review": {"rate": 1.0}}
    path = tmp / "job.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _run(tmp: Path, store_raw: bool = False):
    from audits.config import load_config
    from audits.runner import run_audit
    from audits.store.catalog import Catalog

    cat = Catalog(tmp / "c.duckdb")
    return cat, run_audit(load_config(_config(tmp, store_raw)), cat, actor="tester")


def test_builtin_benchmarks_declare_their_text_and_pii_prompts_stays_redacted():
    assert {n for n, d in BUILTINS.items() if not d.personal_data and not n.startswith("redteam-")} == \
        {"reference-qa", "discrim-eval", "bbq-gender", "halueval-qa"}
    # red-team probes: published attack text and reserved example values (example.net, 555-01xx), kept as is
    assert all(not d.personal_data for n, d in BUILTINS.items() if n.startswith("redteam-"))
    datasets = {"bbq": {"source": "builtin:bbq-gender"}, "mine": {"source": "/data/bbq-gender.jsonl"},
                "pii": {"source": "builtin:pii-prompts"}, "odd": {"source": "builtin:nope"}, "none": {}}
    assert public_tasks(datasets) == {"bbq"}


def test_pseudonyms_are_consistent_across_an_item_and_numbered_per_type():
    texts = ["Was Anna Berg or Tom Field late? Ask anna@x.org", "ANNA BERG", None, "Tom Field, not anna berg"]
    spans = [[(4, 13, "PERSON"), (17, 26, "PERSON"), (37, 48, "EMAIL_ADDRESS")], [], [], []]
    out, n = pseudonymise(texts, spans)
    assert out == ["Was <PERSON_1> or <PERSON_2> late? Ask <EMAIL_ADDRESS_1>", "<PERSON_1>", None,
                   "<PERSON_2>, not <PERSON_1>"]
    assert n == 6
    kept, _ = pseudonymise(texts[:1], spans[:1], keep=["Anna Berg"])
    assert kept == ["Was Anna Berg or <PERSON_1> late? Ask <EMAIL_ADDRESS_1>"]


def test_a_public_row_keeps_its_text_and_redacts_only_what_the_output_adds():
    frame = pd.DataFrame({"task": ["bbq", "own"], "sample_id": ["1", "1"],
                          "input": ["Carol and Robert sat the test. Who is good at math?"] * 2,
                          "prediction": ["Robert; mail robert.k@example.org", "Robert"],
                          "reference": ["Robert", "Robert"], "choices": [["Carol", "Robert", "Unknown"]] * 2})
    out = redact_samples(frame, Redactor(patterns_only=True), ("input", "prediction", "reference"), {"bbq"})
    assert out["input"].tolist()[0] == frame["input"][0] and out["reference"][0] == "Robert"
    assert out["prediction"][0] == "Robert; mail <EMAIL_ADDRESS_1>"
    assert out["choices"][1] == ["Carol", "Robert", "Unknown"]


@pytest.mark.slow
def test_a_run_keeps_bbq_names_judgeable_and_pseudonymises_private_text(tmp_path, key_dir):
    from audits.store.queries import reviews as rv

    cat, run_id = _run(tmp_path)
    bundle = cat.runs_dir / run_id
    samples = pd.read_parquet(bundle / "samples.parquet").set_index(["task", "sample_id"])
    bbq = samples.loc["bbq"]
    assert "Carol and Robert" in bbq.loc["bbq-05587", "input"] and bbq.loc["bbq-05587", "reference"] == "Carol"
    assert bbq.loc["bbq-05587", "prediction"] == "Robert is good at math."   # a name the item itself holds
    assert bbq.loc["bbq-04378", "prediction"] == "Patricia"
    leaked = bbq.loc["bbq-01519", "prediction"]
    assert leaked == "Thomas. Call <PERSON_1> on <PHONE_NUMBER_1>." and "Thomas and Sharon" in bbq.loc["bbq-01519", "input"]
    support = samples.loc[("support", "s1")]
    assert support["input"] == "I am <PERSON_1> (<EMAIL_ADDRESS_1>). Where is my parcel?"
    assert support["prediction"] == "<PERSON_1>, we wrote to <EMAIL_ADDRESS_1>; <PERSON_2> will call."
    assert support["reference"] == "Dear <PERSON_1>, it ships today."
    for path in bundle.iterdir():  # the private values and the leaked ones are nowhere in the bundle
        blob = path.read_bytes().decode("latin-1")
        for needle in ("Anna Schmidt", "anna.schmidt", "Bob Stone", "Peter Fischer", "415-555-0132"):
            assert needle not in blob, f"{needle!r} in {path.name}"
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["personal_data"]["kept_public"] == ["bbq"] and manifest["personal_data"]["pseudonyms"] == "per item"
    item = rv.item_detail(cat, run_id, "bbq", "bbq-01519")  # what the review queue shows
    assert "Thomas and Sharon" in item["input"] and "<PERSON_1>" in item["prediction"]


@pytest.mark.slow
def test_the_leaked_span_is_raw_for_admins_only_when_raw_text_was_kept(tmp_path, key_dir):
    from audits.review.leaks import queued_spans
    from audits.store.queries import reviews as rv

    cat, run_id = _run(tmp_path, store_raw=True)
    queue = rv.review_queue(cat, run_id)
    assert ("bbq", "bbq-01519", "pii_leak") in set(zip(queue["task"], queue["sample_id"], queue["reason"]))
    admin = queued_spans(cat, run_id, "bbq", "bbq-01519", raw_allowed=True)
    reviewer = queued_spans(cat, run_id, "bbq", "bbq-01519", raw_allowed=False)
    assert {s["value"] for s in admin} >= {"Peter Fischer", "+1 415-555-0132"}
    assert {s["entity_type"] for s in reviewer} >= {"PERSON", "PHONE_NUMBER"} and all(s["value"] is None for s in reviewer)
    assert not any("Peter" in str(s["context"]) for s in reviewer)
    from dashboard.views.review import card_html

    item = rv.item_detail(cat, run_id, "bbq", "bbq-01519") | {"reason": "pii_leak"}
    assert "Peter Fischer" in card_html(item, None, admin) and "Peter Fischer" not in card_html(item, None, reviewer)
    line = card_html(item, None, reviewer).split("The leaked text that queued this item", 1)[1]
    # the leak by the output's own pseudonyms, in its context as the output shows it (Thomas: BBQ text, kept)
    assert "&lt;PERSON_1&gt;</mark>" in line and "&lt;PHONE_NUMBER_1&gt;</mark>" in line
    assert 'Thomas. Call <mark class="assay-leak"' in line and "&lt;PERSON&gt;" not in line
