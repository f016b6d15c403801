"""`assay demo`: two quarterly runs of the embedded model, then the dashboard."""

from __future__ import annotations

from importlib import resources

from audits.commands.dashboard import port_int
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
    p.add_argument("--no-users", action="store_true",
                   help="do not create the demo users (the dashboard then runs as a local admin)")
    p.add_argument("--port", type=port_int, default=8501)
    p.set_defaults(func=_demo)


# one person per role, so every act can be tried: sign-off, attestation, labelling by two reviewers
DEMO_USERS = (("demo-admin", "admin"), ("cleo-committee", "committee"), ("carl-compliance", "compliance"),
              ("rita-reviewer", "reviewer"), ("remy-reviewer", "reviewer"))


def create_demo_users(catalog: Catalog) -> list[tuple[str, str, str]]:
    """Create the demo users with fresh random passwords, printed once and never stored in clear.
    Nothing happens when the catalog already has users (their passwords are not reset)."""
    import secrets

    from audits.store.queries import users as users_q

    if users_q.users_configured(catalog):
        return []
    from audits.identity import os_login

    made = []
    for name, role in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        # the OS account that ran the demo acts as demo-admin in the CLI (export, users) without a password
        os_user = os_login() if role == "admin" else None
        # the first (admin) is the bootstrap; it adds the others, so each change has an admin actor
        users_q.add_user(catalog, name, role, password, actor=made[0][0] if made else "demo", os_user=os_user)
        made.append((name, role, password))
    return made


def _print_users(made: list[tuple[str, str, str]]) -> None:
    print("\nDemo users (passwords shown once; sign in at the dashboard's sidebar):")
    for name, role, password in made:
        print(f"  {role:<11} {name:<16} {password}")
    print("Your OS account acts as demo-admin in the CLI. Change a user with "
          "`assay users add NAME --role ROLE` (it prompts for the password; or --password-stdin).\n", flush=True)


def _demo(args) -> int:
    from audits.commands.dashboard import check_bind
    from audits.runner import run_audit  # heavy (model, presidio): imported only when running

    if not args.no_dashboard:  # a port in use is said now, not after both audits have run
        check_bind("localhost", args.port)
    catalog = Catalog(args.catalog)
    for config in demo_configs():
        run_id = run_audit(config, catalog, limit=args.limit)
        print(run_id, flush=True)
    if not args.no_users:
        made = create_demo_users(catalog)
        if made:
            _print_users(made)
    if args.no_dashboard:
        return 0
    from audits.commands.dashboard import serve

    return serve(catalog, args.port)
