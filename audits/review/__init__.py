"""Human review: the review queue (sampled by the job), inter-rater agreement, and retraining
exports built from settled labels (``audits.review.retraining``). Labels themselves live in the
catalog: see ``audits.store.queries.reviews``."""

from audits.review.agreement import agreement, cohen_kappa, fleiss_kappa
from audits.review.queue import QUEUE_COLUMNS, build_queue

__all__ = ["QUEUE_COLUMNS", "agreement", "build_queue", "cohen_kappa", "fleiss_kappa"]
