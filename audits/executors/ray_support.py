"""Pieces of the ``ray`` executor that are not the pipeline: the driver-side backend built on first
use, the cluster reachability check, and Ray's wrapped actor errors turned back into AssayErrors."""

from __future__ import annotations

import contextlib
import socket
from typing import Any, Iterator
from urllib.parse import urlparse

from audits.backends.base import BACKENDS, Backend, load_backend
from audits.config import ModelConfig
from audits.errors import AssayError
from audits.jsontypes import JsonObject


class LazyBackend:
    """A driver-side backend built on first use, for scanners that query the model.

    ``capabilities`` and ``name`` come from the backend class, so asking what it can do loads
    nothing; any other attribute loads ``load_backend(config)`` once and delegates to it.
    """

    def __init__(self, config: ModelConfig):
        cls = BACKENDS.get(config.backend)
        self.config = config
        self.name = cls.name
        per_config = getattr(cls, "capabilities_for", None)  # e.g. openai without loglikelihood (logprobs: off)
        self.capabilities = per_config(config) if per_config else cls.capabilities
        self.facts: JsonObject = {}  # attributes the actors reported (has_chat_template): no load needed
        self._inner: Backend | None = None

    def _load(self) -> Backend:
        if self._inner is None:
            self._inner = load_backend(self.config)
        return self._inner

    def __getattr__(self, attr: str) -> Any:  # only called for attributes not set above
        if attr.startswith("__") or attr in ("_inner", "facts"):
            raise AttributeError(attr)
        if attr in self.facts and self._inner is None:
            return self.facts[attr]
        return getattr(self._load(), attr)

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()
            self._inner = None


def _gpu_name() -> str | None:
    try:
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:  # noqa: BLE001  (a name for the manifest, never a reason to fail)
        return None


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """A host:port address must accept a TCP connection before Ray is asked to join it."""
    if address == "auto":
        return
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    if not parsed.hostname or not parsed.port:
        raise AssayError(f"executor.address {address!r} is not 'auto', 'host:port' or 'ray://host:port'",
                         "set it to the head node's GCS address (host:6379) or Ray Client address (ray://host:10001)")
    try:
        socket.create_connection((parsed.hostname, parsed.port), timeout=timeout_s).close()
    except OSError as err:
        raise AssayError(f"the Ray cluster at {address!r} is unreachable ({err.strerror or err})",
                         "start it (`ray start --head`) or correct executor.address") from None


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


@contextlib.contextmanager
def _actor_errors_as_assay_errors() -> Iterator[None]:
    """Re-raise an AssayError an actor raised as itself (its one-line message), not Ray's wrapper."""
    try:
        yield
    except Exception as err:
        user_error = _find_assay_error(err)
        if user_error is not None:
            raise AssayError(user_error.problem, user_error.fix) from None
        raise


def _find_assay_error(err: BaseException) -> AssayError | None:
    """The AssayError an actor raised, through Ray's wrappers (RayTaskError, UserCodeException)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [err]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, AssayError):
            return e
        todo += [e.__cause__, e.__context__, getattr(e, "cause", None)]
    return None

