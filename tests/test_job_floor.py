"""The job does not run up a floor: the engine (``audits`` outside the CLI's commands) reaches, through
any chain of imports, no entry point (commands, dashboard, reports) and, of ``policies``, only the pack as
data (schema, expression parser, the names a check may read: ``POLICY_DATA``), never the engine that
evaluates a run, attests or signs off."""

from __future__ import annotations

from tests.test_architecture import import_graph

ENTRY = ("audits.commands", "audits.cli", "dashboard", "reports")
POLICY_DATA = {"policies.schema", "policies.expr", "policies.context", "policies.vocabulary"}


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in graph[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_the_engine_reaches_no_entry_point_and_only_the_packs_as_data():
    graph = import_graph()
    engine = [m for m in graph if m.startswith("audits") and not m.startswith(ENTRY)]
    assert "audits.runner" in engine and "audits.planning" in engine
    up = {f"{m} -> {t}" for m in engine for t in _reach(graph, m)
          if t.startswith(ENTRY) or (t.startswith("policies") and t not in POLICY_DATA)}
    assert up == set(), "the engine runs up a floor: " + "; ".join(sorted(up))
