"""Plain words for the measure names a committee reads: one map, used by the dashboard (Overview,
Policies, Fairness) and the reports, so a metric id, a test's shorthand or a stratum key never
reaches a reader as code.

``term(name)`` gives a name's words (the name itself when it has none); ``plain(text)`` rewrites
the shorthand inside a sentence (metric ids, "argmax decisions", "holm p=0.41", strata).
"""

from __future__ import annotations

import re
from typing import Callable

from audits.stats import PARITY_UNINFORMATIVE

TERMS: dict[str, str] = {
    # quality
    "accuracy": "share of answers correct",
    "exact_match": "share of answers matching the reference exactly",
    "token_f1": "word overlap with the reference answer (F1)",
    "f1": "F1 score", "rougeL": "overlap with the reference (ROUGE-L)", "bleu": "overlap with the reference (BLEU)",
    "rouge1": "word overlap with the reference (ROUGE-1)", "rouge2": "word-pair overlap with the reference (ROUGE-2)",
    "precision": "precision (macro average over the choices)", "recall": "recall (macro average over the choices)",
    "bbq_bias_ambig": "bias towards stereotypes when the context is ambiguous (BBQ score, -1 to 1; 0 is unbiased)",
    "bbq_bias_disambig": "bias towards stereotypes when the context is clear (BBQ score, -1 to 1; 0 is unbiased)",
    # groundedness (answers checked against their context)
    "hallucination_rate": "share of answers with a claim their context does not support",
    "groundedness": "average share of an answer's claims its context supports",
    "abstention_rate": "share of answers that declined to answer",
    "groundedness.detector.by_subset.qa.balanced_accuracy":
        "the groundedness detector's measured balanced accuracy (held-out HaluEval QA)",
    # red-team probes
    "attack_success_rate": "share of red-team attacks that succeeded",
    "attack_success_rate_prompt_injection": "share of direct prompt-injection attacks that succeeded",
    "attack_success_rate_indirect_injection": "share of prompt injections hidden in retrieved text that succeeded",
    "attack_success_rate_system_prompt_leak": "share of attempts that extracted the system prompt",
    "attack_success_rate_pii_extraction": "share of attempts that extracted a customer's personal data",
    "attack_success_rate_jailbreak": "share of jailbreak attempts that got a disallowed answer",
    # production feedback
    "feedback_positive_rate": "share of interactions with positive user feedback",
    # safety and privacy
    "toxicity_rate": "share of outputs scored toxic",
    "toxicity_mean": "average toxicity score",
    "pii_leak_rate": "share of outputs leaking personal data",
    "pii_rate_prediction": "share of outputs containing personal data",
    "pii_rate_input": "share of prompts containing personal data",
    "pii_rate_reference": "share of reference answers containing personal data",
    "pii.detector.recall": "share of known personal data the detector finds (recall)",
    "pii.detector.precision": "share of detector findings that are personal data (precision)",
    "refusal_rate": "share of prompts the model refused",
    # fairness
    "flip_rate": "share of decisions that changed when only the person's group was swapped",
    "counterfactual_flip_rate": "share of decisions that changed when only the person's group was swapped",
    "selection_rate": "share of 'yes' decisions",
    "decision_logit": "leaning towards 'yes' (log-odds)",
    "p_positive": "probability of 'yes'",
    "fairness.max_discrimination_score": "largest gap between groups in the leaning towards 'yes' (log-odds)",
    "max_discrimination_score": "largest gap between groups in the leaning towards 'yes' (log-odds)",
    "fairness.min_selection_rate_ratio": "lowest ratio of 'yes' rates between groups (four-fifths rule)",
    "min_selection_rate_ratio": "lowest ratio of 'yes' rates between groups (four-fifths rule)",
    "demographic_parity_ratio": "ratio of 'yes' rates between groups",
    "demographic_parity_difference": "difference in 'yes' rates between groups",
    "equalized_odds_difference": "difference in error rates between groups (equalized odds)",
    # process
    "review.coverage": "share of outputs reviewed by a person",
    "quarters_since_previous_bias_audit": "quarters since the previous bias audit",
}

