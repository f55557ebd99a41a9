"""Fixtures for the pre-traffic hook, which ships inside the generator package."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

from generator.output.bundles import HOOK_SOURCE
from tests.conftest import FIXTURES
from tests.support import functions as support


@pytest.fixture(scope="session", autouse=True)
def function_env() -> Iterator[None]:
    with support.function_environment():
        yield


@pytest.fixture(scope="session")
def hook_app(function_env: None) -> ModuleType:
    return support.load_module(HOOK_SOURCE / "app.py", "pretraffic_hook_app")


@pytest.fixture(scope="session")
def api_app(function_env: None) -> ModuleType:
    """A Powertools HTTP handler of the tests' own, for the hook's end-to-end check."""
    return support.load_module(FIXTURES / "functions" / "api" / "app.py", "fixture_api_app")


@pytest.fixture
def lambda_context() -> support.FakeLambdaContext:
    return support.FakeLambdaContext()


@pytest.fixture
def http_event() -> Callable[..., dict[str, Any]]:
    return support.http_event
