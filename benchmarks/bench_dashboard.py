"""Dashboard speed on a large catalog: every page's queries (p95, target <= 100 ms) and each
page's full render with AppTest (target <= 1 s).

    python benchmarks/bench_dashboard.py [--samples 1000000] [--runs 3] [--repeat 20] [--dir DIR]

Builds a synthetic catalog in the documented bundle shapes (tests/dashboard/_synth.py): a few
runs of three tasks, ``--samples`` samples per run in all. Query timings bypass Streamlit's
cache (the cold path a first visitor pays); render timings are AppTest's whole script run
with caches cleared before each page (cold) and then again (warm).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audits.store.catalog import Catalog  # noqa: E402
from audits.store.queries import dashboard as dq  # noqa: E402
from dashboard import _log  # noqa: E402  (the Audit log page's read)

QUERY_TARGET_MS = 100.0
RENDER_TARGET_S = 1.0


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def time_call(fn, repeat: int) -> tuple[float, float]:
    """(median ms, p95 ms) of ``fn()`` over ``repeat`` calls after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), p95(times)


def page_queries(cat: Catalog, run_id: str, prev_id: str | None) -> dict[str, dict[str, callable]]:
    """The queries each page issues on a first visit (what the page calls through state.*)."""
    deep = dq.count_samples(cat, run_id) // 2
    return {
        "overview": {
            "list_runs": lambda: dq.list_runs(cat),
            "results.json": lambda: dq.bundle_json(cat, run_id, "results.json"),
            "paired_difference_stats(discrim-eval)": lambda: dq.paired_difference_stats(cat, run_id, prev_id,
                                                                                       "discrim-eval", "accuracy"),
        },
        "quality": {
            "table_columns": lambda: dq.table_columns(cat, run_id, "samples"),
            "distinct tasks": lambda: dq.distinct_values(cat, run_id, "samples", "task"),
            "count_samples(all)": lambda: dq.count_samples(cat, run_id),
            "sample_page(first)": lambda: dq.sample_page(cat, run_id, limit=25, columns=["task", "sample_id", "input", "prediction", "reference", "label", "correct"]),
            "count(task+group+incorrect+flagged)": lambda: dq.count_samples(
                cat, run_id, dq.SampleFilter(task="discrim-eval", group_column="gender", group_value="female",
                                             correct=False, flagged=False)),
            "sample_page(filtered)": lambda: dq.sample_page(
                cat, run_id, dq.SampleFilter(task="discrim-eval", group_column="gender", group_value="female",
                                             correct=False), limit=25),
            "sample_page(deep offset)": lambda: dq.sample_page(cat, run_id, offset=deep, limit=25),
            "sample_page(search)": lambda: dq.sample_page(cat, run_id, dq.SampleFilter(search="question 12345"), limit=25),
        },
        "fairness": {
            "fairness table": lambda: dq.read_table(cat, run_id, "fairness"),
            "counterfactuals(task)": lambda: dq.read_table(cat, run_id, "counterfactuals", where="task = ?",
                                                           params=["discrim-eval"]),
        },
        "privacy": {
            "findings_summary": lambda: dq.findings_summary(cat, run_id),
            "findings_page": lambda: dq.findings_page(cat, run_id, limit=50),
            "score_by_group(toxicity, race)": lambda: dq.score_by_group(cat, run_id, "reference-qa",
                                                                         "toxicity_score", "race"),
        },
        "explanations": {"explanations": lambda: dq.read_table(cat, run_id, "explanations", limit=200 * 64)},
        "reports": {"available_tables": lambda: dq.available_tables(cat, run_id),
                    "manifest.json": lambda: dq.bundle_json(cat, run_id, "manifest.json")},
        "audit_log": {"entries+verify": lambda: _log.audit_log_entries(cat)},
    }


def render_times(catalog: Path, pages: list[str]) -> dict[str, tuple[float, float]]:
    """(cold s, warm s) AppTest run per page."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.dashboard.conftest import PAGE_SOURCE

    os.environ["ASSAY_CATALOG"] = str(catalog)
    out = {}
    for name in pages:
        st.cache_data.clear()
        at = AppTest.from_string(PAGE_SOURCE.format(name=name), default_timeout=120)
        t0 = time.perf_counter()
        at.run()
        cold = time.perf_counter() - t0
        if at.exception:
            raise RuntimeError(f"page {name} raised: {at.exception[0].value}")
        t0 = time.perf_counter()
        at.run()
        warm = time.perf_counter() - t0
        out[name] = (cold, warm)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1_000_000, help="samples per run, all tasks together")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--dir", type=Path, default=None, help="reuse/keep the catalog here")
    args = ap.parse_args()

    from tests.dashboard._synth import TASKS, build_catalog

    base = args.dir or Path(tempfile.mkdtemp(prefix="assay-bench-dash-"))
    path = base / "bench.duckdb"
    if not path.exists():
        t0 = time.perf_counter()
        periods = tuple(f"2026-Q{i + 1}" for i in range(args.runs))
        build_catalog(path, n_per_task=args.samples // len(TASKS), periods=periods)
        print(f"built {args.runs} runs x {args.samples:,} samples in {time.perf_counter() - t0:.1f}s at {path}")
    cat = Catalog(path, create=False)
    ids = dq.list_runs(cat)["run_id"].tolist()
    run_id, prev_id = ids[-1], ids[-2] if len(ids) > 1 else None
    n = dq.count_samples(cat, run_id)
    size = (dq.bundle_dir(cat, run_id) / "samples.parquet").stat().st_size / 1e6
    print(f"run {run_id}: {n:,} samples, samples.parquet {size:.1f} MB\n")

    misses = []
    print(f"{'page':<13} {'query':<40} {'median ms':>10} {'p95 ms':>9}")
    for page, queries in page_queries(cat, run_id, prev_id).items():
        for label, fn in queries.items():
            med, hi = time_call(fn, args.repeat)
            flag = "" if hi <= QUERY_TARGET_MS else "  MISS"
            misses += [f"{page}/{label}"] if flag else []
            print(f"{page:<13} {label:<40} {med:>10.1f} {hi:>9.1f}{flag}")

    print(f"\n{'page':<13} {'cold render s':>14} {'warm render s':>14}")
    renders = render_times(path, ["overview", "quality", "fairness", "privacy", "explanations", "reports",
                                  "audit_log", "policies", "review"])
    for page, (cold, warm) in renders.items():
        flag = "" if cold <= RENDER_TARGET_S else "  MISS"
        misses += [f"render {page}"] if flag else []
        print(f"{page:<13} {cold:>14.2f} {warm:>14.2f}{flag}")
    print("\nall within target" if not misses else f"\nmissed targets: {', '.join(misses)}")


if __name__ == "__main__":
    main()
