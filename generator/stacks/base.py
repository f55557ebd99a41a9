"""What every stack is: a template built from named parts.

Each part is a `functools.cached_property`: it builds its resources the first time it is
read and reads the parts it needs, so parts are built on demand, in any order, once. A
stack's `contents` lists its parts in the order a reader meets them; `build` reads them
all but its `closing` parts, runs the config's extensions (generator/extensions.py), then
reads the closing parts, which must see every resource, the extensions' included.
Templates render with sorted keys and policies with sorted statements, so the order in
which parts happen to be built never shows in the output. Every role built without a
name is put under the application's IAM path (`vocabulary.role_path`), every resource
that takes tags gets the config's, and the template's metadata names the generator's
version and the config that made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from troposphere import Export, Output, Template

import generator
from generator import extensions
from generator import vocabulary as names
from generator.blocks import tags
from generator.config import Config
from generator.output.layout import Layout

if TYPE_CHECKING:
    from generator.output.bundles import Asset


@dataclass(frozen=True)
class Inputs:
    """What a stack may read besides the config: where the environment's files go, the
    function bundles, and the finished templates it derives from (by file name).

    `coverage` builds a stack only to learn its resource types (see
    `generator.permissions.coverage`): parts derived from other templates are skipped.
    `file` is the template's name in the registry, and `extensions` the config's."""

    layout: Layout
    bundles: dict[str, Asset] = field(default_factory=dict)
    finished: dict[str, dict[str, Any]] = field(default_factory=dict)
    coverage: bool = False
    file: str = ""
    extensions: tuple[extensions.Extension, ...] = ()


class Stack:
    """A template and the named parts that fill it."""

    contents: ClassVar[tuple[str, ...]]
    # Parts of `contents` built after the extensions, as they must see every resource.
    closing: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: Config, inputs: Inputs) -> None:
        self.config = config
        self.inputs = inputs
        self.app = config.application.name
        self.template = Template(Description=self.describe())
        self.extended = extensions.Applied()

    def describe(self) -> str:
        raise NotImplementedError

    def output(self, name: str, value: object, description: str) -> None:
        """An output, exported as `<app>-<name>` for other stacks of the account and region
        (one stack of each template runs in an account and region)."""
        self.template.add_output(
            Output(
                name,
                Value=value,
                Description=description,
                Export=Export(f"{self.app}-{name}"),
            )
        )

    def build(self) -> Template:
        for part in self.contents:
            if part not in self.closing:
                getattr(self, part)
        self.extended = extensions.apply(
            self.inputs.extensions, self.inputs.file, self.config, self
        )
        for part in self.closing:
            getattr(self, part)
        for resource in self.template.resources.values():
            unnamed = "RoleName" not in resource.properties
            if resource.resource_type == "AWS::IAM::Role" and unnamed:
                resource.Path = names.role_path(self.app)
        tags.apply(self.template, self.config.application.all_tags)
        self.template.set_metadata(
            {
                "Generator": {
                    "Name": generator.DISTRIBUTION,
                    "Version": generator.__version__,
                    "Config": self.config.digest,
                }
            }
        )
        return self.template
