"""Bad input, round 4: the real CLI entry point (``audits.cli.main``) on a catalog holding one complete run.
Each case was a traceback, a silent wrong answer or a vague line before; now it is one line naming the problem
and the fix (exit 2), and the catalog is intact afterwards (``assay verify`` passes, the complete runs are the
same). None loads a model: the predictions backend answers. (Rounds 1-3: tests/cli/test_bad_inputs_round3.py.)"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.cli.one_line import cli, one_line

ROWS = [{"id": str(i), "question": f"q{i}", "answer": f"a{i}"} for i in range(12)]
PACK = ("name: em\ntitle: Exact match\ncontrols:\n"
        "  - {id: EM-1, title: exact, source: internal, owner: compliance, check: 'exact_match >= 0.5'}\n")


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def _config(period: str = "2026-Q4", dataset: str = "data.jsonl", model: str = "preds.jsonl") -> str:
    return (f"name: r4\nperiod: {period}\nseed: 1\nbootstrap: 50\nmodel: {{backend: predictions, path: {model}}}\n"
            f"tasks:\n  - name: t\n    type: generate\n    dataset: {{path: {dataset}}}\n"
            f"    fields: {{id: id, reference: answer}}\n    prompt: \"{{question}}\"\n    metrics: [exact_match]\n")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A folder with data, predictions, a pack and a catalog holding one complete run of audit r4."""
    root = tmp_path_factory.mktemp("round4")
    (root / "data.jsonl").write_text(_jsonl(ROWS), encoding="utf-8")
    (root / "preds.jsonl").write_text(_jsonl([{"sample_id": r["id"], "prediction": r["answer"]} for r in ROWS]),
                                      encoding="utf-8")
    (root / "em.yaml").write_text(PACK, encoding="utf-8")
    (root / "ok.yaml").write_text(_config(), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASSAY_KEY_DIR", str(root / "keys"))
        code, out, err = cli("--catalog", str(root / "c.duckdb"), "run", str(root / "ok.yaml"))
    assert code == 0, err
    (root / "run_id").write_text(out.split()[-1])
    return root


@pytest.fixture()
def cat(folder, monkeypatch):
    """The catalog's path; after the test, every complete run is still there and `assay verify` passes."""
    monkeypatch.setenv("ASSAY_KEY_DIR", str(folder / "keys"))
    catalog = str(folder / "c.duckdb")

    def complete() -> list[dict]:
        code, out, _ = cli("--catalog", catalog, "runs", "--json")
        assert code == 0
        return [r for r in json.loads(out) if r["status"] == "complete"]

    before = complete()
    yield catalog
    assert complete() == before
    code, out, err = cli("--catalog", catalog, "verify")
    assert code == 0 and "intact" in out, err


def _run_id(folder: Path) -> str:
    return (folder / "run_id").read_text()


# --- verify --export-checkpoint: a traceback after the whole verify ------------------------------------------
def test_a_checkpoint_onto_a_folder_or_under_a_file_isone_line(folder, cat):
    target = folder / "ckpt-folder"
    target.mkdir(exist_ok=True)
    code, _, err = cli("--catalog", cat, "verify", "--export-checkpoint", str(target), "--force")
    assert code == 2 and one_line(err) == (f"--export-checkpoint {target} is a folder, not a file — name a file, "
                                            f"e.g. --export-checkpoint {target / 'checkpoint.json'}")
    under = folder / "data.jsonl" / "c.json"
    code, _, err = cli("--catalog", cat, "verify", "--export-checkpoint", str(under))
    assert code == 2 and one_line(err) == (f"--export-checkpoint {under}: {folder / 'data.jsonl'} is a file, not a "
                                            "folder — name a file in a folder, e.g. --export-checkpoint checkpoint.json")


def test_force_never_writes_a_checkpoint_over_the_catalog(folder, cat):
    """`verify --export-checkpoint c.duckdb --force` replaced the catalog itself with a JSON checkpoint."""
    before = Path(cat).read_bytes()
    code, _, err = cli("--catalog", cat, "verify", "--export-checkpoint", cat, "--force")
    assert code == 2 and one_line(err) == (f"--export-checkpoint {cat} exists and is not an Assay checkpoint; "
                                            "--force replaces only an earlier checkpoint — name a new file")
    assert Path(cat).read_bytes() == before
    ckpt = folder / "again.json"
    for _ in range(2):  # an earlier checkpoint is still replaced
        code, _, err = cli("--catalog", cat, "verify", "--export-checkpoint", str(ckpt), "--force")
        assert code == 0, err


def test_a_log_imported_onto_itself_is_refused_and_kept(folder, cat):
    """`logs import LOG --out LOG` overwrote the raw log with the flat table (the raw file's SHA-256 lost)."""
    log = folder / "raw.jsonl"
    log.write_text(_jsonl([{"id": i, "input": f"q{i}", "output": f"a{i}"} for i in range(3)]), encoding="utf-8")
    before = log.read_bytes()
    same = f"{folder}/./raw.jsonl"
    code, _, err = cli("logs", "import", str(log), "--out", same)
    assert code == 2 and one_line(err) == (f"--out {same} is the log being imported — write the flat table to "
                                            f"another file, e.g. --out {folder / 'raw.flat.jsonl'}")
    assert log.read_bytes() == before


def test_a_checkpoint_into_a_missing_folder_is_written(folder, cat):
    target = folder / "new" / "deeper" / "c.json"
    code, out, err = cli("--catalog", cat, "verify", "--export-checkpoint", str(target))
    assert code == 0, err
    assert json.loads(target.read_text())["format"] and "wrote the signed checkpoint" in out


# --- report --policy: a misspelt pack was an error row inside the written report ----------------------------
def test_report_with_an_unknown_pack_writes_nothing(folder, cat):
    out = folder / "r.html"
    code, _, err = cli("--catalog", cat, "report", _run_id(folder), "-o", str(out), "--policy", "internal-lm")
    assert code == 2 and one_line(err) == (
        "unknown policy pack 'internal-lm' — use one of: eu-ai-act, gdpr-ccpa, internal-llm, nist-ai-rmf, "
        "owasp-llm-top10, or a path to a pack YAML file")
    assert not out.exists()
    code, _, err = cli("--catalog", cat, "report", _run_id(folder), "--pack", str(folder / "p.zip"),
                        "--policy", str(folder / "nope.yaml"))
    assert code == 2 and one_line(err).startswith(f"policy pack file {folder / 'nope.yaml'} does not exist — ")
    assert not (folder / "p.zip").exists()


# --- plan --expect: a misspelt metric fell back to the previous run; a rate of 1.5 planned 8 samples ----------
@pytest.mark.parametrize("expect,says", [
    ("exact_mach=0.9", "--expect exact_mach=0.9: no control of these packs plans 'exact_mach' (planned: exact_match, "
                       "t.exact_match) — name a metric (or task.metric) from that list, or drop --expect"),
    ("q.exact_match=0.9", "--expect q.exact_match=0.9: no control of these packs plans 'exact_match' for task 'q' "
                          "(planned: exact_match, t.exact_match) — name a metric (or task.metric) from that list, "
                          "or drop --expect"),
    ("exact_match=1.5", "--expect exact_match=1.5: exact_match is a rate, between 0 and 1 — give a proportion, "
                        "e.g. --expect exact_match=0.9"),
])
def test_plan_refuses_an_expectation_it_cannot_use(folder, cat, expect, says):
    code, _, err = cli("--catalog", cat, "plan", str(folder / "ok.yaml"), "--policy", str(folder / "em.yaml"),
                        "--expect", expect)
    assert code == 2 and one_line(err) == says


def test_plan_still_uses_a_good_expectation(folder, cat):
    code, out, err = cli("--catalog", cat, "plan", str(folder / "ok.yaml"), "--policy", str(folder / "em.yaml"),
                          "--expect", "t.exact_match=0.9")
    assert code == 0 and "expected 0.9 (--expect), need 8, have 12" in out, err


# --- a period that does not sort was stored, and ordered after every 20xx period -----------------------------
@pytest.mark.parametrize("period", ["Q4-2026", "'2026 Q4'", "2026-Q5", "2026q4", "2026-13"])
def test_a_period_that_cannot_be_ordered_is_one_line_and_no_run(folder, cat, period):
    config = folder / "period.yaml"
    config.write_text(_config(period=period), encoding="utf-8")
    code, _, err = cli("--catalog", cat, "run", str(config))
    shown = period.strip("'")
    assert code == 2 and one_line(err) == (
        f"{config}: invalid value at 'period': Value error, period '{shown}' cannot be put in time order (trend and "
        "'previous run' order runs by it); write it as YYYY-Qn (e.g. 2026-Q4), YYYY, YYYY-Hn, YYYY-MM, YYYY-MM-DD or "
        "YYYY-Wnn — correct the value (see the config example in README.md)")


@pytest.mark.parametrize("period,stored", [("2026", "2026"), ("2026-10-01", "2026-10-01"), ("2026-Q4b", "2026-Q4b"),
                                           ("pilot", "pilot"), ("2026-W40", "2026-W40")])
def test_periods_that_sort_are_read_as_text(period, stored):
    import yaml

    from audits.config import parse_config

    assert parse_config(yaml.safe_load(_config(period=period))).period == stored  # 2026: an int; 2026-10-01: a date


# --- datasets and predictions: delimiter, line number, a line that is a list (was a traceback) ----------------
CSV_ROWS = "".join(f"{r['id']}{{d}}{r['question']}{{d}}{r['answer']}\n" for r in ROWS)
FILES: list[tuple[str, str, str, str]] = [
    # (file, which config slot, content, the one line after the file's path)
    ("semi.csv", "dataset", "id;question;answer\n" + CSV_ROWS.replace("{d}", ";"),
     " is separated by ';', not commas (read as one column 'id;question;answer') — re-save it comma-separated "
     "(CSV UTF-8), or as .jsonl"),
    ("tabs.csv", "dataset", "id\tquestion\tanswer\n" + CSV_ROWS.replace("{d}", "\t"),
     " is separated by tabs, not commas (read as one column 'id\\tquestion\\tanswer') — re-save it comma-separated "
     "(CSV UTF-8), or as .jsonl"),
    ("badline.jsonl", "dataset", _jsonl(ROWS[:5]) + "{oops\n", "line 6 of {path} is not JSON (Expecting property "
     "name enclosed in double quotes) — write one JSON object per line (fix or remove that line)"),
    ("listline.jsonl", "dataset", _jsonl(ROWS[:3]) + "[1, 2]\n", "line 4 of {path} is a JSON list, not an object "
     "— write one JSON object per line (fix or remove that line)"),
    ("semi-preds.csv", "model", "sample_id;prediction\n" + "".join(f"{r['id']};x\n" for r in ROWS),
     " is separated by ';', not commas (read as one column 'sample_id;prediction') — re-save it comma-separated "
     "(CSV UTF-8), or as .jsonl"),
    ("list-preds.jsonl", "model", _jsonl([{"sample_id": r["id"], "prediction": "x"} for r in ROWS]) + "[1]\n",
     ": line 13 is a JSON list, not an object — write one JSON object per line (fix or remove that line)"),
]


@pytest.mark.parametrize("name,slot,content,says", FILES, ids=[f[0] for f in FILES])
def test_a_misformatted_data_file_names_its_delimiter_or_line(folder, cat, name, slot, content, says):
    path = folder / name
    path.write_text(content, encoding="utf-8")
    config = folder / f"{name}.yaml"
    config.write_text(_config(**{slot: name}), encoding="utf-8")
    code, _, err = cli("--catalog", cat, "run", str(config))
    line = one_line(err)
    assert code == 2
    if "{path}" in says:
        assert line == f"task 't': " + says.replace("{path}", str(path))
    elif slot == "model":
        assert line.startswith(f"predictions file '{path}'") and line.endswith(says)
    else:
        assert line == f"task 't': {path}{says}"


# --- argparse: a wrong argument was a five-line usage block ----------------------------------------------------
@pytest.mark.parametrize("args,says", [
    (["run", "x.yaml", "--limit", "-5"], "run: argument --limit: must be at least 1, got -5 — see `assay run --help`"),
    (["run", "x.yaml", "--device", "tpu"], "run: argument --device: invalid choice: 'tpu' (choose from 'auto', 'cpu', "
                                           "'cuda') — see `assay run --help`"),
    (["drift", "a"], "drift: the following arguments are required: run_b — see `assay drift --help`"),
    (["drift", "a", "b", "--seed", "-1"],  # was numpy's traceback
     "drift: argument --seed: a seed is 0 or more, got -1 — see `assay drift --help`"),
    (["logs", "import", "x.jsonl", "--out", "y.jsonl", "--sample", "5", "--seed", "-1"],  # was numpy's traceback
     "logs import: argument --seed: a seed is 0 or more, got -1 — see `assay logs import --help`"),
    (["users", "add", "bob", "--role", "wizard"], "users add: argument --role: invalid choice: 'wizard' (choose from "
     "'viewer', 'reviewer', 'committee', 'compliance', 'admin') — see `assay users add --help`"),
])
def test_a_wrong_argument_isone_line(cat, args, says):
    code, out, err = cli("--catalog", cat, *args)
    assert code == 2 and not out and one_line(err) == says


# --- users: the only admin could deactivate or demote itself, locking the catalog for good ---------------------
def test_the_only_admin_cannot_be_removed_or_demoted(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    catalog = str(tmp_path / "c.duckdb")
    monkeypatch.setattr("sys.stdin", io.StringIO("adminpass123\n"))
    assert cli("--catalog", catalog, "users", "add", "ada", "--role", "admin", "--password-stdin")[0] == 0
    monkeypatch.setenv("ASSAY_PASSWORD", "adminpass123")  # ada acts (--by ada)
    fix = ("would leave no one who can add, re-activate or remove users, or erase a run — add another admin first "
           "(`assay users add NAME --role admin`)")
    code, _, err = cli("--catalog", catalog, "users", "remove", "ada", "--by", "ada")
    assert code == 2 and one_line(err) == f"ada is the only active admin; deactivating it {fix}"
    code, _, err = cli("--catalog", catalog, "users", "add", "ada", "--role", "reviewer", "--by", "ada")
    assert code == 2 and one_line(err) == f"ada is the only active admin; making it a reviewer {fix}"
    code, out, _ = cli("--catalog", catalog, "users", "list")
    assert code == 0 and out.split()[:2] == ["ada", "admin"]
    monkeypatch.setattr("sys.stdin", io.StringIO("otherpass456\n"))
    assert cli("--catalog", catalog, "users", "add", "bo", "--role", "admin", "--by", "ada", "--password-stdin")[0] == 0
    code, out, err = cli("--catalog", catalog, "users", "remove", "ada", "--by", "ada")  # another admin remains
    assert code == 0 and out.strip() == "deactivated user ada", err
    code, out, err = cli("--catalog", catalog, "verify")
    assert code == 0 and "intact" in out, err


# --- round 4 follow-up: a ';' log, --out replaced silently, policy paths from cwd, mixed period forms ----------
def test_a_log_separated_by_semicolons_names_its_delimiter(folder, cat):
    """Was "no 'sample_id' column (columns: id;input;output;segment)"; refused like a dataset CSV (the docs ask for
    comma-separated CSV, and guessing the delimiter would split a ';' inside a logged text)."""
    log = folder / "semi-log.csv"
    log.write_text("id;input;output;segment\n" + "".join(f"{i};q{i};a{i};s\n" for i in range(3)), encoding="utf-8")
    out = folder / "semi-log.flat.jsonl"
    code, _, err = cli("logs", "import", str(log), "--out", str(out))
    assert code == 2 and one_line(err) == (f"log {log} is separated by ';', not commas (read as one column "
                                            "'id;input;output;segment') — re-save it comma-separated (CSV UTF-8), "
                                            "or as .jsonl")
    assert not out.exists()


def test_logs_import_replaces_an_existing_out_only_with_force(folder, cat):
    """`logs import --out FILE` replaced FILE without asking, while `assay export` asks for --force."""
    log = folder / "force-log.jsonl"
    log.write_text(_jsonl([{"id": i, "input": f"q{i}", "output": f"a{i}"} for i in range(3)]), encoding="utf-8")
    out = folder / "kept.jsonl"
    out.write_text("mine\n", encoding="utf-8")
    code, _, err = cli("logs", "import", str(log), "--out", str(out))
    assert code == 2 and one_line(err) == (f"--out {out} already exists — pass --force to replace it, or choose "
                                            "another --out file")
    assert out.read_text(encoding="utf-8") == "mine\n"
    code, _, err = cli("logs", "import", str(log), "--out", str(out), "--force")
    assert code == 0, err
    assert [json.loads(line)["sample_id"] for line in out.read_text(encoding="utf-8").splitlines()] == ["0", "1", "2"]


def test_policy_paths_resolve_against_the_config_folder(folder, cat, tmp_path, monkeypatch):
    """`policy: [em.yaml]` was read from the current directory, while `dataset: {path: ...}` is read beside the
    config: from another folder, plan said the pack file did not exist."""
    from audits.config import load_config

    config = folder / "with-policy.yaml"
    config.write_text(_config() + "policy: [em.yaml, sub/../em.yaml, internal-llm]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_config(config).policy == [str(folder / "em.yaml")] * 2 + ["internal-llm"]
    code, out, err = cli("--catalog", cat, "plan", str(config), "--expect", "t.exact_match=0.9")
    assert code == 0 and "expected 0.9 (--expect), need 8, have 12" in out, err


@pytest.mark.parametrize("period,form", [("2026-10", "YYYY-MM"), ("2026", "YYYY"), ("2026-W40", "YYYY-Wnn")])
def test_a_period_in_another_form_than_the_audits_runs_is_refused(folder, cat, period, form):
    """r4's run is 2026-Q4; a run of '2026-10' sorted before it as text, so trend and 'previous run' were wrong."""
    config = folder / "form.yaml"
    config.write_text(_config(period=period), encoding="utf-8")
    runs = cli("--catalog", cat, "runs", "--json")[1]
    code, _, err = cli("--catalog", cat, "run", str(config))
    assert code == 2 and one_line(err) == (
        f"period '{period}' is written {form}, but audit 'r4' has earlier runs written YYYY-Qn (e.g. 2026-Q4), and "
        "periods of another length overlap theirs (2026-10 lies inside 2026-Q4), so trend and 'the previous run' have "
        "no one order for them — write the period as YYYY-Qn, or give the config a new "
        "audit name (`name:`) for the new form")
    assert cli("--catalog", cat, "runs", "--json")[1] == runs  # nothing registered, not even a failed run


@pytest.mark.parametrize("period,form", [("2026-Q4b", "YYYY-Qn"), ("2026-10-01", "YYYY-MM-DD"), ("2026-10", "YYYY-MM"),
                                         ("2026-H2", "YYYY-Hn"), ("2026", "YYYY"), ("pilot", None)])
def test_period_forms(period, form):
    from audits.period_form import period_form

    assert period_form(period) == form
