"""Policy packs as data: the pydantic schema, loading and listing.

A pack is a YAML file (see ``policies/SCHEMA.md``)::

    name: internal-llm
    title: Internal LLM release policy
    version: "1"
    controls:
      - id: ACC-1
        title: Accuracy on domain tasks is at least 85%
        source: Internal rule 3.1
        owner: compliance
        applies_to: {types: [choice]}
        check: accuracy >= 0.85
      - id: DPIA
        title: A DPIA covers this model
        source: GDPR Art. 35
        owner: compliance
        attestation: {role: compliance, evidence: file}

Every error names the file, the control id and the key, in one line.
"""

from __future__ import annotations

import fnmatch
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from audits.access import ROLES
from audits.errors import AssayError
from policies.expr import Expression, parse

PACKS_DIR = Path(__file__).parent / "packs"
Role = Literal[ROLES]  # type: ignore[valid-type]  # the one role list (audits.access)
# the five questions a committee asks (reports.verdicts), and ``process`` for controls on how the audit
# itself is run (review coverage, audit cadence), which answer none of them
Area = Literal["accuracy", "fairness", "privacy", "safety", "groundedness", "process"]
_FAIRNESS_NAMES = ("fairness", "selection_rate", "demographic", "equalized", "four_fifths", "counterfactual",
                   "discrimination", "bias")
_SAFETY_NAMES = ("toxicity", "refusal", "unsafe", "attack_success", "redteam")
_PROCESS_NAMES = ("review", "tasks", "previous_run")
_GROUNDEDNESS_NAMES = ("hallucination_rate", "groundedness", "abstention_rate")


def derive_area(names: tuple[tuple[str, ...], ...]) -> Area:
    """The area of a check that does not declare one, from the dotted names its expression reads
    (``previous.`` stripped): fairness, privacy (``pii*``), safety, groundedness, process (review, cadence), else accuracy."""
    roots = [n[1:] if n[0] == "previous" and len(n) > 1 else n for n in names]
    heads = [".".join(n) for n in roots if n]
    if any(h.startswith(_FAIRNESS_NAMES) for h in heads):
        return "fairness"
    if any(h.startswith("pii") for h in heads):
        return "privacy"
    if any(h.startswith(_SAFETY_NAMES) for h in heads):
        return "safety"
    if any(h.startswith(_GROUNDEDNESS_NAMES) for h in heads):
        return "groundedness"
    if not heads or any(h.startswith(("quarters_since", "days_since")) or h.split(".")[0] in _PROCESS_NAMES
                        for h in heads):
        return "process"
    return "accuracy"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AppliesTo(_Strict):
    """Which tasks a check looks at: task-name globs and/or task types (both must match), less the
    task names that match ``exclude``."""

    tasks: list[str] | None = Field(None, description="glob patterns over task names, e.g. ['*-qa']")
    types: list[Literal["generate", "choice"]] | None = None
    exclude: list[str] | None = Field(None, description="glob patterns over task names the check skips, "
                                      "e.g. ['redteam-*'] (their outputs answer attacks, judged by attack success)")

    def matches(self, name: str, task_type: str | None) -> bool:
        if self.tasks is not None and not any(fnmatch.fnmatchcase(name, p) for p in self.tasks):
            return False
        if self.exclude is not None and any(fnmatch.fnmatchcase(name, p) for p in self.exclude):
            return False
        return not (self.types is not None and task_type not in self.types)


class Attestation(_Strict):
    """A manual control: which role attests, and what evidence it must give."""

    role: Role
    evidence: Literal["note", "link", "file"] = "note"


class Control(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.:-]+$")
    title: str = Field(min_length=1)
    source: str = Field(min_length=1, description="article / clause / function the control implements")
    owner: Role
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    description: str | None = None
    applies_to: AppliesTo | None = None
    check: str | None = None
    attestation: Attestation | None = None
    confidence: float = Field(0.95, gt=0.5, lt=1.0, description="confidence of the interval a check is decided "
                              "on: pass when it clears the threshold, fail when it is wholly beyond, else inconclusive")
    area: Area | None = Field(None, description="the question the control answers; a check without one gets it from "
                              "its expression when the pack is loaded (derive_area)")

    @field_validator("applies_to", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"tasks": [value]}
        if isinstance(value, list):
            return {"tasks": value}
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> "Control":
        if (self.check is None) == (self.attestation is None):
            raise ValueError("give exactly one of 'check' (an expression) or 'attestation' ({role, evidence})")
        return self

    @property
    def kind(self) -> str:
        return "check" if self.check is not None else "attestation"


