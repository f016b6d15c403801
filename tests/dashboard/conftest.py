"""Dashboard fixtures: page sources for AppTest, a small synthetic catalog, an empty one."""

from __future__ import annotations

from pathlib import Path

import pytest

PAGES = ["overview", "quality", "fairness", "privacy", "explanations", "reports", "audit_log", "policies", "review"]

PAGE_SOURCE = """
import importlib
from dashboard import state
state.run_picker()
importlib.import_module("dashboard.views.{name}").render()
"""


def page_app(name: str):
    """An AppTest running one page the way app.py does (run picker first)."""
    from streamlit.testing.v1 import AppTest
    return AppTest.from_string(PAGE_SOURCE.format(name=name), default_timeout=120)


@pytest.fixture(scope="session")
def synthetic_catalog(tmp_path_factory) -> Path:
    from tests.dashboard._synth import build_catalog
    path = tmp_path_factory.mktemp("synthetic") / "synthetic.duckdb"
    build_catalog(path, n_per_task=60)
    return path


@pytest.fixture
def use_catalog(monkeypatch):
    """Point the dashboard at a catalog (sets $ASSAY_CATALOG for AppTest's in-process run)."""
    def use(path: Path) -> Path:
        monkeypatch.setenv("ASSAY_CATALOG", str(path))
        return path
    return use
