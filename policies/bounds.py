"""Three-valued verdicts for check expressions: evaluate both sides of a comparison as
intervals, then decide on the bounds (``audits.stats.decide``).

One rule (``audits.stats._verdict``): an inequality at the control's ``confidence`` c is decided
on the one-sided bounds at c, i.e. on the two-sided interval at ``stats.interval_level(op, c)``
(2c - 1 for one estimate; Bonferroni over m estimates); ``==`` / ``!=`` on the two-sided c
interval. A metric name reads as its interval at that level (rates are recomputed exactly from
their events and n; other methods are rescaled from the stored interval). A scanner figure
stored with an interval beside it (``pii.detector.recall`` with ``recall_ci`` and its counts) reads
as that interval, recomputed exactly from the counts, so ``>=`` uses its lower bound. Names that
are facts of the run (``n``, ``review.coverage``, ``days_since_…``, scanner figures without an
interval) are exact: a point interval. ``fairness.min_selection_rate_ratio``
reads as the smallest demographic-parity ratio with an interval over every pair of groups, and
``fairness.max_discrimination_score`` as the largest logit gap with one over every pair
(``stats.ratio_range_interval`` / ``range_interval``: the extremes are picked from the data). A
mean whose per-sample scores all lie in [0, 1] is bounded as a rate of its total
(``stats.bounded_mean_interval``); a mean with a zero-width interval, a detector figure without
its n, or a stale detector measurement reaches no verdict. ``trend.<m>.slope`` reads as the
trend test's interval; ``trend.<m>.slope_low`` / ``slope_high`` (ends of its stored two-sided 95% interval,
no n of their own; were read as exact facts, so an undecided slope passed ``slope_high >= -0.01``) are
decided as the slope, the value shown the slope. ``+ - * /`` use interval
arithmetic (conservative); ``and`` / ``or`` / ``not`` use three-valued logic (fail beats
inconclusive beats pass under ``and``). A metric with no interval is ``MissingInput``
(no-data, with the reason), never a silent point comparison.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any

from audits import stats
from audits.stats._words import PHRASES
from policies._bounds_base import Bounds, _finite, _get
from policies._detector_bounds import _stated_interval
from policies._fairness_bounds import _discrimination_bounds, _ratio_bounds
from policies.context import task_key
from policies.expr import MissingInput, NotInTask, dotted

_OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_RATE_NAMES = ("accuracy", "exact_match", "selection_rate")
SLOPE_END = ("trend test on the slope (trend.<m>.slope_low / slope_high are ends of its stored 95% interval, "
             "not estimates: decided as trend.<m>.slope)")
EXACT_COUNT = "exact count"  # the method of a verdict the count itself decides (``rate == 0`` with events)


class Unsupported(Exception):
    """The expression has a form without an interval reading (decided on the point value)."""


@dataclass
class Judgement:
    verdict: str
    value: float | None = None
    bound: float | None = None
    bound_side: str | None = None
    threshold: float | None = None
    n: int | None = None
    n_needed: int | None = None
    method: str | None = None
    reason: str = ""


def metric_bounds(entry: Any, name: str, label: str, confidence: float, unit_scores: bool = False) -> Bounds:
    """A stored metric summary as an interval at ``confidence``; MissingInput when it has none.

    ``unit_scores``: the metric is a mean whose every per-sample score lies in [0, 1] (token F1,
    ROUGE, groundedness). It is then bounded as a rate of its sum (exact Clopper-Pearson at the
    score total, ``stats.bounded_mean_interval``): no [0, 1] distribution with that mean spreads
    more than the 0/1 one, so the bound keeps its error at or under 1 - c at every n, where the
    stored BCa interval's one-sided error was measured at 25% (n=3), 16% (n=5) and 8% (n=10-30)
    (tests/stats/test_bounded_mean_verdict.py)."""
    value, low, high = _get(entry, "value"), _get(entry, "ci_low"), _get(entry, "ci_high")
    n = _get(entry, "n")
    if not _finite(value):
        raise MissingInput(label, "has no value in this run")
    if not (_finite(low) and _finite(high)):
        raise MissingInput(label, "has no confidence interval (a count, or a figure without an interval method); "
                                  "a control needs an estimate with an interval")
    kind = _get(entry, "kind") or ("rate" if name in _RATE_NAMES or name.endswith("_rate") else "mean")
    if kind != "rate" and float(low) == float(high):  # a bundle written before stats refused these
        raise MissingInput(label, f"has a zero-width interval over {n} samples (every scored sample alike): a "
                                  "bootstrap cannot measure its uncertainty, so no verdict rests on it")
    stored = float(_get(entry, "confidence") or 0.95)
    deff = _get(entry, "design_effect")
    if kind == "mean" and unit_scores and _finite(n) and n > 0:
        low, high = stats.bounded_mean_interval(float(value) * n, n, confidence, float(deff) if _finite(deff) else None,
                                                int(g) if _finite(g := _get(entry, "n_clusters")) else None)
        kind, method = "rate", stats.BOUNDED_MEAN
    elif kind == "rate" and _finite(n) and n > 0 and (stored != confidence or _get(entry, "kind") != "rate"):
        events = _get(entry, "events")
        k = float(events) if _finite(events) else float(value) * n
        low, high = stats.rate_interval(k, n, confidence, float(deff) if _finite(deff) else None,
                                        int(g) if _finite(g := _get(entry, "n_clusters")) else None)
        method = "clopper-pearson"
    else:
        low, high = stats.rescale(float(value), float(low), float(high), stored, confidence)
        method = _get(entry, "method") or "stored interval"
    meta = {"name": label, "kind": kind, "n": int(n) if _finite(n) else None,
            "design_effect": float(deff) if _finite(deff) else None, "method": method,
            "n_clusters": int(g) if _finite(g := _get(entry, "n_clusters")) else None}
    return Bounds(float(value), float(low), float(high), [meta])


def _unbounded_reason(scores: list[float] | None, entry: Any) -> str | None:
    """Why a verdict on a mean of unbounded scores cannot be trusted at its n (``stats.skew_reason``: too few
    scores, or too skewed for n); without the scores at hand, only a studentized interval's n is judged."""
    if scores:
        return stats.skew_reason(scores)
    n = _get(entry, "n")
    return stats.few_reason(int(n)) if _get(entry, "method") == stats.STUDENTIZED and _finite(n) else None


