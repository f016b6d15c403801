"""Policy packs (YAML data) and the engine that evaluates them against a run.

Public API::

    from policies import evaluate_run, load_pack, list_packs, attest, signoff
    checklist = evaluate_run(cat, run_id, ["internal-llm"])
    checklist.counts, checklist.failed, checklist.items
"""

from policies.engine import Checklist, ChecklistItem, attest, evaluate_run, file_sha256, signoff
from policies.expr import Expression, MissingInput, parse
from policies.schema import Control, Pack, list_packs, load_pack, parse_pack

__all__ = ["Checklist", "ChecklistItem", "Control", "Expression", "MissingInput", "Pack", "attest",
           "evaluate_run", "file_sha256", "list_packs", "load_pack", "parse", "parse_pack", "signoff"]
