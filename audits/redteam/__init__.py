"""Red-team probes: built-in attack sets, exact marker detectors, a compliance detector with its own
measured accuracy, and the plan that adds the probes to any audit (``redteam:`` in the config).

Modules: ``families`` (the family names; imported by the config, so it imports nothing of Assay),
``detectors`` (marker matching, normalised), ``compliance`` (jailbreak success: refusal patterns plus
the toxicity signal), ``plan`` (probe tasks and the planted system-prompt canary), ``quality`` (the
detectors' measured accuracy, written by ``benchmarks/bench_redteam.py``). The scanner that scores a
run is ``audits/scanners/redteam.py``. This package ``__init__`` imports nothing, so the config can
import ``families`` without a circle.
"""
