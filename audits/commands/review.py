"""`assay review RUN_ID --user U`: label the review queue in the terminal; `--summary` for stats."""

from __future__ import annotations

import json
import sys
import textwrap

from audits.commands._identity import add_identity_args, cli_acting
from audits.errors import AssayError
from audits.store.catalog import Catalog
from audits.store.queries import reviews as rv
from audits.store.queries import users as uq

_KEYS = {"c": "correct", "i": "incorrect", "r": "needs_rephrasing"}


def register(subparsers, common) -> None:
    p = subparsers.add_parser("review", parents=[common], help="label a run's review queue in the terminal")
    p.add_argument("run_id")
    add_identity_args(p, "reviewer name")
    p.add_argument("--role", choices=uq.ROLES, help="optional check: refuse unless the users table gives you this role")
    p.add_argument("--summary", action="store_true", help="print coverage and agreement as JSON and exit")
    p.set_defaults(func=_review)


def _show(item: dict) -> None:
    wrap = lambda s: textwrap.indent(textwrap.fill(str(s), 100), "    ")  # noqa: E731
    print(f"\n[{item['n_queue'] - item['remaining'] + 1}/{item['n_queue']}] {item['task']}/{item['sample_id']}"
          f"  reason: {item['reason']}  ({item['stratum']})")
    print("  input:\n" + wrap(item["input"]))
    print("  output:\n" + wrap(item["prediction"]))
    if item.get("reference") or item.get("gold"):
        print("  reference:\n" + wrap(item.get("reference") or item.get("gold")))


def _review(args) -> int:
    cat = Catalog(args.catalog, create=False)
    if args.summary:
        if args.user or args.role:  # the summary is read as anyone who can read the catalog: a name would be unchecked
            raise AssayError(f"--summary acts as no one, so {'--user' if args.user else '--role'} would not be checked",
                             "drop --user/--role to print the summary, or drop --summary to label as that user")
        print(json.dumps(rv.review_summary(cat, args.run_id), indent=2, default=str))
        return 0
    user = cli_acting(cat, args)
    args.user, role = user.name, user.role
    n, skipped = 0, set()
    while (item := rv.next_item(cat, args.run_id, args.user, skip=skipped)) is not None:
        _show(item)
        answer = input("  [c]orrect / [i]ncorrect / needs [r]ephrasing / [s]kip / [q]uit > ").strip().lower()[:1]
        if answer == "q" or answer == "":
            break
        if answer == "s" or answer not in _KEYS:
            skipped.add((item["task"], item["sample_id"]))
            print("  skipped" if answer == "s" else "  unknown key; skipped")
            continue
        correction = None
        if _KEYS[answer] != "correct":
            correction = input("  corrected output (Enter for none) > ") or None
        note = input("  note (Enter for none) > ") or None
        rv.record_review(cat, args.run_id, item["task"], item["sample_id"], args.user, role, _KEYS[answer],
                         correction=correction, note=note)
        n += 1
    print(f"\nrecorded {n} label(s) as {args.user} ({role})", file=sys.stderr)
    return 0
