"""`assay run CONFIG`: run an audit job and print the new run id."""

from __future__ import annotations

import argparse

from audits.config import load_config
from audits.errors import AssayError
from audits.store.catalog import Catalog


def _whole_number_from(minimum: int, below: str, maximum: int | None = None, above: str = ""):
    """An argparse type: a whole number of at least ``minimum`` (and at most ``maximum``), else one line saying
    ``below`` (``above``)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(below.format(value=value))
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(above.format(value=value))
        return value
    return parse


positive_int = _whole_number_from(1, "must be at least 1, got {value}")
# a seed: numpy's generators refuse a negative one with a traceback
seed_int = _whole_number_from(0, "a seed is 0 or more, got {value}")
# drift's permutations: 10**9 ran for hours with no output; 100,000 resolves a p-value to 1e-5
permutations_int = _whole_number_from(1, "must be at least 1, got {value}", 100_000,
                                      "at most 100000 (a p-value to 1e-5), got {value}")


def register(subparsers, common) -> None:
    p = subparsers.add_parser("run", parents=[common], help="run an audit job from a YAML config")
    p.add_argument("config", help="audit config (YAML)")
    p.add_argument("--limit", type=positive_int, default=None, help="at most N samples per task")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None, help="override model.device")
    p.add_argument("--resume", metavar="RUN_ID", default=None,
                   help="continue a run that was killed (refused where the config, --limit, model or scoring "
                        "signature would differ from the original's)")
    p.add_argument("--executor", choices=["local", "ray"], default=None,
                   help="override executor.kind (ray: a Ray Data pipeline; needs pip install 'assay[ray]')")
    p.add_argument("--workers", type=positive_int, default=None, help="override executor.num_workers")
    p.set_defaults(func=_run)


def _run(args) -> int:
    config = load_config(args.config)
    if args.executor:
        config.executor.kind = args.executor
    if args.workers:
        config.executor.num_workers = args.workers
    if args.device == "cuda":
        import torch
        if not torch.cuda.is_available():
            raise AssayError("--device cuda was requested but no CUDA GPU is available",
                             "use --device auto or cpu")
    from audits.runner import run_audit  # heavy (model, presidio): imported only when running

    catalog = Catalog(args.catalog)
    run_id = run_audit(config, catalog, limit=args.limit, device=args.device, resume=args.resume)
    print(run_id)
    return 0
