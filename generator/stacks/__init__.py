"""Every template the generator writes, in one table.

Each entry names the file, the stack that builds it, where it runs (which decides the
regions it is linted for), how it reaches CloudFormation (which decides its size limit),
and the finished templates it is derived from. The build, the quota checks, the lint, the
pipeline's paths, the Makefile and the pre-commit hooks all read this table, so adding a
template is one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from generator.checks.quotas import FROM_S3, INLINE, PIPELINE_PATH, Delivery
from generator.config import Config
from generator.stacks.app import RegionalApp
from generator.stacks.base import Stack
from generator.stacks.bootstrap import Bootstrap
from generator.stacks.central_logging import CentralLogging
from generator.stacks.execution_role import ExecutionRole
from generator.stacks.pipeline import ReleasePipeline


class Placement(Enum):
    TARGET_REGIONS = "every target region"
    HOME_REGION = "the home region"
    EVERY_ACCOUNT = "every target account, once (IAM is global)"


@dataclass(frozen=True)
class Spec:
    file: str
    stack: type[Stack]
    runs_in: Placement
    delivery: Delivery
    needs: tuple[str, ...] = ()

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
    Spec("app.json", RegionalApp, Placement.TARGET_REGIONS, PIPELINE_PATH),
    Spec("bootstrap.json", Bootstrap, Placement.TARGET_REGIONS, PIPELINE_PATH),
    Spec("logging.json", CentralLogging, Placement.HOME_REGION, FROM_S3),
    Spec(
        "stackset-execution-role.json",
        ExecutionRole,
        Placement.EVERY_ACCOUNT,
        INLINE,
        needs=("app.json", "bootstrap.json"),
    ),
    Spec("pipeline.json", ReleasePipeline, Placement.HOME_REGION, INLINE, needs=("logging.json",)),
)
BY_FILE = {spec.file: spec for spec in REGISTRY}
