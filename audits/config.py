"""Audit configuration: YAML validated by pydantic, failing before any model loads.

An audit config names the model, the tasks (data, prompt, metrics, sensitive attributes),
the scanners, review sampling and policy packs. Errors name the file, the key path and what
was expected, in one line.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (BaseModel, ConfigDict, Field, SerializeAsAny, SerializerFunctionWrapHandler, ValidationError,
                      field_validator, model_serializer, model_validator)

from audits.errors import AssayError
from audits.period_form import period_problem
from audits.redteam.families import FAMILIES, unknown_family_message
from audits.jsontypes import JsonObject
from audits._config_tasks import (CounterfactualConfig, DatasetSource, FeedbackConfig, FieldMap,  # noqa: F401
                                  SampleConfig, Scalar, SensitiveAttribute, TaskConfig, _Strict)




class ModelConfig(_Strict):
    """Which model answers, and how."""

    backend: Literal["hf", "predictions", "openai"] = "hf"
    path: str = Field("smollm2", description="alias (smollm2), local path, hub id, or predictions file")
    revision: str | None = None
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    batch_size: int = Field(16, ge=1, le=4096)
    max_new_tokens: int = Field(64, ge=1, le=8192)
    temperature: float = Field(0.0, ge=0.0, le=5.0, description="0 means greedy decoding")
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    seed: int = 1234
    system_prompt: str | None = None
    chat_template: bool | None = Field(None, description="wrap prompts in the model's chat template; "
                                       "default: yes when the model has one")
    autocast: Literal["off", "auto", "bfloat16"] = Field(
        "off", description="bfloat16 autocast of the forward pass (auto: on CUDA and on CPUs with avx512_bf16/AMX)")
    threads: int | None = Field(None, ge=1, le=1024, description="torch CPU threads of every process that runs the "
                                "model (the driver and each Ray actor alike, so float sums run in the same order); "
                                "default: the driver's torch setting")
    # openai-compatible endpoints
    base_url: str | None = None
    model_name: str | None = None
    api_key_env: str | None = "OPENAI_API_KEY"
    concurrency: int = Field(8, ge=1, le=256)
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(4, ge=0, le=20)
    logprobs: Literal["auto", "echo", "prompt_logprobs", "off"] = Field(
        "auto", description="how choice tasks get log-probabilities from the server: completions API echo+logprobs, "
        "vLLM prompt_logprobs, auto (the first the server offers), or off (generate and match the text)")


class ExecutorConfig(_Strict):
    """Where inference runs: in this process (``local``) or as a Ray Data pipeline (``ray``).

    Both answer the same blocks of ``block_size`` samples (the checkpoint unit), so they give the
    same results. ``address`` is an existing Ray cluster (``auto``, ``host:6379`` or
    ``ray://host:10001``); without one, a local cluster is started for the job and stopped after.
    """

    kind: Literal["local", "ray"] = "local"
    address: str | None = None
    num_workers: int = Field(2, ge=1, le=4096, description="Ray actors, each holding one copy of the model")
    gpus_per_worker: float = Field(0.0, ge=0.0, le=64.0)
    cpus_per_worker: float = Field(1.0, gt=0.0, le=256.0)
    num_cpus: int | None = Field(None, ge=1, description="CPUs of the local cluster started for the job")
    block_size: int = Field(256, ge=1, le=1_000_000, description="samples per checkpoint block (and per Ray task)")


class ReviewConfig(_Strict):
    rate: float = Field(0.05, ge=0.0, le=1.0)
    seed: int = 1234
    reviewers_per_item: int = Field(1, ge=1, le=10)
    include_flagged: bool = True
    stratify_by: list[str] | None = None


class RedteamConfig(_Strict):
    """Red-team probes run against this config's own model and system prompt (audits/redteam/plan.py):
    one task ``redteam-<family>`` per family, ``limit`` probes each."""

    families: list[Literal[tuple(FAMILIES)]] = Field(  # type: ignore[valid-type]
        min_length=1, description="probe families, e.g. [prompt-injection, system-prompt-leak]")
    limit: int | None = Field(None, ge=1, description="probes per family (default: the whole set)")

    @field_validator("families", mode="before")
    @classmethod
    def _known_families(cls, value: Any) -> Any:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return names  # pydantic reports the wrong type
        for name in names:
            if name not in FAMILIES:
                raise ValueError(unknown_family_message(name))
        twice = [n for n in dict.fromkeys(names) if names.count(n) > 1]
        if twice:  # was dropped silently: say so, as every other repeated key is refused
            raise ValueError(f"family '{twice[0]}' is listed {names.count(twice[0])} times; list each family once")
        return names


class ScannerOptions(BaseModel):
    """Base of every scanner's options (a scanner's ``Options`` model, audits/scanners): unknown keys
    and wrong types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True)


