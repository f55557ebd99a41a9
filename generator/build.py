"""Build every template from a config: bundle, generate, check limits, lint.

Nothing here writes to `templates/`; `output` does that once everything has passed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from troposphere import Template

from generator import checks
from generator.blocks import compat
from generator.checks import quotas as limits
from generator.checks.lint import lint
from generator.config import Config
from generator.output import bundles, stacksets
from generator.stacks import app, bootstrap, central_logging, execution_role, pipeline

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
    data: dict[str, dict] = field(default_factory=dict)  # each template as plain JSON data
    assets: list[bundles.Asset] = field(default_factory=list)

    def summary(self) -> list[tuple[str, int, int]]:
        """(file, resources, bytes) for each template."""
        return [
            (name, len(t.resources), len(self.files[name].encode()))
            for name, t in sorted(self.templates.items())
        ]

    def add(self, name: str, template: Template) -> dict:
        """Render a template once; its text and data serve every later step."""
        self.templates[name] = template
        self.files[name] = render(template)
        self.data[name] = json.loads(self.files[name])
        return self.data[name]


def render(template: Template | dict | list) -> str:
    """Deterministic JSON: sorted keys, two-space indent, one trailing newline."""
    data = template.to_dict() if isinstance(template, Template) else template
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


# StackSets deploy these to every target region; the others run in the home region only.
REGIONAL_TEMPLATES = ("app.json", "bootstrap.json")


def lint_regions(config: Config, template: str) -> list[str]:
    """The regions a template runs in, which are the regions it is linted for."""
    if template in REGIONAL_TEMPLATES:
        return sorted(config.targets.regions)
    return [config.application.home_region]


def bundle_all(config: Config) -> dict[str, bundles.Asset]:
    found = {name: bundles.bundle(name, config.source_dir(name)) for name in config.function_names}
    found[app.HOOK_ASSET] = bundles.bundle(app.HOOK_ASSET, REPO_ROOT / app.HOOK_SOURCE)
    return found


def build(config: Config, *, run_lint: bool = True) -> Build:
    """Generate every template; raise BuildError rather than return a bad one."""
    compat.count_resources_past_the_limit()
    assets = bundle_all(config)
    result = Build(assets=[assets[k] for k in sorted(assets)])
    regional = {
        "app.json": result.add("app.json", app.build(config, assets)),
        "bootstrap.json": result.add("bootstrap.json", bootstrap.build(config)),
    }
    logging = result.add("logging.json", central_logging.build(config))
    result.add("stackset-execution-role.json", execution_role.build(config, regional))
    result.add("pipeline.json", pipeline.build(config, {"logging.json": logging}))
    for name, document in stacksets.files(config).items():
        result.files[name] = render(document)
    parsed = result.data
    # Quotas first: a template over them is not worth linting.
    problems = [p for n in sorted(parsed) for p in limits.problems(n, parsed[n])]
    if problems:
        raise BuildError(problems)
    for name in sorted(result.templates):
        problems += checks.run(name, parsed[name])
        if run_lint:
            regions = lint_regions(config, name)
            problems += [str(f) for f in lint(name, result.files[name], regions)]
    if problems:
        raise BuildError(problems)
    return result
