"""Every template the generator writes, in one table.

Each entry names the file, the stack that builds it, where it runs (which decides the
regions it is linted for), how it reaches CloudFormation (which decides its size limit),
and the finished templates it is derived from. The build, the quota checks, the lint, the
pipeline's paths, the Makefile and the pre-commit hooks all read this table, so adding a
template is one entry here.

A stack is named by its module and class and imported when it is first built, so that
reading the table (the Makefile's and the hooks' `templates` command) loads none of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from generator.checks.quotas import INLINE, PIPELINE_PATH, Delivery

if TYPE_CHECKING:
    from generator.config import Config
    from generator.stacks.base import Stack


def _always(config: Config) -> bool:
    return True


class Placement(Enum):
    TARGET_REGIONS = "every target region"
    HOME_REGION = "the home region"
    EVERY_ACCOUNT = "every target account, once (IAM is global)"


@dataclass(frozen=True)
class Spec:
    file: str
    builder: str  # "module:Class" of the stack that builds it
    runs_in: Placement
    delivery: Delivery
    needs: tuple[str, ...] = ()  # of those the config has (see `wanted`)
    # The stack set that deploys it (`<app>-<stack_set>`); None: a stack of its own.
    stack_set: str | None = None
    # Whether the config has this template at all: most are always there.
    wanted: Callable[[Config], bool] = _always

    @property
    def stack(self) -> type[Stack]:
        """The stack class, imported on first use."""
        module, name = self.builder.split(":")
        found: type[Stack] = getattr(importlib.import_module(module), name)
        return found

    @property
    def optional(self) -> bool:
        """Only some configs have it."""
        return self.wanted is not _always

    @property
    def regional(self) -> bool:
        return self.runs_in is Placement.TARGET_REGIONS

    def lint_regions(self, config: Config) -> list[str]:
        """The regions the template runs in, which are the regions it is linted for; a
        global (IAM-only) template is linted in the home region."""
        if self.regional:
            return sorted(config.targets.regions)
        return [config.application.home_region]


def _has_global_tables(config: Config) -> bool:
    return bool(config.global_tables)


REGISTRY: tuple[Spec, ...] = (
    Spec(
        "app.json",
        "generator.stacks.app:RegionalApp",
        Placement.TARGET_REGIONS,
        PIPELINE_PATH,
        stack_set="app",
    ),
    Spec(
        "bootstrap.json",
        "generator.stacks.bootstrap:Bootstrap",
        Placement.TARGET_REGIONS,
        PIPELINE_PATH,
        stack_set="bootstrap",
    ),
    # Global tables: each region's replica key first, then the tables, in the app account.
    Spec(
        "data-keys.json",
        "generator.stacks.data:DataKeys",
        Placement.TARGET_REGIONS,
        PIPELINE_PATH,
        wanted=_has_global_tables,
        stack_set="data-keys",
    ),
    Spec(
        "data.json",
        "generator.stacks.data:GlobalTables",
        Placement.HOME_REGION,
        PIPELINE_PATH,
        wanted=_has_global_tables,
        stack_set="data",
    ),
    Spec(
        "logging.json",
        "generator.stacks.central_logging:CentralLogging",
        Placement.HOME_REGION,
        PIPELINE_PATH,
    ),
    Spec(
        "stackset-execution-role.json",
        "generator.stacks.execution_role:ExecutionRole",
        Placement.EVERY_ACCOUNT,
        INLINE,
        needs=("app.json", "bootstrap.json", "data-keys.json", "data.json"),
    ),
    Spec(
        "pipeline.json",
        "generator.stacks.pipeline:ReleasePipeline",
        Placement.HOME_REGION,
        INLINE,
        needs=("logging.json",),
    ),
)
BY_FILE = {spec.file: spec for spec in REGISTRY}


def specs(config: Config) -> tuple[Spec, ...]:
    """The templates `config` has, in the registry's order."""
    return tuple(spec for spec in REGISTRY if spec.wanted(config))


def stack_sets(config: Config) -> tuple[str, ...]:
    """The stack sets `config` has (`<app>-<name>`), by short name."""
    return tuple(spec.stack_set for spec in specs(config) if spec.stack_set)