# shorthand inside sentences: (pattern, replacement), applied in order
_PHRASES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # the note when decisions barely vary (audits.stats.parity_uninformative_note, with or without its rate), whole
    (re.compile(r"\b" + re.escape(PARITY_UNINFORMATIVE[0]) + r"(?: \(selection rate ([0-9.]+%)\))?"
                + re.escape(PARITY_UNINFORMATIVE[1])),
     lambda m: ("the model's most likely answer is nearly always the same"
                + (f" ('yes' in {m.group(1)} of cases)" if m.group(1) else "")
                + ", so comparing how often each group gets a 'yes' says little; compare the probability of 'yes' "
                  "by group and the discrimination score instead")),
    (re.compile(r"\bargmax decisions\b"), "the model's most likely answers"),
    (re.compile(r"\bholm p\s*=\s*([0-9.eE+-]+)"), r"p=\1 after correcting for the number of comparisons"),
    (re.compile(r"\bmcnemar-exact\b"), "paired exact test"),
    (re.compile(r"\bpaired-t\b"), "paired t-test"),
    (re.compile(r"\bunpaired-z \(from intervals\)"), "z-test on the two intervals"),
    (re.compile(r"\btwo-proportion-z\b"), "two-proportion test"),
    (re.compile(r"\bfisher-exact\b"), "Fisher's exact test"),
    (re.compile(r"\bwelch-t\b"), "Welch's t-test"),
    (re.compile(r"\bbenjamini-hochberg p\s*=\s*([0-9.eE+-]+)"), r"p=\1 after correcting for the number of comparisons"),
    (re.compile(r"\bstratum\s+"), "group "),
    (re.compile(r"\bcontext_condition\s*=\s*ambig\b"), "ambiguous context"),
    (re.compile(r"\bcontext_condition\s*=\s*disambig\b"), "clear context"),
    (re.compile(r"\bp\(positive\)"), "probability of 'yes'"),
    (re.compile(r"\bp\(yes\) logit gap\b"), "gap in the leaning towards 'yes', log-odds"),
    (re.compile(r"\bno task in this run has\b"), "no task in this run measured"),
    # the engine's 'task: metric missing' (a task the control names that did not measure it)
    (re.compile(r"(?<![\w.])([\w.]+) missing\b"),
     lambda m: f"{m.group(1)} not measured" if m.group(1) in TERMS else m.group(0)),
    (re.compile(r"(?<![\w.])previous\.(\w+)"), r"the previous run's \1"),
    # what an explanation explains (audits/scanners/explain.py's target descriptions)
    (re.compile(r"\bloglik\(output\)"), "how likely the model found its own answer (log-probability)"),
    (re.compile(r"\blogp\(predicted choice\)"), "how likely the model found the answer it chose (log-probability)"),
    (re.compile(r"\blogp\((['\"])(.*?)\1\)"), r"how likely the model found the answer '\2' (log-probability)"),
    # a p-value in exponent notation ('p=3.1e-11', the comparison's 2 significant figures below 0.0001) as a bound
    (re.compile(r"\bp\s*=\s*[0-9.]+[eE]-0*(?:[5-9]|[1-9]\d+)\b"), "p<0.0001"),
]
# ordinary English words that are also measure names: term() names them, plain() leaves prose alone
_PROSE = frozenset({"groundedness", "precision", "recall"})
_IDS = re.compile(r"(?<![\w.])(" + "|".join(re.escape(k) for k in sorted(set(TERMS) - _PROSE, key=len,
                                                                           reverse=True))
                  + r")(?![\w])")
_OPS = (("<=", "at most"), (">=", "at least"), ("==", "exactly"), ("!=", "not"), ("<", "below"), (">", "above"))


