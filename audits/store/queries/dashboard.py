"""Queries the dashboard needs beyond the run register: paginated, filtered reads of a run
bundle's Parquet (fast at a million samples) and small per-group summaries.

Every read goes through :mod:`audits.store.bundle_reader` (the one bundle reader, with its one
filter type); this module turns the dashboard's questions into those filters. Statistics (group
intervals, paired differences) come from :mod:`audits.stats`. Downloads of whole tables are
``audits.access.export_bytes`` (permission-checked), never a read here.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from audits.errors import AssayError
from audits.store import bundle_reader as br
from audits.store.bundle_reader import (BUNDLE_TABLES, NOT_NULL, AnyTrue, Contains, Filters,  # noqa: F401
                                        available_tables, bundle_dir, read_table, table_columns, table_path)
from audits.store.catalog import Catalog
from audits.store.queries.runs import list_runs  # noqa: F401

# Columns of the samples frame that are not sensitive attributes (docs/architecture.md).
_SAMPLE_CORE = {"task", "sample_id", "input", "reference", "choices", "label", "prediction",
                "choice_logprobs", "correct", "positive", "toxicity_score", "pii_leak"}


@dataclasses.dataclass(frozen=True)
class SampleFilter:
    """What the per-sample browser filters on; ``None`` means no filter."""

    task: str | None = None
    group_column: str | None = None
    group_value: str | None = None
    correct: bool | None = None
    flagged: bool | None = None
    search: str | None = None


def attribute_columns(columns: dict[str, str]) -> list[str]:
    """Sensitive-attribute columns of a samples table: text columns outside the core set."""
    return [c for c, t in columns.items()
            if c not in _SAMPLE_CORE and t == "VARCHAR" and not c.endswith("_raw")
            and not c.startswith(("score_", "flag_"))]


def flag_columns(columns: dict[str, str]) -> tuple[str, ...]:
    """The boolean columns that flag a sample (``flag_*``, ``pii_leak``, ``toxic``)."""
    return tuple(c for c, t in columns.items()
                 if t == "BOOLEAN" and (c.startswith("flag_") or c in {"pii_leak", "toxic"}))


def sample_filters(columns: dict[str, str], flt: SampleFilter) -> Filters:
    """The browser's filter as the bundle reader's typed filters."""
    out: dict[str | tuple[str, ...], object] = {}
    if flt.task:
        out["task"] = flt.task
    if flt.group_column and flt.group_value is not None:
        if flt.group_column not in columns:
            raise AssayError(f"samples have no column '{flt.group_column}'", "pick a listed group column")
        out[flt.group_column] = flt.group_value
    if flt.correct is not None and "correct" in columns:
        out["correct"] = bool(flt.correct)
    if flt.flagged is not None:
        out[flag_columns(columns)] = AnyTrue(bool(flt.flagged))
    if flt.search:
        texts = tuple(c for c in ("input", "prediction", "reference") if c in columns)
        if texts:
            out[texts] = Contains(flt.search)
    return out


def count_samples(cat: Catalog, run_id: str, flt: SampleFilter = SampleFilter()) -> int:
    """How many samples match the filter."""
    if table_path(cat, run_id, "samples") is None:
        return 0
    return br.count_rows(cat, run_id, "samples", sample_filters(table_columns(cat, run_id, "samples"), flt))


def sample_page(cat: Catalog, run_id: str, flt: SampleFilter = SampleFilter(), offset: int = 0,
                limit: int = 50, columns: list[str] | None = None) -> pd.DataFrame:
    """One page of samples (LIMIT/OFFSET in file order, which is stable for an immutable bundle),
    with ``flagged`` (any flag column true) when the run has flag columns."""
    if table_path(cat, run_id, "samples") is None:
        return pd.DataFrame()
    schema = table_columns(cat, run_id, "samples")
    wanted = [c for c in (columns or list(schema)) if c in schema]
    flags = flag_columns(schema)
    page = read_table(cat, run_id, "samples", columns=list(dict.fromkeys([*wanted, *flags])),
                      filters=sample_filters(schema, flt), limit=int(limit), offset=int(offset))
    if flags:
        flagged = page[list(flags)].fillna(False).astype(bool).any(axis=1)
        page = page[wanted].assign(flagged=flagged.to_numpy())
    return page


def distinct_values(cat: Catalog, run_id: str, table: str, column: str, limit: int = 200) -> list[str]:
    """Distinct non-null values of one column of a bundle table, sorted."""
    if table_path(cat, run_id, table) is None:
        return []
    return br.distinct_values(cat, run_id, table, column, limit)


def paired_scores(cat: Catalog, run_id: str, other_run_id: str, task: str, metric: str) -> pd.DataFrame:
    """Per-sample ``score_<metric>`` of two runs joined on sample id (columns: sample_id, a, b)."""
    return br.read_paired(cat, (run_id, other_run_id), "samples", "sample_id", f"score_{metric}", {"task": task})


def paired_difference_stats(cat: Catalog, run_id: str, other_run_id: str, task: str,
                            metric: str) -> tuple[int, float, float]:
    """(n pairs, mean of a - b, sample std of a - b) over samples both runs scored
    (``audits.stats.paired_differences`` of :func:`paired_scores`)."""
    from audits.stats import paired_differences

    pairs = paired_scores(cat, run_id, other_run_id, task, metric)
    return paired_differences(pairs["a"], pairs["b"])


_SUMMARY = ["task", "field", "entity_type", "leak", "findings", "mean_score"]


def findings_summary(cat: Catalog, run_id: str) -> pd.DataFrame:
    """PII findings counted by task, field, entity type and leak (a missing leak reads as false),
    most first, with their mean detector score."""
    cols = table_columns(cat, run_id, "findings")
    if "leak" not in cols:
        return pd.DataFrame(columns=_SUMMARY)
    sums = br.group_sums(cat, run_id, "findings", ["task", "field", "entity_type", "leak"], "score",
                         filters={"scanner": "pii"} if "scanner" in cols else None)  # not groundedness claims
    if sums.empty:
        return pd.DataFrame(columns=_SUMMARY)
    merged: dict[tuple, list[float]] = {}  # a missing leak joins the 'false' group (grouped as text)
    for task, fld, entity, leak, rows, n, total in sums[["task", "field", "entity_type", "leak", "rows", "n",
                                                          "total"]].itertuples(index=False):
        acc = merged.setdefault((task, fld, entity, leak == "true"), [0, 0, 0.0])
        acc[0] += int(rows)
        acc[1] += int(n)
        acc[2] += float(total) if n else 0.0
    out = pd.DataFrame([(*k, rows, total / n if n else float("nan")) for k, (rows, n, total) in merged.items()],
                       columns=_SUMMARY)
    return out.sort_values(["findings", "task", "field", "entity_type", "leak"],
                           ascending=[False, True, True, True, False], kind="stable").reset_index(drop=True)[_SUMMARY]


def findings_page(cat: Catalog, run_id: str, leaks_only: bool = False, offset: int = 0,
                  limit: int = 50, include_raw: bool = False) -> pd.DataFrame:
    """A page of findings, leaks first: redacted context; the raw ``value`` only when asked and stored."""
    path = table_path(cat, run_id, "findings")
    if path is None:
        return pd.DataFrame()
    cols = table_columns(cat, run_id, "findings")
    wanted = [c for c in ("task", "sample_id", "field", "entity_type", "start", "end", "score", "leak",
                          "recognizer", "context") if c in cols]
    if include_raw and "value" in cols:
        wanted.append("value")
    page = read_table(cat, run_id, "findings", columns=wanted,
                      filters={**({"leak": True} if leaks_only and "leak" in cols else {}),
                               **({"scanner": "pii"} if "scanner" in cols else {})} or None,  # not claims
                      order_by=[("leak", "desc")], limit=int(limit), offset=int(offset), row_numbers=True)
    if include_raw and "value" in page.columns:  # raw values kept encrypted (store_raw): decrypt for this page
        from audits.trust import rawstore

        raw = rawstore.read_raw(path.parent, run_id)
        if raw is not None:
            cells = raw[(raw["table"] == "findings") & (raw["column"] == "value")].set_index("row")["value"]
            page["value"] = [cells.get(r, v) for r, v in zip(page["_row"], page["value"])]
    return page.drop(columns="_row")


def score_by_group(cat: Catalog, run_id: str, task: str, column: str, attribute: str,
                   confidence: float = 0.95) -> pd.DataFrame:
    """One sample column per group of an attribute: n, mean, standard error, and the 95%
    interval with its ``method``, from ``audits.stats.group_intervals`` (exact binomial for a 0/1
    column, the normal interval for a score) over the sums the bundle reader adds up."""
    from audits.stats import GROUP_COLUMNS, group_intervals

    sums = br.group_sums(cat, run_id, "samples", [attribute], column, {"task": task},
                         cluster="cluster")  # a clustered task (cluster:): clustered intervals
    if sums.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    return group_intervals(sums.rename(columns={attribute: "group"}), confidence)
