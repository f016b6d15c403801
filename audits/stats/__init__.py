"""Assay's statistics: the one module that the runner, ``assay results``, the dashboard, the
reports and the policy engine call. No statistical formula lives anywhere else.

- intervals by the kind of score (``metric_interval``, ``score_kind``): exact binomial for
  rates, BCa bootstrap for means of [0, 1] scores, the studentized bootstrap for means of unbounded
  scores (with ``skew_reason``: when no bound on such a mean keeps its error), percentile bootstrap
  for corpus metrics; cluster-aware;
- exact binomial bounds (``clopper_pearson``, ``upper_bound``, ``lower_bound``);
- run against run (``compare_runs``: paired where the samples are shared, Holm-corrected), and
  comparisons (``compare_scores``, ``mcnemar_exact``, ``paired_t``, ``two_proportions``,
  ``welch``), family corrections (``holm``, ``benjamini_hochberg``, ``correct``), the
  demographic parity ratio with its Katz interval and the four-fifths reading;
- three-valued verdicts on one-sided bounds for inequalities, with the sample size that would
  decide (``verdict``, ``interval_level``, ``n_needed``);
- plain-English sentences (``describe``) and interval signatures (``IntervalSignature``);
- the resamplers (``bootstrap_values`` per metric, ``resample_sums`` / ``resample_blocks`` for the
  bias scan's group sums), the one percentile interval (``percentile_interval``), the clustered
  rate interval (``rate_interval``), per-group score summaries read from stored samples
  (``group_score_intervals``, ``paired_differences``) and inter-rater agreement (``agreement``,
  ``cohen_kappa``, ``fleiss_kappa``);
- clustered rates (``clustered_rate``, ``pooled_rates`` for group tests) and where a design effect
  came from (``design_effect_source``: estimated, assumed or none).
"""

from audits.stats._agreement import agreement, cohen_kappa, fleiss_kappa
from audits.stats._binomial import (BOUNDED_MEAN, bounded_mean_interval, clopper_pearson, effective_n, lower_bound, rate_interval, rate_n_needed,
                                    unestimable_correlation, upper_bound)
from audits.stats._bootstrap import acceleration, bca_interval, jackknife_values, percentile_interval
from audits.stats._cluster import cluster_codes, cluster_sums, ratio_design_effect
from audits.stats._clustered import (DESIGN_EFFECT_SOURCES, ClusteredRate, clustered_rate, design_effect_source,
                                     pooled_rates)
from audits.stats._compare import (BH, FISHER, HOLM, MCNEMAR, PAIRED_T, TWO_PROPORTION_Z, WELCH, Comparison,
                                   benjamini_hochberg, compare_scores, correct, four_fifths_flag, holm,
                                   mcnemar_exact, paired_t, parity_ratio, two_proportions, welch)
from audits.stats._runs import compare_runs, describe_change
from audits.stats._groups import correct_group_tests, group_tests
from audits.stats._resample import (DEFAULT_RESAMPLES, bootstrap_ci, bootstrap_values, resample_blocks,
                                   resample_counts, resample_sums)
from audits.stats._interval import (KINDS, Interval, group_interval, interval_from_replicates, metric_interval, normal_interval,
                                    rescale, score_kind, unbounded_mean, unit_scores)
from audits.stats._studentized import (COCHRAN, MIN_UNBOUNDED_N, STUDENTIZED, coverage_reason, few_reason, skew_reason,
                                       skewness, studentized_from_sums, studentized_interval, studentized_rows)
from audits.stats._signature import IntervalSignature
from audits.stats._summary import GROUP_COLUMNS, group_intervals, group_score_intervals, paired_differences
from audits.stats._verdict import (FAIL, INCONCLUSIVE, NO_DATA, ONE_SIDED, PASS, Verdict, decide, interval_level,
                                   clusters_needed, gap_n_needed, n_needed, needed_words, verdict)
