"""Group against group within a task: every pair of groups compared by the two-proportion test
(Fisher's exact test when an expected count is below 5), the selection-rate ratio of each pair
with its Katz interval, Holm over every pair of every grouping of the task, and the four-fifths
rule read together with that corrected test (EEOC practice).

Every pair, not "each group against the group with the highest observed rate": choosing the
reference by its observed rate picks the most extreme group by chance, so under the null (all
groups equal) those tests rejected far more often than 5% (5.8% for 2 groups, 8.6% for 5, 13%
for 8). Holm over all pairs holds the family-wise error at alpha for any dependence between the
tests; ``tests/stats/test_group_fwer.py`` measures it by simulation.

Clustered samples (a task's ``cluster:``): a group given as a ``ClusteredRate`` is tested and its
ratio bounded at its effective sample size (events and n divided by the group's design effect;
each cluster counted once when it cannot be estimated), the rule its own interval uses. Treating
correlated samples as independent made the tests over-reject (``tests/stats/test_group_clusters.py``).
"""

from __future__ import annotations

from itertools import combinations
from typing import Mapping, TypedDict

from audits.stats._clustered import ClusteredRate
from audits.stats._compare import Comparison, correct, four_fifths_flag, parity_ratio, two_proportions


class GroupTestRow(TypedDict, total=False):
    """One pair of groups (read back as ``audits.results.GroupTest``); ``_c`` is the comparison that
    ``correct_group_tests`` corrects and removes, adding ``p_adjusted``, ``correction`` and ``reading``."""

    group: str
    reference: str
    difference: float
    p_value: float
    method: str
    ratio: float
    ratio_low: float
    ratio_high: float
    p_adjusted: float
    correction: str
    reading: str
    n_effective: float            # clustered: the group's effective sample size the test used
    reference_n_effective: float
    _c: Comparison


def group_tests(rates: Mapping[str, tuple[float, int] | ClusteredRate],
                confidence: float = 0.95) -> list[GroupTestRow]:
    """Every pair of groups: ``rates`` is {group: (rate, n)}, or {group: ClusteredRate} for
    clustered samples (each tested at its effective sample size).

    Each test names the pair's lower-rate ``group`` and its higher-rate ``reference`` (ties by
    name), so ``ratio`` (group / reference) is at most 1; the pair with the smallest ratio is the
    lowest against the highest group. Raw p-values: correct them with ``correct_group_tests``.
    """
    units = {g: r if isinstance(r, ClusteredRate) else ClusteredRate(r[0] * r[1], int(r[1]))
             for g, r in rates.items()}
    out = []
    for a, b in combinations(sorted(units), 2):
        group, reference = (a, b) if (units[a].rate, b) <= (units[b].rate, a) else (b, a)
        x, ref = units[group], units[reference]
        (k, n), (k_ref, n_ref) = (x.events_effective, x.n_effective), (ref.events_effective, ref.n_effective)
        c = two_proportions(k, n, k_ref, n_ref, confidence)
        ratio, low, high = parity_ratio(k, n, k_ref, n_ref, confidence)
        row: GroupTestRow = {"group": group, "reference": reference, "difference": c.difference,
                             "p_value": c.p_value, "method": c.method, "ratio": ratio, "ratio_low": low,
                             "ratio_high": high, "_c": c}
        if x.n_clusters or ref.n_clusters:
            row["n_effective"], row["reference_n_effective"] = float(n), float(n_ref)
        out.append(row)
    return out


def correct_group_tests(families: list[list[GroupTestRow]], threshold: float = 0.8,
                        alpha: float = 0.05) -> None:
    """Holm over every test in ``families`` (e.g. all pairs of all attributes of a task), in
    place; adds ``p_adjusted``, ``correction`` and the four-fifths ``reading`` (significance
    read on the corrected p-value) to each test."""
    tests = [t for family in families for t in family]
    correct([t["_c"] for t in tests])
    for t in tests:
        c = t.pop("_c")
        t["p_adjusted"], t["correction"] = c.p_adjusted, c.correction
        t["reading"] = four_fifths_flag(t["ratio"], c.p_adjusted, threshold, alpha)
