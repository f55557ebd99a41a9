"""Extensions: Python modules, named by the config, that add to the templates.

The config covers the common cases; for the rest, `extensions = ["infra/search.py"]`
names modules that each hold

    TEMPLATES = ("app.json",)     # the templates it extends: app, bootstrap, logging, pipeline

    def extend(ctx: ExtensionContext) -> None:
        ...

`extend` is called once for each template it names, while that template is built: after
the stack's own parts, before the parts that must see every resource (the version check
of the StackSet execution role, the pipeline deploy role's policies). It may add
resources, conditions, outputs and grants, through the stack's building blocks (a
function's role, the keys, buckets and log groups that grant), and must not remove or
replace what the stack built. Then, as for every resource: tags and role paths, the
deploy roles derived from the resource types the templates hold, the quotas, the
checks of generator/checks/, cfn-lint in every region, and `make scan`'s checkov. An
extension that raises, or whose additions a check refuses, stops the build with its
file named (exit 2), and nothing is written.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from troposphere import Template

    from generator.config import Config
    from generator.stacks.app.function import FunctionParts
    from generator.stacks.base import Stack

EXTENDABLE = ("app.json", "bootstrap.json", "logging.json", "pipeline.json")
ENTRY_POINT = "extend"
# What a function's version hashes: built before the extensions run, never changed by one.
VERSIONED = ("AWS::Lambda::Function", "AWS::Lambda::Version", "AWS::Lambda::Alias")
TEMPLATES = "TEMPLATES"
# What an extension may add to; every other top-level key stays as the stack made it.
EXTENDED_SECTIONS = ("Resources", "Outputs", "Conditions", "Parameters")
# Resources that deploy what the template does not show (a nested stack's own template, a
# custom resource's function, a module's fragment): no check reads it and no deploy role is
# derived for it.
OPAQUE = (
    "AWS::CloudFormation::Stack",
    "AWS::CloudFormation::StackSet",
    "AWS::CloudFormation::CustomResource",
    "AWS::CloudFormation::Macro",
)

T = TypeVar("T")


class ExtensionError(Exception):
    """An extension that could not be loaded or applied, or made what the build refuses."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(f"extension {name}: {message}")


@dataclass(frozen=True)
class Extension:
    """One loaded extension module."""

    name: str  # as the config writes it
    path: Path
    templates: tuple[str, ...]
    entry: Callable[[ExtensionContext], None]


@dataclass
class ExtensionContext:
    """What `extend` receives: the stack being built and what it is built from.

    `stack` is the stack object itself: its named parts are the building blocks (in
    app.json, `stack.functions[<name>]` with its `role`, `function` and `alias`, and
    `stack.logs_key`; in the pipeline, `stack.key` and `stack.artifacts`; each stack's
    parts are listed in its `contents`)."""

    file: str
    config: Config
    stack: Stack

    @property
    def template(self) -> Template:
        return self.stack.template

    @property
    def app(self) -> str:
        """The application's name, which prefixes every name the stacks give."""
        return self.stack.app

    def add(self, resource: T) -> T:
        """Add a troposphere resource to the template and return it."""
        added: T = self.stack.template.add_resource(resource)
        return added

    def output(self, name: str, value: object, description: str) -> None:
        """An output, exported as `<app>-<name>` as the stacks' own are."""
        self.stack.output(name, value, description)

    def function(self, name: str) -> FunctionParts:
        """A function of app.json, by its key in the config: `.role` takes grants."""
        functions: dict[str, FunctionParts] | None = getattr(self.stack, "functions", None)
        if functions is None:
            raise LookupError(f"{self.file} has no functions; they are in app.json")
        if name not in functions:
            raise LookupError(f"no function {name!r}; the config has {', '.join(functions)}")
        return functions[name]


def load(config: Config) -> tuple[Extension, ...]:
    """Every extension the config names, imported and checked against the contract."""
    return tuple(
        _load(name, path)
        for name, path in zip(config.extensions, config.extension_paths, strict=True)
    )


def _load(name: str, path: Path) -> Extension:
    module_name = f"stackset_extension_{hashlib.sha256(str(path).encode()).hexdigest()[:12]}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ExtensionError(name, f"{path} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # sys.exit() in an extension is its failure too
        raise ExtensionError(name, f"importing it raised {_raised(exc, path)}") from None
    return Extension(name, path, _templates(name, module), _entry(name, module))


def _templates(name: str, module: ModuleType) -> tuple[str, ...]:
    found = getattr(module, TEMPLATES, None)
    if not isinstance(found, (tuple, list)) or not found:
        raise ExtensionError(
            name,
            f"define {TEMPLATES}, a tuple of the templates it extends: one or more of "
            f"{', '.join(EXTENDABLE)}",
        )
    unknown = [t for t in found if t not in EXTENDABLE]
    if unknown:
        raise ExtensionError(
            name,
            f"{TEMPLATES} names {', '.join(map(repr, unknown))}; an extension extends "
            f"{', '.join(EXTENDABLE)} (the execution role follows the regional templates)",
        )
    return tuple(dict.fromkeys(found))


