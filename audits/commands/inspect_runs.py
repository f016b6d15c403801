"""`assay runs`, `assay results`, `assay export`, `assay verify`: read what is stored."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from audits.commands._identity import add_identity_args
from audits.errors import AssayError
from audits.exports.base import EXPORTS, write_export
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q


def register(subparsers, common) -> None:
    p = subparsers.add_parser("runs", parents=[common], help="list runs, oldest first")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_runs)

    p = subparsers.add_parser("results", parents=[common], help="a run's metrics (with CIs) and findings")
    p.add_argument("run_id")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_results)

    import audits.exports  # noqa: F401  (discovers export tables)
    p = subparsers.add_parser("export", parents=[common], help="export a table of a run (.parquet, .csv, .jsonl)")
    p.add_argument("run_id")
    p.add_argument("table", help=f"one of: {', '.join(EXPORTS.names())}")
    p.add_argument("-o", "--output", required=True, help="output file; the extension picks the format")
    p.add_argument("--keep-pii", action="store_true",
                   help="retraining exports: keep personal data unscrubbed (default: scrubbed; admins only)")
    p.add_argument("--exclude-flagged", metavar="FLAGS", default=None,
                   help="retraining exports: leave out items a reviewer flagged with any of FLAGS (comma-separated: "
                        "privacy,unsafe,biased; default all three; 'none' keeps flagged items)")
    p.add_argument("--only-flagged", metavar="FLAGS", default=None,
                   help="retraining exports: keep only items a reviewer flagged with one of FLAGS (e.g. biased; "
                        "combine with --exclude-flagged for the rest)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    add_identity_args(p, "who exports (needed when the catalog has users)")
    p.set_defaults(func=_export)

    p = subparsers.add_parser("verify", parents=[common],
                              help="check bundles, the signed audit log and every evidence table against it")
    p.add_argument("--against", metavar="CHECKPOINT", help="also check against a checkpoint exported earlier")
    p.add_argument("--export-checkpoint", metavar="FILE", help="after a clean verify, write the signed head to FILE")
    p.add_argument("--force", action="store_true", help="overwrite an existing --export-checkpoint FILE")
    p.add_argument("--file", action="append", default=[], metavar="PATH",
                   help="also check that a report, pack or export is byte for byte one the log records (repeatable)")
    p.set_defaults(func=_verify)


def _catalog(args) -> Catalog:
    return Catalog(args.catalog, create=False)


def _runs(args) -> int:
    from audits.store import lease

    frame = runs_q.list_runs(_catalog(args))
    if not frame.empty and "lease_host" in frame.columns:  # a dead job's run shows as interrupted
        frame["status"] = [lease.effective_status(r.status, r.lease_host, r.lease_pid, r.heartbeat_at,
                                                  started=r.created_at)  # no heartbeat: judged by its start
                           for r in frame.itertuples()]
    if args.json:
        records = json.loads(frame.to_json(orient="records", date_format="iso"))
        print(json.dumps(records, indent=2))
        return 0
    if frame.empty:
        print("no runs yet — run `assay demo` or `assay run CONFIG`")
        return 0
    for r in frame.itertuples():
        print(f"{r.run_id}  {r.audit:<24} {r.period:<9} {r.status:<9} {r.model}")
    return 0


def _fmt(v) -> str:
    return "—" if v is None else f"{v:.4g}"


def _ci(figures: dict, key: str) -> str:
    """'95% CI [low, high]' of a stored detector figure (``<key>_ci``; dashes when absent)."""
    low, high = figures.get(f"{key}_ci") or [None, None]
    return f"95% CI [{_fmt(low)}, {_fmt(high)}]"


def _results(args) -> int:
    results = runs_q.get_results(_catalog(args), args.run_id)
    if args.json:
        print(results.to_json())
        return 0
    print(f"run {results.run_id}  audit {results.audit}  period {results.period}  (results schema {results.schema_version})")
    for task in results.tasks:
        print(f"\n{task.name} ({task.type}, n={task.n})")
        for name, m in task.metrics.items():
            print(f"  {name:<22} {_fmt(m.value):>9}  {m.confidence:.0%} CI [{_fmt(m.ci_low)}, {_fmt(m.ci_high)}]  "
                  f"n={m.n}  {m.method}")
            if m.statement:
                print(f"  {'':<22} {m.statement}")
        _print_feedback_and_skips(task.extra)
        if task.pii is not None:
            _print_pii_detector(task.pii)
        if task.redteam is not None:
            _print_redteam(task.redteam)
        if task.groundedness is not None:
            g = task.groundedness
            if g.n_not_scorable:  # rows with a verdict but no score: the rates above leave them out
                why = ", ".join(f"{reason} {n}" for reason, n in g.not_scorable_reasons.items())
                print(f"  groundedness: {g.n_not_scorable} of {g.n} answers not scorable ({why}); "
                      "the rates above count only the scorable ones")
            _print_grounding_detector(g.detector)
    return 0


def _print_feedback_and_skips(extra: dict) -> None:
    """The rows a figure above leaves out, said in the text as ``--json`` says them: feedback values
    neither positive nor negative (with up to five of them, free text withheld), rows with no feedback,
    and log rows skipped or reordered when the task read them (audits/datasets/loader.py)."""
    fb = extra.get("feedback")
    if isinstance(fb, dict):
        shown = ", ".join(repr(v) for v in fb.get("unknown_values") or [])
        print(f"  feedback: {fb.get('scored', 0)} scored ({fb.get('positive', 0)} positive, {fb.get('negative', 0)} "
              f"negative); {fb.get('unknown_skipped', 0)} skipped as neither positive nor negative"
              f"{f' (e.g. {shown})' if shown else ''}; {fb.get('no_feedback', 0)} with no feedback")
    data = extra.get("data")
    if isinstance(data, dict):
        parts = [f"{n} skipped ({why})" for why, n in (data.get("skipped") or {}).items() if n]
        if data.get("rows_skipped"):
            parts.append(f"{data['rows_skipped']} skipped (a prompt field missing)")
        if data.get("out_of_order"):
            parts.append(f"{data['out_of_order']} out of timestamp order")
        if parts:
            print(f"  data: {'; '.join(parts)}")


def _print_redteam(block) -> None:
    """What the attack success rate above rests on, said in the text as results.json says it: whether the leak
    probe had to plant a system prompt (the model had none) and how many hits only quoted the attack's input."""
    if block.note:
        print(f"  red-team: {block.note}")
    if block.quoted_not_counted:
        print(f"  red-team: {block.quoted_not_counted} answer(s) carried the marker only as a quote of their own "
              "input and were not counted as successes (the quoting rule, audits/redteam/detectors.py)")


