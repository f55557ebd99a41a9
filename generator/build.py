"""The build, one straight line: config → bundles → stacks (with the config's extensions)
→ StackSet inputs → quotas → checks → cfn-lint. Nothing here writes;
`generator.output.tree` writes once all of it has passed, so a failed build leaves the
previous output exactly as it was. A finding on what an extension added or changed names
the extension.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from generator import checks, extensions
from generator.blocks import compat
from generator.checks import quotas
from generator.config import Config
from generator.output import bodies, bundles, dependencies, derived, render, stacksets
from generator.output.layout import Layout, layout_of
from generator.stacks import specs
from generator.stacks.base import Inputs

if TYPE_CHECKING:
    from generator.checks.lint import Workers


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
    # By template: each logical id an extension added or changed, and which extension.
    origins: dict[str, dict[str, str]] = field(default_factory=dict)

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
        """What is deployed, whitespace-free: each template, and the StackSet parameter
        files the pipeline's StackSet actions read (generator/output/bodies.py)."""
        found = {name: render.compact(data) + "\n" for name, data in sorted(self.data.items())}
        for name, text in sorted(self.files.items()):
            if name.startswith(bodies.PARAMETERS):
                found[name] = render.compact(json.loads(text)) + "\n"
        return found


def generate(
    config: Config,
    layout: Layout | None = None,
    *,
    dependency_cache: Path | Literal["layout"] | None = "layout",
) -> Build:
    """Every template and input file of `config`, unchecked. Facts derived from the
    generator's code alone come from the project's cache (generator/output/derived.py)
    unless the caller chose otherwise (`derived.use`, as `--no-cache` does); functions'
    packages are installed once into the environment's cache unless `dependency_cache`
    names another folder, or None (installed afresh, not kept)."""
    layout = layout or layout_of(config.path)
    derived.default(layout.at(derived.FOLDER))
    if dependency_cache == "layout":
        dependency_cache = layout.at(dependencies.FOLDER)
    found = bundles.bundle_all(config, bundles.installer_for(config, dependency_cache))
    result = Build(assets=[found[k] for k in sorted(found)])
    result.files, result.data, result.origins = _rendered(
        config, layout, found, coverage=False, loaded=extensions.load(config)
    )
    for name, document in stacksets.files(config).items():
        result.files[name] = render.indented(document)
    derived.save()
    return result


def generate_without_checks(
    config: Config, *, coverage: bool, layout: Layout | None = None
) -> dict[str, dict[str, Any]]:
    """Template data only, from placeholder bundles: what `coverage` builds to learn types."""
    layout = layout or layout_of(config.path)
    placeholders = {
        name: bundles.Asset(name, name.encode()) for name in [*config.function_names, bundles.HOOK]
    }
    return _rendered(config, layout, placeholders, coverage=coverage)[1]


def _rendered(
    config: Config,
    layout: Layout,
    found: dict[str, bundles.Asset],
    *,
    coverage: bool,
    loaded: tuple[extensions.Extension, ...] = (),
) -> tuple[dict[str, str], dict[str, dict[str, Any]], dict[str, dict[str, str]]]:
    """Each template of the registry as text and as data, in order, and what extensions
    added or changed in each; a stack reads the finished templates it needs."""
    compat.count_resources_past_the_limit()
    texts: dict[str, str] = {}
    data: dict[str, dict[str, Any]] = {}
    origins: dict[str, dict[str, str]] = {}
    for spec in specs(config):
        inputs = Inputs(
            layout=layout,
            bundles=found,
            finished={name: data[name] for name in spec.needs if name in data},
            coverage=coverage,
            file=spec.file,
            extensions=loaded,
        )
        stack = spec.stack(config, inputs)
        texts[spec.file] = render.indented(stack.build())
        data[spec.file] = json.loads(texts[spec.file])
        if stack.extended.origins:
            origins[spec.file] = stack.extended.origins
    return texts, data, origins


def build(
    config: Config,
    layout: Layout | None = None,
    *,
    run_lint: bool = True,
    lint_cache: Path | Literal["environment"] | None = "environment",
    lint_workers: Workers | None = None,
    dependency_cache: Path | Literal["layout"] | None = "layout",
) -> Build:
    """Generate every template; raise BuildError rather than return a bad one. Lint results
    are reused from `lint_cache` (a folder) when given; None lints everything afresh; by
    default, the folder that GENERATOR_LINT_CACHE names, if any (the tests share one).
    `lint_workers` lint what the cache lacks (else this process does, or forks)."""
    if lint_cache == "environment":
        from generator.checks.lint import CACHE_VARIABLE

        named = os.environ.get(CACHE_VARIABLE)
        lint_cache = Path(named) if named else None
    result = generate(config, layout, dependency_cache=dependency_cache)
    # Quotas first: a template over them is not worth linting.
    problems = [
        p
        for spec in specs(config)
        for p in quotas.problems(spec.file, result.data[spec.file], spec.delivery)
    ]
    if problems:
        raise BuildError(_attributed(result, problems))
    for spec in specs(config):
        problems += checks.run(spec.file, result.data[spec.file])
    derived.save()  # what the checks asked of IAM's data
    if run_lint:
        problems += _lint(config, result, lint_cache, lint_workers)
    if problems:
        raise BuildError(_attributed(result, problems))
    return result


def _attributed(result: Build, problems: list[str]) -> list[str]:
    """Each problem, naming the extension that added or changed what it is about."""
    for file, origins in result.origins.items():
        problems = [extensions.attribute(p, file, origins) for p in problems]
    return problems


def _lint(config: Config, result: Build, cache: Path | None, workers: Workers | None) -> list[str]:
    """cfn-lint over every template in the regions it runs in, in parallel, cached."""
    from generator.checks import lint

    jobs = [
        lint.Job.of(spec.file, result.files[spec.file], spec.lint_regions(config))
        for spec in specs(config)
    ]
    return [str(f) for f in lint.lint_all(jobs, lint.Cache(cache), pool=workers)]
