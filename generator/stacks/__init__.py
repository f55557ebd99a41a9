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
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from generator.checks.quotas import INLINE, PIPELINE_PATH, Delivery

if TYPE_CHECKING:
    from generator.config import Config
    from generator.stacks.base import Stack


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
    needs: tuple[str, ...] = ()

    @property
    def stack(self) -> type[Stack]:
        """The stack class, imported on first use."""
        module, name = self.builder.split(":")
        found: type[Stack] = getattr(importlib.import_module(module), name)
        return found

    @property
    def regional(self) -> bool:
        return self.runs_in is Placement.TARGET_REGIONS

    def lint_regions(self, config: Config) -> list[str]:
        """The regions the template runs in, which are the regions it is linted for; a
        global (IAM-only) template is linted in the home region."""
        if self.regional:
            return sorted(config.targets.regions)
        return [config.application.home_region]


REGISTRY: tuple[Spec, ...] = (
    Spec("app.json", "generator.stacks.app:RegionalApp", Placement.TARGET_REGIONS, PIPELINE_PATH),
    Spec(
        "bootstrap.json",
        "generator.stacks.bootstrap:Bootstrap",
        Placement.TARGET_REGIONS,
        PIPELINE_PATH,
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
        needs=("app.json", "bootstrap.json"),
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
