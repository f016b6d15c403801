"""Properties of the seeded percentile bootstrap over sufficient statistics."""

from __future__ import annotations

import numpy as np

from audits.metrics import MetricInputs, bootstrap_ci, bootstrap_values, compute, get_metric


def _coin_flips(n: int, p: float, seed: int) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    gold = ["yes"] * n
    pred = ["yes" if u < p else "no" for u in rng.random(n)]
    return pred, gold


def test_ci_contains_value_for_a_non_degenerate_sample():
    pred, gold = _coin_flips(200, 0.7, seed=1)
    result, _ = compute(get_metric("accuracy"), MetricInputs(pred, labels=gold), n_resamples=1000, seed=5)
    assert result.ci_low < result.value < result.ci_high
    assert 0.5 < result.ci_low and result.ci_high < 0.9


def test_same_seed_same_ci_and_other_seed_differs(corpus):
    hyps, refs = corpus
    metric = get_metric("bleu")
    stats = metric.stats(MetricInputs(hyps, refs))
    first, second = bootstrap_ci(metric, stats, 500, seed=42), bootstrap_ci(metric, stats, 500, seed=42)
    assert first == second
    assert bootstrap_ci(metric, stats, 500, seed=43) != first


def test_ci_narrows_as_n_grows():
    metric = get_metric("accuracy")
    widths = []
    for n in (50, 500, 5000):
        pred, gold = _coin_flips(n, 0.7, seed=n)
        low, high = bootstrap_ci(metric, metric.stats(MetricInputs(pred, labels=gold)), 1000, seed=0)
        widths.append(high - low)
    assert widths[0] > widths[1] > widths[2] > 0


def test_all_correct_gives_the_exact_one_sided_interval_not_certainty():
    result, _ = compute(get_metric("accuracy"), MetricInputs(["a"] * 30, labels=["a"] * 30), n_resamples=300)
    # Clopper-Pearson at 30 of 30: lower bound 0.025 ** (1 / 30) = 0.8843, not [1, 1]
    assert (result.value, result.ci_high) == (1.0, 1.0)
    assert abs(result.ci_low - 0.025 ** (1 / 30)) < 1e-9
    assert result.method == "clopper-pearson" and result.kind == "rate"
    assert result.statement == "30 of 30 answers were correct: accuracy is above 90% (95% confidence)."


def test_resample_values_are_exact_corpus_values(corpus):
    hyps, refs = corpus
    metric = get_metric("rougeL")
    stats = metric.stats(MetricInputs(hyps, refs))
    values = bootstrap_values(metric, stats, 64, seed=9)
    assert values.shape == (64,)
    assert np.all((values >= stats[:, 0].min()) & (values <= stats[:, 0].max()))
    assert values.std() > 0


def test_empty_input_gives_nan():
    result, _ = compute(get_metric("accuracy"), MetricInputs([], labels=[]), n_resamples=100)
    assert result.n == 0 and np.isnan(result.value) and np.isnan(result.ci_low)


def test_chunking_and_counting_path_do_not_change_values(monkeypatch):
    import audits.stats._resample as bootstrap  # the resampler (moved from audits.metrics.bootstrap)

    metric = get_metric("rougeL")                     # continuous scores: no pooling of rows
    rng = np.random.default_rng(2)
    stats = np.column_stack([rng.random(300), np.ones(300)])
    whole = bootstrap_values(metric, stats, 200, seed=3)
    monkeypatch.setattr(bootstrap, "_CHUNK_CELLS", 300 * 7)  # 7 resamples per chunk
    np.testing.assert_allclose(bootstrap_values(metric, stats, 200, seed=3), whole, rtol=1e-12, atol=0)
    monkeypatch.setattr(bootstrap, "_ROWWISE_MIN_N", 1)      # count each resample on its own
    np.testing.assert_allclose(bootstrap_values(metric, stats, 200, seed=3), whole, rtol=1e-12, atol=0)


def test_resampling_is_exact_multinomial():
    from audits.metrics.bootstrap import resample_counts

    counts = resample_counts(50, 400, np.random.default_rng(0))
    assert counts.shape == (400, 50)
    assert np.all(counts.sum(axis=1) == 50) and np.all(counts == np.round(counts))  # n draws each
    assert abs(counts.mean() - 1.0) < 1e-12 and 0.9 < counts.var() < 1.1          # Binomial(50, 1/50) margins


def test_pooled_rows_give_the_same_interval_as_row_draws(monkeypatch):
    import audits.stats._resample as bootstrap  # the resampler (moved from audits.metrics.bootstrap)

    pred, gold = _coin_flips(2000, 0.7, seed=4)
    metric = get_metric("accuracy")
    stats = metric.stats(MetricInputs(pred, labels=gold))
    assert bootstrap._pooled(stats)[0].shape == (2, 2)          # two row types: right, wrong
    pooled = bootstrap_ci(metric, stats, 2000, seed=1)
    monkeypatch.setattr(bootstrap, "_pooled", lambda s: None)
    rowwise = bootstrap_ci(metric, stats, 2000, seed=1)
    assert pooled != rowwise                                      # different draws ...
    np.testing.assert_allclose(pooled, rowwise, atol=0.004)      # ... same distribution


def test_unscored_rows_are_left_out_of_n_and_ci():
    pred, gold = _coin_flips(400, 0.7, seed=6)
    metric = get_metric("accuracy")
    full, _ = compute(metric, MetricInputs(pred, labels=gold), n_resamples=500, seed=2)
    padded, _ = compute(metric, MetricInputs(pred + ["x"] * 100, labels=gold + [None] * 100), n_resamples=500, seed=2)
    assert padded.n == full.n == 400 and padded.value == full.value
    assert (padded.ci_low, padded.ci_high) == (full.ci_low, full.ci_high)
    assert padded.per_sample.shape == (500,) and np.isnan(padded.per_sample[-1])
