"""Personal data at rest in the surfaces added since issue 19's test: a production log (input, output, the
groundedness context, free-text feedback and feedback values), groundedness claims, review flags, the
logs-import record and the alert file of `assay check`. The seeds of tests/trust/test_personal_data.py go into
each; with default settings none is found in any bundle file (tokens joined), catalog column, alert line or
import record; with raw text kept, `assay erase` leaves none recoverable."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml

from audits.cli import main
from tests.trust.test_personal_data import (ADDRESS, NOTE, PERSON, SEEDED, _assert_clean, _bundle_texts,
                                            _catalog_texts, _people, _run)

# unknown feedback values: a name (short, no digits: it passed the free-text rule) and a phone number
THUMBS = ["up", "down", "up", "down", "up", "up", "down", "up", PERSON["name"], f"call {SEEDED['phone']}"]


def _log(tmp: Path) -> Path:
    """A production log carrying every seed in its input, output, context and free-text comment."""
    rows = []
    for i, thumbs in enumerate(THUMBS):
        secrets = (f"I am {PERSON['name']}, I live at {ADDRESS}. Mail {SEEDED['email']}, phone {SEEDED['phone']}, "
                   f"card {SEEDED['card']}, IBAN {SEEDED['iban']}.")
        rows.append({"id": f"t{i}", "input": f"{secrets} How long do refunds take?",
                     "output": f"Refunds take {14 if i % 2 else 90} days, {PERSON['name']}. We will write to "
                               f"{SEEDED['email']} and call {SEEDED['phone']} about card {SEEDED['card']}.",
                     "context": f"Refunds take 14 days. Customer {PERSON['name']} of {ADDRESS} (e-mail "
                                f"{SEEDED['email']}, phone {SEEDED['phone']}) paid with card {SEEDED['card']} "
                                f"from IBAN {SEEDED['iban']}.",
                     "thumbs": thumbs, "comment": f"Reply to {PERSON['name']} at {SEEDED['email']} or {SEEDED['phone']}",
                     "segment": ["web", "app"][i % 2], "timestamp": f"2026-11-0{1 + i % 9}T10:00:00Z"})
    path = tmp / "prod.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _config(tmp: Path, store_raw: bool) -> Path:
    """The log imported, audited with groundedness and feedback, checked by a pack that alerts to a file."""
    flat = tmp / "q4.parquet"
    assert main(["logs", "import", str(_log(tmp)), "--out", str(flat)]) == 0
    (tmp / "monitoring.yaml").write_text(yaml.safe_dump({
        "name": "monitoring", "title": "Monitoring",
        "notify": {"file": str(tmp / "alerts.jsonl"), "on": ["fail", "inconclusive", "no-data"]},
        "controls": [{"id": f"MON-{i}", "title": f"control {i}", "source": "internal", "owner": "compliance",
                      "check": check} for i, check in enumerate(["pii_leak_rate <= 0.01", "feedback_positive_rate >= 0.9",
                                                                 "hallucination_rate <= 0.1"])]}))
    config = {"name": "support-log", "period": "2026-Q4", "bootstrap": 20,
              "model": {"backend": "predictions", "path": str(flat)},
              "tasks": [{"name": "support", "type": "generate", "dataset": {"path": str(flat)},
                         "fields": {"id": "sample_id"}, "prompt": "{input}", "context": "context",
                         "sensitive": ["segment"],
                         "feedback": {"field": "thumbs", "positive": "up", "negative": ["down"], "text": "comment"}}],
              "scanners": {"pii": {"fields": ["input", "prediction"], "store_raw": store_raw}},
              "review": {"rate": 1.0}, "policy": ["monitoring.yaml"]}
    path = tmp / "audit.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _audit(tmp: Path, store_raw: bool = False) -> tuple[object, str]:
    """(catalog, run id) after import, run, a hallucination-flagged review with a note, and `assay check`."""
    from audits.store.catalog import Catalog
    from audits.store.queries import reviews as reviews_q

    cat = Catalog(tmp / "c.duckdb")
    _people(cat)
    run_id = _run(cat, _config(tmp, store_raw))
    queue = reviews_q.review_queue(cat, run_id)
    reviews_q.record_review(cat, run_id, queue["task"].iloc[0], queue["sample_id"].iloc[0], "rita", "reviewer",
                            "incorrect", correction=f"14 days, {PERSON['name']}; see {SEEDED['email']}", note=NOTE,
                            flags=["hallucination"])
    assert main(["check", run_id, "--catalog", str(cat.path)]) == 1  # feedback and hallucination controls fail
    return cat, run_id


def test_a_production_log_run_and_its_check_keep_no_seeded_personal_data(tmp_path, key_dir):
    from audits.trust.verify import verify

    cat, run_id = _audit(tmp_path)
    bundle = cat.runs_dir / run_id
    alerts = (tmp_path / "alerts.jsonl").read_text()
    assert len(alerts.splitlines()) == 3  # one line per control: one inconclusive, two failed
    texts = {**_bundle_texts(bundle), **{f"catalog:{k}": v for k, v in _catalog_texts(cat).items()},
             "alerts.jsonl": alerts, "q4.parquet.import.json": (tmp_path / "q4.parquet.import.json").read_text()}
    _assert_clean(texts)
    feedback = json.loads((bundle / "results.json").read_text())["tasks"][0]["extra"]["feedback"]
    assert feedback["unknown_values"] == ["(free text, not shown)"]  # the name and the phone: withheld
    claims = pd.read_parquet(bundle / "findings.parquet").query("scanner == 'groundedness'")
    assert len(claims) and claims["context"].str.contains("<PERSON>").any()  # claims are stored redacted
    samples = pd.read_parquet(bundle / "samples.parquet")
    assert samples["context"].str.contains("<EMAIL_ADDRESS_1>").all() and samples["feedback_text"].str.contains("<PERSON_1>").all()
    assert verify(cat).problems == []


def test_erase_covers_every_table_that_held_the_logs_text(tmp_path, key_dir):
    """With raw text kept, raw.enc holds the input, output, context, free-text feedback and feedback values, and
    the groundedness claims; the review note is sealed. Erase destroys the key and the sealed notes: none of it
    can be read back, the bundle and catalog stay clean, and everything still verifies."""
    from audits.commands.erase import erase
    from audits.store.queries import sealed_notes
    from audits.trust import rawstore
    from audits.trust.verify import verify

    cat, run_id = _audit(tmp_path, store_raw=True)
    bundle = cat.runs_dir / run_id
    raw = rawstore.read_raw(bundle, run_id)
    assert raw is not None
    held = set(zip(raw["table"], raw["column"]))
    assert {("samples", c) for c in ("input", "prediction", "context", "feedback_text", "feedback_raw")} <= held
    assert ("findings", "context") in held  # the claims
    assert len(sealed_notes.raw_notes(cat, run_id)) >= 1  # the review's note and correction, raw, sealed
    done = erase(cat, run_id, "ada", reason="data subject request")
    assert done.raw_key_destroyed and done.sealed_notes_deleted >= 1
    assert rawstore.read_raw(bundle, run_id) is None
    assert sealed_notes.raw_notes(cat, run_id).empty
    _assert_clean(_bundle_texts(bundle))
    _assert_clean(_catalog_texts(cat))
    assert verify(cat).problems == []
