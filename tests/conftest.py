"""Shared fixtures. The demo catalog is built once per session with the real embedded model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_TEST_LIMIT = int(os.environ.get("ASSAY_TEST_DEMO_LIMIT", "6"))


def run_cli(*args: str, catalog: Path | None = None, check: bool = False, **kw) -> subprocess.CompletedProcess:
    """Run `assay ...` in a subprocess, as a user would."""
    cmd = [sys.executable, "-m", "audits.cli", *args]
    if catalog is not None:
        cmd[3:3] = ["--catalog", str(catalog)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=kw.pop("cwd", ROOT), **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"assay {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="session")
def demo_catalog(tmp_path_factory) -> Path:
    """A catalog with the two demo runs (2026-Q3, 2026-Q4) on the embedded model."""
    catalog = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    run_cli("demo", "--limit", str(DEMO_TEST_LIMIT), "--no-dashboard", catalog=catalog, check=True, timeout=1500)
    return catalog


@pytest.fixture(scope="session")
def demo_run_ids(demo_catalog) -> list[str]:
    from audits.store.catalog import Catalog
    from audits.store.queries import runs as runs_q

    return runs_q.list_runs(Catalog(demo_catalog))["run_id"].tolist()
