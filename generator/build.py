"""Build every template from a config: bundle, generate, check limits, lint.

Nothing here writes to `templates/`; `output` does that once everything has passed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from troposphere import Template

from generator import assets as bundles
from generator.config import Config
from generator.lint import Finding, lint
from generator.stacks import app

REPO_ROOT = Path(__file__).resolve().parent.parent


class BuildError(Exception):
    """Templates that must not be written: lint findings or crossed limits."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Build:
    """Everything one run produces: file bodies by relative path, and the code zips."""

    files: dict[str, str] = field(default_factory=dict)
    templates: dict[str, Template] = field(default_factory=dict)
    assets: list[bundles.Asset] = field(default_factory=list)

    def summary(self) -> list[tuple[str, int, int]]:
        """(file, resources, bytes) for each template."""
        return [
            (name, len(t.resources), len(self.files[name].encode()))
            for name, t in sorted(self.templates.items())
        ]


def render(template: Template) -> str:
    """Deterministic JSON: sorted keys, two-space indent, one trailing newline."""
    return json.dumps(template.to_dict(), indent=2, sort_keys=True) + "\n"


def bundle_all(config: Config) -> dict[str, bundles.Asset]:
    found = {name: bundles.bundle(name, config.source_dir(name)) for name in config.function_names}
    found[app.HOOK_ASSET] = bundles.bundle(app.HOOK_ASSET, REPO_ROOT / app.HOOK_SOURCE)
    return found


def build(config: Config, *, run_lint: bool = True) -> Build:
    """Generate every template; raise BuildError rather than return a bad one."""
    assets = bundle_all(config)
    result = Build(assets=[assets[k] for k in sorted(assets)])
    result.templates["app.json"] = app.build(config, assets)
    result.files = {name: render(t) for name, t in result.templates.items()}
    if run_lint:
        findings: list[Finding] = []
        for name, body in sorted(result.files.items()):
            findings += lint(name, body, config.targets.regions)
        if findings:
            raise BuildError([str(f) for f in findings])
    return result
