"""Fixtures for the sample HTTP function's own tests (they ship with the function, and
go with it if it is removed; the zip leaves `tests/` out)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support import functions as support


@pytest.fixture(scope="session", autouse=True)
def function_env() -> Iterator[None]:
    with support.function_environment():
        yield


@pytest.fixture(scope="session")
def api_app(function_env: None) -> ModuleType:
    return support.load_module(Path(__file__).resolve().parent.parent / "app.py", "sample_api_app")


@pytest.fixture
def lambda_context() -> support.FakeLambdaContext:
    return support.FakeLambdaContext()


@pytest.fixture
def http_event() -> Callable[..., dict[str, Any]]:
    return support.http_event
