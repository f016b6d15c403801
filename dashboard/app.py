"""Assay dashboard entry point: `streamlit run dashboard/app.py` (or `assay dashboard`).

Builds the navigation from page modules (each exposes ``render() -> None``), renders the
shared sidebar run picker, then runs the chosen page.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Callable

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:  # `streamlit run` puts only this folder on sys.path
    sys.path.insert(0, str(_ROOT))

import streamlit as st  # noqa: E402

from dashboard import auth, state  # noqa: E402
from dashboard.views import (audit_log, explanations, fairness, overview, policies, privacy,  # noqa: E402
                             quality, reports, review, trends)

# (page module, title, url path, icon). Views live in dashboard/views/, not pages/, so Streamlit's
# file-based multipage mode never takes over from st.navigation.
PAGES: list[tuple[ModuleType, str, str, str]] = [
    (overview, "Overview", "overview", ":material/dashboard:"),
    (quality, "Quality", "quality", ":material/checklist:"),
    (fairness, "Fairness", "fairness", ":material/balance:"),
    (trends, "Trends", "trends", ":material/trending_up:"),
    (privacy, "Privacy & Safety", "privacy", ":material/shield:"),
    (explanations, "Explanations", "explanations", ":material/lightbulb:"),
    (policies, "Policies", "policies", ":material/policy:"),
    (review, "Review", "review", ":material/rate_review:"),
    (reports, "Reports & exports", "reports", ":material/download:"),
    (audit_log, "Audit log", "audit-log", ":material/history:"),
]


def page_renderers() -> list[tuple[str, str, str, Callable[[], None]]]:
    """(title, url path, icon, render) of every page."""
    return [(title, url, icon, module.render) for module, title, url, icon in PAGES]


def _navigation_pages() -> list:
    """The visible pages, plus a hidden alias so the default page's own path works too.

    Streamlit serves the default page at "/", never at its ``url_path``; so the default page gets the
    internal path "index" and "/overview" and "/home" are hidden pages that switch to it (keeping ?run=).
    """
    entries = page_renderers()
    pages = [st.Page(render, title=title, url_path="index" if i == 0 else url, icon=icon, default=(i == 0))
             for i, (title, url, icon, render) in enumerate(entries)]
    home = pages[0]

    def _to_home() -> None:
        st.switch_page(home, query_params=st.query_params.to_dict())

    from dashboard.components import nav

    nav.register({url: page for (_, url, _, _), page in zip(entries, pages)})
    return pages + [st.Page(_to_home, title=entries[0][0], url_path=alias, visibility="hidden")
                    for alias in (entries[0][1], "home")]   # /overview and /home both open the Overview


def main() -> None:
    st.set_page_config(page_title="Assay", page_icon=":material/fact_check:", layout="wide")
    nav = st.navigation(_navigation_pages())
    with st.sidebar:
        user = state.current_user(announce=True)  # sign-in gate: stops the run when nobody is signed in
        st.caption(f"Catalog: `{state.catalog_path()}`")
        state.run_picker()
        st.caption(f"Signed in as **{user.name}** ({user.role})")
        auth.sign_out_button(user)
    nav.run()


main()
