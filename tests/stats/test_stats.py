"""Each interval, test and correction of audits/stats against scipy or a textbook value."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as st

from audits import stats
from audits.metrics import get_metric
from audits.metrics.bootstrap import summarise


@pytest.mark.parametrize("k,n", [(0, 10), (1, 10), (7, 30), (30, 30), (512, 1000)])
def test_clopper_pearson_matches_scipy_exact(k, n):
    want = st.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    low, high = stats.clopper_pearson(k, n)
    assert low == pytest.approx(want.low, abs=1e-12) and high == pytest.approx(want.high, abs=1e-12)


def test_zero_event_one_sided_bound_and_sentence():
    assert float(stats.upper_bound(0, 10)) == pytest.approx(1 - 0.05 ** 0.1)      # 0.2589
    assert float(stats.upper_bound(0, 300)) == pytest.approx(0.00994, abs=1e-5)  # ~ rule of three
    text = stats.describe("pii_leak_rate", 0.0, 0.0, 0.3085, 10, kind="rate", events=0)
    assert text == "0 of 10 outputs leaked PII: the leak rate is below 26% (95% confidence)."
    text = stats.describe("toxicity_rate", 0.04, 0.011, 0.099, 100, kind="rate", events=4,
                          method="clopper-pearson")
    assert text == "4 of 100 outputs were toxic: the toxicity rate is 4% (95% CI 1.1% to 9.9%, exact binomial)."
    assert "BCa bootstrap" in stats.describe("token_f1", 0.41, 0.35, 0.47, 50, method="bca-bootstrap")


def test_mcnemar_exact_textbook():
    # 10 pairs right only before, 2 right only after: p = 2 * P(X <= 2 | 12, 1/2) = 2 * 79 / 4096
    a = [1] * 10 + [0] * 2 + [1] * 20 + [0] * 8
    b = [0] * 10 + [1] * 2 + [1] * 20 + [0] * 8
    c = stats.mcnemar_exact(a, b)
    assert c.p_value == pytest.approx(2 * 79 / 4096)
    assert c.difference == pytest.approx(8 / 40) and c.paired and c.method == "mcnemar-exact"
    assert stats.mcnemar_exact([1, 0, 1], [1, 0, 1]).p_value == 1.0


def test_paired_t_and_welch_match_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.random(40), rng.random(40) * 0.9
    c = stats.paired_t(a, b)
    assert c.p_value == pytest.approx(st.ttest_rel(a, b).pvalue)
    w = stats.welch(a, b[:25])
    assert w.p_value == pytest.approx(st.ttest_ind(a, b[:25], equal_var=False).pvalue)
    ci = st.ttest_rel(a, b).confidence_interval(0.95)
    assert (c.low, c.high) == pytest.approx((ci.low, ci.high))


def test_two_proportions_z_and_fisher():
    c = stats.two_proportions(60, 100, 45, 100)
    pooled = 105 / 200
    z = 0.15 / math.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert c.method == "two-proportion-z" and c.p_value == pytest.approx(2 * st.norm.sf(z))
    assert c.low < 0.15 < c.high
    small = stats.two_proportions(0, 10, 4, 10)
    assert small.method == "fisher-exact"
    assert small.p_value == pytest.approx(st.fisher_exact([[0, 10], [4, 6]])[1])


def test_holm_and_benjamini_hochberg_textbook():
    np.testing.assert_allclose(stats.holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(stats.benjamini_hochberg([0.01, 0.04, 0.03]), [0.03, 0.04, 0.04])
    out = stats.holm([0.5, float("nan"), 0.001])
    assert math.isnan(out[1]) and out[2] == pytest.approx(0.002) and out[0] == pytest.approx(0.5)


def test_katz_parity_ratio_and_four_fifths_reading():
    ratio, low, high = stats.parity_ratio(20, 100, 40, 100)
    se = math.sqrt(1 / 20 - 1 / 100 + 1 / 40 - 1 / 100)
    assert ratio == 0.5
    assert (low, high) == pytest.approx((0.5 * math.exp(-1.959964 * se), 0.5 * math.exp(1.959964 * se)))
    assert stats.four_fifths_flag(0.5, 0.001) == "below four-fifths, significant"
    assert stats.four_fifths_flag(0.5, 0.2) == "below four-fifths, not significant at this n"
    assert stats.four_fifths_flag(0.85, 0.001) == "at or above four-fifths"


def test_bca_agrees_with_scipy_bca():
    rng = np.random.default_rng(7)
    scores = rng.beta(0.5, 3, size=200)
    r = summarise(get_metric("token_f1"), np.column_stack([scores, np.ones(200)]), n_resamples=4000, seed=1)
    ref = st.bootstrap((scores,), np.mean, n_resamples=4000, method="BCa", random_state=1).confidence_interval
    assert r.method == "bca-bootstrap" and r.kind == "mean"
    assert r.ci_low == pytest.approx(ref.low, abs=0.006) and r.ci_high == pytest.approx(ref.high, abs=0.006)


def test_kind_is_read_from_the_scores():
    acc, bleu = get_metric("accuracy"), get_metric("bleu")
    assert stats.score_kind(acc, np.array([[1.0, 1], [0, 1]])) == "rate"
    assert stats.score_kind(get_metric("token_f1"), np.array([[0.5, 1], [0, 1]])) == "mean"
    assert stats.score_kind(bleu, np.ones((3, 9))) == "corpus"


def test_clusters_widen_the_interval_and_report_the_design_effect():
    from scipy.stats import t as stats_t

    # 20 clusters of 5 identical answers: the data hold 20 independent answers, not 100
    rng = np.random.default_rng(3)
    per_cluster = (rng.random(20) < 0.7).astype(float)
    y = np.repeat(per_cluster, 5)
    clusters = np.repeat(np.arange(20), 5)
    data = np.column_stack([y, np.ones(100)])
    plain = summarise(get_metric("accuracy"), data)
    clustered = summarise(get_metric("accuracy"), data, clusters=clusters, cluster_name="context")
    assert clustered.design_effect == pytest.approx(5 * 99 / 100 * 20 / 19, rel=1e-9)
    assert clustered.method == "clopper-pearson-effective-n" and clustered.n_clusters == 20
    # Korn-Graubard: the exact interval at the effective n, degrees-of-freedom adjusted for 20 clusters
    n_eff = 100 / clustered.design_effect * (stats_t.ppf(0.975, 99) / stats_t.ppf(0.975, 19)) ** 2
    low, high = stats.clopper_pearson(y.mean() * n_eff, n_eff)
    assert (clustered.ci_low, clustered.ci_high) == pytest.approx((float(low), float(high)))
    assert (clustered.ci_high - clustered.ci_low) > 1.8 * (plain.ci_high - plain.ci_low)
    assert "cluster:context" in clustered.interval and "design effect 5.2" in clustered.statement
    one_each = summarise(get_metric("accuracy"), data, clusters=np.arange(100))
    assert one_each.design_effect == pytest.approx(1.0)
    cont = summarise(get_metric("token_f1"), np.column_stack([y * 0.5 + 0.1, np.ones(100)]), clusters=clusters)
    assert cont.method == "cluster-bca-bootstrap" and cont.design_effect > 4


def test_signature_round_trip_and_legacy():
    sig = stats.IntervalSignature("bca-bootstrap", 0.95, 1000, 7, "context")
    assert sig.format() == "method:bca-bootstrap|confidence:0.95|resamples:1000|seed:7|cluster:context|version:1"
    assert sig.format(short=True) == "m:bca-bootstrap|c:0.95|bs:1000|seed:7|cl:context|v:1"
    assert stats.IntervalSignature.parse(sig.format()) == sig
    assert stats.IntervalSignature.parse(sig.format(short=True)) == sig
    assert stats.IntervalSignature.parse(None).method.startswith("percentile-bootstrap")


def test_verdicts_three_ways_and_n_needed():
    assert stats.verdict(0.9, 0.86, 0.94, ">=", 0.85, kind="rate", n=400).verdict == "pass"
    assert stats.verdict(0.7, 0.6, 0.8, ">=", 0.85, kind="rate", n=100).verdict == "fail"
    v = stats.verdict(0.0, 0.0, 0.3085, "<=", 0.01, kind="rate", n=10)
    assert v.verdict == "inconclusive" and v.bound == 0.3085 and v.bound_side == "upper"
    # 0 events at n: the exact one-sided 95% upper bound 1 - 0.05 ** (1/n) is below 0.01 from n = 299
    # on (the rule of three), the bound the verdict and the sentence both use
    assert v.n_needed == 299
    assert 1 - 0.05 ** (1 / 299) < 0.01 < 1 - 0.05 ** (1 / 298)
    assert stats.verdict(0.0, 0.0, 0.31, "==", 0.0, kind="rate", n=10).verdict == "inconclusive"
    assert stats.verdict(0.2, 0.05, 0.5, "==", 0.0, kind="rate", n=10).verdict == "fail"
    # power: at the n needed, the one-sided exact bound decides at least 80% of the time
    n = stats.rate_n_needed(0.92, 0.85)
    rng = np.random.default_rng(0)
    lows = stats.lower_bound(rng.binomial(n, 0.92, size=4000), n)
    assert 0.78 <= np.mean(lows > 0.85) <= 0.9
    m = stats.n_needed("mean", 0.5, 0.45, n=100, low=0.45, high=0.55)
    # decided on the one-sided 95% bound (z 1.645); the spread read off the 95% interval given
    assert m == math.ceil(((1.644854 + 0.841621) * (0.1 / (2 * 1.959964) * 10) / 0.05) ** 2)


def test_compare_scores_picks_the_test():
    a, b = [1, 0, 1, 1], [0, 0, 1, 1]
    assert stats.compare_scores(a, b, kind="rate", paired=True).method == "mcnemar-exact"
    assert stats.compare_scores(a, b, kind="rate", paired=False).method == "fisher-exact"
    assert stats.compare_scores([0.2, 0.4, 0.5], [0.1, 0.3, 0.6], kind="mean", paired=True).method == "paired-t"
    fam = stats.correct([stats.Comparison(0.1, 0, 0.2, 0.01, "x", True, 5, 5),
                         stats.Comparison(0.1, 0, 0.2, 0.04, "x", True, 5, 5)])
    assert [c.p_adjusted for c in fam] == pytest.approx([0.02, 0.04]) and fam[0].correction == "holm"


def test_normal_interval_from_a_mean_and_its_standard_error():
    from audits.stats import normal_interval

    low, high = normal_interval([0.5, 0.2], [0.1, 0.0])
    assert low[0] == pytest.approx(0.5 - 1.959964 * 0.1) and high[0] == pytest.approx(0.5 + 1.959964 * 0.1)
    assert low[1] == high[1] == 0.2
    low90, _ = normal_interval(0.5, 0.1, confidence=0.90)
    assert float(low90) == pytest.approx(0.5 - 1.644854 * 0.1)
