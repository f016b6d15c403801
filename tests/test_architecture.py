"""The house's walls, checked from the source: no import circles, no import back up a floor, no SQL
outside the store.

The graph is built with ``ast`` over the product packages (``audits``, ``dashboard``, ``policies``,
``reports``). An edge A -> B means module A imports B or a name from B. Both module-level imports
and imports inside functions count (a deferred import is still a dependency, and hiding a circle
inside a function only moves it from import time to call time); imports under ``if TYPE_CHECKING:``
count too. ``from pkg import name`` is an edge to ``pkg.name`` when that is a module, else to
``pkg``. Importing a package's submodule is not also counted as importing its ``__init__``.
Plugin discovery by name (``importlib.import_module(f"...")``, ``registry.import_submodules``) is
not an edge: the registries of backends, metrics, scanners, exports and executors load their
members that way.

Floors (a module may import only from its own floor or below):

- ``audits/store/`` (catalog, bundles, query layer) is the floor under ``audits/trust``,
  ``audits/commands``, ``dashboard``, ``reports`` and ``policies``: nothing in the store imports
  them, except the ``audits.trust`` *primitives* with no catalog queries of their own (keys,
  checkpoint signing, redaction, raw-text sealing, note scrubbing, the act rules), listed in
  ``STORE_MAY_USE``. ``KNOWN_UPWARD`` is empty: the two deferred calls of ``assay verify`` the store
  made (``runs.verify_all``, the dashboard's log page) moved up to their callers (the test calls
  ``audits.trust.verify``; the Audit log page reads through ``dashboard/_log.py``).
- ``audits/access.py`` (the permission table: ``can`` / ``require`` / ``visible``) sits beside the
  store: the store's queries ask it who may sign off, attest or review; it imports nothing from the
  commands layer, the dashboard, reports or policies, prompts for nothing and runs no SQL.
- The job's floors, lowest first: ``audits/stats/`` (which imports nothing of the product but ``errors`` and
  ``jsontypes``), ``metrics`` and ``backends``, ``executors``, ``scanners``, ``runner``: no direct import runs
  up one (``KNOWN_JOB_UPWARD`` lists the three deferred ones that stay, each with its reason; that the engine
  reaches no entry point through any chain is ``tests/test_job_floor.py``).
- SQL (``.execute(`` / ``.executemany(``) runs only in ``audits/store/``; tables are defined only in
  ``audits/store/schema.py``; bundle Parquet is read only by ``audits/store/bundle_reader.py``.
- Statistics live only in ``audits/stats/``: no resampling with replacement, percentile, normal/t/beta
  quantile, scipy.stats, kappa or SQL standard deviation anywhere else (``STAT_ALLOWED`` lists the
  few lines that only look like one, each with its reason).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("audits", "dashboard", "policies", "reports")
# audits.trust modules the store may call: signing and redaction primitives with no catalog knowledge.
STORE_MAY_USE = ("audits.trust.keys", "audits.trust.checkpoint", "audits.trust.account_witness", "audits.trust.redact",
                 "audits.trust.rawstore",
                 "audits.trust.notes", "audits.trust.acts")
ABOVE_STORE = ("audits.trust", "audits.commands", "dashboard", "reports", "policies")
# Deferred upward calls the store still makes (none: verify is called by its callers, above the store).
KNOWN_UPWARD: set[str] = set()


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every product module."""
    out: dict[str, Path] = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _resolve(module: str, is_pkg: bool, level: int, target: str | None) -> str:
    if not level:
        return target or ""
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([target] if target else []))


def import_graph() -> dict[str, set[str]]:
    """Module -> the product modules it imports (see the module docstring for what counts)."""
    files = module_files()
    graph: dict[str, set[str]] = {m: set() for m in files}
    for module, path in files.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, is_pkg, node.level, node.module)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in files else base)
            for target in targets:
                while target and target not in files:  # `import a.b.c` of a non-product name: its product prefix
                    target = target.rpartition(".")[0]
                if target and target != module:
                    graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_graph_covers_the_product() -> None:
    graph = import_graph()
    assert "audits.store.queries.users" in graph and "dashboard.auth" in graph
    assert "audits.store.catalog" in graph["audits.store.queries.users"]