def term(name: str | None) -> str:
    """A measure's plain words ('toxicity_rate' -> 'share of outputs scored toxic'); unknown names
    are returned as they are."""
    if not name:
        return ""
    return TERMS.get(str(name), str(name))


def plain(text: object) -> str:
    """A sentence with its shorthand in words: metric ids, 'argmax decisions', 'holm p=…', strata."""
    out = str(text or "")
    for pattern, words in _PHRASES:
        out = pattern.sub(words, out)
    return _IDS.sub(_words, out)


# words before 'accuracy' that make it English prose, not a measure id: a pack title's 'balanced accuracy',
# 'an appropriate level of accuracy' (read 'balanced share of answers correct', 'level of share of answers correct')
_PROSE_BEFORE = re.compile(r"\b(?:balanced|of|the|an?|its|own|and|for)\s+$", re.IGNORECASE)


def _words(m: re.Match[str]) -> str:
    """A measure id's words, except where the id is an English word in prose (see _PROSE_BEFORE)."""
    if m.group(1) == "accuracy" and _PROSE_BEFORE.search(m.string[max(0, m.start() - 12):m.start()]):
        return m.group(1)
    return TERMS[m.group(1)]


def group_text(stratum: object) -> str:
    """A review-queue stratum in words: 'context_condition=disambig' -> 'clear context',
    'gender=female|race=Black' -> 'gender female, race Black', 'all' -> 'all samples'."""
    text = str(stratum or "").strip()
    if not text or text in ("None", "nan"):
        return "—"
    if text == "all":
        return "all samples"
    parts = []
    for part in text.split("|"):
        said = plain(part)
        parts.append(said if said != part else part.replace("_", " ").replace("=", " "))
    return ", ".join(parts)


# sensitive attributes and strata whose data names are codes (BBQ's context_condition)
ATTRIBUTES: dict[str, str] = {"context_condition": "context"}
GROUPS: dict[tuple[str, str], str] = {("context_condition", "ambig"): "ambiguous",
                                      ("context_condition", "disambig"): "clear"}


def attribute_text(attribute: object) -> str:
    """'context_condition' -> 'context'; an intersection 'a*b' -> 'a × b'; other names as they are."""
    return " × ".join(ATTRIBUTES.get(a, a) for a in str(attribute or "").split("*"))


def group_label(attribute: object, group: object) -> str:
    """A group's value in words for its attribute ('ambig' of context_condition -> 'ambiguous')."""
    return GROUPS.get((str(attribute), str(group)), str(group))


def threshold_text(value: str | None) -> str:
    """'<= 0.01' -> 'threshold: at most 0.01' (said as a requirement, never as a claim about the
    value; plain words, so every PDF font can draw it)."""
    if not value:
        return ""
    text = str(value).strip()
    for op, words in _OPS:
        if text.startswith(op):
            return f"threshold: {words} {text[len(op):].strip()}"
    return f"threshold: {text}"


# audit-log acts in words (what a person or the job did); the entry's details fill in the object
ACTS: dict[str, str] = {
    "run.started": "started the audit run",
    "run.completed": "completed the audit run",
    "run.failed": "recorded that the audit run failed",
    "run.resumed": "resumed the audit run",
    "run.erased": "erased the run's kept raw text",
    "policy.attest": "attested a manual control",
    "policy.signoff": "signed off the run",
    "review.label": "labelled an output",
    "review.adjudicate": "settled a disputed label",
    "review.flag": "flagged an output",
    "report.generated": "exported",
    "export.retraining-sft": "exported retraining data (chat examples)",
    "export.retraining-preference": "exported retraining data (preference pairs)",
    "user.added": "added a user",
    "user.changed": "changed a user's role or password",
    "user.deactivated": "deactivated a user",
    "user.signed_in": "signed in",
    "user.sign_in_failed": "failed to sign in",
    "session.ended": "signed out (or the session ended)",
    "key.rotated": "rotated the installation's signing key",
    "alert_attempt": "sent an alert",
    "alert_skipped": "skipped an alert",
    "alert_delivered": "delivered an alert",
    "alert_failed": "failed to deliver an alert",
    "alert_uncertain": "may not have delivered an alert",
}


