"""`--resume` continues a killed run only where the result would be the original's (issue 19, item 3):
the saved config must read back as saved, the given config and --limit must be the original's, and
the model and scoring signature must be those its blocks were answered with. Otherwise: one line.

A run is interrupted for real (Ctrl-C, KeyboardInterrupt) once its inference blocks are
checkpointed, on the predictions backend (no model to load), then resumed in the same catalog.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import audits.runner as runner
from audits.config import parse_config
from audits.errors import AssayError
from audits.inference import FINGERPRINT_FILE, sign_block
from audits.runner import run_audit
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q

ROWS = [("1", "Approve A?", "yes"), ("2", "Approve B?", "no"), ("3", "Approve C?", "yes"),
        ("4", "Approve D?", "yes"), ("5", "Approve E?", "no"), ("6", "Approve F?", "no")]


@pytest.fixture
def audit(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"id": i, "question": q, "answer": a}) + "\n" for i, q, a in ROWS))
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"task": "loans", "sample_id": i, "prediction": "yes"}) + "\n"
                             for i, _, _ in reversed(ROWS)))
    raw = {"name": "unit", "period": "2026-Q4", "seed": 3, "bootstrap": 100,
           "model": {"backend": "predictions", "path": str(preds), "system_prompt": "Be brief."},
           "executor": {"block_size": 2},
           "tasks": [{"name": "loans", "type": "generate", "dataset": {"path": str(data)},
                      "fields": {"id": "id", "reference": "answer"}, "prompt": "{question}",
                      "metrics": ["exact_match"]}]}
    return raw, Catalog(tmp_path / "cat.duckdb")


def _interrupted(raw: dict, cat: Catalog, monkeypatch) -> str:
    """Start a run and press Ctrl-C once every block is checkpointed; returns its id."""
    def interrupt(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "evaluate_task", interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_audit(parse_config(raw), cat, actor="tester", limit=6)
    monkeypatch.undo()
    (run,) = [r for r in runs_q.list_runs(cat)["run_id"]]
    assert len(list(cat.runs_dir.glob(f".partial-{run}/loans.*.parquet"))) == 3
    return run


def test_a_resumed_run_gives_the_uninterrupted_results(audit, monkeypatch):
    raw, cat = audit
    run = _interrupted(raw, cat, monkeypatch)
    assert run_audit(parse_config(raw), cat, actor="tester", resume=run, limit=6) == run
    fresh = run_audit(parse_config(raw), cat, actor="tester", limit=6)
    a, b = runs_q.get_results(cat, run), runs_q.get_results(cat, fresh)
    assert a.task("loans").metrics["exact_match"].value == b.task("loans").metrics["exact_match"].value == 3 / 6
    assert a.task("loans").extra["scoring"] == b.task("loans").extra["scoring"]


@pytest.mark.parametrize("change, expected", [
    (lambda raw: raw["tasks"][0].update(system_prompt=""),
     "the config differs from the one run '{run}' started with at 'tasks.0.system_prompt' ((not set) then, '' now)"),
    (lambda raw: raw["model"].update(system_prompt="Be rude."),
     "at 'model.system_prompt' ('Be brief.' then, 'Be rude.' now)"),
    (lambda raw: raw["executor"].update(block_size=3), "at 'executor.block_size' (2 then, 3 now)"),
])
def test_a_changed_config_is_refused(audit, monkeypatch, change, expected):
    raw, cat = audit
    run = _interrupted(raw, cat, monkeypatch)
    change(raw)
    with pytest.raises(AssayError) as err:
        run_audit(parse_config(raw), cat, actor="tester", resume=run, limit=6)
    assert expected.format(run=run) in str(err.value) and "start a new run" in str(err.value)
    assert "\n" not in str(err.value)


def test_a_different_limit_is_refused(audit, monkeypatch):
    raw, cat = audit
    run = _interrupted(raw, cat, monkeypatch)
    with pytest.raises(AssayError, match=r"--limit 4 differs from the limit run '.*' started with \(6\)"):
        run_audit(parse_config(raw), cat, actor="tester", resume=run, limit=4)


def test_a_saved_config_that_reads_back_differently_is_refused(audit, monkeypatch):
    """What the old writer left: an unset task system_prompt saved as null, which reads back as 'none'."""
    raw, cat = audit
    run = _interrupted(raw, cat, monkeypatch)
    saved = cat.runs_dir / f".partial-{run}" / "config.json"
    state = json.loads(saved.read_text())
    state["config"]["tasks"][0]["system_prompt"] = None
    saved.write_text(json.dumps(state))
    sign_block(saved, saved.read_bytes())  # as this installation would have written it
    with pytest.raises(AssayError) as err:
        run_audit(parse_config(raw), cat, actor="tester", resume=run, limit=6)
    assert f"run '{run}': its saved config reads back differently at 'tasks.0.system_prompt' (None -> '')" \
        in str(err.value)


@pytest.mark.parametrize("where, value, expected", [
    (("scoring", "loans"), "chat_template:n/a|system_prompt:none",
     "answered with scoring.loans = 'chat_template:n/a|system_prompt:none', but this attempt's model has "
     "'chat_template:n/a'"),
    (("model", "file_sha256"), "0" * 64, "answered with model.file_sha256 = '000"),
])
def test_blocks_from_another_model_or_signature_are_refused(audit, monkeypatch, where, value, expected):
    """The fingerprint the first attempt's blocks were answered with (model identity and scoring
    signature per task) is pinned in the checkpoint folder; a resume that would differ stops."""
    raw, cat = audit
    run = _interrupted(raw, cat, monkeypatch)
    pinned = cat.runs_dir / f".partial-{run}" / FINGERPRINT_FILE
    fp = json.loads(pinned.read_text())
    assert fp["scoring"] == {"loans": "chat_template:n/a"} and fp["model"]["backend"] == "predictions"
    fp[where[0]][where[1]] = value
    pinned.write_text(json.dumps(fp))
    sign_block(pinned, pinned.read_bytes())  # as this installation would have pinned it
    with pytest.raises(AssayError) as err:
        run_audit(parse_config(raw), cat, actor="tester", resume=run, limit=6)
    assert expected in str(err.value) and "start a new run" in str(err.value)
    assert runs_q.get_run(cat, run)["status"] != "complete"


def test_changed_data_is_refused(audit, monkeypatch, tmp_path):
    """The checkpointed blocks answered the rows as they were; a data file changed since (same ids, a
    new question) would have old answers stand for new inputs while the manifest names the new file."""
    raw, cat = audit
    run = _interrupted(raw, cat, monkeypatch)
    data = tmp_path / "data.jsonl"
    data.write_text(data.read_text().replace("Approve A?", "Approve Z?"))
    with pytest.raises(AssayError) as err:
        run_audit(parse_config(raw), cat, actor="tester", resume=run, limit=6)
    assert f"task 'loans': its data changed since run '{run}' started (sha256" in str(err.value)
    assert "start a new run" in str(err.value) and "\n" not in str(err.value)
    assert runs_q.get_run(cat, run)["status"] != "complete"


def test_changed_code_is_refused(audit, monkeypatch, tmp_path):
    """The manifest names one code identity; blocks answered by other code (Assay upgraded or edited
    between the kill and the resume) are refused rather than mixed under the new code's hash."""
    import audits.identity as identity

    raw, cat = audit
    run = _interrupted(raw, cat, monkeypatch)
    other = tmp_path / "other-code"
    (other / "audits").mkdir(parents=True)
    (other / "audits" / "inference.py").write_text("# another version\n")
    monkeypatch.setattr(identity, "_ROOT", other)
    with pytest.raises(AssayError) as err:
        run_audit(parse_config(raw), cat, actor="tester", resume=run, limit=6)
    assert f"Assay's code changed since run '{run}' started (code sha256" in str(err.value)
    assert "start a new run" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("name", ["config.json", FINGERPRINT_FILE])
