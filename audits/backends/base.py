"""The model-backend interface (after lm-evaluation-harness ``lm_eval/api/model.py``).

A backend turns a batch of requests into outputs. It has two verbs:

* ``generate(requests)`` -> one output string per request (greedy unless configured);
* ``loglikelihood(requests)`` -> the summed log-probability of ``request.continuation``
  given the (chat-formatted) prompt, one float per request.

Batching, length-sorting, padding and progress happen *inside* the backend, never in callers.
Each backend declares its ``capabilities``; callers check them before calling a verb.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from audits.config import ModelConfig
from audits.jsontypes import JsonObject
from audits.registry import Registry


@dataclass(frozen=True)
class Request:
    """One model call. ``prompt`` is the user message (already rendered from the task template)."""

    sample_id: str
    prompt: str
    task: str = ""
    continuation: str | None = None  # for loglikelihood only
    chat_template: bool | None = None  # None: the model's setting (its template when it has one)
    system_prompt: str | None = None  # None: the model's system prompt; "": none; text: this one (task override)


def system_prompt_for(config: ModelConfig, request: Request) -> str:
    """The system prompt a request is read with: the task's override when it has one ("" = none),
    else the model's; "" when there is none."""
    text = config.system_prompt if request.system_prompt is None else request.system_prompt
    return text or ""


class Backend(ABC):
    """Abstract model backend. Subclasses register with ``@BACKENDS.register(name)``."""

    name: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[str]] = frozenset()  # subset of {"generate", "loglikelihood"}
    has_chat_template: bool = False  # whether prompts can be wrapped in the model's chat template

    def __init__(self, config: ModelConfig):
        self.config = config

    @classmethod
    def worker_config(cls, config: ModelConfig) -> ModelConfig:
        """The config each worker process (a Ray actor) loads: what the driver's process would
        resolve for itself, filled in, so every process computes alike. Default: ``config``."""
        return config

    def generate(self, requests: list[Request], *, desc: str = "generate") -> list[str]:
        raise NotImplementedError(f"backend {self.name!r} cannot generate")

    def loglikelihood(self, requests: list[Request], *, desc: str = "score") -> list[float]:
        raise NotImplementedError(f"backend {self.name!r} cannot score log-likelihoods")

    @abstractmethod
    def identity(self) -> JsonObject:
        """What exactly answered: backend, model path/id, weights hash or revision, device, dtype."""

    def close(self) -> None:  # free GPU memory, sessions...
        return None


BACKENDS: Registry[type[Backend]] = Registry("backend")


def load_backend(config: ModelConfig) -> Backend:
    """Instantiate the configured backend (imports the built-ins on first use)."""
    import audits.backends  # noqa: F401  (discovers and registers the built-ins)

    return BACKENDS.get(config.backend)(config)