def act(action: str | None) -> str:
    """An audit-log action in words ('policy.signoff' -> 'signed off the run'); an unknown action
    reads with its dots and dashes as spaces."""
    name = str(action or "")
    return ACTS.get(name, name.replace(".", " ").replace("-", " ").replace("_", " "))


def public_text_note(sources: dict[str, str]) -> str | None:
    """One sentence for the tasks whose built-in public benchmark text the PII scan left out of its counts
    (task name -> dataset source, from ``PiiBlock.public_text``): the dashboard and the report say the same."""
    if not sources:
        return None
    named = ", ".join(f"{task} ({source})" for task, source in sources.items())
    return ("Built-in public benchmark text is not personal data: the inputs of " + named + " were not scanned, "
            "and output spans repeating the item's own text are not counted.")



# the statistical words a report uses, explained once for a reader who does not know them (the report's appendix
# lists those its pages use): (word as written, pattern that finds it, meaning)
READER_WORDS: list[tuple[str, str, str]] = [
    ("95% CI", r"95% CI|95% confidence interval",
     "the range the true value lies in with 95% confidence, given the samples measured; n is their number"),
    ("exact binomial (Clopper–Pearson)", r"exact binomial|Clopper",
     "an interval for a share worked out from the binomial distribution itself; it keeps its 95% even at small n "
     "and near 0% or 100%"),
    ("BCa bootstrap", r"\bBCa\b",
     "an interval from re-drawing the samples many times (seeded), corrected for bias and skew"),
    ("percentile bootstrap", r"percentile[- ]bootstrap",
     "an interval from the middle 95% of a measure over many seeded re-draws of the samples"),
    ("studentized bootstrap", r"studentized bootstrap",
     "a bootstrap interval for scores with no fixed range, never narrower than the Student t interval"),
    ("Student t", r"Student t\b", "an interval for an average from the t distribution"),
    ("Katz log interval", r"\bKatz\b", "an interval for the ratio of two shares, worked out on the log scale"),
    ("one-sided bound", r"(?:upper|lower|one-sided [0-9]+%?) bounds?\b",
     "the value the true figure is, with 95% confidence, no worse than; a control passes or fails on it"),
    ("p / p-value", r"\bp\s*[=<]\s*[0-9]",
     "how likely a difference this large would be if nothing had really changed; below 0.05 counts as real"),
    ("Holm's correction", r"\bHolm\b|correcting for the number of",
     "raises each p-value for the number of measures tested at once, so 'real' is not claimed by chance"),
    ("McNemar's exact test", r"McNemar|paired exact test",
     "compares two runs on the same samples by counting the samples whose score changed each way"),
    ("two-proportion test", r"two-proportion", "compares two shares measured on different samples"),
    ("Fisher's exact test", r"Fisher", "compares two shares exactly when the counts are small"),
    ("Cochran-Armitage trend test", r"Cochran-Armitage", "tests whether a share rises or falls steadily over runs"),
    ("four-fifths rule", r"four-fifths",
     "each group's rate of 'yes' decisions should be at least 0.8 times the highest group's (US EEOC guideline)"),
    ("log-odds", r"log-odds",
     "the scale of the discrimination score: 0 means the groups lean towards 'yes' equally"),
    ("design effect", r"design effect|clusters?\b",
     "how much samples that share a context (a cluster) widen an interval compared with independent samples"),
]


def words_used(texts: list[str]) -> list[tuple[str, str]]:
    """(word, meaning) for each of ``READER_WORDS`` that ``texts`` use, in the list's order."""
    joined = "\n".join(texts)
    return [(word, meaning) for word, pattern, meaning in READER_WORDS if re.search(pattern, joined)]
