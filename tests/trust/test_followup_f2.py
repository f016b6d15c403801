"""Issue 19 follow-up (f2): what a killed run leaves on disk, what verify reconciles, and what the
dashboard shows. Each test fails without its fix."""

from __future__ import annotations

import stat

import pytest

from tests.test_resume import _interrupted, audit  # noqa: F401  (the fixture)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_killed_runs_checkpoints_are_readable_by_their_owner_only(audit, monkeypatch):  # noqa: F811
    """The checkpoints of a killed run hold its raw model outputs in clear (a bundle keeps them only
    encrypted): the folder is 0700 and every file in it 0600, not 0755/0644 (world-readable)."""
    raw_cfg, cat = audit
    run = _interrupted(raw_cfg, cat, monkeypatch)
    folder = cat.runs_dir / f".partial-{run}"
    files = sorted(p.name for p in folder.iterdir())
    assert "config.json" in files and "model-identity.json" in files and "loans.00000.parquet" in files
    assert _mode(folder) == 0o700
    assert {p.name: _mode(p) for p in folder.iterdir()} == {name: 0o600 for name in files}
