"""`assay erase` on a bundle written before the whole-word rule (commit 11d848c, same redaction scheme 2):
a value kept in a public task's prediction only because it was a SUBSTRING of the public text (the tail of
an e-mail in the prompt) is someone else's personal data; erase re-checks public-task predictions with
``stands_in`` and drops such a samples table (a logged migration whose hash still verifies)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from audits.trust.redact import Redactor

_PUBLIC = "Mary Jonesboro wrote from mary.jane.roe@example.org. Karen and Steven sat the test. Who is good at math?"


def _run(cat, run_id: str, prediction: str) -> tuple[Path, str]:
    """A complete scheme-2 run with one public BBQ row and one private row, written by hand as the writer
    of the time did: the public row's prediction kept whatever was a substring of its prompt."""
    from audits.store.bundle import write_bundle
    from audits.store.queries import runs as runs_q

    runs_q.register_run(cat, run_id, "bbq-audit", "2026Q4", "cfg", "model", actor="tester")
    tables = {"samples": pd.DataFrame({"task": ["bbq", "support"], "sample_id": ["1", "s-1"],
                                       "input": [_PUBLIC, "Where is my parcel?"], "reference": ["Karen", "tracking"],
                                       "prediction": [prediction, "Use the tracking page."]}),
              "metrics": pd.DataFrame({"task": ["bbq"], "metric": ["accuracy"], "value": [1.0]})}
    personal = {"redacted": True, "scheme": 2, "detector": True, "pseudonyms": "per item", "kept_public": ["bbq"]}
    bundle, sha = write_bundle(cat.runs_dir, run_id, tables, {"run_id": run_id, "tasks": []}, {"name": "bbq-audit"},
                               {"audit": "bbq-audit", "personal_data": personal})
    runs_q.complete_run(cat, run_id, bundle, sha, "tester", "cpu")
    return bundle, sha


def _logged(cat, run_id: str) -> list[dict]:
    with duckdb.connect(str(cat.path), read_only=True) as con:
        rows = con.execute("SELECT details FROM audit_log WHERE action = 'run.erased' AND target = ?",
                           [run_id]).fetchall()
    return [json.loads(d) for (d,) in rows]


def test_erase_drops_a_public_prediction_that_kept_a_substring_of_the_prompt(tmp_path, key_dir):
    from audits.commands.erase import erase
    from audits.store.bundle import read_manifest, verify_bundle
    from audits.store.catalog import Catalog
    from audits.trust.verify import verify

    cat = Catalog(tmp_path / "c.duckdb")
    bundle, sha = _run(cat, "old", "Karen. Write to jane.roe@example.org")  # kept raw by substring containment
    files = read_manifest(bundle).files
    done = erase(cat, "old", "ada")
    assert done.dropped_files == {"samples.parquet": files["samples.parquet"]}
    assert not (bundle / "samples.parquet").exists() and (bundle / "metrics.parquet").exists()
    assert _logged(cat, "old")[0]["dropped_files"] == done.dropped_files
    assert verify_bundle(bundle, sha, dropped=done.dropped_files) == []
    assert not [p for p in verify(cat).problems if "missing" in p]
    left = b"".join(p.read_bytes() for p in bundle.iterdir() if p.is_file())
    assert b"jane.roe" not in left.replace(b"mary.jane.roe", b"")


def test_erase_keeps_a_bundle_written_with_the_whole_word_rule(tmp_path, key_dir):
    """Today's writer pseudonymised that e-mail and kept the whole-word public value (Karen) and the
    public prompt's own e-mail: nothing to drop."""
    from audits.commands.erase import erase
    from audits.store.catalog import Catalog

    cat = Catalog(tmp_path / "c.duckdb")
    bundle, _ = _run(cat, "new", "Karen. Write to <EMAIL_ADDRESS_1> or mary.jane.roe@example.org")
    assert erase(cat, "new", "ada").dropped_files == {}
    assert (bundle / "samples.parquet").exists()


def test_only_values_inside_the_public_text_but_not_standing_in_it_are_named():
    from audits.commands.erase import kept_inside_public

    frame = pd.DataFrame({"task": ["bbq", "bbq", "support"], "input": [_PUBLIC, _PUBLIC, _PUBLIC],
                          "prediction": ["MARY.JANE.ROE@example.org, Karen", "ry.jane.roe@example.org",
                                         "jane.roe@example.org"]})
    found = kept_inside_public(frame, Redactor(patterns_only=True), ["bbq"])
    assert found == ["EMAIL_ADDRESS"]  # row 2 only: row 1 stands whole; row 3 is no public task


def _run_with_scheme(cat, run_id: str, scheme: int, public: list[str]):
    from audits.store.bundle import write_bundle
    from audits.store.queries import runs as runs_q

    runs_q.register_run(cat, run_id, "bbq-audit", "2026Q4", "cfg", "model", actor="tester")
    tables = {"metrics": pd.DataFrame({"task": ["bbq"], "metric": ["accuracy"], "value": [1.0]})}
    personal = {"redacted": True, "scheme": scheme, "detector": True, "kept_public": public}
    bundle, sha = write_bundle(cat.runs_dir, run_id, tables, {"run_id": run_id, "tasks": []}, {"name": "bbq-audit"},
                               {"audit": "bbq-audit", "personal_data": personal})
    runs_q.complete_run(cat, run_id, bundle, sha, "tester", "cpu")


def test_verify_names_bundles_redacted_before_todays_scheme_as_a_finding_with_the_fix(tmp_path, key_dir, capsys):
    """A scheme-2 bundle with a public task (before the whole-word rule) and a scheme-1 bundle (before joined-text
    redaction) are named by `assay verify` as notes with the erase that migrates them, not as forgeries (exit 0);
    a current bundle, a scheme-2 bundle without a public task, and a migrated (erased) one are not named."""
    from audits.cli import main
    from audits.commands.erase import erase
    from audits.store.catalog import Catalog
    from audits.trust import rawstore
    from audits.trust.verify import verify

    assert rawstore.SCHEME == rawstore.WHOLE_WORD_SCHEME == 3
    cat = Catalog(tmp_path / "c.duckdb")
    _run(cat, "old", "Karen.")
    _run_with_scheme(cat, "older", 1, [])
    _run_with_scheme(cat, "private", 2, [])
    _run_with_scheme(cat, "current", rawstore.SCHEME, ["bbq"])
    report = verify(cat)
    assert report.problems == []
    named = {n.split(":")[0] for n in report.notes if "redacted with scheme" in n}
    assert named == {"run old", "run older"}, report.notes
    (old,) = [n for n in report.notes if n.startswith("run old:")]
    assert old == ("run old: bundle redacted with scheme 2 (today's is 3): a public task's predictions kept values "
                   "that were only a piece of the public text (the tail of an e-mail in the prompt); `assay erase old "
                   "--reason TEXT` re-checks it and drops files that still hold personal data (logged; their hashes "
                   "still verify)")
    (older,) = [n for n in report.notes if n.startswith("run older:")]
    assert "scheme 1 (today's is 3): explanation tokens redacted one by one" in older
    assert "public task" not in older  # it has none: the whole-word rule changed nothing there
    capsys.readouterr()
    assert main(["--catalog", str(cat.path), "verify"]) == 0
    assert "verify: note: run old: bundle redacted with scheme 2" in capsys.readouterr().err
    assert erase(cat, "old", "ada").dropped_files == {}  # re-checked: nothing held personal data
    assert [n for n in verify(cat).notes if n.startswith("run old: bundle redacted")] == []
