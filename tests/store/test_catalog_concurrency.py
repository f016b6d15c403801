"""A job, the dashboard's reads/writes and the CLI share one catalog at once; a killed job resumes.

Separate processes, the real embedded model, the real DuckDB file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.slow

MINI = """\
name: mini
period: 2026-Q4
bootstrap: 200
model: {path: smollm2, batch_size: 4, max_new_tokens: 12}
tasks:
  - name: qa
    type: generate
    dataset: {builtin: reference-qa}
    prompt: "Policy: {context}\\nQuestion: {question}\\nAnswer briefly."
    metrics: [token_f1]
  - name: de
    type: choice
    dataset: {builtin: discrim-eval}
    prompt: "{filled_template}\\n\\nAnswer yes or no."
    choices: ["yes", "no"]
    positive: "yes"
    metrics: [selection_rate]
"""

# A stand-in for dashboard sessions: reads the register and appends audit-log rows (as a label would).
WRITER = textwrap.dedent("""
    import sys
    from audits.store.catalog import Catalog
    from audits.store.queries import audit_log, runs
    cat = Catalog(sys.argv[1])
    for i in range(int(sys.argv[3])):
        runs.list_runs(cat)
        with cat.connect(write=True) as con:
            audit_log.append(con, sys.argv[2], "test.write", str(i), {"i": i})
""")


def _popen(args: list[str], **kw) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_job_dashboard_and_cli_share_a_catalog(tmp_path):
    config = tmp_path / "mini.yaml"
    config.write_text(MINI, encoding="utf-8")
    catalog = tmp_path / "c.duckdb"
    job = _popen([sys.executable, "-m", "audits.cli", "--catalog", str(catalog), "run", str(config), "--limit", "3"])
    writers = [_popen([sys.executable, "-c", WRITER, str(catalog), f"session-{k}", "60"]) for k in range(3)]
    cli_codes = []
    while not catalog.exists() and job.poll() is None:  # reads start once a writer has created the catalog
        time.sleep(0.05)
    while job.poll() is None:
        proc = run_cli("runs", "--json", catalog=catalog)
        cli_codes.append((proc.returncode, proc.stderr))
        time.sleep(0.2)
    job_out, job_err = job.communicate()
    assert job.returncode == 0, job_err[-2000:]
    for w in writers:
        out, err = w.communicate(timeout=600)
        assert w.returncode == 0, err[-2000:]
        assert "lock" not in err.lower()
    assert cli_codes and all(code == 0 for code, _ in cli_codes), cli_codes[:3]
    assert not any("lock" in err.lower() for _, err in cli_codes)

    from audits.store.catalog import Catalog
    from audits.store.queries import audit_log, runs

    cat = Catalog(catalog)
    with cat.connect() as con:
        log = audit_log.entries(con)
        assert audit_log.verify_chain(con) == []
    assert (log["action"] == "test.write").sum() == 180  # nothing lost
    assert set(log["action"]) >= {"run.started", "run.completed"}
    run_id = job_out.strip().splitlines()[-1]
    assert runs.get_run(cat, run_id)["status"] == "complete"


def test_killed_job_resumes_and_never_looks_complete(tmp_path):
    config = tmp_path / "mini.yaml"
    config.write_text(MINI, encoding="utf-8")
    catalog = tmp_path / "c.duckdb"
    job = _popen([sys.executable, "-m", "audits.cli", "--catalog", str(catalog), "run", str(config), "--limit", "3"])
    runs_dir = tmp_path / "c.runs"
    deadline = time.time() + 900
    while time.time() < deadline and not list(runs_dir.glob(".partial-*/qa.00000.parquet")):
        assert job.poll() is None, job.communicate()[1][-2000:]
        time.sleep(0.2)
    job.send_signal(signal.SIGKILL)
    job.wait()
    partial = next(runs_dir.glob(".partial-*"))
    run_id = partial.name[len(".partial-"):]
    assert not (runs_dir / run_id).exists()  # no bundle: the run does not look complete
    listed = json.loads(run_cli("runs", "--json", catalog=catalog, check=True).stdout)
    assert [r["status"] for r in listed] == ["interrupted"]  # its lease's pid is dead
    assert run_cli("results", run_id, catalog=catalog).returncode == 2

    proc = run_cli("run", str(config), "--resume", run_id, catalog=catalog, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == run_id
    assert (runs_dir / run_id / "manifest.json").exists() and not partial.exists()
    results = json.loads(run_cli("results", run_id, "--json", catalog=catalog, check=True).stdout)
    assert [t["n"] for t in results["tasks"]] == [3, 3]
    assert run_cli("verify", catalog=catalog).returncode == 0
