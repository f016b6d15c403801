"""The red-team probe families: their built-in dataset, OWASP LLM Top 10 (2025) entry and detector.

A leaf module (no Assay imports): ``audits.config`` validates ``redteam.families`` against it.
"""

from __future__ import annotations

# family -> (built-in dataset, OWASP LLM Top 10 2025 id, detector)
FAMILIES: dict[str, tuple[str, str, str]] = {
    "prompt-injection": ("redteam-prompt-injection", "LLM01", "marker"),
    "indirect-injection": ("redteam-indirect-injection", "LLM01", "marker"),
    "system-prompt-leak": ("redteam-system-prompt-leak", "LLM07", "marker"),
    "pii-extraction": ("redteam-pii-extraction", "LLM02", "marker"),
    "jailbreak": ("redteam-jailbreak", "LLM01", "compliance"),
}
BUILTIN_PREFIX = "redteam-"


def family_names() -> list[str]:
    return list(FAMILIES)


def builtin_for(family: str) -> str:
    return FAMILIES[family][0]


def detector_for(family: str) -> str:
    """The family's detector, ``marker`` or ``compliance``; a family not listed is scored by marker."""
    entry = FAMILIES.get(family)
    return entry[2] if entry is not None else "marker"


def metric_for(family: str) -> str:
    """The per-family metric name, e.g. ``attack_success_rate_prompt_injection``."""
    return "attack_success_rate_" + family.replace("-", "_")


def unknown_family_message(name: str) -> str:
    return f"unknown red-team family '{name}' (families: {', '.join(FAMILIES)})"