class IntervalEvaluator:
    """Evaluates an expression's nodes as intervals for one task of a run."""

    def __init__(self, ctx: Any, task: Any, resolver: Any, confidence: float):
        self.ctx, self.task, self.resolver, self.confidence = ctx, task, resolver, confidence

    def _metric_entry(self, path: tuple[str, ...]) -> tuple[Any, str] | None:
        task = self.task
        if path[0] == "previous" and len(path) == 2 and task is not None:
            task, path = self.ctx.previous_task(str(_get(task, "name"))), path[1:]
        elif path[0] == "tasks" and len(path) == 3:
            task = next((t for t in self.ctx.tasks if task_key(str(_get(t, "name"))) == path[1]), None)
            path = path[2:]
        if task is None or len(path) != 1:
            return None
        entry = (_get(task, "metrics") or {}).get(path[0])
        return (entry, path[0]) if entry is not None else None

    def _scores(self, path: tuple[str, ...], found: tuple[Any, str]) -> list[float] | None:
        """A mean's finite stored per-sample scores (``score_<metric>`` of its task in its run's samples);
        None when they are not at hand. All in [0, 1]: ``metric_bounds`` may take its conservative bound;
        otherwise ``stats.skew_reason`` says whether any bound on the mean holds at this n."""
        entry, name = found
        if _get(entry, "kind") != "mean" or not hasattr(self.ctx, "item_outcomes") or self.task is None:
            return None
        previous = path[0] == "previous"
        task = path[1] if path[0] == "tasks" else None
        if task is not None:
            task = next((str(_get(t, "name")) for t in self.ctx.tasks if task_key(str(_get(t, "name"))) == task), None)
        scores = self.ctx.item_outcomes(previous, task or str(_get(self.task, "name")), f"score_{name}")
        return [v for v in scores.values() if _finite(v)] if scores else None

    def bounds(self, node: ast.AST, level: float | None = None) -> Bounds:
        """``node`` as an interval at two-sided ``level`` (default the control's confidence)."""
        level = self.confidence if level is None else level
        if isinstance(node, ast.Constant) and _finite(node.value):
            return Bounds(float(node.value), float(node.value), float(node.value))
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            path = dotted(node)
            label = ".".join(path)
            value = self.resolver.resolve(path)  # raises MissingInput / NotInTask as the point evaluation does
            found = self._metric_entry(path)
            if found is not None:
                scores = self._scores(path, found)
                unit = bool(scores) and len(scores) == _get(found[0], "n") and all(0.0 <= v <= 1.0 for v in scores)
                b = metric_bounds(found[0], found[1], label, level, unit)
                if _get(found[0], "kind") == "mean" and not unit:  # unbounded scores: can a bound hold at this n?
                    b.metrics[0]["undecided"] = _unbounded_reason(scores, found[0])
                return b
            if path in (("fairness", "min_selection_rate_ratio"), ("fairness", "min_demographic_parity_ratio")):
                b = _ratio_bounds(_get(self.task, "fairness"), label, level)
                if _finite(value):  # the scanner's own figure is the point value shown
                    b.value = float(value)
                return b
            if path[0] == "trend" and path[-1] in ("slope", "slope_low", "slope_high") and _finite(value):
                if path[-1] != "slope":  # an end of the stored two-sided 95% interval, not an estimate: the slope decides
                    path = (*path[:-1], "slope")
                    b = self._slope_bounds(path, float(self.resolver.resolve(path)), ".".join(path), level)
                    b.metrics[0]["method"] = SLOPE_END
                    return b
                return self._slope_bounds(path, float(value), label, level)
            if path == ("fairness", "max_discrimination_score"):
                return _discrimination_bounds(_get(self.task, "fairness"), label, level, _get(self.task, "n"))
            if not _finite(value):
                raise Unsupported(label)
            stated = _stated_interval(self.task, path, float(value), label, level)
            if stated is not None:
                return stated
            return Bounds(float(value), float(value), float(value))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            b = self.bounds(node.operand, level)
            return b if isinstance(node.op, ast.UAdd) else Bounds(-b.value, -b.high, -b.low, b.metrics)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            ratio = self._run_ratio(node, level)  # rate / previous.rate: its own (paired) interval
            if ratio is not None:
                return ratio
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            a, b = self.bounds(node.left, level), self.bounds(node.right, level)
            metrics = a.metrics + b.metrics
            if isinstance(node.op, ast.Add):
                return Bounds(a.value + b.value, a.low + b.low, a.high + b.high, metrics)
            if isinstance(node.op, ast.Sub):
                return Bounds(a.value - b.value, a.low - b.high, a.high - b.low, metrics)
            if isinstance(node.op, ast.Div):
                if b.low <= 0 <= b.high:
                    raise Unsupported("division by an interval that contains 0")
                b = Bounds(1 / b.value, 1 / b.high, 1 / b.low, b.metrics)
            corners = [a.low * b.low, a.low * b.high, a.high * b.low, a.high * b.high]
            return Bounds(a.value * b.value, min(corners), max(corners), metrics)
        raise Unsupported(type(node).__name__)

    def _slope_bounds(self, path: tuple[str, ...], value: float, label: str, level: float) -> Bounds:
        """``trend.<metric>.slope`` as the trend test's interval (stored at 95%, rescaled to ``level``),
        n the number of runs; was read as an exact fact, so a slope of +0.001 over three noisy runs
        passed ``slope >= 0``."""
        low, high, runs = (self.resolver.resolve((*path[:-1], key)) for key in ("slope_low", "slope_high", "k"))
        if not (_finite(low) and _finite(high)):
            raise MissingInput(label, "the trend has no interval for its slope")
        low, high = stats.rescale(value, float(low), float(high), 0.95, level)
        return Bounds(value, low, high, [{"name": label, "kind": "trend", "n": int(runs) if _finite(runs) else None,
                                          "design_effect": None, "method": "trend test (its 95% interval rescaled)"}])

    def _run_ratio(self, node: ast.BinOp, level: float) -> Bounds | None:
        """``<rate> / previous.<rate>`` of one task as the interval of the ratio of the two runs' rates
        (``stats.compare_rates``: paired over the items both runs scored, else Katz); None for any
        other division, or a rate without per-item outcomes (then interval arithmetic applies)."""
        try:
            left, right = dotted(node.left), dotted(node.right)
        except Exception:  # noqa: BLE001 - not a name: an ordinary division
            return None
        if len(left) != 1 or right != ("previous", left[0]) or self.task is None:
            return None
        entries = self._metric_entry(left), self._metric_entry(right)
        if any(e is None or _get(e[0], "kind") != "rate" for e in entries):
            return None
        self.resolver.resolve(right)  # no previous run / task: MissingInput, as the point evaluation says
        task = str(_get(self.task, "name"))
        column = f"score_{left[0]}"
        cur = self.ctx.item_outcomes(False, task, column) if hasattr(self.ctx, "item_outcomes") else None
        prev = self.ctx.item_outcomes(True, task, column) if cur is not None else None
        if cur is None or prev is None:
            return None
        designs = [(float(d) if _finite(d := _get(e[0], "design_effect")) else None,
                    int(g) if _finite(g := _get(e[0], "n_clusters")) else None) for e in entries]
        r = stats.compare_rates(cur, prev, level, *designs)  # unpaired: each clustered run at its effective size
        if r is None:
            raise MissingInput(".".join(left) + " / previous", "a run has no scored items")
        label = f"{left[0]} / previous.{left[0]}"
        return Bounds(r.ratio, r.low, r.high, [{"name": label, "kind": "ratio", "n": r.n, "design_effect": None,
                                               "method": r.method, "rate_ratio": r}])

    def judge(self, node: ast.AST) -> Judgement:
        if isinstance(node, ast.BoolOp):
            parts = [self.judge(v) for v in node.values]
            order = (stats.FAIL, stats.INCONCLUSIVE, stats.PASS) if isinstance(node.op, ast.And) else (
                stats.PASS, stats.INCONCLUSIVE, stats.FAIL)
            verdict = next(v for v in order if any(p.verdict == v for p in parts))
            first = next(p for p in parts if p.verdict == verdict)
            return Judgement(verdict, first.value, first.bound, first.bound_side, first.threshold, first.n,
                             first.n_needed, first.method, "; ".join(p.reason for p in parts if p.reason))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            j = self.judge(node.operand)
            j.verdict = {stats.PASS: stats.FAIL, stats.FAIL: stats.PASS}.get(j.verdict, j.verdict)
            return j
        if isinstance(node, ast.Compare):
            if len(node.ops) > 1:  # a < b < c is (a < b) and (b < c)
                pairs = [ast.Compare(left=l, ops=[o], comparators=[r]) for l, o, r in
                         zip([node.left, *node.comparators[:-1]], node.ops, node.comparators)]
                return self.judge(ast.BoolOp(op=ast.And(), values=pairs))
            op = _OPS.get(type(node.ops[0]))
            if op is None:
                raise Unsupported(type(node.ops[0]).__name__)
            counted = self._counted(node, op) if op in ("==", "!=") else None
            if counted is not None:
                return counted
            level = stats.interval_level(op, self.confidence)
            left, right = self.bounds(node.left, level), self.bounds(node.comparators[0], level)
            estimates = len(left.metrics) + len(right.metrics)
            if estimates > 1 and op in stats.ONE_SIDED:  # each bound at 1 - (1 - c) / m (Bonferroni)
                level = stats.interval_level(op, self.confidence, estimates)
                left, right = self.bounds(node.left, level), self.bounds(node.comparators[0], level)
            return self._compare(left, op, right, level)
        raise Unsupported(type(node).__name__)

    def _counted(self, node: ast.Compare, op: str) -> Judgement | None:
        """``rate == 0`` / ``!= 0`` (or 1) on a rate with its count, decided by the count: one event
        proves the rate is not 0, an exact fact with no bound ("3 of 16 outputs leaked PII (an exact
        count)"); none can never prove it is 0, so it is inconclusive on the one-sided upper bound an
        ``<=`` control would use (was: the two-sided interval, 0.0405 beside ``<=``'s 0.0531 for one
        3 in 16). None for any other comparison."""
        sides = (node.left, node.comparators[0])
        const = [s.value for s in sides if isinstance(s, ast.Constant) and _finite(s.value) and s.value in (0, 1)]
        names = [s for s in sides if isinstance(s, (ast.Name, ast.Attribute))]
        if len(const) != 1 or len(names) != 1:
            return None
        path = dotted(names[0])
        value = self.resolver.resolve(path)  # MissingInput / NotInTask as the point evaluation says
        found = self._metric_entry(path)
        if found is None or _get(found[0], "kind") != "rate" or not (_finite(value) and _finite(_get(found[0], "n"))):
            return None
        entry, name = found
        n, target, events = int(_get(entry, "n")), float(const[0]), _get(entry, "events")
        k = int(round(float(events) if _finite(events) else float(value) * n))
        if n <= 0:
            return None
        unit, did, _ = PHRASES.get(name, ("samples", f"counted in {name}", name))
        counted = f"{k} of {n} {unit} {did}"
        if (k if target == 0 else n - k):  # the count itself shows the rate is not the target
            return Judgement(stats.FAIL if op == "==" else stats.PASS, float(value), None, None, target, n, None,
                             EXACT_COUNT, f"{counted} (an exact count), so the rate is not {target:g}")
        b = metric_bounds(entry, name, ".".join(path), stats.interval_level("<=", self.confidence))
        bound, side = (b.high, "upper") if target == 0 else (b.low, "lower")
        return Judgement(stats.INCONCLUSIVE, float(value), bound, side, target, n, None, b.metrics[0]["method"],
                         f"{counted} (an exact count): the one-sided {self.confidence:.0%} {side} bound is {bound:.4g}, "
                         f"and no sample can show the rate is exactly {target:g}; state a tolerance "
                         f"(e.g. {'.'.join(path)} {'<= 0.01' if target == 0 else '>= 0.99'})")

    def _compare(self, left: Bounds, op: str, right: Bounds, level: float) -> Judgement:
        verdict, _, side = stats.decide(left.low - right.high, left.high - right.low, op, 0.0)
        bound = None if side is None else (left.low if side == "lower" else left.high)
        metrics = left.metrics + right.metrics
        undecided = [f"{m['name']}: {m['undecided']}" for m in metrics if m.get("undecided")]
        if undecided and verdict in (stats.PASS, stats.FAIL):  # no bound on such a mean keeps its error here
            return Judgement(stats.INCONCLUSIVE, left.value, bound, side, right.value,
                             metrics[0]["n"] if len(metrics) == 1 else None, None,
                             ", ".join(sorted({m["method"] for m in metrics})) or None, "; ".join(undecided))
        single = metrics[0] if len(metrics) == 1 and not right.metrics else None
        n = single["n"] if single else None
        needed, reason = None, ""
        if verdict == stats.INCONCLUSIVE:
            names = " and ".join(m["name"] for m in metrics) or "the left side"
            if op in ("==", "!="):
                reason = "an equality cannot be shown from a sample; state a tolerance (e.g. <= 0.01)"
            else:
                if single and right.low == right.high and single["kind"] in ("rate", "mean"):
                    needed = stats.n_needed(single["kind"], left.value, right.value, confidence=self.confidence,
                                            n=n, low=left.low, high=left.high,
                                            design_effect=single["design_effect"], interval_confidence=level,
                                            n_clusters=single.get("n_clusters"))
                elif single and single.get("rate_ratio") is not None and right.low == right.high:
                    needed = stats.ratio_n_needed(single["rate_ratio"], right.value, self.confidence)
                elif len(left.metrics) == len(right.metrics) == 1 and all(m.get("n") for m in metrics):
                    # this run against the previous: each side's half-width scaled to a common n
                    up = op in ("<", "<=")
                    widths = [(left.high - left.value if up else left.value - left.low) * math.sqrt(left.metrics[0]["n"]),
                              (right.value - right.low if up else right.high - right.value)
                              * math.sqrt(right.metrics[0]["n"])]
                    needed = stats.gap_n_needed(left.value - right.value, widths, level, (1 + level) / 2)
                reason = (f"the one-sided {self.confidence:.0%} {side} bound {bound:.4g} of {names} "
                          f"does not clear {right.value:.4g}" if bound is not None and right.low == right.high
                          else f"the one-sided {self.confidence:.0%} bounds of {names} do not decide it "
                               f"against {right.value:.4g}")
            if needed and single and single.get("rate_ratio") is not None:
                reason += f"; about {needed} items per run would decide it (80% power at the observed ratio)"
            elif needed and single is None:
                reason += f"; about {needed} samples in each run would decide it (80% power at the observed values)"
            elif needed:
                clusters = stats.clusters_needed(left.value, right.value, confidence=self.confidence, n=n,
                                                 n_clusters=single.get("n_clusters"),
                                                 design_effect=single["design_effect"]
                                                 ) if single and single["kind"] == "rate" else None
                reason += f"; {stats.needed_words(needed, clusters)}"
        return Judgement(verdict, left.value, bound, side, right.value, n, needed,
                         ", ".join(sorted({m["method"] for m in metrics})) or None, reason)
