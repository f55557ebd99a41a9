"""Every resource type a template of this project can hold, whatever the config.

The roles that deploy the templates (the StackSet execution role, the pipeline's
CloudFormation role) are granted these types, not only the types of today's templates:
when an update removes a feature, CloudFormation deletes its resources last, with the
role as the update left it, so a role narrowed to the new template could not delete
them. The types are found by building every template from a few configs that together
switch every feature on. They depend on the generator's code only, so the templates are
built once, all of them per config, and kept with the other facts derived from the code
(generator/output/derived.py): a build with a warm cache builds none of them.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.config import Config
from generator.output import derived
from generator.output.layout import Layout

ACCOUNT, CENTRAL = "111111111111", "222222222222"
FUNCTION = {"source": "src", "routes": ["GET /health"]}
# Together these switch every feature on: account and organization targets, routed and
# routeless functions, JWT authorizers, a custom domain, each pipeline source, the optional
# administration role and alerts, each logging mode (the Firehose path, the centralization
# rule) and subscription kind, and every data block (regional and global tables, queues
# and their triggers, schedules).
VARIANTS: tuple[dict[str, Any], ...] = (
    {
        "application": {"home_region": "us-east-1"},
        "targets": {"regions": ["us-east-1"], "accounts": [ACCOUNT], "central_account": CENTRAL},
        "logging": {"alert_email": "alerts@example.com"},
        "functions": {
            "api": {"source": "src", "routes": ["GET /health", "GET /orders"]},
            "worker": {"source": "src"},
        },
        "api": {
            "authorizers": {"users": {"issuer": "https://login.example.com", "audience": ["a"]}},
            "routes": {"GET /orders": {"authorizer": "users"}},
        },
        "domain": {
            "name": "api.example.com",
            "hosted_zone_id": "Z0123456789EXAMPLE01",
            "hosted_zone_account": ACCOUNT,
        },
        "tables": {
            "orders": {"partition_key": "pk"},
            "ledger": {"partition_key": "pk", "replication": "global", "stream": "KEYS_ONLY"},
        },
        "queues": {"jobs": {"consumer": "worker"}},
        "schedules": {"nightly": {"function": "worker", "expression": "rate(1 day)"}},
    },
    {
        "targets": {
            "regions": ["us-east-1"],
            "permission_model": "SERVICE_MANAGED",
            "organizational_units": ["ou-abcd-12345678"],
            "organization_id": "o-a1b2c3d4e5",
            "central_account": CENTRAL,
        },
        "pipeline": {"source": "s3", "create_stackset_admin_role": False},
        "logging": {
            "mode": "both",
            "subscription": "account",
            "backup_region": "us-west-2",
            "backup_key_arn": f"arn:aws:kms:us-west-2:{CENTRAL}:key/"
            "00000000-0000-0000-0000-000000000000",
        },
        "functions": {"api": FUNCTION},
    },
    {
        "targets": {"regions": ["us-east-1"]},
        "pipeline": {
            "connection_arn": "arn:aws:codestar-connections:us-east-1:222222222222:"
            "connection/00000000-0000-0000-0000-000000000000"
        },
        "functions": {"api": FUNCTION},
    },
)


# Where the variants' files would go: fixed, so that what they build does not depend on
# the folder the build runs in.
LAYOUT = Layout.of(Path("coverage.toml"), Path("."))


def templates(file: str) -> tuple[dict[str, Any], ...]:
    """`file` (a template of the registry) as each variant builds it."""
    return tuple(derived.fact("coverage.templates", build_variants)[file])


def build_variants() -> dict[str, list[dict[str, Any]]]:
    """Every template of the registry as each variant builds it, by file name."""
    from generator.build import generate_without_checks

    built: dict[str, list[dict[str, Any]]] = {}
    for variant in VARIANTS:
        config = Config.model_validate(variant)
        config._path = LAYOUT.config
        for file, data in generate_without_checks(config, coverage=True, layout=LAYOUT).items():
            built.setdefault(file, []).append(data)
    return built


def every_type(file: str) -> frozenset[str]:
    """The resource types `file` holds in any config."""
    return frozenset(r["Type"] for t in templates(file) for r in t.get("Resources", {}).values())
