"""The one place test fixtures turn hand-built run results into a bundle: through the typed
models (audits.results), so a fixture that drifts from the schema fails loudly instead of
testing readers against a shape nothing produces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from audits.results import SCHEMA_VERSION, RunResults, jsonable
from audits.store.bundle import write_bundle
from audits.store.catalog import Catalog


def typed_results(results: dict[str, Any]) -> RunResults:
    """Validate a fixture's results as the current schema (no migration: fixtures are current)."""
    return RunResults.model_validate({**results, "schema_version": SCHEMA_VERSION})


def write_typed_bundle(cat: Catalog, run_id: str, tables: dict[str, pd.DataFrame], results: dict[str, Any],
                       config: dict[str, Any], manifest: dict[str, Any]) -> tuple[Path, str]:
    """``write_bundle`` with ``results`` validated and serialised by the typed models."""
    typed = typed_results(results)
    return write_bundle(cat.runs_dir, run_id, tables, jsonable(typed.model_dump()), config, manifest)