def test_no_import_circles() -> None:
    found = cycles(import_graph())
    assert found == [], "import circles: " + "; ".join(" <-> ".join(c) for c in found)


def test_store_is_the_floor() -> None:
    upward = [f"{m} -> {t}" for m, targets in import_graph().items() if m.startswith("audits.store")
              for t in sorted(targets)
              if any(t == a or t.startswith(a + ".") for a in ABOVE_STORE) and t not in STORE_MAY_USE]
    assert set(upward) <= KNOWN_UPWARD, "the store imports upward: " + "; ".join(sorted(set(upward) - KNOWN_UPWARD))


def test_access_is_only_the_permission_table() -> None:
    above = ("audits.commands", "dashboard", "reports", "policies")
    targets = import_graph()["audits.access"]
    assert not [t for t in targets if any(t == a or t.startswith(a + ".") for a in above)], targets
    source = (ROOT / "audits" / "access.py").read_text(encoding="utf-8")
    assert "argparse" not in source and "getpass" not in source and "def cli_user" not in source


# The job's floors, lowest first (docs/architecture.md's picture): a module imports only from its own floor or below.
JOB_FLOORS: tuple[tuple[str, ...], ...] = (("audits.stats",), ("audits.metrics", "audits.backends"), ("audits.executors",),
                                           ("audits.scanners",), ("audits.runner", "audits._runner_prepare",
                                                                  "audits._runner_resume"))
# Direct imports up a job floor that stay, each with its reason (deferred, of a constant or a path, no behaviour).
KNOWN_JOB_UPWARD = {
    "audits.executors.stage_files -> audits.scanners._identity_terms": "the identity-term file a bias stage loads",
    "audits.executors.stage_files -> audits.scanners._pii_profile": "the PII profile a pii stage loads",
    "audits.executors.stage_files -> audits.scanners._presidio": "the spaCy model name a pii stage loads",
}
STATS_MAY_USE = {"audits.errors", "audits.jsontypes"}  # the lowest floor: nothing else of the product


def _floor(module: str) -> int | None:
    for level, packages in enumerate(JOB_FLOORS):
        if any(module == p or module.startswith(p + ".") for p in packages):
            return level
    return None


def job_floor_violations(graph: dict[str, set[str]]) -> list[str]:
    """``A -> B`` for every direct import from a job floor to a higher one, and from ``audits.stats`` to any
    product module outside it but ``STATS_MAY_USE``."""
    out = []
    for module, targets in graph.items():
        level = _floor(module)
        for target in sorted(targets):
            floor = _floor(target)
            up = level is not None and floor is not None and floor > level
            if up or (level == 0 and floor != 0 and target not in STATS_MAY_USE):
                out.append(f"{module} -> {target}")
    return out


def test_the_job_imports_only_down_its_floors() -> None:
    found = job_floor_violations(import_graph())
    new = [v for v in found if v not in KNOWN_JOB_UPWARD]
    assert new == [], "imports up a job floor: " + "; ".join(new)
    assert sorted(KNOWN_JOB_UPWARD) == sorted(found), "KNOWN_JOB_UPWARD lists an import that is gone"


def test_the_floor_checks_see_a_violation() -> None:
    """Each check fails on the violation it names (a graph built by hand: the product is not edited)."""
    graph = {m: set(t) for m, t in import_graph().items()}
    graph["audits.stats._resample"].add("audits.metrics.bootstrap")   # a circle, and stats up to metrics
    graph["audits.backends.base"].add("audits.executors.base")        # a backend up to the executors
    graph["audits.stats._binomial"].add("audits.config")              # stats on anything but errors / jsontypes
    found = job_floor_violations(graph)
    assert {"audits.stats._resample -> audits.metrics.bootstrap", "audits.backends.base -> audits.executors.base",
            "audits.stats._binomial -> audits.config"} <= set(found)
    assert any("audits.stats._resample" in c and "audits.metrics.bootstrap" in c for c in cycles(graph))


_SQL = re.compile(r"\.execute(many)?\(")


def test_no_sql_outside_the_store() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{n}" for module, path in module_files().items()
                 if not module.startswith("audits.store")
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if _SQL.search(line)]
    assert offenders == [], "SQL outside audits/store: " + ", ".join(offenders)


