"""Model rules that need no file: the pipeline's execution mode and the hook's concurrency."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from generator.config import Deployment, Pipeline


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
