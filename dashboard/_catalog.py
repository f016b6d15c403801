"""The catalog the dashboard reads: named by ``$ASSAY_CATALOG``, opened once per process.

Kept apart from :mod:`dashboard.state` so that :mod:`dashboard.auth` can read the catalog without
importing the page state (which asks auth who is signed in).
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from audits.store.catalog import Catalog, resolve_catalog_path


def catalog_path() -> Path:
    """$ASSAY_CATALOG, else ./assay.duckdb."""
    return resolve_catalog_path(os.environ.get("ASSAY_CATALOG"))


@st.cache_resource
def _catalog(path: str) -> Catalog:
    return Catalog(path, create=False)


def catalog() -> Catalog:
    """The catalog named by $ASSAY_CATALOG (AssayError when the file does not exist)."""
    return _catalog(str(catalog_path()))


def has_catalog() -> bool:
    return catalog_path().exists()