class Notify(_Strict):
    """Where `assay check` sends an alert for each control whose verdict is in ``on`` (policies/notify.py):
    a webhook (JSON ``{"text": ...}``, Slack/Teams-compatible) and/or a JSON line appended to a file.
    Without ``webhook`` nothing leaves the machine."""

    webhook: str | None = Field(None, pattern=r"^https?://\S+$", description="http(s) URL that receives a POST")
    file: str | None = Field(None, description="file that gets one JSON line per alert")
    on: list[Literal["fail", "inconclusive", "no-data"]] = Field(default_factory=lambda: ["fail"], min_length=1)
    timeout_s: float = Field(5.0, gt=0, le=60)

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        """YAML 1.1 reads an unquoted ``on:`` key as the boolean true: take it as ``on``."""
        if isinstance(data, dict) and True in data and "on" not in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _somewhere(self) -> "Notify":
        if not self.webhook and not self.file:
            raise ValueError("give 'webhook' (an http(s) URL) and/or 'file' (a path)")
        return self


class Pack(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    title: str
    version: str = "1"
    description: str | None = None
    controls: list[Control] = Field(min_length=1)
    notify: Notify | None = Field(None, description="alerts from `assay check` (webhook and/or file)")

    @model_validator(mode="after")
    def _unique_ids(self) -> "Pack":
        ids = [c.id for c in self.controls]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"control ids must be unique; repeated: {dupes}")
        return self

    def control(self, control_id: str) -> Control:
        for c in self.controls:
            if c.id == control_id:
                return c
        raise AssayError(f"pack '{self.name}' has no control '{control_id}'",
                         f"use one of: {', '.join(c.id for c in self.controls)}")

    def expression(self, control_id: str) -> Expression:
        return _compiled(self.name, control_id, self.control(control_id).check or "")


@lru_cache(maxsize=512)
def _compiled(pack: str, control_id: str, source: str) -> Expression:
    return parse(source, where=f"pack '{pack}', control {control_id}")


def _error_line(source: str, data: Any, err: ValidationError) -> str:
    first = err.errors()[0]
    loc = list(first["loc"])
    where = ""
    if len(loc) >= 2 and loc[0] == "controls" and isinstance(loc[1], int):
        ctrl = data.get("controls", [])[loc[1]] if isinstance(data.get("controls"), list) else None
        cid = ctrl.get("id") if isinstance(ctrl, dict) else None
        where = f"control {cid or '#' + str(loc[1] + 1)}, "
        loc = loc[2:]
    key = ".".join(str(p) for p in loc) or "(control)"
    kind = first["type"]
    if kind == "extra_forbidden":
        what = f"unknown key '{key}'"
    elif kind == "missing":
        what = f"missing required key '{key}'"
    else:
        what = f"invalid value at '{key}': {first['msg']}"
    more = f" (+{len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return f"{source}: {where}{what}{more}"


def parse_pack(data: Any, source: str = "<pack>") -> Pack:
    """Validate a parsed YAML mapping and compile every check expression."""
    if not isinstance(data, dict):
        raise AssayError(f"{source}: a policy pack must be a YAML mapping, got {type(data).__name__}",
                         "start the file with 'name:', 'title:', 'controls:' (see policies/SCHEMA.md)")
    try:
        pack = Pack.model_validate(data)
    except ValidationError as err:
        raise AssayError(_error_line(source, data, err), "see policies/SCHEMA.md for the pack format") from None
    from policies.vocabulary import check_names

    for c in pack.controls:
        if c.check is not None:
            where = f"{source}: control {c.id}, key 'check'"
            names = parse(c.check, where=where).names
            check_names(names, where)
            if c.area is None:
                c.area = derive_area(names)  # once, here: every reader takes control.area
    return pack


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise AssayError(f"{path}: malformed YAML{at}: {getattr(err, 'problem', None) or 'syntax error'}",
                         "fix the YAML syntax") from None
    except UnicodeDecodeError:
        raise AssayError(f"{path}: not UTF-8 text", "save the pack as UTF-8") from None
    except OSError as err:
        raise AssayError(f"cannot read policy pack {path}: {err.strerror}", "check the path") from None


def list_packs() -> list[str]:
    """Names of the packs shipped with Assay."""
    return sorted(p.stem for p in PACKS_DIR.glob("*.yaml"))


def load_pack(name_or_path: str | Path) -> Pack:
    """A shipped pack by name (``eu-ai-act``) or a user's pack by path (``./my-pack.yaml``)."""
    text = str(name_or_path)
    path = Path(text).expanduser()
    looks_like_path = path.suffix in (".yaml", ".yml") or "/" in text or "\\" in text
    if not looks_like_path:
        builtin = PACKS_DIR / f"{text}.yaml"
        if builtin.exists():
            return parse_pack(_read_yaml(builtin), source=f"pack '{text}' ({builtin.name})")
        if not path.exists():
            raise AssayError(f"unknown policy pack '{text}'",
                             f"use one of: {', '.join(list_packs())}, or a path to a pack YAML file")
    if not path.exists():
        raise AssayError(f"policy pack file {path} does not exist",
                         f"check the path, or use a shipped pack: {', '.join(list_packs())}")
    if path.is_dir():
        raise AssayError(f"policy pack {path} is a directory", "pass a pack YAML file")
    return parse_pack(_read_yaml(path), source=str(path))
