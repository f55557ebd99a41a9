"""A version check of the StackSet execution role, as the first resource of a template.

The execution role is installed by hand, once per account, so a template may meet an
older role, and an older role fails somewhere in the middle of an update with an
AccessDenied that says nothing of why. So each regional template first creates a tiny
parameter named after the role version it needs, and only a role of that version or
later may create it: a stale role stops the update at its first step, with an
AccessDenied that names the version and a description that names the fix. (CDK checks its
bootstrap version with a template rule over an SSM parameter; a rule would need the
version in every region of every account, where this needs nothing but the role.)
"""

from __future__ import annotations

from troposphere import Template, ssm

from generator.vocabulary import STACKSET_EXECUTION_ROLE

# Raise this whenever the role's permissions change: a regional template of version N
# deploys only with a role of version N or later. tests/stacks/test_execution_role.py
# fails when the permissions change and this does not.
VERSION = 3
CHECK_TYPE = "AWS::SSM::Parameter"
CHECK_TITLE = "ExecutionRoleVersionCheck"


def check_parameter(app: str, version: int) -> str:
    return f"/{app}/requires/{STACKSET_EXECUTION_ROLE}/{version}"


def add(template: Template, app: str) -> ssm.Parameter:
    """The parameter, on which every other resource of `template` then depends."""
    check = template.add_resource(
        ssm.Parameter(
            CHECK_TITLE,
            Name=check_parameter(app, VERSION),
            Type="String",
            Value=f"{STACKSET_EXECUTION_ROLE} version {VERSION} or later",
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
