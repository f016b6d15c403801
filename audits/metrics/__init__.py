"""Built-in metrics: every module in this package registers itself on import.

Public API: ``get_metric``, ``check_metrics``, ``default_metrics`` (from ``api``), the
``Metric``/``MetricInputs``/``MetricResult`` interface and ``METRICS`` registry (from ``base``),
and the bootstrap (``compute``, ``summarise``, ``bootstrap_ci``, ``bootstrap_values``).
"""

from audits.registry import import_submodules as _import_submodules

_import_submodules(__name__)

from audits.metrics.api import check_metrics, default_metrics, get_metric  # noqa: E402
from audits.metrics.base import METRICS, Metric, MetricInputs, MetricResult  # noqa: E402
from audits.metrics.bootstrap import bootstrap_ci, bootstrap_values, compute, summarise  # noqa: E402

__all__ = ["METRICS", "Metric", "MetricInputs", "MetricResult", "bootstrap_ci", "bootstrap_values",
           "check_metrics", "compute", "default_metrics", "get_metric", "summarise"]