@pytest.mark.parametrize("content", ['{"conf', "[1, 2]", "\x00\x01binary"])
def test_an_unreadable_checkpoint_file_is_one_line(audit, monkeypatch, name, content):
    """A checkpoint file cut short (a kill while it was written) or overwritten: one line naming the
    file, never a traceback, and the run is not completed."""
    raw, cat = audit
    run = _interrupted(raw, cat, monkeypatch)
    path = cat.runs_dir / f".partial-{run}" / name
    path.write_text(content)
    with pytest.raises(AssayError) as err:
        run_audit(parse_config(raw), cat, actor="tester", resume=run, limit=6)
    assert f"run '{run}': its checkpoint file {path} cannot be read" in str(err.value)
    assert "start a new run" in str(err.value) and "\n" not in str(err.value)
    assert runs_q.get_run(cat, run)["status"] != "complete"


@pytest.mark.parametrize("name", ["loans.00000.parquet", "config.json", FINGERPRINT_FILE])
@pytest.mark.parametrize("tamper", ["edit", "unsigned"])
def test_an_edited_checkpoint_file_is_refused(audit, monkeypatch, tamper, name):
    """An insider who rewrites a checkpointed block's answers (same sample ids), the saved config (another
    system prompt) or the pinned model before the resume would have them land in a bundle that verifies;
    each checkpoint file is signed with the installation key (kept outside the catalog) instead."""
    raw, cat = audit
    run = _interrupted(raw, cat, monkeypatch)
    block = cat.runs_dir / f".partial-{run}" / name
    if tamper == "edit" and name != "loans.00000.parquet":
        block.write_text(block.read_text().replace("Be brief.", "Be rude.").replace("predictions", "hf"))
    elif tamper == "edit":
        frame = pd.read_parquet(block)
        frame.loc[0, "prediction"] = "FORGED"
        frame.to_parquet(block, index=False)
    else:
        block.with_name(block.name + ".sig").unlink()
    with pytest.raises(AssayError) as err:
        run_audit(parse_config(raw), cat, actor="tester", resume=run, limit=6)
    assert f"run '{run}': checkpoint file {name} has no valid signature" in str(err.value)
    assert "start a new run" in str(err.value) and "\n" not in str(err.value)
    assert runs_q.get_run(cat, run)["status"] != "complete"
