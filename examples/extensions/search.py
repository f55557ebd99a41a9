"""An extension of the search example: what the config has no key for, in Python.

It adds the search settings as an SSM parameter in every region of app.json, lets the
`api` function read exactly that parameter, and exports its name. The config passes the
name to the function (`functions.api.environment`), as a function's settings are fixed
before extensions run. Everything here then goes through the build's checks like the
stack's own resources: tags, the IAM audit, cfn-lint in every target region, and the
StackSet execution role, which now may manage SSM parameters.
"""

from __future__ import annotations

import json

from awacs import ssm as ssm_actions
from troposphere import Ref, ssm

from generator.blocks import policies
from generator.extensions import ExtensionContext

TEMPLATES = ("app.json",)
TERMS = ["lambda", "stackset", "canary", "rollback", "region"]


def extend(ctx: ExtensionContext) -> None:
    name = f"/{ctx.app}/settings"
    settings = ctx.add(
        ssm.Parameter(
            "SearchSettings",
            Name=name,
            Type="String",
            Value=json.dumps({"terms": TERMS}, sort_keys=True),
            Description=f"{ctx.app}: the terms the search API finds.",
        )
    )
    ctx.function("api").role.allow(
        "ReadSearchSettings",
        [ssm_actions.GetParameter],
        [policies.arn("ssm", f"parameter{name}")],
    )
    ctx.output("SearchSettingsParameter", Ref(settings), "The search API's settings.")
