"""JSON as a type: what ``json.loads`` gives and ``json.dumps`` takes.

``JsonObject`` is the type of free-form JSON payloads that have no fixed shape of their own (an audit
log entry's ``details``, an HTTP body, a YAML config read as data). A payload with a known shape is a
pydantic model or a ``TypedDict`` instead (``audits.results.RunResults``, ``audits.store.manifest.Manifest``,
``audits.trust.checkpoint.Checkpoint``). Values are JSON only: no numpy scalars, datetimes or NaN
(``audits.results.jsonable`` makes them so).
"""

from __future__ import annotations

from pydantic import JsonValue

JsonObject = dict[str, JsonValue]

__all__ = ["JsonObject", "JsonValue"]