from audits.stats._trend import CHANGE_TEST, TREND_TEST, Trend, change_point, standard_errors, trend_family, trend_test
from audits.stats._trend import RATE_TREND_TEST, rate_counts, rate_trend_test
from audits.stats._drift import FLOORS as DRIFT_FLOORS, DriftTest, category_test, drift_family, length_test, mmd_test
from audits.stats._words import PARITY_UNINFORMATIVE, describe, interval_methods, parity_uninformative_note
from audits.stats._ratio import (RateRatio, compare_rates, paired_rate_ratio, rate_ratio, rate_ratio_verdict,
                                 ratio_n_needed)
from audits.stats._fixed_effects import FIXED_EFFECTS_METHOD, GroupEffects, PairGap, group_effects
from audits.stats._range import (RANGE_METHOD, RATIO_RANGE_METHOD, range_from_intervals, range_interval, range_interval_from_gaps,
                                 ratio_range_interval)
from audits.stats._detection import (AUROC_METHOD, BALANCED_METHOD, auroc, auroc_interval,
                                     balanced_accuracy_interval, detection_quality)

__all__ = [
    "DESIGN_EFFECT_SOURCES", "ClusteredRate", "clustered_rate", "design_effect_source", "pooled_rates",
    "group_interval", "RANGE_METHOD", "RATIO_RANGE_METHOD", "range_from_intervals", "range_interval", "range_interval_from_gaps", "ratio_range_interval",
    "FIXED_EFFECTS_METHOD", "GroupEffects", "PairGap", "group_effects", "BOUNDED_MEAN", "bounded_mean_interval",
    "RateRatio", "compare_rates", "paired_rate_ratio", "rate_ratio", "rate_ratio_verdict", "ratio_n_needed",
    "auroc", "detection_quality", "AUROC_METHOD", "BALANCED_METHOD", "auroc_interval", "balanced_accuracy_interval",
    "BH", "FAIL", "FISHER", "HOLM", "INCONCLUSIVE", "KINDS", "MCNEMAR", "NO_DATA", "PAIRED_T", "PASS",
    "TWO_PROPORTION_Z", "WELCH", "Comparison", "Interval", "IntervalSignature", "Verdict", "acceleration",
    "bca_interval", "benjamini_hochberg", "clopper_pearson", "cluster_codes", "cluster_sums", "compare_scores",
    "correct", "decide", "describe", "four_fifths_flag", "holm", "jackknife_values", "lower_bound",
    "mcnemar_exact", "metric_interval", "n_needed", "normal_interval", "paired_t", "parity_ratio", "percentile_interval",
    "rate_n_needed", "ratio_design_effect", "rescale", "score_kind", "two_proportions", "upper_bound",
    "verdict", "welch", "compare_runs", "describe_change", "correct_group_tests", "group_tests",
    "interval_from_replicates", "interval_level", "ONE_SIDED", "interval_methods", "PARITY_UNINFORMATIVE",
    "parity_uninformative_note",
    "DEFAULT_RESAMPLES", "bootstrap_ci", "bootstrap_values", "resample_counts",
    "GROUP_COLUMNS", "group_intervals", "group_score_intervals", "paired_differences", "agreement", "cohen_kappa", "fleiss_kappa", "rate_interval", "effective_n", "unestimable_correlation", "clusters_needed", "gap_n_needed", "needed_words", "resample_blocks", "resample_sums",
    "CHANGE_TEST", "TREND_TEST", "Trend", "change_point", "standard_errors", "trend_family", "trend_test",
    "RATE_TREND_TEST", "rate_counts", "rate_trend_test",
    "DRIFT_FLOORS", "DriftTest", "category_test", "drift_family", "length_test", "mmd_test",
    "COCHRAN", "MIN_UNBOUNDED_N", "STUDENTIZED", "few_reason", "skew_reason", "skewness", "studentized_interval", "unit_scores",
    "coverage_reason", "studentized_from_sums", "studentized_rows", "unbounded_mean",
]
