"""Redaction at rest reuses the PII scan's spans (issue 24): the redactor takes the detections the
scan found for a text under the same detector settings (a cache keyed by a SHA-256 of settings and
text), runs presidio only on what the scan did not see, and writes byte-identical bundles."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

TEXTS = ["My name is John Smith and I live in Boston, call me at +1 415-555-0132.",
         "Please write to maria.garcia@example.com about the refund for Maria Garcia.",
         "Nothing personal here, just a question about billing.",
         "My name is John Smith and I live in Boston, call me at +1 415-555-0132.",  # a repeat
         "   "]


@pytest.fixture()
def spans_store():
    from audits.scanners import _pii_spans

    _pii_spans.clear()
    yield _pii_spans
    _pii_spans.ENABLED = True
    _pii_spans.clear()


def _ctx():
    from audits.config import TaskConfig
    from audits.scanners.base import TaskContext

    task = TaskConfig(name="t", type="generate", dataset={"path": "unused.jsonl"})
    return TaskContext(task=task, samples=pd.DataFrame(), metric_stats={}, options={}, backend=None, seed=0,
                       n_bootstrap=0)


def test_the_redactor_takes_the_scans_spans_and_finds_exactly_what_presidio_finds(spans_store):
    from audits.scanners import pii
    from audits.trust.redact import Redactor

    settings, _ = pii.parse_options({})
    pii.detect(TEXTS, settings, _ctx())
    unique = {t for t in TEXTS if t.strip()}
    assert spans_store.size() == len(unique) == 3
    # keys are digests: no text (nor any piece of a value) is held as a key
    assert all(isinstance(k, bytes) and len(k) == 32 for k in spans_store._SPANS)
    assert not any(b"Smith" in k or b"example.com" in k for k in spans_store._SPANS)
    other = "Ana Lopez works in Madrid."  # not scanned: presidio runs on it
    reusing = Redactor({})
    found = reusing.spans(TEXTS + [other])
    assert reusing.reused == 3
    assert all(isinstance(k, bytes) and len(k) == 32 for k in reusing._seen)

    spans_store.clear()
    fresh = Redactor({})
    assert fresh.spans(TEXTS + [other]) == found
    assert fresh.reused == 0
    assert fresh(TEXTS + [other]) == reusing(TEXTS + [other])
    kinds = {e for spans in found for _, _, e in spans}
    assert {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER"} <= kinds


def test_other_detector_settings_or_reuse_off_run_presidio_again(spans_store):
    from audits.scanners import pii
    from audits.trust.redact import Redactor

    settings, _ = pii.parse_options({})
    pii.detect(TEXTS, settings, _ctx())
    stricter = Redactor({"score_threshold": 0.9})  # another detector: the scan's spans are not its own
    stricter.spans(TEXTS)
    assert stricter.reused == 0
    # fields, salt and store_raw do not change what the detector finds: the spans are reused
    same = Redactor({"fields": ["input", "prediction"], "store_raw": True})
    same.spans(TEXTS)
    assert same.reused == 3

    spans_store.clear()
    spans_store.ENABLED = False
    pii.detect(TEXTS, settings, _ctx())
    assert spans_store.size() == 0
    off = Redactor({})
    off.spans(TEXTS)
    assert off.reused == 0


def _job(tmp: Path) -> Path:
    names = ["John Smith", "Maria Garcia", "Wei Chen", "Olivia Brown"]
    rows, preds = [], []
    for i in range(16):
        who = names[i % 4]
        rows.append({"id": f"s{i}", "question": f"I am {who} from Chicago, mail {who.split()[0].lower()}{i}@example.com. "
                                                f"What is {i} + 1?",
                     "answer": str(i + 1), "notes": f"Escalated by {names[(i + 1) % 4]} in Denver."})
        preds.append({"sample_id": f"s{i}",
                      "prediction": f"{i + 1}, {who}." if i % 3 else f"{i + 1}; I told Wei Chen at +1 415-555-01{i:02d}."})
    (tmp / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp / "preds.jsonl").write_text("".join(json.dumps(p) + "\n" for p in preds))
    config = {"name": "reuse", "period": "2026-Q4", "bootstrap": 20,
              "model": {"backend": "predictions", "path": str(tmp / "preds.jsonl")},
              "tasks": [{"name": "arith", "type": "generate", "dataset": {"path": str(tmp / "data.jsonl")},
                         "fields": {"id": "id", "reference": "answer"}, "prompt": "{question} ({notes})"}],
              "scanners": {"pii": {}}, "review": {"rate": 0.5}}
    path = tmp / "job.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_bundles_are_identical_with_and_without_reuse_on_real_presidio(tmp_path, key_dir, spans_store):
    from audits.config import load_config
    from audits.runner import run_audit
    from audits.store.catalog import Catalog

    cat = Catalog(tmp_path / "c.duckdb")
    job = _job(tmp_path)
    spans_store.ENABLED = False
    before = run_audit(load_config(job), cat, actor="tester")
    spans_store.ENABLED = True
    after = run_audit(load_config(job), cat, actor="tester")
    assert spans_store.size() == 0  # protect empties the store after the run's redaction
    for name in ("samples", "findings", "metrics", "review_queue"):
        a = (cat.runs_dir / before / f"{name}.parquet").read_bytes()
        b = (cat.runs_dir / after / f"{name}.parquet").read_bytes()
        assert pd.read_parquet(cat.runs_dir / before / f"{name}.parquet").equals(
            pd.read_parquet(cat.runs_dir / after / f"{name}.parquet")), name
        assert a == b, name
    samples = pd.read_parquet(cat.runs_dir / after / "samples.parquet")
    text = samples.to_csv()
    assert "<PERSON_1>" in text and "@example.com" not in text and "Maria Garcia" not in text
    pd_a = json.loads((cat.runs_dir / before / "manifest.json").read_text())["personal_data"]
    pd_b = json.loads((cat.runs_dir / after / "manifest.json").read_text())["personal_data"]
    assert "spans_from_scan" not in pd_a and pd_b.pop("spans_from_scan") >= 16  # the inputs and outputs at least
    assert pd_a == pd_b and pd_a["redactions"] > 0


def test_protect_runs_presidio_only_on_texts_the_scan_did_not_cover(monkeypatch, spans_store, key_dir):
    from audits.scanners import _presidio as engine
    from audits.scanners import pii
    from audits.trust import rawstore

    samples = pd.DataFrame({"task": ["t"] * 3, "sample_id": ["a", "b", "c"],
                            "input": TEXTS[:3], "prediction": ["Sure, John Smith.", "Done.", "Ask Wei Chen."],
                            "reference": ["ok", "ok", "ok"],
                            "context": ["Refunds are handled by Olivia Brown in Denver."] * 3})
    settings, _ = pii.parse_options({})
    pii.detect(samples["input"].tolist() + samples["prediction"].tolist(), settings, _ctx())
    analysed: list[str] = []
    real = engine.analyze_texts

    def spy(texts, s):  # the real engine still runs; the spy only records what it is asked
        analysed.extend(texts)
        return real(texts, s)

    monkeypatch.setattr(engine, "analyze_texts", spy)
    tables, _, summary = rawstore.protect("r1", {"samples": samples}, {"pii": {}})
    assert sorted(analysed) == ["Refunds are handled by Olivia Brown in Denver.", "ok"]
    assert summary.spans_from_scan == 6
    assert "Olivia Brown" not in tables["samples"].to_csv() and "John Smith" not in tables["samples"].to_csv()
