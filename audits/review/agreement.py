"""Inter-rater agreement on review labels: Cohen's kappa for two raters, Fleiss' for more.

The statistics live in :mod:`audits.stats` (``_agreement``); this module keeps the review
package's names for its callers."""

from __future__ import annotations

from audits.stats import agreement, cohen_kappa, fleiss_kappa

__all__ = ["agreement", "cohen_kappa", "fleiss_kappa"]
