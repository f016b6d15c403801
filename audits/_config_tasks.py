"""The task part of an audit config: a task's data, prompt, fields, sensitive attributes, sample,
feedback and counterfactual probe (``audits.config`` re-exports every name; import them from there)."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import (BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, ValidationInfo, field_validator,
                      model_serializer, model_validator)


Scalar = str | int | float | bool | None  # a YAML scalar


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        """true/false where a number belongs is refused: pydantic reads ``limit: true`` as 1 (a run of one probe)."""
        if isinstance(value, bool) and info.field_name:
            annotation = cls.model_fields[info.field_name].annotation
            kinds = get_args(annotation) or (annotation,)
            if bool not in kinds and any(k in (int, float) for k in kinds):
                raise ValueError(f"expected a number, got {str(value).lower()}")
        return value


class SensitiveAttribute(_Strict):
    """A column whose groups are compared; numeric columns may be binned (e.g. age)."""

    column: str
    bins: list[float] | None = None
    labels: list[str] | None = None

    @model_validator(mode="after")
    def _check_bins(self) -> "SensitiveAttribute":
        if self.bins is not None:
            if len(self.bins) < 2 or sorted(self.bins) != self.bins:
                raise ValueError("bins must be at least two increasing numbers, e.g. [0, 40, 60, 120]")
            if self.labels is not None and len(self.labels) != len(self.bins) - 1:
                raise ValueError("labels must have one fewer entry than bins")
        return self


class DatasetSource(_Strict):
    """Either a built-in dataset or a local file (JSONL, CSV, Parquet)."""

    builtin: str | None = None
    path: str | None = None
    format: Literal["auto", "jsonl", "csv", "parquet"] = "auto"
    filter: dict[str, Scalar | list[Scalar]] | None = Field(None, description="keep rows whose column equals the value (or is in the list)")

    @model_validator(mode="after")
    def _one_source(self) -> "DatasetSource":
        if (self.builtin is None) == (self.path is None):
            raise ValueError("give exactly one of 'builtin' or 'path'")
        return self


class FieldMap(_Strict):
    """Which columns of the data hold the id, the reference answer and the label."""

    id: str | None = None
    reference: str | None = None
    label: str | None = None
    choices: list[str] | None = Field(None, description="columns holding per-row choices, e.g. [ans0, ans1, ans2]")


class CounterfactualConfig(_Strict):
    """Swap group values into a template (or pairs from a column) and compare decisions/outputs."""

    attribute: str = "group"
    template: str | None = None
    values: list[str] = Field(default_factory=list)
    pairs_from: str | None = None
    limit: int | None = Field(None, ge=1)


class FeedbackConfig(_Strict):
    """User feedback logged with each interaction (production logs): which column, which value is
    positive, which are known negatives; gives ``feedback_positive_rate`` and a review-queue reason."""

    field: str = Field(description="column holding the feedback, e.g. thumbs")
    positive: list[str] = Field(min_length=1, description="value(s) meaning positive, e.g. up (or [up, 1])")
    negative: list[str] = Field(default_factory=list, description="known negative values, e.g. [down]; any other "
                                "non-empty value is unknown: counted and skipped, never scored (values match "
                                "ignoring case; a log whose unknown rows outnumber the scored ones is refused)")
    unrated: list[str] = Field(default_factory=list, description="values that mean no feedback was given, e.g. "
                               "[N/A, none]: counted as no feedback, neither scored nor unknown")
    text: str | None = Field(None, description="column with free-text feedback (shown to reviewers)")

    @field_validator("positive", "negative", "unrated", mode="before")
    @classmethod
    def _as_text_list(cls, value: Any) -> Any:
        as_text = lambda v: ("yes" if v else "no") if isinstance(v, bool) else "" if v is None else str(v)  # noqa: E731
        if value is None:
            return value
        return [as_text(v) for v in value] if isinstance(value, list) else [as_text(value)]

    @field_validator("positive", "negative", "unrated")
    @classmethod
    def _no_blank_value(cls, value: list[str]) -> list[str]:
        if any(not v.strip() for v in value):  # a blank logged value is already "no feedback"; it cannot be listed
            raise ValueError("an empty value is listed; an empty feedback cell already counts as no feedback")
        return value


class SampleConfig(_Strict):
    """Audit a seeded stratified sample of a large log instead of every row (audits/sampling.py):
    proportional allocation over ``stratify`` (strata under one row at n drawn pooled, so every row has the
    same chance and the rates are the log's), drawn without replacement."""

    n: int | Literal["plan"] = Field(description="rows to audit, or 'plan': the largest n `assay plan` gives "
                                     "for this task's controls in the config's policy packs")
    stratify: list[str] = Field(default_factory=list, description="stratum column(s), e.g. segment")
    seed: int | None = Field(None, description="sampling seed (default: the task's seed, else the audit's)")
    expect: dict[str, float] = Field(default_factory=dict, description="expected values for n: plan, as `assay "
                                     "plan --expect` (e.g. {exact_match: 0.9}); else the audit's latest complete run")

    @field_validator("stratify", mode="before")
    @classmethod
    def _one_column(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("n", mode="before")
    @classmethod
    def _positive(cls, value: Any) -> Any:
        if value == "plan":
            return value
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"sample.n must be a whole number of at least 1 or 'plan', got {value!r}")
        return value


class TaskConfig(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    type: Literal["generate", "choice"]
    dataset: DatasetSource
    fields: FieldMap = Field(default_factory=FieldMap)
    prompt: str = Field("{input}", description="template over the row's columns, e.g. '{question}'")
    choices: list[str] | None = None
    positive: str | None = None
    metrics: list[str] = Field(default_factory=list)
    sensitive: list[SensitiveAttribute] = Field(default_factory=list)
    intersections: list[list[str]] = Field(default_factory=list)
    counterfactual: CounterfactualConfig | None = None
    feedback: FeedbackConfig | None = Field(None, description="user feedback column of a production log")
    sample: SampleConfig | None = Field(None, description="audit a stratified sample of the rows: {n: plan | N, "
                                        "stratify: COL, seed: S}")
    limit: int | None = Field(None, ge=1)
    seed: int | None = None
    cluster: str | None = Field(None, description="column whose equal values form a cluster (samples sharing a "
                                "context or template); intervals and tests then treat clusters as the units")
    context: str | None = Field(None, min_length=1, description="column holding the source text answers must stick to (policy text, "
                                "retrieved passages, the document summarised); generate tasks; turns on the "
                                "groundedness scanner (hallucination_rate, groundedness, abstention_rate)")
    # how a choice task is put to the model (lm-evaluation-harness conventions; see audits/backends/choices.py)
    chat_template: bool | None = Field(None, description="overrides model.chat_template for this task")
    system_prompt: str | None = Field(None, description="overrides model.system_prompt for this task; null or '' "
                                      "reads the prompts with no system prompt (the benchmarks' own format)")
    target_delimiter: str | None = Field(None, description="text between prompt and scored choice; "
                                         "default ' ' without a chat template, '' with one")
    choice_format: Literal["text", "letters"] = "text"
    normalize: Literal["none", "tokens", "bytes"] = "none"
    on_missing: Literal["error", "skip"] = Field("error", description="a row with no value (absent, null, NaN) for "
                                                 "a field the prompt needs: stop before inference, or skip the row "
                                                 "(counted in the manifest)")

    @model_validator(mode="before")
    @classmethod
    def _no_system_prompt(cls, data: Any) -> Any:
        """An explicit ``system_prompt: null`` means none (stored as ""); left out, the model's applies."""
        if isinstance(data, dict) and "system_prompt" in data and data["system_prompt"] is None:
            return {**data, "system_prompt": ""}
        return data

    @model_serializer(mode="wrap")
    def _omit_unset_system_prompt(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Left out stays left out: an unset ``system_prompt`` (None, the model's applies) is not written, since
        a written ``null`` reads back as "none" (``_no_system_prompt``). Every dump then loads back equal."""
        data = handler(self)
        if isinstance(data, dict) and self.system_prompt is None:
            data.pop("system_prompt", None)
        return data

    @field_validator("sensitive", mode="before")
    @classmethod
    def _sensitive_shorthand(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"column": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("choices", "positive", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: Any) -> Any:
        """YAML 1.1 reads bare yes/no as booleans; a choice is always text."""
        as_text = lambda v: ("yes" if v else "no") if isinstance(v, bool) else v  # noqa: E731
        return [as_text(v) for v in value] if isinstance(value, list) else as_text(value)

    @model_validator(mode="after")
    def _check_choices(self) -> "TaskConfig":
        if self.type == "choice" and self.dataset.path and not (self.choices or self.fields.choices):
            raise ValueError("a choice task needs 'choices' (a list) or 'fields.choices' (columns)")
        if self.choice_format == "letters" and self.choices is not None and len(self.choices) > 26:
            raise ValueError(f"choice_format 'letters' supports at most 26 choices, got {len(self.choices)}")
        if self.positive is not None and self.choices is not None and self.positive not in self.choices:
            raise ValueError(f"positive choice {self.positive!r} is not among the choices {self.choices}")
        names = {a.column for a in self.sensitive}
        for combo in self.intersections:
            missing = [c for c in combo if c not in names]
            if missing:
                raise ValueError(f"intersection {combo} names {missing}, which are not in 'sensitive'")
        return self

    @property
    def attribute_names(self) -> list[str]:
        return [a.column for a in self.sensitive]