class UncheckedOptions(ScannerOptions):
    """A scanner's options as written in the config, before its ``Options`` model checks them
    (``runner.prepare`` replaces each with its scanner's typed model, defaults filled in)."""

    model_config = ConfigDict(extra="allow", strict=False)

    def as_written(self) -> dict[str, object]:
        return dict(self.model_extra or {})


class AuditConfig(_Strict):
    """The whole audit: one YAML file."""

    name: str = Field(pattern=r"^[A-Za-z0-9_. -]+$")
    period: str = Field(description="reporting period, e.g. 2026-Q4")
    description: str | None = None
    seed: int = 1234
    bootstrap: int = Field(1000, ge=0, le=100_000, description="bootstrap resamples for confidence intervals")
    model: ModelConfig = Field(default_factory=ModelConfig)
    tasks: list[TaskConfig] = Field(default_factory=list, description="at least one, unless redteam: adds the probe tasks")
    scanners: dict[str, SerializeAsAny[ScannerOptions]] = Field(
        default_factory=dict, description="scanner name -> its options (typed once prepared)")
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    policy: list[str] = Field(default_factory=list)
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    redteam: RedteamConfig | None = Field(None, description="red-team probes (audits/redteam); left out: none")

    @model_serializer(mode="wrap")
    def _omit_unset_redteam(self, handler: SerializerFunctionWrapHandler) -> Any:
        """No ``redteam:`` is not written, so configs without probes dump (and hash) as before."""
        data = handler(self)
        if isinstance(data, dict) and self.redteam is None:
            data.pop("redteam", None)
        return data

    @field_validator("period", mode="before")
    @classmethod
    def _period_as_text(cls, value: Any) -> Any:
        """YAML reads `period: 2026` as a number and `period: 2026-10-01` as a date: both mean the text."""
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value.isoformat() if isinstance(value, date) else value

    @field_validator("period")
    @classmethod
    def _period_sorts(cls, value: str) -> str:
        """Runs are put in time order by the dates their period names (``period_form.period_key``: trend, drift,
        'the previous run'): a dated period must name real dates; a label with no year or quarter in it
        (e.g. 'pilot') is kept."""
        problem = period_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("scanners", mode="before")
    @classmethod
    def _scanner_shorthand(cls, value: Any) -> Any:
        """Allow `scanners: [pii, toxicity]` as well as a mapping of options."""
        if isinstance(value, list):
            return {str(v): UncheckedOptions() for v in value}
        if isinstance(value, dict):
            bad = next((k for k, v in value.items() if not isinstance(v, (dict, ScannerOptions)) and v is not None), None)
            if bad is not None:
                raise ValueError(f"scanners.{bad} must be a mapping of its options (or empty), "
                                 f"got {type(value[bad]).__name__}")
            return {k: v if isinstance(v, ScannerOptions) else UncheckedOptions.model_validate(v or {})
                    for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _unique_tasks(self) -> "AuditConfig":
        if not self.tasks and self.redteam is None:  # a redteam:-only config runs its probe tasks (redteam/plan.py)
            raise ValueError("the config has no tasks: add one under 'tasks:', or add 'redteam: {families: [...]}' "
                             "to run the red-team probes alone")
        names = [t.name for t in self.tasks]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"task names must be unique; repeated: {dupes}")
        return self


