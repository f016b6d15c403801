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
  ``STORE_MAY_USE``, and the two deferred calls of ``assay verify`` in ``KNOWN_UPWARD`` (kept for
  their callers; asserted exactly, so no new one creeps in).
- ``audits/access.py`` (the permission table: ``can`` / ``require`` / ``visible``) sits beside the
  store: the store's queries ask it who may sign off, attest or review; it imports nothing from the
  commands layer, the dashboard, reports or policies, prompts for nothing and runs no SQL.
- SQL (``.execute(`` / ``.executemany(``) runs only in ``audits/store/``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("audits", "dashboard", "policies", "reports")
# audits.trust modules the store may call: signing and redaction primitives with no catalog knowledge.
STORE_MAY_USE = ("audits.trust.keys", "audits.trust.checkpoint", "audits.trust.redact", "audits.trust.rawstore",
                 "audits.trust.notes", "audits.trust.acts")
ABOVE_STORE = ("audits.trust", "audits.commands", "dashboard", "reports", "policies")
# Deferred upward calls the store still makes: `assay verify` for runs.verify_all and the dashboard's log page.
KNOWN_UPWARD = {"audits.store.queries.runs -> audits.trust.verify",
                "audits.store.queries.dashboard -> audits.trust.verify"}


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


_SQL = re.compile(r"\.execute(many)?\(")


def test_no_sql_outside_the_store() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{n}" for module, path in module_files().items()
                 if not module.startswith("audits.store")
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if _SQL.search(line)]
    assert offenders == [], "SQL outside audits/store: " + ", ".join(offenders)


if __name__ == "__main__":  # `python tests/test_architecture.py`: the house in numbers
    g = import_graph()
    print(f"modules {len(g)}, edges {sum(len(t) for t in g.values())}, circles {len(cycles(g))}")
    for c in cycles(g):
        print("  circle:", " <-> ".join(c))
