"""Assay dashboard entry point: `streamlit run dashboard/app.py` (or `assay dashboard`).

Builds the navigation from page modules (each exposes ``render() -> None``), renders the
shared sidebar run picker, then runs the chosen page.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:  # `streamlit run` puts only this folder on sys.path
    sys.path.insert(0, str(_ROOT))

import streamlit as st  # noqa: E402

from dashboard import state  # noqa: E402
from dashboard.components import placeholders  # noqa: E402

# (module, title, url path, icon, fallback when the module is not written yet)
PAGES: list[tuple[str, str, str, str, Callable[[], None] | None]] = [
    ("overview", "Overview", "overview", ":material/dashboard:", None),
    ("quality", "Quality", "quality", ":material/checklist:", None),
    ("fairness", "Fairness", "fairness", ":material/balance:", None),
    ("privacy", "Privacy & Safety", "privacy", ":material/shield:", None),
    ("explanations", "Explanations", "explanations", ":material/lightbulb:", None),
    ("policies", "Policies", "policies", ":material/policy:", placeholders.policies),
    ("review", "Review", "review", ":material/rate_review:", placeholders.review),
    ("reports", "Reports & exports", "reports", ":material/download:", None),
    ("audit_log", "Audit log", "audit-log", ":material/history:", None),
]


def _load(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"dashboard.pages.{name}")
    except ModuleNotFoundError as err:
        if err.name == f"dashboard.pages.{name}":
            return None
        raise


def page_renderers() -> list[tuple[str, str, str, Callable[[], None]]]:
    """(title, url path, icon, render) of every page, with placeholders for unwritten ones."""
    out = []
    for name, title, url, icon, fallback in PAGES:
        module = _load(name)
        render = getattr(module, "render", None) if module else None
        if render is None:
            render = fallback
        if render is not None:
            out.append((title, url, icon, render))
    return out


def main() -> None:
    st.set_page_config(page_title="Assay", page_icon=":material/fact_check:", layout="wide")
    pages = [st.Page(render, title=title, url_path=url, icon=icon, default=(i == 0))
             for i, (title, url, icon, render) in enumerate(page_renderers())]
    nav = st.navigation(pages)
    with st.sidebar:
        user = state.current_user(announce=True)  # sign-in gate: stops the run when nobody is signed in
        st.caption(f"Catalog: `{state.catalog_path()}`")
        state.run_picker()
        st.caption(f"Signed in as **{user.name}** ({user.role})")
    nav.run()


main()