def _format_validation_error(source: str, err: ValidationError) -> str:
    first = err.errors()[0]
    path = ".".join(str(p) for p in first["loc"]) or "(top level)"
    kind = first["type"]
    if kind == "extra_forbidden":
        msg = f"unknown key '{path}'"
        fix = "remove it or check its spelling against the config reference in README.md"
    elif kind == "missing":
        msg = f"missing required key '{path}'"
        fix = "add it (see the config example in README.md)"
    else:
        msg = f"invalid value at '{path}': {first['msg']}"
        fix = "correct the value (see the config example in README.md)"
    more = f" (+{len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return f"{source}: {msg}{more} — {fix}"


def parse_config(data: Any, source: str = "<config>", base_dir: Path | None = None) -> AuditConfig:
    """Validate an already-parsed mapping; relative dataset paths (and scanner path options,
    ``SCANNER_PATH_OPTIONS``, and ``policy:`` pack paths) resolve against base_dir."""
    if not isinstance(data, dict):
        raise AssayError(f"{source}: the config must be a YAML mapping, got {type(data).__name__}",
                         "start the file with keys such as 'name:', 'period:', 'tasks:'")
    try:
        config = AuditConfig.model_validate(data)
    except ValidationError as err:
        raise AssayError(_format_validation_error(source, err)) from None
    if base_dir is not None:
        for task in config.tasks:
            if task.dataset.path and not Path(task.dataset.path).is_absolute():
                task.dataset.path = str((base_dir / task.dataset.path).resolve())
        if config.model.backend == "predictions" and not Path(config.model.path).is_absolute():
            config.model.path = str((base_dir / config.model.path).resolve())
        elif config.model.backend == "hf" and (base_dir / config.model.path).exists():
            config.model.path = str((base_dir / config.model.path).resolve())
        for scanner, keys in SCANNER_PATH_OPTIONS:
            options = config.scanners.get(scanner)
            if isinstance(options, UncheckedOptions):
                config.scanners[scanner] = UncheckedOptions.model_validate(
                    _resolve_option_path(options.as_written(), keys, base_dir))
        config.policy = [_resolve_policy(item, base_dir) for item in config.policy]
    return config


def _resolve_policy(item: str, base_dir: Path) -> str:
    """A ``policy:`` entry that is a relative pack path (ends .yaml/.yml or has a slash, as
    ``policies.schema.load_pack`` reads it) made absolute under the config's folder; a pack name stays."""
    path = Path(item).expanduser()
    if path.is_absolute() or not (path.suffix in (".yaml", ".yml") or "/" in item or "\\" in item):
        return item
    return str((base_dir / path).resolve())


# scanner options that name a file or folder: (scanner, key path under scanners.<scanner>); a relative
# one resolves against the config file's folder, like dataset paths
SCANNER_PATH_OPTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("groundedness", ("nli", "path")),
    ("pii", ("profile",)),
)


def _resolve_option_path(block: Any, keys: tuple[str, ...], base_dir: Path) -> Any:
    """``block`` (options as written) with the relative path at ``keys`` made absolute under ``base_dir``;
    a copy, so the caller's data is not changed; anything else (absolute, ``~``, not a string) as it is."""
    if not isinstance(block, dict) or keys[0] not in block:
        return block
    value = block[keys[0]]
    if len(keys) > 1:
        return {**block, keys[0]: _resolve_option_path(value, keys[1:], base_dir)}
    if isinstance(value, str) and value.strip() and not Path(value).expanduser().is_absolute():
        return {**block, keys[0]: str((base_dir / value).resolve())}
    return block


def load_config(path: str | Path) -> AuditConfig:
    """Read and validate an audit config file."""
    path = Path(path)
    if not path.exists():
        raise AssayError(f"config file {path} does not exist", "check the path")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise AssayError(f"{path} is not UTF-8 text", "save the config as UTF-8") from None
    except OSError as err:
        raise AssayError(f"cannot read {path}: {err.strerror}", "check the file's permissions") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "syntax error"
        raise AssayError(f"{path}: malformed YAML{where}: {problem}", "fix the YAML syntax") from None
    return parse_config(data, source=str(path), base_dir=path.parent.resolve())


def config_to_dict(config: AuditConfig) -> JsonObject:
    """The config as JSON data; ``parse_config`` of it gives back an equal config (tests/test_config.py)."""
    return config.model_dump(mode="json")
