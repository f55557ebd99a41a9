"""A version check of the StackSet execution role, as the first resource of a template.

The execution role is installed by hand, once per account, so a template may meet an
older role, and an older role fails somewhere in the middle of an update with an
AccessDenied that says nothing of why. So each regional template first writes a tiny
parameter named after the role version it needs (and after the template, as the app and
the bootstrap can share an account and region), and only a role of that version or later
may write it: a stale role stops the update at its first step, with an AccessDenied that
names the version and a description that names the fix. The parameter's value is the
digest of the rest of the template, so every update that changes anything writes it again,
and a role replaced by an older one since is caught then too. (CDK checks its bootstrap
version with a template rule over an SSM parameter; a rule would need the version in every
region of every account, where this needs nothing but the role.)
"""

from __future__ import annotations

import hashlib
import json

from troposphere import Template, ssm

from generator.vocabulary import STACKSET_EXECUTION_ROLE

# Raise this whenever the role's permissions change: a regional template of version N
# deploys only with a role of version N or later. tests/stacks/test_execution_role.py
# fails when the permissions change and this does not.
VERSION = 7
CHECK_TYPE = "AWS::SSM::Parameter"
CHECK_TITLE = "ExecutionRoleVersionCheck"


def check_parameter(app: str, version: int, template: str = "*") -> str:
    """`/<app>/requires/<role>/<version>/<template>`; `*` names every template's."""
    return f"/{app}/requires/{STACKSET_EXECUTION_ROLE}/{version}/{template}"


def add(template: Template, app: str, name: str) -> ssm.Parameter:
    """The parameter, on which every other resource of `template` then depends."""
    digest = hashlib.sha256(
        json.dumps(template.to_dict(), sort_keys=True).encode("utf-8")
    ).hexdigest()
    check = template.add_resource(
        ssm.Parameter(
            CHECK_TITLE,
            Name=check_parameter(app, VERSION, name),
            Type="String",
            Value=f"{STACKSET_EXECUTION_ROLE} version {VERSION} or later; release {digest[:16]}",
            Description=f"{app}: this stack needs the StackSet execution role of version "
            f"{VERSION} or later. AccessDenied here means the role in this account is older: "
            "deploy templates/stackset-execution-role.json (see README).",
        )
    )
    for resource in template.resources.values():
        if resource is not check:
            depends = getattr(resource, "DependsOn", [])
            depends = [depends] if isinstance(depends, str) else list(depends)
            resource.DependsOn = [*depends, CHECK_TITLE]
    return check