# What computes a statistic: resampling with replacement, quantiles of replicates, distribution
# quantiles, hypothesis tests, agreement coefficients, and dispersion computed in SQL.
STAT_PATTERNS = {
    "resampling": re.compile(r"\.multinomial\(|\.integers\(|replace\s*=\s*True|np\.random\.randint|random\.choices\("),
    "percentile": re.compile(r"np\.(nan)?(percentile|quantile)\(|\.quantile\("),
    "distribution quantile": re.compile(r"\bndtri\b|\bndtr\b|\.ppf\(|\.sf\(|\.cdf\("),
    "scipy statistics": re.compile(r"scipy\.stats|from scipy import stats|scipy\.special|statsmodels"),
    "agreement": re.compile(r"cohen_kappa_score|def (cohen|fleiss)_kappa"),
    "SQL statistic": re.compile(r"stddev|var_samp|var_pop|quantile_cont|quantile_disc|approx_quantile|"
                                r"percentile_cont|regr_slope|corr\(", re.IGNORECASE),
}
# file -> (pattern name, reason): lines that match a pattern but compute no statistic.
STAT_ALLOWED: dict[str, tuple[str, str]] = {}


def statistic_lines() -> list[str]:
    """``path:line [pattern]`` for every line outside audits/stats that computes a statistic."""
    out = []
    for module, path in module_files().items():
        if module == "audits.stats" or module.startswith("audits.stats."):
            continue
        rel = str(path.relative_to(ROOT))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            for name, pattern in STAT_PATTERNS.items():
                if pattern.search(code) and STAT_ALLOWED.get(rel, ("", ""))[0] != name:
                    out.append(f"{rel}:{n} [{name}]")
    return out


def test_no_statistic_outside_stats() -> None:
    found = statistic_lines()
    assert found == [], "statistics outside audits/stats: " + ", ".join(found)


def test_the_statistic_check_sees_a_statistic(tmp_path) -> None:
    """The patterns catch what the issue named: a second resampler, a percentile interval, SQL stddev."""
    lines = ["rng.multinomial(n, p, size=r)", "np.quantile(v, [0.025, 0.975])", "norm.ppf(0.975)",
             "'SELECT stddev_samp(x) / sqrt(count(x))'", "from scipy import stats",
             "def fleiss_kappa(table):", "idx = rng.integers(0, n, size=n)"]
    assert all(any(p.search(line) for p in STAT_PATTERNS.values()) for line in lines)
    harmless = ["rng.choice(rows, size=k, replace=False)", "rng.permutation(n)", "avg(score) AS mean_score",
                "n_bootstrap: int"]
    assert not any(p.search(line) for line in harmless for p in STAT_PATTERNS.values())


_DDL = re.compile(r"CREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+|TEMPORARY\s+)?TABLE", re.IGNORECASE)


def test_tables_are_defined_only_in_the_schema() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{n}" for module, path in module_files().items()
                 if module != "audits.store.schema"
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if _DDL.search(line)]
    assert offenders == [], "table definitions outside audits/store/schema.py: " + ", ".join(offenders)


_PARQUET_READ = re.compile(r"read_parquet|pq\.read_table|ParquetFile\(")
# Parquet read outside the bundle reader, each a file that is not a run bundle's evidence table (or a
# rewrite of one): reason.
PARQUET_ALLOWED = {
    "audits/inference.py": "the job's own resume checkpoint of predictions, before any bundle exists",
    "audits/datasets/loader.py": "a user's dataset file named in the config",
    "audits/datasets/production_log.py": "a user's production log file",
    "audits/backends/predictions.py": "a user's file of predictions made elsewhere",
    "audits/trust/_raw_encryption.py": "decrypted raw text, read from memory",
    "audits/commands/erase.py": "erase rewrites a bundle's files without their raw columns (a rewrite, not a read path)",
}


def test_bundles_are_read_by_one_reader() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{n}" for module, path in module_files().items()
                 if module != "audits.store.bundle_reader" and str(path.relative_to(ROOT)) not in PARQUET_ALLOWED
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if _PARQUET_READ.search(line)]
    assert offenders == [], "Parquet read outside audits/store/bundle_reader.py: " + ", ".join(offenders)


