"""Report tests reuse the hand-built catalog of the policy tests (real DuckDB, real bundles)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))

from catalog_builder import build_two_runs  # noqa: E402


@pytest.fixture(scope="module")
def report_runs(tmp_path_factory):
    """(catalog, q3, q4) with an attestation (long note and link) and a sign-off on q4."""
    import policies

    cat, q3, q4 = build_two_runs(tmp_path_factory.mktemp("rep") / "c.duckdb")
    policies.attest(cat, q4, "internal-llm", "INT-REL-1", "cleo", "committee",
                    note="Residual risks accepted <script>alert(1)</script> " + "after a long discussion " * 12,
                    link="https://intranet.example.com/" + "very-long-path-segment-" * 8)
    policies.signoff(cat, q4, "cleo", "committee", "reject", "Four-fifths rule fails on loan decisions")
    return cat, q3, q4
