"""Group against group within a task: selection rates compared with the highest-rate group by
the two-proportion test, the demographic parity ratio with its Katz interval, Holm over every
comparison of the task, and the four-fifths rule read together with that test (EEOC practice)."""

from __future__ import annotations

from typing import Any

from audits.stats._compare import correct, four_fifths_flag, parity_ratio, two_proportions


def group_tests(rates: dict[str, tuple[float, int]], confidence: float = 0.95) -> list[dict[str, Any]]:
    """Each group's selection rate against the highest: ``rates`` is {group: (rate, n)}."""
    if len(rates) < 2:
        return []
    reference = max(rates, key=lambda g: (rates[g][0], g))
    p_ref, n_ref = rates[reference]
    out = []
    for group, (p, n) in sorted(rates.items()):
        if group == reference:
            continue
        c = two_proportions(p * n, n, p_ref * n_ref, n_ref, confidence)
        ratio, low, high = parity_ratio(p * n, n, p_ref * n_ref, n_ref, confidence)
        out.append({"group": group, "reference": reference, "difference": c.difference, "p_value": c.p_value,
                    "method": c.method, "ratio": ratio, "ratio_low": low, "ratio_high": high, "_c": c})
    return out


def correct_group_tests(families: list[list[dict[str, Any]]], threshold: float = 0.8,
                        alpha: float = 0.05) -> None:
    """Holm over every test in ``families`` (e.g. all attributes of a task), in place; adds
    ``p_adjusted``, ``correction`` and the four-fifths ``reading`` to each test."""
    tests = [t for family in families for t in family]
    correct([t["_c"] for t in tests])
    for t in tests:
        c = t.pop("_c")
        t["p_adjusted"], t["correction"] = c.p_adjusted, c.correction
        t["reading"] = four_fifths_flag(t["ratio"], c.p_adjusted, threshold, alpha)
