"""Links between pages that stay inside the session (no full reload, so no sign-out).

app.py registers the StreamlitPage of every url path once per script run; views call
``link(url_path, label)``. Outside app.py (AppTest of a single page) a link is plain text.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

_PAGES: dict[str, st.Page] = {}  # page name -> its st.Page


def register(pages: dict[str, st.Page]) -> None:
    _PAGES.clear()
    _PAGES.update(pages)


def link(url_path: str, label: str, run_id: str | None = None, container: Any = None) -> None:
    """A link to the page at ``url_path`` keeping the selected run (``?run=``)."""
    where = container or st
    page = _PAGES.get(url_path)
    params = {"run": run_id} if run_id else None
    if page is not None:
        where.page_link(page, label=label, query_params=params)
    else:
        where.markdown(f"{label}")
