"""The recipe of an interval: method, confidence, resamples, seed (like sacrebleu's Signature)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from audits.jsontypes import JsonObject

# method names, as written into every signature and results.json
CLOPPER_PEARSON = "clopper-pearson"
KORN_GRAUBARD = "clopper-pearson-effective-n"   # Korn & Graubard (1998): exact interval at n / deff
BCA = "bca-bootstrap"
CLUSTER_BCA = "cluster-bca-bootstrap"
STUDENTIZED = "studentized-bootstrap-t-envelope"  # means of unbounded scores: bootstrap-t, never inside Student t
PERCENTILE = "percentile-bootstrap"
CLUSTER_PERCENTILE = "cluster-percentile-bootstrap"
LEGACY = "percentile-bootstrap (before assay stats)"

_SHORT = {"method": "m", "confidence": "c", "resamples": "bs", "seed": "seed", "cluster": "cl", "version": "v"}


@dataclass(frozen=True)
class IntervalSignature:
    """How an interval was made; ``format()`` gives ``method:bca-bootstrap|confidence:0.95|...``.

    ``resamples`` and ``seed`` are None for exact (non-resampling) methods; ``cluster`` names the
    column whose clusters were resampled or used for the effective sample size.
    """

    method: str
    confidence: float = 0.95
    resamples: int | None = None
    seed: int | None = None
    cluster: str | None = None
    version: str = "1"

    def format(self, short: bool = False) -> str:
        parts = [(k, v) for k, v in asdict(self).items() if v is not None]
        return "|".join(f"{_SHORT[k] if short else k}:{v:g}" if isinstance(v, float) else
                        f"{_SHORT[k] if short else k}:{v}" for k, v in parts)

    def __str__(self) -> str:
        return self.format()

    def to_dict(self) -> JsonObject:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def parse(cls, text: str | None) -> "IntervalSignature":
        """Read a formatted signature back; empty or unknown text is a pre-stats percentile bootstrap."""
        if not text:
            return cls(method=LEGACY)
        long = {v: k for k, v in _SHORT.items()}
        fields: dict[str, str | int | float] = {}
        for part in str(text).split("|"):
            key, _, value = part.partition(":")
            key = long.get(key, key)
            if key == "confidence":
                fields[key] = float(value)
            elif key in ("resamples", "seed"):
                fields[key] = int(value)
            elif key in ("method", "cluster", "version"):
                fields[key] = value
        return cls(**fields) if "method" in fields else cls(method=LEGACY)
