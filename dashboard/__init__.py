"""The Assay dashboard (Streamlit): thin pages over ``audits.store.queries``."""

from __future__ import annotations

from pathlib import Path


def app_path() -> Path:
    """Path of the Streamlit entry script, for ``streamlit run``."""
    return Path(__file__).resolve().with_name("app.py")


def config_dir() -> Path:
    """Folder holding ``.streamlit/config.toml`` (no telemetry, headless); run streamlit from here."""
    return Path(__file__).resolve().parent


def streamlit_command(port: int = 8501) -> list[str]:
    """The ``streamlit run`` argument list (run it with cwd=config_dir() and $ASSAY_CATALOG set)."""
    import sys
    return [sys.executable, "-m", "streamlit", "run", str(app_path()), "--server.port", str(int(port)),
            "--server.headless", "true", "--browser.gatherUsageStats", "false"]
