"""The build, one straight line: config → bundles → stacks → StackSet inputs → quotas →
checks → cfn-lint. Nothing here writes; `generator.output.tree` writes once all of it has
passed, so a failed build leaves the previous output exactly as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from troposphere import Template

from generator import checks
from generator.blocks import compat
from generator.checks import quotas
from generator.config import Config
from generator.output import bundles, render, stacksets
from generator.output.layout import Layout
from generator.stacks import REGISTRY
from generator.stacks.base import Inputs


class BuildError(Exception):
    """Templates that must not be written: lint findings or crossed limits."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Build:
    """Everything one run produces: file bodies by relative path, and the code zips."""

    files: dict[str, str] = field(default_factory=dict)
    data: dict[str, dict[str, Any]] = field(default_factory=dict)  # each template as JSON data
    assets: list[bundles.Asset] = field(default_factory=list)

    def add(self, name: str, template: Template) -> dict[str, Any]:
        """Render a template once; its text and data serve every later step."""
        self.files[name] = render.indented(template)
        self.data[name] = json.loads(self.files[name])
        return self.data[name]

    def summary(self) -> list[tuple[str, int, int, int]]:
        """(file, resources, indented bytes, deployed bytes) for each template."""
        return [
            (
                name,
                len(data.get("Resources", {})),
                len(self.files[name].encode()),
                render.size(data),
            )
            for name, data in sorted(self.data.items())
        ]

    def bodies(self) -> dict[str, str]:
        """The whitespace-free bodies that are deployed, by template file name."""
        return {name: render.compact(data) + "\n" for name, data in sorted(self.data.items())}


def generate(config: Config, layout: Layout | None = None) -> Build:
    """Every template and input file of `config`, unchecked."""
    layout = layout or Layout.of(config.path, config.path.parent)
    compat.count_resources_past_the_limit()
    found = bundles.bundle_all(config)
    result = Build(assets=[found[k] for k in sorted(found)])
    for spec in REGISTRY:
        inputs = Inputs(
            layout=layout,
            bundles=found,
            finished={name: result.data[name] for name in spec.needs},
        )
        result.add(spec.file, spec.stack(config, inputs).build())
    for name, document in stacksets.files(config).items():
        result.files[name] = render.indented(document)
    return result


def build(config: Config, layout: Layout | None = None, *, run_lint: bool = True) -> Build:
    """Generate every template; raise BuildError rather than return a bad one."""
    result = generate(config, layout)
    # Quotas first: a template over them is not worth linting.
    problems = [
        p
        for spec in REGISTRY
        for p in quotas.problems(spec.file, result.data[spec.file], spec.delivery)
    ]
    if problems:
        raise BuildError(problems)
    for spec in REGISTRY:
        problems += checks.run(spec.file, result.data[spec.file])
    if run_lint:
        from generator.checks import lint

        for spec in REGISTRY:
            regions = spec.lint_regions(config)
            problems += [str(f) for f in lint.lint(spec.file, result.files[spec.file], regions)]
    if problems:
        raise BuildError(problems)
    return result
