"""One lint cache for every test of the run (xdist workers included): the same template
in the same regions is linted once. The cache's own tests prove a hit is a lint."""

from __future__ import annotations

import pytest

from generator.output.run import LINT_CACHE_VARIABLE


@pytest.fixture(autouse=True)
def shared_lint_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    shared = tmp_path_factory.getbasetemp().parent / "lint-cache"
    monkeypatch.setenv(LINT_CACHE_VARIABLE, str(shared))
