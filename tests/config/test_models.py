"""Model rules that need no file: the pipeline's execution mode, the hook's concurrency
and the archive's storage tiers."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from generator import config
from generator.config import Deployment, Logging, Pipeline


@pytest.mark.parametrize("mode", ["QUEUED", "SUPERSEDED"])
def test_queued_and_superseded_are_allowed(mode: str) -> None:
    assert Pipeline(execution_mode=mode).execution_mode == mode


def test_parallel_is_refused_with_the_reason() -> None:
    with pytest.raises(ValidationError) as caught:
        Pipeline.model_validate({"execution_mode": "PARALLEL"})
    message = str(caught.value)
    assert "same stack set at once" in message
    assert "stage rollback is not available" in message


def test_other_modes_get_the_allowed_values() -> None:
    with pytest.raises(ValidationError) as caught:
        Pipeline.model_validate({"execution_mode": "SERIAL"})
    assert "'QUEUED' or 'SUPERSEDED'" in str(caught.value)


def test_hook_reserved_concurrency_is_unset_by_default() -> None:
    assert Deployment().hook_reserved_concurrency is None
    assert Deployment(hook_reserved_concurrency=1).hook_reserved_concurrency == 1
    assert "Unreserved account concurrency" in (
        Deployment.model_fields["hook_reserved_concurrency"].description or ""
    )


@pytest.mark.parametrize("value", [0, -1, 1.5, "1", True])
def test_hook_reserved_concurrency_is_a_positive_integer(value: object) -> None:
    with pytest.raises(ValidationError):
        Deployment.model_validate({"hook_reserved_concurrency": value})


def test_shipped_archive_tiers_pass() -> None:
    tiers = Logging()
    assert (tiers.transition_to_ia_days, tiers.transition_to_glacier_days, tiers.expire_days) == (
        30,
        90,
        365,
    )
    # The tightest tiers the rules allow: 30 days in Standard-IA, 90 in Glacier.
    assert Logging(transition_to_glacier_days=60, expire_days=150).expire_days == 150


@pytest.mark.parametrize(
    "tiers, field, hint",
    [
        (
            {"transition_to_glacier_days": 59},
            "transition_to_glacier_days",
            "at least transition_to_ia_days + 30 = 60",
        ),
        (
            {"transition_to_ia_days": 45, "transition_to_glacier_days": 60},
            "transition_to_glacier_days",
            "= 75",
        ),
        ({"expire_days": 179}, "expire_days", "at least transition_to_glacier_days + 90 = 180"),
        ({"transition_to_glacier_days": 200, "expire_days": 250}, "expire_days", "= 290"),
    ],
)
def test_archive_tiers_last_their_minimum(tiers: dict[str, int], field: str, hint: str) -> None:
    """S3 moves an object from Standard-IA to Glacier only after 30 days there, and
    Glacier Flexible Retrieval charges for 90 days: tiers shorter than that are refused
    with the field and the smallest value that works."""
    with pytest.raises(ValidationError) as caught:
        Logging.model_validate(tiers)
    (error,) = caught.value.errors()
    problems = error["ctx"]["error"].problems
    assert [loc for loc, _ in problems] == [(field,)]
    assert hint in problems[0][1]


def test_a_refused_tier_names_its_field_in_the_config(write_config) -> None:
    def edit(raw):
        raw["logging"] = {"transition_to_glacier_days": 40}

    with pytest.raises(config.ConfigError) as caught:
        config.load(write_config(edit))
    assert "logging.transition_to_glacier_days" in str(caught.value)
    assert "Standard-IA" in str(caught.value)


def test_fields_are_described_by_their_docstrings_as_pydantic_would() -> None:
    """models.py reads the fields' docstrings in one pass (`_describe_fields`); each model's
    descriptions are those pydantic's own `use_attribute_docstrings` extraction finds."""
    from pydantic import BaseModel
    from pydantic._internal._docs_extraction import extract_docstrings_from_cls

    from generator.config import models

    described = 0
    for model in vars(models).values():
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        if model.__module__ != models.__name__:
            continue
        expected = extract_docstrings_from_cls(model, use_inspect=True)
        found = {k: f.description for k, f in model.model_fields.items() if f.description}
        assert found == expected, model.__name__
        described += len(found)
    assert described >= 5