def _print_grounding_detector(det) -> None:
    """The groundedness detector's own accuracy beside its rates: per held-out HaluEval subset (flagged
    below target) and on the second, independent labelled set; or why it was not measured."""
    det = det or {}
    if det.get("measured") is False or not det.get("by_subset"):
        print(f"  groundedness detector: {det.get('note') or 'quality not recorded'}")
        return
    print("  groundedness detector, balanced accuracy on held-out length-matched HaluEval:")
    for subset, v in det["by_subset"].items():
        flag = f"  BELOW TARGET {v['target']:.2f}" if v.get("below_target") else ""
        print(f"    {subset:<16} {_fmt(v.get('balanced_accuracy')):>9}  {_ci(v, 'balanced_accuracy')}"
              f"  n={v.get('n')}{flag}")
    second = det.get("second_set") or {}
    if second.get("balanced_accuracy") is not None:   # never built or tuned on
        print(f"    second set: {second.get('set')}: {_fmt(second['balanced_accuracy'])}  "
              f"{_ci(second, 'balanced_accuracy')}  n={second.get('n')}")


def _print_pii_detector(pii) -> None:
    """PII findings per entity beside the detector's held-out recall, flagged where below target."""
    det = pii.detector or {}
    print(f"  PII: {pii.findings} findings, {pii.leaks} leaks; detector recall on {det.get('set', 'no labelled set')}")
    for entity, v in (det.get("by_entity") or {}).items():
        flag = f"  BELOW TARGET {v['recall_target']:.2f}" if v.get("below_target") else ""
        print(f"    {entity:<16} found {pii.by_entity.get(entity, 0):>5}  recall {_fmt(v.get('recall')):>9}  "
              f"{_ci(v, 'recall')}{flag}")
    second = det.get("second_set") or {}
    if second.get("recall") is not None:   # the second independent set, never tuned on
        print(f"  detector on {second.get('set')}: precision {_fmt(second.get('precision'))} "
              f"{_ci(second, 'precision')}, recall {_fmt(second.get('recall'))} {_ci(second, 'recall')}")


