"""Hand-built catalogs for the policy tests: real DuckDB, real bundle writer, known numbers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from catalog_builder import build_two_runs  # noqa: E402


@pytest.fixture()
def two_runs(tmp_path):
    """(catalog, q3 run id, q4 run id) with known metrics (see catalog_builder.py)."""
    return build_two_runs(tmp_path / "c.duckdb")
