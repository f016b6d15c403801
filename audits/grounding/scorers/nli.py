"""``scorer: nli``: a local NLI cross-encoder directory decides each claim (never a hub download).

The directory is read with transformers ``AutoTokenizer`` / ``AutoModelForSequenceClassification``
(``local_files_only``). Its labels come from ``config.json``'s ``id2label`` (case-insensitive: a
label containing "entail" is required; "contradict" and "neutral" are used when present). Each
claim is the hypothesis; the premise is the whole context when it fits ``max_length`` tokens
beside the claim, else the context sentences that share most words with the claim, as many as fit,
in document order. A claim is *supported* when P(entailment) >= ``entailment_threshold``,
*contradicted* when contradiction is the most likely label, else *unsupported*; its nearest span is
the context sentence sharing most words with it. Pairs are scored length-sorted in batches of
``batch_size`` with padding masked, so a verdict does not depend on the other rows.

The signature records the directory's content hash (SHA-256 over every file, as model identities
are hashed: ``audits.backends._files.sha256_files``) and the threshold.
"""

from __future__ import annotations

import json
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from audits.config import ScannerOptions
from audits.errors import AssayError
from audits.grounding.classifier import CONTRADICTED, SUPPORTED, UNSUPPORTED, ClaimVerdict, Verdict
from audits.grounding.scorers.base import SCORERS, Row, Scorer, answer_verdict, ranked_spans, settle, triage
from audits.grounding.signals import Source

_KEY = "scanners.groundedness.nli"
_WEIGHTS = ("*.safetensors", "*.bin", "*.pt", "*.pth")
# without one of these transformers builds an empty-vocabulary tokenizer silently
_TOKENIZER = ("tokenizer.json", "vocab.txt", "vocab.json", "*.model", "merges.txt")


class NliOptions(ScannerOptions):
    """``scanners.groundedness.nli``: the model directory and how its probabilities become verdicts."""

    path: str
    entailment_threshold: float = Field(0.5, gt=0.0, lt=1.0)
    batch_size: int = Field(16, ge=1, le=1024)
    max_length: int = Field(512, ge=16, le=8192, description="most tokens of premise + claim")
    device: Literal["auto", "cpu", "cuda"] = "auto"


def label_indices(id2label: dict[Any, Any]) -> tuple[int, int | None, int | None]:
    """(entailment, contradiction, neutral) label indices from a config's ``id2label``; AssayError
    when no label names entailment."""
    found: dict[str, int] = {}
    for idx, label in id2label.items():
        low = str(label).lower()
        for key in ("entail", "contradict", "neutral"):
            if key in low and not low.startswith("not"):
                found.setdefault(key, int(idx))
    if "entail" not in found:
        raise AssayError(f"{_KEY}.path: the model's id2label {dict(id2label)} has no entailment label",
                         "use an NLI cross-encoder whose config.json id2label names 'entailment' "
                         "(and 'contradiction', 'neutral')")
    return found["entail"], found.get("contradict"), found.get("neutral")


def directory_sha256(folder: Path) -> str:
    """SHA-256 over every file of the model directory (name and content), cached like model hashes."""
    from audits.backends._files import sha256_files

    files = sorted(p for p in folder.rglob("*") if p.is_file() and not any(x.startswith(".") for x in
                                                                           p.relative_to(folder).parts))
    return sha256_files(files)


def _check_safetensors(folder: Path) -> None:
    """Every ``*.safetensors`` file's header reads (cheap: no tensor is loaded); AssayError otherwise."""
    from safetensors import safe_open

    for file in sorted(folder.glob("*.safetensors")):
        try:
            with safe_open(str(file), framework="pt") as fh:
                fh.keys()
        except Exception as err:  # noqa: BLE001 - safetensors raises its own error type
            raise AssayError(f"{_KEY}.path: '{file}' is not a readable safetensors file "
                             f"({str(err).splitlines()[0][:120]})", "save the model again with save_pretrained") from None