MODULE_CEILING = 450  # lines: the house keeps modules under ~400; past this one is two concepts (issue 21)
# module file -> reason it may stay over the ceiling (none now: results, reviews, hf and pii were split by seam)
LONG_MODULES: dict[str, str] = {}


def module_lengths() -> dict[str, int]:
    """Product module file (relative path) -> its number of lines."""
    return {str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
            for path in module_files().values()}


def test_no_module_over_the_ceiling() -> None:
    """A module past ``MODULE_CEILING`` lines is split along its seams (re-exported from the old path), or
    listed in ``LONG_MODULES`` with its reason; a listed module that shrank must leave the list."""
    lengths = module_lengths()
    over = sorted(f"{rel} ({n} lines)" for rel, n in lengths.items() if n > MODULE_CEILING and rel not in LONG_MODULES)
    assert over == [], f"modules over {MODULE_CEILING} lines: " + ", ".join(over)
    stale = sorted(rel for rel in LONG_MODULES if lengths.get(rel, 0) <= MODULE_CEILING)
    assert stale == [], "LONG_MODULES lists modules no longer over the ceiling: " + ", ".join(stale)


_FILE_HASH_LOOP = re.compile(r"\.read\((1\s*<<\s*20|CHUNK|_CHUNK|chunk)\)")
# One file-hashing loop: audits/hashing.py (bundles, task data, weights, prediction files, packs). A chunked read
# fed to a digest anywhere else is a copy whose digest can drift from the bundle's. file -> why it still has one.
HASH_LOOP_COPIES: dict[str, str] = {}   # policies/attestation.file_sha256 calls audits.hashing.sha256_path


def test_one_file_hashing_loop() -> None:
    found = sorted({str(path.relative_to(ROOT)) for module, path in module_files().items() if module != "audits.hashing"
                    and _FILE_HASH_LOOP.search(path.read_text(encoding="utf-8"))})
    assert [f for f in found if f not in HASH_LOOP_COPIES] == [], "file hashed outside audits/hashing.py: " + str(found)
    assert [f for f in HASH_LOOP_COPIES if f not in found] == [], "HASH_LOOP_COPIES lists a file that no longer has one"


UNTYPED = re.compile(r"dict\[str, Any\]")
# `dict[str, Any]` in product code: 213 when issue 21 was filed, 60 at the re-audit's start (c4dac3b), 56 after
# that round (log records JsonObject, the feedback block a TypedDict), 25 after the next (alert log entries, trend
# and drift reports, bound metadata, PII span scores, unsupported claims typed; JSON read from files JsonObject),
# 22 after the next (the checklist's to_dict a ChecklistDict). Lower it, never raise it.
UNTYPED_CEILING = 22


def untyped_by_file() -> dict[str, int]:
    """Product module file (relative path) -> its number of ``dict[str, Any]``."""
    return {str(path.relative_to(ROOT)): len(UNTYPED.findall(path.read_text(encoding="utf-8")))
            for path in module_files().values()}


def untyped_count() -> int:
    return sum(untyped_by_file().values())


def test_untyped_dicts_ratchet() -> None:
    found = untyped_by_file()
    worst = sorted(((n, f) for f, n in found.items() if n), reverse=True)[:8]
    assert sum(found.values()) <= UNTYPED_CEILING, (f"{sum(found.values())} 'dict[str, Any]' in product code "
                                                    f"(ceiling {UNTYPED_CEILING}); most in {worst}")


if __name__ == "__main__":  # `python tests/test_architecture.py`: the house in numbers
    g = import_graph()
    print(f"modules {len(g)}, edges {sum(len(t) for t in g.values())}, circles {len(cycles(g))}, "
          f"dict[str, Any] {untyped_count()} (ceiling {UNTYPED_CEILING}), statistic lines outside stats "
          f"{len(statistic_lines())}, imports up a job floor {len(job_floor_violations(g))} "
          f"(known {len(KNOWN_JOB_UPWARD)})")
    for c in cycles(g):
        print("  circle:", " <-> ".join(c))
    longest = sorted(module_lengths().items(), key=lambda kv: -kv[1])[:5]
    print("longest modules:", ", ".join(f"{rel} {n}" for rel, n in longest), f"(ceiling {MODULE_CEILING})")