def _entry(name: str, module: ModuleType) -> Callable[[ExtensionContext], None]:
    entry = getattr(module, ENTRY_POINT, None)
    if not callable(entry):
        raise ExtensionError(name, f"define `def {ENTRY_POINT}(ctx: ExtensionContext) -> None`")
    try:
        inspect.signature(entry).bind(None)
    except TypeError:
        raise ExtensionError(
            name, f"{ENTRY_POINT} must take one argument, the ExtensionContext"
        ) from None
    except ValueError:
        pass  # no signature to inspect (a builtin): called as it is
    checked: Callable[[ExtensionContext], None] = entry
    return checked


def _raised(exc: BaseException, path: Path) -> str:
    """The exception, and the line of the extension's file it came through."""
    lines = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
    where = f" at line {lines[-1].lineno}" if lines else ""
    return f"{type(exc).__name__}: {exc}{where}"


@dataclass
class Applied:
    """What the extensions did to one template: each resource or output they added or
    changed, by logical id, with the extension that did it."""

    origins: dict[str, str] = field(default_factory=dict)


def apply(extensions: tuple[Extension, ...], file: str, config: Config, stack: Stack) -> Applied:
    """Run each extension that extends `file` on `stack`, in order, and note what each
    added or changed."""
    applied = Applied()
    for extension in extensions:
        if file not in extension.templates:
            continue
        before = _rendered(stack.template, extension.name, "before it ran")
        try:
            extension.entry(ExtensionContext(file, config, stack))
        except (Exception, SystemExit) as exc:
            raise ExtensionError(
                extension.name, f"extending {file} raised {_raised(exc, extension.path)}"
            ) from None
        after = _rendered(stack.template, extension.name, f"after extending {file}")
        applied.origins.update(_changes(extension.name, file, before, after))
    return applied


def _rendered(template: Template, name: str, when: str) -> dict[str, Any]:
    """The template as data; troposphere checks each resource's required properties."""
    try:
        rendered: dict[str, Any] = template.to_dict()
    except Exception as exc:
        raise ExtensionError(
            name, f"the template does not render {when}: {type(exc).__name__}: {exc}"
        ) from None
    return rendered


def _changes(name: str, file: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, str]:
    """The ids the extension added or changed; removals, parameters without a default,
    other top-level changes and resources that deploy what the template does not show
    are refused."""
    _same_outside(name, file, before, after)
    changed: dict[str, str] = {}
    for section in EXTENDED_SECTIONS:
        old, new = before.get(section, {}), after.get(section, {})
        removed = sorted(set(old) - set(new))
        if removed:
            raise ExtensionError(
                name,
                f"removed {', '.join(removed)} from {file}'s {section}; an extension adds "
                "to a template, it does not take away what the stack built",
            )
        for key, value in new.items():
            if old.get(key) == value:
                continue
            if section == "Resources" and value.get("Type") in OPAQUE:
                raise ExtensionError(
                    name,
                    f"added {key} ({value['Type']}) to {file}; what it deploys is not in the "
                    "template, so no check reads it and no deploy role is derived for it: "
                    "add its resources to the template itself",
                )
            if key in old and value.get("Type") in VERSIONED:
                raise ExtensionError(
                    name,
                    f"changed {key} ({value['Type']}) in {file}; a function's settings are "
                    "fixed before extensions run, as its version is a hash of them: set "
                    "them in the config (functions.<name>.environment carries names)",
                )
            changed[key] = name
        if section == "Parameters":
            bare = sorted(k for k in set(new) - set(old) if "Default" not in new[k])
            if bare:
                raise ExtensionError(
                    name,
                    f"parameter {', '.join(bare)} of {file} needs a Default: the StackSet "
                    "parameter files and samconfig.toml are generated from the config",
                )
    return changed


def _same_outside(name: str, file: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Nothing but the extended sections changes: a `Transform` (a macro) would rewrite the
    template after every check, and StackSets with service-managed permissions refuse
    macros; mappings, rules and metadata are the generator's.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackSet.html
    """
    keys = (set(before) | set(after)) - set(EXTENDED_SECTIONS)
    touched = sorted(k for k in keys if before.get(k) != after.get(k))
    if touched:
        raise ExtensionError(
            name,
            f"changed {', '.join(touched)} of {file}; an extension adds resources, outputs, "
            "conditions and parameters only",
        )


def attribute(problem: str, file: str, origins: dict[str, str]) -> str:
    """A finding on `file`, with the extension that added or changed what it names."""
    if not problem.startswith(f"{file}: "):
        return problem
    names = sorted(
        {
            origin
            for key, origin in origins.items()
            if re.search(rf"(?<![A-Za-z0-9]){re.escape(key)}(?![A-Za-z0-9])", problem)
        }
    )
    if not names:
        return problem
    return f"{problem} (added or changed by extension {', '.join(names)})"
