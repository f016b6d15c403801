"""A table that fits the page: ``st.table`` wraps its words, and here every cell may break a long word too
(a path, a run id, a hash prefix), so no cell sets a width past the page's 810 pixels at 1280 (walk 5)."""

from __future__ import annotations

import pandas as pd

# table_styles reach the browser as '#T_<uuid> td {...}' (streamlit's pandas_styler_utils): an id selector,
# over st.table's own 'overflow-wrap: normal'; 'anywhere' (not 'break-word') also shrinks a column's minimum
WRAP = [{"selector": sel, "props": [("overflow-wrap", "anywhere")]} for sel in ("td", "th")]


def wrapped(frame: pd.DataFrame):
    """``frame`` as a Styler for ``st.table``: no index, and a long word wraps inside its cell."""
    return frame.style.hide(axis="index").set_table_styles(WRAP, overwrite=False)
