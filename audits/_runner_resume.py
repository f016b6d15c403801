"""Whether a killed run may resume (``assay run CONFIG --resume RUN``): its saved config and limit, the data and
code its checkpointed blocks were answered with, and the scoring signature they were answered under; each
refusal is one line saying to start a new run."""

from __future__ import annotations

from pathlib import Path

from audits import identity
from audits._runner_prepare import PreparedAudit
from audits.config import AuditConfig, config_to_dict, parse_config
from audits.errors import AssayError
from audits.inference import FINGERPRINT_FILE, check_block, first_difference, read_checkpoint_json
from audits.results import TaskResult
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q


def check_signatures(partial: Path, task_results: list[TaskResult]) -> None:
    """Each task's scoring signature in the results is the one its blocks were answered under."""
    path = partial / FINGERPRINT_FILE
    pinned = read_checkpoint_json(path).get("scoring", {}) if path.exists() else {}
    for result in task_results:
        signature = (result.extra.get("scoring") or {}).get("signature")
        if result.name in pinned and signature != pinned[result.name]:
            raise AssayError(f"task '{result.name}' would be scored as {signature!r} but its blocks were answered "
                             f"as {pinned[result.name]!r}", "start a new run without --resume")


def data_hashes(prepared: PreparedAudit) -> dict[str, str]:
    """Each task's data as the run read it (the manifest's ``datasets.<task>.sha256``)."""
    return {name: td.sha256 for name, td in prepared.data.items()}


def check_resumed_inputs(catalog: Catalog, run_id: str, prepared: PreparedAudit) -> None:
    """A resumed run reads the data and runs the code its checkpointed blocks were answered with, or
    stops: blocks are matched by sample id, so a file changed since (same ids, new text) would pair old
    answers with new inputs, and the manifest names one code identity for every block."""
    state = read_checkpoint_json(catalog.runs_dir / f".partial-{run_id}" / "config.json")
    code = identity.code_sha256()
    if state.get("code_sha256", code) != code:  # absent in checkpoints written before code was pinned
        raise AssayError(f"Assay's code changed since run '{run_id}' started (code sha256 "
                         f"{state['code_sha256'][:12]} then, {code[:12]} now), so its checkpointed answers came "
                         "from other code", "start a new run without --resume (or resume with the Assay it started on)")
    then = state.get("datasets")  # absent in checkpoints written before data was pinned
    for name, sha in data_hashes(prepared).items():
        if then is not None and then.get(name) != sha:
            raise AssayError(f"task '{name}': its data changed since run '{run_id}' started (sha256 "
                             f"{str(then.get(name))[:12]} then, {sha[:12]} now), so its checkpointed answers "
                             "belong to other inputs", "start a new run without --resume (or restore the data)")


def load_resume(catalog: Catalog, run_id: str, given: AuditConfig | None,
                 limit: int | None = None) -> tuple[str, AuditConfig, int | None]:
    """The saved config and limit of a killed run, refused where they would not give the original's results."""
    run = runs_q.get_run(catalog, run_id)
    if run["status"] == "complete":
        raise AssayError(f"run '{run_id}' is already complete", "start a new run without --resume")
    saved = catalog.runs_dir / f".partial-{run_id}" / "config.json"
    if not saved.exists():
        raise AssayError(f"run '{run_id}' has no checkpoint in {saved.parent}", "start a new run without --resume")
    state = read_checkpoint_json(saved)
    check_block(saved)  # an edited saved config would put another config's name on these blocks
    if not isinstance(state.get("config"), dict):
        raise AssayError(f"run '{run_id}': its checkpoint file {saved} cannot be read (no 'config' in it)",
                         "start a new run without --resume")
    config = parse_config(state["config"], source=str(saved))
    if config_to_dict(config) != state["config"]:  # e.g. saved by a version that wrote an unset field as null
        where, was, now = first_difference(state["config"], config_to_dict(config))
        raise AssayError(f"run '{run_id}': its saved config reads back differently at '{where}' ({was!r} -> "
                         f"{now!r}), so resuming it could change its results", "start a new run without --resume")
    if given is not None and config_to_dict(given) != state["config"]:
        where, was, now = first_difference(state["config"], config_to_dict(given))
        raise AssayError(f"the config differs from the one run '{run_id}' started with at '{where}' "
                         f"({was!r} then, {now!r} now)", "resume with the original config and options, "
                         "or start a new run")
    if limit is not None and limit != state.get("limit"):
        raise AssayError(f"--limit {limit} differs from the limit run '{run_id}' started with "
                         f"({state.get('limit')})", "resume with the original --limit, or start a new run")
    return run_id, config, state.get("limit")
