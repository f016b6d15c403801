"""Personal data kept out of the evidence: a default run stores no raw e-mail, phone, card or IBAN
anywhere (bundle files or catalog tables); metrics are the same as with raw text kept; kept raw
text is encrypted per run and erasable while the bundle still verifies."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from audits.errors import AssayError

SEEDED = {"email": "jane.doe@example.com", "phone": "+1 415-555-0132", "card": "4111 1111 1111 1111",
          "iban": "DE89 3704 0044 0532 0130 00"}


def _config(tmp: Path, store_raw: bool | None = None) -> Path:
    rows = [{"id": f"s{i}", "question": f"My email is {SEEDED['email']}, phone {SEEDED['phone']}, card "
             f"{SEEDED['card']}, IBAN {SEEDED['iban']}. What is {i} + 1?", "answer": str(i + 1)} for i in range(12)]
    (tmp / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    preds = [{"sample_id": f"s{i}", "prediction": f"{i + (i % 3 > 0)} (write to {SEEDED['email']})"} for i in range(12)]
    (tmp / "preds.jsonl").write_text("".join(json.dumps(p) + "\n" for p in preds))
    config = {"name": "pii-job", "period": "2026-Q4", "bootstrap": 50,
              "model": {"backend": "predictions", "path": str(tmp / "preds.jsonl")},
              "tasks": [{"name": "arith", "type": "generate", "dataset": {"path": str(tmp / "data.jsonl")},
                         "fields": {"id": "id", "reference": "answer"}, "prompt": "{question}"}],
              "review": {"rate": 0.5}}
    if store_raw is not None:
        config["scanners"] = {"pii": {"store_raw": store_raw}}
    path = tmp / f"job-{store_raw}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _run(cat, config_path: Path) -> str:
    from audits.config import load_config
    from audits.runner import run_audit

    return run_audit(load_config(config_path), cat, actor="tester")


def _needles() -> list[str]:
    out = []
    for value in SEEDED.values():
        out += [value, value.replace(" ", ""), value.replace(" ", "").replace("-", "")]
    return out


def test_a_default_bundle_and_catalog_hold_no_seeded_personal_data(tmp_path, key_dir):
    from audits.store.catalog import Catalog

    cat = Catalog(tmp_path / "c.duckdb")
    run_id = _run(cat, _config(tmp_path))
    bundle = cat.runs_dir / run_id
    for path in bundle.iterdir():
        if path.suffix == ".parquet":
            text = pd.read_parquet(path).to_csv()
        else:
            text = path.read_bytes().decode("utf-8", "replace")
        for needle in _needles():
            assert needle not in text, f"{needle!r} in {path.name}"
        assert needle not in path.read_bytes().decode("latin-1")
    with duckdb.connect(str(cat.path), read_only=True) as con:
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            dump = con.execute(f"SELECT * FROM {table}").df().to_csv()
            for needle in _needles():
                assert needle not in dump, f"{needle!r} in catalog table {table}"
    samples = pd.read_parquet(bundle / "samples.parquet")
    assert samples["input"].str.contains("<EMAIL_ADDRESS>").all() and samples["input"].str.contains("<IBAN_CODE>").all()
    assert not (bundle / "raw.enc").exists()


def test_metrics_are_the_same_and_kept_raw_text_is_encrypted_and_erasable(tmp_path, key_dir):
    from audits.store.catalog import Catalog
    from audits.trust import keys, rawstore
    from audits.trust.verify import verify

    cat = Catalog(tmp_path / "c.duckdb")
    plain = _run(cat, _config(tmp_path))
    kept = _run(cat, _config(tmp_path, store_raw=True))
    m1 = pd.read_parquet(cat.runs_dir / plain / "metrics.parquet")
    m2 = pd.read_parquet(cat.runs_dir / kept / "metrics.parquet")
    cols = ["task", "metric", "value", "ci_low", "ci_high", "n"]
    shared = m1[cols].merge(m2[cols], on=["task", "metric"], suffixes=("_redacted", "_raw_kept"))
    assert len(shared) == len(m1)  # every metric of the default run, computed before redaction, is identical
    for c in ("value", "ci_low", "ci_high", "n"):
        assert shared[f"{c}_redacted"].equals(shared[f"{c}_raw_kept"]), c
    bundle = cat.runs_dir / kept
    assert SEEDED["email"].encode() not in (bundle / "raw.enc").read_bytes()
    raw = rawstore.read_raw(bundle, kept)
    samples = rawstore.with_raw(pd.read_parquet(bundle / "samples.parquet"), raw, "samples")
    assert samples["raw_input"].str.contains(SEEDED["email"]).all()
    # one access layer: a committee member's export of findings has no raw values, an admin's does
    from audits.access import User, export_table

    committee = export_table(cat, User("cleo", "committee"), kept, "findings")
    admin = export_table(cat, User("ada", "admin"), kept, "findings")
    assert len(committee) and "value" not in committee.columns
    assert SEEDED["email"] not in committee.to_csv()
    assert admin["value"].astype(str).str.contains("jane.doe@example.com").any()
    with pytest.raises(AssayError, match="may not export"):
        export_table(cat, User("rita", "reviewer"), kept, "findings")
    from audits.store.queries import dashboard as dq  # the Privacy page: raw values for admins only

    assert dq.findings_page(cat, kept, include_raw=True, limit=500)["value"].astype(str).str.contains(
        "jane.doe@example.com").any()
    assert "value" not in dq.findings_page(cat, kept, include_raw=False).columns
    assert keys.erase_run_key(kept)
    assert rawstore.read_raw(bundle, kept) is None
    assert verify(cat).problems == []


def test_only_free_text_is_redacted_groups_stay_readable(key_dir):
    from audits.trust import rawstore

    samples = pd.DataFrame({"task": ["t"], "sample_id": ["1"], "input": [f"mail {SEEDED['email']}"],
                            "prediction": ["ok"], "gender": ["female"], "race": ["Asian"]})
    out, files, summary = rawstore.protect("r-x", {"samples": samples}, {})
    row = out["samples"].iloc[0]
    assert row["input"] == "mail <EMAIL_ADDRESS>" and (row["gender"], row["race"]) == ("female", "Asian")
    assert files == {} and summary["redactions"] == 1


def test_redactor_follows_the_runs_pii_thresholds_and_profile():
    """Redaction at rest uses the detector the run configured (per-entity thresholds included)."""
    from audits.trust.redact import Redactor

    text = "Please ask Maria Gonzalez in Lisbon about the refund."
    default = Redactor({"fields": ["prediction"]})([text])[0]
    assert "Maria Gonzalez" not in default
    strict = Redactor({"fields": ["prediction"], "thresholds": {"PERSON": 1.0, "LOCATION": 1.0}})([text])[0]
    assert "Maria Gonzalez" in strict and "Lisbon" in strict
