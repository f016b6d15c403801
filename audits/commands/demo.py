"""`assay demo`: two quarterly runs of the embedded model, then the dashboard."""

from __future__ import annotations

from importlib import resources

from audits.commands.run import positive_int
from audits.config import AuditConfig, parse_config
from audits.store.catalog import Catalog

DEMO_LIMIT = None  # each task's own limit in demo.yaml
Q3_SYSTEM_PROMPT = "You are a helpful assistant."


def demo_configs() -> list[AuditConfig]:
    """The Q3 and Q4 demo audits (Q3 uses a plainer system prompt)."""
    import yaml

    data = yaml.safe_load(resources.files("audits.demo").joinpath("demo.yaml").read_text(encoding="utf-8"))
    q4 = parse_config(data, source="demo.yaml")
    q3 = parse_config({**data, "period": "2026-Q3", "model": {**data["model"], "system_prompt": Q3_SYSTEM_PROMPT}},
                      source="demo.yaml")
    return [q3, q4]


def register(subparsers, common) -> None:
    p = subparsers.add_parser("demo", parents=[common], help="run the demo audit (two quarters), open the dashboard")
    p.add_argument("--limit", type=positive_int, default=DEMO_LIMIT, help="samples per task (default: the sizes in demo.yaml)")
    p.add_argument("--no-dashboard", action="store_true", help="do not open the dashboard afterwards")
    p.add_argument("--port", type=int, default=8501)
    p.set_defaults(func=_demo)


def _demo(args) -> int:
    from audits.runner import run_audit  # heavy (model, presidio): imported only when running

    catalog = Catalog(args.catalog)
    for config in demo_configs():
        run_id = run_audit(config, catalog, limit=args.limit)
        print(run_id, flush=True)
    if args.no_dashboard:
        return 0
    from audits.commands.dashboard import serve

    return serve(catalog, args.port)
