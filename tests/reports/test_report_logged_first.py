"""An export that is not in the audit log must not exist (issue 19, re-audit): on a catalog whose log this
installation's key cannot sign (a copy taken elsewhere), `assay report`, `assay report --pack` and
`assay export` exit 2 with the log's one-line error and leave no file (nor a temp file) behind; on the
catalog's own installation each file is written and logged once, with its SHA-256.

Real DuckDB catalog with real bundles (tests/policies/catalog_builder.py), the real CLI in a subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from audits.store.catalog import Catalog
from tests.conftest import run_cli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))

from catalog_builder import build_two_runs  # noqa: E402

REFUSED = "audit log entry"


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """(catalog path, its key dir, q4) on an installation key of its own."""
    root = tmp_path_factory.mktemp("logged")
    keys = root / "keys"
    old = os.environ.get("ASSAY_KEY_DIR")
    os.environ["ASSAY_KEY_DIR"] = str(keys)
    try:
        cat, _q3, q4 = build_two_runs(root / "c.duckdb")
    finally:
        if old is None:
            os.environ.pop("ASSAY_KEY_DIR", None)
        else:
            os.environ["ASSAY_KEY_DIR"] = old
    return cat.path, keys, q4


def _copy(signed, where: Path) -> Path:
    """The catalog and its bundles copied to ``where`` (another installation holds no key for it)."""
    path, _keys, _ = signed
    where.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, where / path.name)
    shutil.copytree(path.parent / f"{path.stem}.runs", where / f"{path.stem}.runs")
    return where / path.name


def _other_installation(tmp_path: Path, monkeypatch) -> Path:
    """A key dir holding a signing key of its own (another installation's)."""
    from audits.trust import keys

    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "other-keys"))
    keys.signing_key()
    monkeypatch.delenv("ASSAY_KEY_DIR")
    return tmp_path / "other-keys"


def _cli(catalog: Path, keys: Path, *args: str):
    return run_cli(*args, catalog=catalog, env={**os.environ, "ASSAY_KEY_DIR": str(keys)}, timeout=600)


def _log(catalog: Path, action: str) -> list[dict]:
    import duckdb

    with duckdb.connect(str(catalog), read_only=True) as con:
        rows = con.execute("SELECT details FROM audit_log WHERE action = ? ORDER BY seq", [action]).fetchall()
    return [json.loads(r[0]) for r in rows]


def _one_line_refusal(proc) -> None:
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and REFUSED in lines[0] and "not covered by a checkpoint" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [("-o", "{out}/r.html"), ("-o", "{out}/tables/", "--format", "csv"),
                                  ("--pack", "{out}/pack.zip")])
def test_report_on_a_log_this_key_cannot_sign_writes_nothing(signed, tmp_path, monkeypatch, args):
    copy = _copy(signed, tmp_path / "elsewhere")
    out = tmp_path / "out"
    out.mkdir()
    proc = _cli(copy, _other_installation(tmp_path, monkeypatch), "report", signed[2], *[a.format(out=out) for a in args])
    _one_line_refusal(proc)
    left = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert left == [], f"files on disk without a log entry: {left}"


def test_export_on_a_log_this_key_cannot_sign_writes_nothing_and_keeps_the_old_file(signed, tmp_path, monkeypatch):
    copy = _copy(signed, tmp_path / "elsewhere")
    out = tmp_path / "samples.csv"
    out.write_text("earlier file\n")
    proc = _cli(copy, _other_installation(tmp_path, monkeypatch), "export", signed[2], "samples", "-o", str(out), "--force")
    _one_line_refusal(proc)
    assert out.read_text() == "earlier file\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_on_its_own_installation_each_file_is_written_and_logged_once(signed, tmp_path):
    path, keys, q4 = signed
    cat = _copy(signed, tmp_path / "own")   # same key dir as the original: this installation signs it
    before = len(_log(cat, "report.generated"))
    html, csv = tmp_path / "r.html", tmp_path / "samples.csv"
    assert _cli(cat, keys, "report", q4, "-o", str(html)).returncode == 0
    assert _cli(cat, keys, "export", q4, "samples", "-o", str(csv)).returncode == 0
    entries = _log(cat, "report.generated")[before:]
    assert [(Path(e["path"]).name, e["format"]) for e in entries] == [("r.html", "html"), ("samples.csv", "csv")]
    for entry, file in zip(entries, (html, csv)):
        assert entry["sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["r.html", "samples.csv"]
    assert _cli(cat, keys, "verify").returncode == 0
