"""A config survives every dump/load round trip unchanged: what the Ray actors, ``--resume`` and the
bundle's saved config read back is exactly what the driver read (issue 19, item 1).

Property test over every field of every config model in ``audits.config`` (found by introspection,
so a new model or field is covered without editing this file): each field is tried unset, None,
empty, its literals, and typical values; every variant the model accepts must dump to JSON, load
back equal, and dump again identically.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

import audits.config as config_module
from audits.backends.base import Request, system_prompt_for
from audits.config import TaskConfig, config_to_dict, load_config, parse_config

UNSET = object()
TASK = {"name": "t", "type": "generate", "dataset": {"builtin": "reference-qa"}}
# the smallest valid input of each config model; a model missing here fails test_every_model_is_covered
BASES: dict[str, dict] = {
    "ModelConfig": {}, "SensitiveAttribute": {"column": "age"}, "DatasetSource": {"builtin": "reference-qa"},
    "FieldMap": {}, "CounterfactualConfig": {}, "TaskConfig": TASK, "ExecutorConfig": {}, "ReviewConfig": {},
    "AuditConfig": {"name": "a", "period": "2026-Q4", "tasks": [TASK]},
    "ScannerOptions": {}, "UncheckedOptions": {"threshold": 0.5},
}
BASES["RedteamConfig"] = {"families": ["prompt-injection"]}  # audits/redteam
BASES["FeedbackConfig"] = {"field": "thumbs", "positive": "up"}  # production-log feedback (issue 24)
BASES["SampleConfig"] = {"n": 100}  # a stratified sample of a large log (issue 24)
DEMO = Path(config_module.__file__).parent / "demo" / "demo.yaml"


def _models() -> list[type[BaseModel]]:
    return [v for v in vars(config_module).values() if isinstance(v, type) and issubclass(v, BaseModel)
            and v.__module__ in (config_module.__name__, "audits._config_tasks")  # the config and its task part
            and not v.__name__.startswith("_")]


def _candidates(model: type[BaseModel], name: str) -> list:
    """Values to try for one field: unset, None, empties, its literals, typical values, nested bases."""
    info = model.model_fields[name]
    values: list = [UNSET, None, "", [], {}, 0, 1, 2, 0.5, 1.0, True, False, "text", "yes", ["yes", "no"],
                    [0, 40, 130], ["a", "b"], [["age"]], {"k": "v"}, {"pii": None}, ["pii"], "{input}"]
    if info.default is not None and not callable(info.default):
        values.append(info.default)
    for arg in _walk(info.annotation):
        if typing.get_origin(arg) is typing.Literal:
            values += list(typing.get_args(arg))
        elif isinstance(arg, type) and issubclass(arg, BaseModel) and arg.__name__ in BASES:
            values += [BASES[arg.__name__], [BASES[arg.__name__]]]
    return values


def _walk(annotation) -> list:
    out, todo = [], [annotation]
    while todo:
        a = todo.pop()
        out.append(a)
        if typing.get_origin(a) is not typing.Literal:
            todo += list(typing.get_args(a))
    return out


# Fields with a default that a model validator still demands in the base config: `tasks` may be left
# out only beside `redteam:` (the probes alone), which the base config does not have.
REQUIRED_BY_VALIDATOR = {"AuditConfig": {"tasks"}}


def _round_trip(model: type[BaseModel], obj: BaseModel) -> None:
    first = json.loads(json.dumps(obj.model_dump(mode="json")))  # exactly what travels (Ray, config.json)
    again = model.model_validate(first)
    assert again == obj, f"{model.__name__}: {obj!r} read back as {again!r}"
    assert again.model_dump(mode="json") == first


def test_every_model_is_covered():
    assert {m.__name__ for m in _models()} == set(BASES)


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_every_field_survives_a_dump_and_load(model):
    for name, info in model.model_fields.items():
        accepted = []
        for value in _candidates(model, name):
            data = {k: v for k, v in BASES[model.__name__].items() if k != name}
            if value is not UNSET:
                data[name] = value
            try:
                obj = model.model_validate(data)
            except ValidationError:
                continue
            _round_trip(model, obj)
            accepted.append(value)
        # every field is really exercised: a required one by at least one value, an optional one by two
        required = info.is_required() or name in REQUIRED_BY_VALIDATOR.get(model.__name__, set())
        assert len(accepted) >= (1 if required else 2), (model.__name__, name, accepted)


@pytest.mark.parametrize("written, meaning", [(UNSET, None), (None, ""), ("", ""), ("Be brief.", "Be brief.")])
def test_unset_and_explicitly_empty_system_prompts_stay_apart(written, meaning):
    """Left out: the model's system prompt applies; null or "": none. Both survive the round trip,
    inside the whole config as the runner saves it and as a task alone as the Ray actors get it."""
    task = dict(TASK) if written is UNSET else {**TASK, "system_prompt": written}
    config = parse_config({**BASES["AuditConfig"], "model": {"system_prompt": "Model's."}, "tasks": [task]})
    saved = json.loads(json.dumps(config_to_dict(config)))
    back = parse_config(saved)
    actor_task = TaskConfig.model_validate(config.tasks[0].model_dump(mode="json"))
    for t in (config.tasks[0], back.tasks[0], actor_task):
        assert t.system_prompt == meaning
        used = system_prompt_for(config.model, Request("s", "p", system_prompt=t.system_prompt))
        assert used == ("Model's." if meaning is None else meaning)
    assert back == config


def test_the_demo_config_reads_back_as_the_driver_read_it():
    """The config `assay demo` runs: support-qa and pii-support inherit the model's system prompt,
    loan-decisions and bbq-gender read their prompts with none; a dump keeps exactly that."""
    config = load_config(DEMO)
    back = parse_config(json.loads(json.dumps(config_to_dict(config))))
    assert back == config
    prompts = {t.name: t.system_prompt for t in back.tasks}
    assert prompts == {"support-qa": None, "loan-decisions": "", "bbq-gender": "", "pii-support": None}
    assert "system_prompt" not in config_to_dict(config)["tasks"][0]  # left out stays left out