@lru_cache(maxsize=1)
def _load(folder: str, sha256: str, device: str) -> tuple[Any, Any]:
    """(tokenizer, model in eval mode on ``device``), loaded once per process for a directory's
    content (every task of a run shares it)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model, info = AutoModelForSequenceClassification.from_pretrained(folder, local_files_only=True,
                                                                         output_loading_info=True)
    except Exception as err:  # noqa: BLE001 - any failure to load the directory is the user's to fix
        raise AssayError(f"{_KEY}.path '{folder}' could not be loaded: {str(err).splitlines()[0][:200]}",
                         "point it at a sequence-classification model saved with save_pretrained") from None
    missing = sorted(info.get("missing_keys") or [])
    if missing:  # transformers would fill them with random values: verdicts would be noise
        raise AssayError(f"{_KEY}.path '{folder}': the weights lack {len(missing)} parameter(s) of the classifier "
                         f"({', '.join(missing[:3])})", "use a fine-tuned NLI cross-encoder, not a base encoder")
    return tokenizer, model.to(device).eval()


@SCORERS.register("nli")
class NliScorer(Scorer):
    """P(entailment | premise = context, hypothesis = claim) from a local cross-encoder."""

    name = "nli"

    @property
    def nli(self) -> NliOptions:
        if self.options.nli is None:
            raise AssayError("scanners.groundedness.scorer is 'nli' but scanners.groundedness.nli is not set",
                             "add nli: {path: <local NLI model directory>}")
        return self.options.nli

    @cached_property
    def folder(self) -> Path:
        return Path(self.nli.path).expanduser()

    def check(self) -> None:
        folder = self.folder
        if not folder.exists():
            raise AssayError(f"{_KEY}.path '{folder}' does not exist",
                             "point it at a local NLI model directory (saved with save_pretrained)")
        if not folder.is_dir():
            raise AssayError(f"{_KEY}.path '{folder}' is not a directory",
                             "point it at the model's directory, not at one of its files")
        config = folder / "config.json"
        if not config.is_file():
            raise AssayError(f"{_KEY}.path '{folder}' has no config.json",
                             "point it at a complete model directory (saved with save_pretrained)")
        try:
            id2label = json.loads(config.read_text(encoding="utf-8")).get("id2label") or {}
        except (ValueError, AttributeError, UnicodeDecodeError):
            raise AssayError(f"{_KEY}.path: '{config}' is not a JSON object", "save the model again") from None
        self.labels = label_indices(id2label)
        if not any(p.is_file() for pattern in _WEIGHTS for p in folder.glob(pattern)):
            raise AssayError(f"{_KEY}.path '{folder}' holds no weights (*.safetensors or *.bin)",
                             "save the model with save_pretrained into that directory")
        _check_safetensors(folder)
        if not any(p.is_file() for pattern in _TOKENIZER for p in folder.glob(pattern)):
            raise AssayError(f"{_KEY}.path '{folder}' has no tokenizer files (tokenizer.json, vocab.txt, vocab.json "
                             "or a sentencepiece *.model)", "save the tokenizer there too (tokenizer.save_pretrained)")

    @cached_property
    def sha256(self) -> str:
        return directory_sha256(self.folder)

    def signature(self) -> str:
        n = self.nli
        return (f"scorer:nli|model:{self.folder.name}|sha256:{self.sha256[:12]}|threshold:{n.entailment_threshold:g}"
                f"|max_length:{n.max_length}")

    @property
    def version(self) -> str:
        return f"nli:{self.sha256[:12]}"

    def setup(self) -> None:
        if getattr(self, "model", None) is not None:
            return
        import torch

        self.check()
        device = self.nli.device
        self.device = "cuda" if device == "cuda" or (device == "auto" and torch.cuda.is_available()) else "cpu"
        self.tokenizer, model = _load(str(self.folder), self.sha256, self.device)
        self.model = model
        limits = [self.nli.max_length, getattr(model.config, "max_position_embeddings", None),
                  getattr(self.tokenizer, "model_max_length", None)]
        self.max_length = int(min(x for x in limits if isinstance(x, int) and x > 0))

    # ------------------------------------------------------------------ premises
    def _count(self, texts: list[str]) -> list[int]:
        if not texts:
            return []
        return [len(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]

    def _premise(self, claim: str, claim_tokens: int, source: Source, sizes: list[int], total: int,
                 order: list[int]) -> str:
        """The whole context when it fits beside the claim, else its best-matching sentences that fit."""
        budget = self.max_length - claim_tokens - 4  # [CLS] premise [SEP] claim [SEP] (+1 for pair models)
        if total <= budget:
            return source.text
        chosen, used = [], 0
        for k in order:
            if used + sizes[k] <= budget or not chosen:
                chosen.append(k)
                used += sizes[k]
        return " ".join(source.text[a:b].strip() for a, b in (source.spans[k] for k in sorted(chosen)))

    def _probabilities(self, pairs: list[tuple[str, str]]) -> list[list[float]]:
        """Label probabilities of each (premise, hypothesis) pair: length-sorted batches, padding masked."""
        import torch

        out: list[list[float]] = [[] for _ in pairs]
        order = sorted(range(len(pairs)), key=lambda i: (len(pairs[i][0]) + len(pairs[i][1]), i))
        step = self.nli.batch_size
        with torch.inference_mode():
            for at in range(0, len(order), step):
                idx = order[at:at + step]
                enc = self.tokenizer([pairs[i][0] for i in idx], [pairs[i][1] for i in idx], padding=True,
                                     truncation="only_first", max_length=self.max_length, return_tensors="pt")
                logits = self.model(**{k: v.to(self.device) for k, v in enc.items()}).logits.float()
                for i, row in zip(idx, torch.softmax(logits, dim=-1).cpu().tolist()):
                    out[i] = row
        return out

    def score(self, rows: list[Row]) -> list[Verdict]:
        self.setup()
        partial: set[int] = set()
        out, todo = triage(rows, int(self.options.max_context_chars), partial)
        entail, contradict, _ = self.labels
        sources: dict[str, tuple[Source, list[int], int]] = {}
        pairs: list[tuple[str, str]] = []
        spans: list[tuple[int, int]] = []
        for i, claims in todo:
            context = rows[i][1]
            if context not in sources:
                src = Source.build(context)
                sizes = self._count([context[a:b] for a, b in src.spans])
                sources[context] = (src, sizes, sum(sizes))  # about the context's tokens; truncation guards
            src, sizes, total = sources[context]
            for claim, n_tok in zip(claims, self._count([c.text for c in claims])):
                order = ranked_spans(claim.text, src)
                pairs.append((self._premise(claim.text, n_tok, src, sizes, total, order), claim.text))
                spans.append(src.spans[order[0]] if order else (0, 0))
        probs = self._probabilities(pairs)
        at = 0
        for i, claims in todo:
            verdicts = []
            for claim in claims:
                p = probs[at]
                best = max(range(len(p)), key=lambda k: p[k])
                verdict = SUPPORTED if p[entail] >= self.nli.entailment_threshold else (
                    CONTRADICTED if contradict is not None and best == contradict else UNSUPPORTED)
                verdicts.append(ClaimVerdict(claim, verdict, 1.0 - float(p[entail]), *spans[at]))
                at += 1
            out[i] = answer_verdict(verdicts)
        settle(out, partial)
        return [v for v in out if v is not None]
