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


def _arith_job(tmp: Path, name: str, questions: list[str], predictions: list[str], bootstrap: int,
               review_rate: float, scanners: dict | None = None, file: str = "job.yaml",
               ids: list[str] | None = None) -> Path:
    """An arithmetic task on the predictions backend whose i-th question and output (and id) are given."""
    ids = ids or [f"s{i}" for i in range(len(questions))]
    rows = [{"id": ids[i], "question": q, "answer": str(i + 1)} for i, q in enumerate(questions)]
    (tmp / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    preds = [{"sample_id": ids[i], "prediction": p} for i, p in enumerate(predictions)]
    (tmp / "preds.jsonl").write_text("".join(json.dumps(p) + "\n" for p in preds))
    config = {"name": name, "period": "2026-Q4", "bootstrap": bootstrap,
              "model": {"backend": "predictions", "path": str(tmp / "preds.jsonl")},
              "tasks": [{"name": "arith", "type": "generate", "dataset": {"path": str(tmp / "data.jsonl")},
                         "fields": {"id": "id", "reference": "answer"}, "prompt": "{question}"}],
              "review": {"rate": review_rate}}
    if scanners is not None:
        config["scanners"] = scanners
    path = tmp / file
    path.write_text(yaml.safe_dump(config))
    return path


def _config(tmp: Path, store_raw: bool | None = None) -> Path:
    return _arith_job(tmp, "pii-job",
                      [f"My email is {SEEDED['email']}, phone {SEEDED['phone']}, card {SEEDED['card']}, "
                       f"IBAN {SEEDED['iban']}. What is {i} + 1?" for i in range(12)],
                      [f"{i + (i % 3 > 0)} (write to {SEEDED['email']})" for i in range(12)], bootstrap=50,
                      review_rate=0.5, scanners=None if store_raw is None else {"pii": {"store_raw": store_raw}},
                      file=f"job-{store_raw}.yaml")


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
    assert samples["input"].str.contains("<EMAIL_ADDRESS_1>").all() and samples["input"].str.contains("<IBAN_CODE_1>").all()
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
    assert row["input"] == "mail <EMAIL_ADDRESS_1>" and (row["gender"], row["race"]) == ("female", "Asian")
    assert files == {} and summary.redactions == 1


def test_redactor_follows_the_runs_pii_thresholds_and_profile():
    """Redaction at rest uses the detector the run configured (per-entity thresholds included)."""
    from audits.trust.redact import Redactor

    text = "Please ask Maria Gonzalez in Lisbon about the refund."
    default = Redactor({"fields": ["prediction"]})([text])[0]
    assert "Maria Gonzalez" not in default
    strict = Redactor({"fields": ["prediction"], "thresholds": {"PERSON": 1.0, "LOCATION": 1.0}})([text])[0]
    assert "Maria Gonzalez" in strict and "Lisbon" in strict


# ---- issue 19: names, addresses, typed notes, explanations, erase, long text ----

PERSON = {"name": "Derrick Jones", "street": "7851 Miller Mission", "city": "New Markhaven, GA 70412"}
ADDRESS = f"{PERSON['street']}, {PERSON['city']}"


def _all_needles() -> list[str]:
    """Every seeded value, compacted forms, digit-only phone/card, and the name and address parts
    (no short digit runs: hex digests in the catalog hold those by chance)."""
    phone_digits = "".join(c for c in SEEDED["phone"] if c.isdigit())
    return sorted(set(_needles() + [phone_digits, phone_digits[1:], SEEDED["card"].replace(" ", ""),
                                    PERSON["name"], "Derrick", PERSON["street"], "Miller Mission", "New Markhaven",
                                    "GA 70412", ADDRESS]))


# sample ids from a production log can be personal data too: each seeded value as an id, and two plain ids
SEEDED_IDS = [SEEDED["email"], SEEDED["phone"], SEEDED["card"], SEEDED["iban"], PERSON["name"], ADDRESS, "s6", "s7"]


def _seeded_config(tmp: Path, scanners: dict | None = None) -> Path:
    secrets = (f"I am {PERSON['name']}, I live at {ADDRESS}. Mail {SEEDED['email']}, phone {SEEDED['phone']}, "
               f"card {SEEDED['card']}, IBAN {SEEDED['iban']}.")
    return _arith_job(tmp, "pii-notes", [f"{secrets} What is {i} + 1?" for i in range(8)],
                      [f"{i + 1}. Write to {PERSON['name']} at {ADDRESS} or {SEEDED['email']}, call {SEEDED['phone']}."
                       for i in range(8)], bootstrap=20, review_rate=1.0, scanners=scanners, ids=SEEDED_IDS)


def _people(cat) -> None:
    from audits.store.queries import users as users_q

    users_q.add_user(cat, "ada", "admin", "ada-password", actor="setup")
    users_q.add_user(cat, "cleo", "committee", "cleo-password", actor="ada")
    users_q.add_user(cat, "carol", "compliance", "carol-password", actor="ada")
    users_q.add_user(cat, "rita", "reviewer", "rita-password", actor="ada")


NOTE = f"call {PERSON['name']} on {SEEDED['phone']} or {SEEDED['email']}; card {SEEDED['card']}, IBAN {SEEDED['iban']}"


def _type_notes(cat, run_id: str) -> None:
    """A sign-off, an attestation and two reviews (note and correction), all carrying the seeds."""
    from audits.store.queries import policies as policies_q
    from audits.store.queries import reviews as reviews_q

    policies_q.add_signoff(cat, run_id, "cleo", "committee", "approve", NOTE)
    policies_q.add_attestation(cat, run_id, "gdpr", "DPIA", "carol", "compliance", "compliance",
                               note=f"{NOTE}; visited {ADDRESS}")
    queue = reviews_q.review_queue(cat, run_id)
    for (task, sid), label in zip(zip(queue["task"], queue["sample_id"]), ("incorrect", "needs_rephrasing")):
        reviews_q.record_review(cat, run_id, task, sid, "rita", "reviewer", label,
                                correction=f"Ask {PERSON['name']} at {ADDRESS}, {SEEDED['email']}", note=NOTE)


def _bundle_texts(bundle: Path) -> dict[str, str]:
    """Every bundle file as text: Parquet read back, explanation tokens also joined per sample."""
    out = {}
    for path in sorted(bundle.iterdir()):
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            text = frame.to_csv()
            if "token" in frame.columns:
                joined = frame.sort_values(["task", "sample_id", "position"]).groupby(["task", "sample_id"])["token"]
                text += "\n".join(joined.apply("".join))
            out[path.name] = text
        else:
            out[path.name] = path.read_bytes().decode("utf-8", "replace")
    return out


def _catalog_texts(cat) -> dict[str, str]:
    """Every column of every catalog table, as text."""
    with duckdb.connect(str(cat.path), read_only=True) as con:
        names = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return {t: con.execute(f'SELECT * FROM "{t}"').df().to_csv() for t in names}


def _assert_clean(texts: dict[str, str]) -> None:
    leaks = [(where, needle) for where, text in texts.items() for needle in _all_needles() if needle in text]
    assert leaks == []


def test_default_run_and_typed_notes_keep_no_seeded_personal_data_anywhere(tmp_path, key_dir):
    """E-mail, phone, card, IBAN, a name and an address in prompts, outputs, sign-off, attestation and
    review notes and corrections: with default settings no bundle file and no catalog column holds
    any of them (nor the phone's or card's digits), and everything still verifies."""
    from audits.store.catalog import Catalog
    from audits.store.queries import policies as policies_q
    from audits.trust.verify import verify

    cat = Catalog(tmp_path / "c.duckdb")
    _people(cat)
    run_id = _run(cat, _seeded_config(tmp_path))
    _type_notes(cat, run_id)
    bundle = cat.runs_dir / run_id
    _assert_clean(_bundle_texts(bundle))
    _assert_clean(_catalog_texts(cat))
    samples = pd.read_parquet(bundle / "samples.parquet")
    assert samples["input"].str.contains("<PERSON_1>").all() and samples["input"].str.contains("<LOCATION_1>").all()
    # the ids: pseudonymised alike in every table (the review queue, so reviews and the log, follow); plain ids kept
    ids = samples["sample_id"].tolist()
    assert [i.split(" #")[0] for i in ids[:6]] == ["<EMAIL_ADDRESS>", "<PHONE_NUMBER>", "<CREDIT_CARD>", "<IBAN_CODE>",
                                                   "<PERSON>", "<LOCATION>"] and ids[6:] == ["s6", "s7"]
    assert set(pd.read_parquet(bundle / "review_queue.parquet")["sample_id"]) == set(ids)
    for path in bundle.glob("*.parquet"):
        frame = pd.read_parquet(path)
        assert "sample_id" not in frame.columns or set(frame["sample_id"]) <= set(ids), path.name
    assert json.loads((bundle / "manifest.json").read_text())["personal_data"]["scheme"] == 3  # whole-word rule
    note = policies_q.list_signoffs(cat, run_id)["note"].iloc[0]
    assert note.startswith("call <PERSON> on <PHONE_NUMBER> or <EMAIL_ADDRESS>")  # redacted, still readable
    assert verify(cat).problems == []  # the row hashes in the log are of the stored (redacted) rows


def test_explanation_tokens_are_redacted_on_their_joined_text(key_dir):
    """Token by token, no pattern sees 'Derrick ' or 'Miller ' as personal data; on the joined text
    the detector does, and no token nor any join of tokens gives a piece of a value back."""
    from audits.scanners.explain import WordTokenizer
    from audits.trust import rawstore
    from audits.trust.redact import Redactor

    text = f"{PERSON['name']} ({SEEDED['email']}) lives at {ADDRESS}. Call {SEEDED['phone']}, IBAN {SEEDED['iban']}."
    tokens = WordTokenizer()(text)["input_ids"]
    assert "".join(tokens) == text
    frame = pd.DataFrame({"task": "t", "sample_id": "1", "token": tokens[::-1], "position": range(len(tokens))[::-1],
                          "attribution": 0.1})  # rows in any order: positions decide
    out, files, summary = rawstore.protect("r-tok", {"explanations": frame}, {})
    clean = out["explanations"].sort_values("position")["token"].tolist()
    assert len(clean) == len(tokens) and summary.scheme == 3 and files == {}
    joined = "".join(clean)
    assert joined == Redactor()([text])[0]
    assert joined.startswith("<PERSON> (<EMAIL_ADDRESS>) lives at <LOCATION>. Call <PHONE_NUMBER>, IBAN <IBAN_CODE>")
    _assert_clean({"tokens": "\n".join(clean), "joined": joined})
    assert clean[0] == "<PERSON>" and clean[1] == " ("  # the span's first token carries the tag, later ones lose it


def test_kept_raw_notes_are_sealed_under_the_run_key_and_erased_with_it(tmp_path, key_dir):
    from audits.commands.erase import erase
    from audits.store.catalog import Catalog
    from audits.store.queries import sealed_notes
    from audits.trust.verify import verify

    cat = Catalog(tmp_path / "c.duckdb")
    _people(cat)
    run_id = _run(cat, _seeded_config(tmp_path, {"pii": {"store_raw": True}}))
    _type_notes(cat, run_id)
    _assert_clean(_catalog_texts(cat))  # sealed: ciphertext only
    raw = sealed_notes.raw_notes(cat, run_id)
    assert set(raw["table_name"]) == {"signoffs", "attestations", "reviews"}
    assert set(raw["column_name"]) == {"note", "correction"} and (raw["value"] == NOTE).sum() == 3
    done = erase(cat, run_id, "ada", reason="data subject request")
    assert done.raw_key_destroyed and done.sealed_notes_deleted == len(raw) and done.dropped_files == {}
    assert sealed_notes.raw_notes(cat, run_id).empty
    assert verify(cat).problems == []


def test_a_one_megabyte_note_is_refused_in_one_line_and_nothing_is_written(tmp_path, key_dir):
    from audits.store.catalog import Catalog
    from audits.store.queries import policies as policies_q
    from audits.store.queries import reviews as reviews_q

    cat = Catalog(tmp_path / "c.duckdb")
    _people(cat)
    run_id = _run(cat, _seeded_config(tmp_path))
    before = _catalog_texts(cat)
    huge = "x" * (1 << 20)
    item = reviews_q.review_queue(cat, run_id).iloc[0]
    writes = [lambda: policies_q.add_signoff(cat, run_id, "cleo", "committee", "approve", huge),
              lambda: policies_q.add_attestation(cat, run_id, "gdpr", "DPIA", "carol", "compliance", "compliance",
                                                 note=huge),
              lambda: reviews_q.record_review(cat, run_id, item["task"], item["sample_id"], "rita", "reviewer",
                                              "incorrect", correction=huge)]
    for write in writes:
        with pytest.raises(AssayError) as err:
            write()
        assert "\n" not in str(err.value) and "1,048,576 characters long; typed text is limited to 20,000" in str(err.value)
    assert _catalog_texts(cat) == before


def _legacy_run(cat, run_id: str) -> tuple[Path, str]:
    """A complete run written as before joined-text redaction: explanation tokens pattern-redacted one
    by one (the name and address survive) and a samples table the old default left names in."""
    from audits.store.bundle import write_bundle
    from audits.store.queries import runs as runs_q

    runs_q.register_run(cat, run_id, "legacy", "2026Q3", "cfg", "model", actor="tester")
    text = f"{PERSON['name']} lives at {ADDRESS}."
    tokens = ["Derrick ", "Jones ", "lives ", "at ", "7851 ", "Miller ", "Mission, ", "New ", "Markhaven, ", "GA ",
              "70412."]
    assert "".join(tokens) == text
    tables = {"samples": pd.DataFrame({"task": ["t"], "sample_id": ["1"], "input": [text], "prediction": ["ok"]}),
              "metrics": pd.DataFrame({"task": ["t"], "metric": ["accuracy"], "value": [0.5]}),
              "explanations": pd.DataFrame({"task": "t", "sample_id": "1", "token": tokens,
                                            "position": range(len(tokens)), "attribution": 0.0})}
    bundle, sha = write_bundle(cat.runs_dir, run_id, tables, {"run_id": run_id, "tasks": []}, {"name": "legacy"},
                               {"audit": "legacy", "personal_data": {"redacted": True, "detector": False}})
    runs_q.complete_run(cat, run_id, bundle, sha, "tester", "cpu")
    return bundle, sha


def _logged_erasures(cat, run_id: str) -> list[dict]:
    with duckdb.connect(str(cat.path), read_only=True) as con:
        rows = con.execute("SELECT details FROM audit_log WHERE action = 'run.erased' AND target = ?",
                           [run_id]).fetchall()
    return [json.loads(d) for (d,) in rows]


def test_erase_drops_files_written_before_joined_text_redaction_with_their_hashes_logged(tmp_path, key_dir):
    """Migration: a pre-scheme-2 bundle's explanations (and any text table today's detector still finds
    personal data in) are dropped by erase; the log names each with its manifest hash, which is what
    verify_bundle accepts in place of the file."""
    from audits.commands.erase import erase
    from audits.store.bundle import read_manifest, verify_bundle
    from audits.store.catalog import Catalog
    from audits.trust.verify import verify

    cat = Catalog(tmp_path / "c.duckdb")
    bundle, sha = _legacy_run(cat, "old")
    files = read_manifest(bundle).files
    done = erase(cat, "old", "ada")
    assert done.dropped_files == {n: files[n] for n in ("explanations.parquet", "samples.parquet")}
    assert not (bundle / "explanations.parquet").exists() and not (bundle / "samples.parquet").exists()
    assert (bundle / "metrics.parquet").exists() and not (cat.runs_dir / ".erasing-old").exists()
    assert _logged_erasures(cat, "old")[0]["dropped_files"] == done.dropped_files
    assert verify_bundle(bundle, sha, dropped=done.dropped_files) == []
    assert sorted(verify_bundle(bundle, sha)) == [f"run old: {n} is missing"
                                                  for n in ("explanations.parquet", "samples.parquet")]
    assert not [p for p in verify(cat).problems if "missing" in p]  # verify reads the hashes from the log
    _assert_clean(_bundle_texts(bundle))


def test_a_failed_erase_changes_nothing(tmp_path, key_dir):
    """The key cannot be destroyed (its path is a directory): the transaction rolls back, the bundle
    gets its files back, no erasure is logged."""
    from audits.commands.erase import erase
    from audits.store.bundle import verify_bundle
    from audits.store.catalog import Catalog

    cat = Catalog(tmp_path / "c.duckdb")
    bundle, sha = _legacy_run(cat, "old")
    (key_dir / "run-keys" / "old.key").mkdir(parents=True)
    with pytest.raises(OSError):
        erase(cat, "old", "ada")
    assert verify_bundle(bundle, sha) == [] and _logged_erasures(cat, "old") == []
    assert not (cat.runs_dir / ".erasing-old").exists()