def _logger(cat, run_id: str, actor: str):
    """The audit-log entry of a table export (path and SHA-256), written before the file appears."""
    from audits.store.queries import policies as policies_q

    return lambda path, sha: policies_q.record_report(cat, run_id, actor, str(path.resolve()), sha,
                                                      path.suffix.lower().lstrip("."), None)


def _export(args) -> int:
    from audits.access import require
    from audits.commands._identity import cli_reader

    cat = _catalog(args)
    out = Path(args.output)
    if out.exists() and not args.force:
        raise AssayError(f"{out} already exists", "pass --force to overwrite it, or choose another -o file")
    user = cli_reader(cat, args.user, args.password_stdin)
    export = EXPORTS.get(args.table)
    if args.table.replace("-", "_") in runs_q.BUNDLE_TABLES:  # evidence tables: through the access layer
        from audits.access import export_table

        n = write_export(export_table(cat, user, args.run_id, args.table.replace("-", "_")), out,
                         _logger(cat, args.run_id, user.name))
        print(f"wrote {n} rows to {args.output}")
        return 0
    require(user, "export_retraining")
    if getattr(args, "keep_pii", False):
        require(user, "view_raw_pii")
    if hasattr(export, "write"):  # exports that write their own file + manifest (retraining-*)
        from audits.exports.retraining import parse_flags

        print(export.write(cat, args.run_id, Path(args.output), keep_pii=getattr(args, "keep_pii", False),
                           exclude_flags=parse_flags(args.exclude_flagged),
                           only_flags=parse_flags(args.only_flagged) or []))
        return 0
    data = export(cat, args.run_id)
    n = write_export(data, Path(args.output), _logger(cat, args.run_id, user.name))
    print(f"wrote {n} rows to {args.output}")
    return 0


def _verify(args) -> int:
    from audits.trust import checkpoint
    from audits.trust.verify import verify
    from audits.trust.verify_file import check_files

    cat = _catalog(args)
    against = checkpoint.load(args.against) if args.against else None
    if args.export_checkpoint:
        _checkpoint_target(Path(args.export_checkpoint), args.force)  # refused before the work, not a traceback after
    files = check_files(cat, args.file)  # a --file that is no file is refused before the work
    report = verify(cat, against)
    report.problems += [line for found, line in files if not found]
    for found, line in files:
        if found:
            print(f"verify: {line}")
    for line in report.notes:
        print(f"verify: note: {line}", file=sys.stderr)
    if report.problems:
        for line in report.problems:
            print(line, file=sys.stderr)
        print(f"verify: {len(report.problems)} problem(s) in {cat.path}", file=sys.stderr)
        return 1
    if args.export_checkpoint:
        if report.head is None:
            print("verify: the audit log is empty; no checkpoint to export", file=sys.stderr)
            return 1
        checkpoint.save(report.head, args.export_checkpoint, force=args.force)
        print(f"verify: wrote the signed checkpoint ({report.head['count']} entries) to {args.export_checkpoint}")
    print(f"verify: {report.bundles} run bundle(s), {report.runs} run(s), {report.entries} signed log entries "
          f"and the evidence tables are intact")
    return 0


def _checkpoint_target(path: Path, force: bool) -> None:
    """``--export-checkpoint PATH`` can be written: not a folder; with ``--force``, only an earlier checkpoint
    is replaced (it had overwritten the catalog itself); its folder made when missing (as `assay report -o`
    does); AssayError naming the path otherwise."""
    from audits.trust import checkpoint

    if path.is_file() and force:
        try:
            checkpoint.load(path)
        except AssayError:
            raise AssayError(f"--export-checkpoint {path} exists and is not an Assay checkpoint; --force replaces "
                             "only an earlier checkpoint", "name a new file") from None
    if path.is_dir():
        raise AssayError(f"--export-checkpoint {path} is a folder, not a file",
                         f"name a file, e.g. --export-checkpoint {path / 'checkpoint.json'}")
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise AssayError(f"--export-checkpoint {path}: {blocker} is a file, not a folder",
                         "name a file in a folder, e.g. --export-checkpoint checkpoint.json")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise AssayError(f"cannot make the folder of --export-checkpoint {path}: {err.strerror or err}",
                         "name a file in a folder you can write") from None
