"""sacrebleu corpus BLEU (0–100) from per-sentence sufficient statistics.

Stats per sample are sacrebleu's own segment statistics ``[hyp_len, ref_len, correct_1..4,
total_1..4]``. ``aggregate`` is sacrebleu's ``BLEU.compute_bleu`` (brevity penalty, 'exp'
smoothing, no effective order) rewritten over arrays, so a resample's summed stats give exactly
``corpus_bleu`` on that resample. ``per_sample`` is sacrebleu's ``sentence_bleu`` (which turns on
effective order), from the same stats.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from audits.metrics._common import need, ratio
from audits.metrics.base import METRICS, Metric, MetricInputs

MAX_ORDER = 4
_LOG_ZERO = -9999999999.0  # sacrebleu.utils.my_log(0)


@lru_cache(maxsize=1)
def _bleu():
    from sacrebleu.metrics import BLEU

    return BLEU()  # defaults: tokenize 13a, smooth 'exp', mixed case, effective_order False


def bleu_from_stats(summed: np.ndarray, effective_order: bool = False) -> np.ndarray:
    """BLEU (0–100) from summed stats ``(..., 2 + 2 * MAX_ORDER)`` with 'exp' smoothing."""
    s = np.asarray(summed, dtype=np.float64)
    sys_len, ref_len = s[..., 0], s[..., 1]
    correct, total = s[..., 2:2 + MAX_ORDER], s[..., 2 + MAX_ORDER:2 + 2 * MAX_ORDER]

    bp = np.ones_like(sys_len)
    short = sys_len < ref_len
    bp[short] = np.exp(1.0 - ratio(ref_len[short], sys_len[short]))
    bp[short & (sys_len <= 0)] = 0.0

    # 'exp' smoothing: the i-th order with no match gets precision 100 / (2^i * total).
    zero = correct == 0
    halvings = np.cumsum(zero, axis=-1)
    has_total = total > 0
    safe_total = np.where(has_total, total, 1.0)
    precision = np.where(zero, 100.0 / (np.exp2(halvings) * safe_total), 100.0 * correct / safe_total)
    # sacrebleu stops at the first order with no n-grams: that order and later ones keep precision 0.
    reached = np.cumprod(has_total, axis=-1).astype(bool)
    log_p = np.where(reached, np.log(np.where(reached, precision, 1.0)), _LOG_ZERO)
    if effective_order:
        order = reached.sum(axis=-1)
        log_p = np.where(reached, log_p, 0.0)
        mean_log = ratio(log_p.sum(axis=-1), order)
        mean_log = np.where(order > 0, mean_log, _LOG_ZERO)
    else:
        mean_log = log_p.sum(axis=-1) / MAX_ORDER
    score = bp * np.exp(mean_log)
    return np.where(correct.any(axis=-1), score, 0.0)  # no match at any order: 0 (sacrebleu #141)


@METRICS.register("bleu")
class Bleu(Metric):
    """Corpus BLEU of predictions against one reference each (0–100)."""

    name = "bleu"
    requires = frozenset({"references"})
    task_types = frozenset({"generate"})

    def stats(self, inputs: MetricInputs) -> np.ndarray:
        refs = need(inputs, "references", self.name)
        out = np.zeros((len(inputs.predictions), 2 + 2 * MAX_ORDER))
        rows = [i for i, r in enumerate(refs) if r is not None]   # unreferenced rows stay all-zero
        if rows:
            hyps = ["" if inputs.predictions[i] is None else str(inputs.predictions[i]) for i in rows]
            stats = _bleu()._extract_corpus_statistics(hyps, [[str(refs[i]) for i in rows]])
            out[rows] = np.asarray(stats, dtype=np.float64)
        return out

    def aggregate(self, summed: np.ndarray) -> np.ndarray:
        return bleu_from_stats(summed)

    def per_sample(self, stats: np.ndarray) -> np.ndarray:
        """sacrebleu ``sentence_bleu`` of each sample (effective order on); NaN without a reference."""
        return np.where(self.scored(stats), bleu_from_stats(stats, effective_order=True), np.nan)

    def scored(self, stats: np.ndarray) -> np.ndarray:
        """Rows with a reference (an empty hypothesis *and* reference adds nothing either way)."""
        return np.asarray(stats)[:, :2].sum(axis=1) > 0

    def signature(self) -> str:
        bleu = _bleu()
        if not hasattr(bleu, "num_refs"):
            bleu.corpus_score(["a"], [["a"]])  # sacrebleu learns the reference count on first use
        return str(bleu.get_signature())

    def options(self) -> dict:
        return {"tokenize": "13a", "smooth_method": "exp", "lowercase": False, "effective_order": False}
