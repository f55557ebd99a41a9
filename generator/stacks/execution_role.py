"""The StackSet execution role for each target account (self-managed permissions).

Its name is fixed by StackSets, it trusts only the administration role in the central
account, and its rights are what the regional templates' resource types need, derived
from CloudFormation's resource schemas, instead of the AdministratorAccess of AWS's
sample template.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html
"""

from __future__ import annotations

from awacs import sts
from awacs.aws import Allow, Condition, Principal, Statement, StringEquals
from troposphere import GetAtt, Output, Parameter, Sub, Template, iam

from generator import deployer, naming
from generator import iam as iam_helpers
from generator.config import Config
from generator.layers import powertools_layer_access
from generator.stacks.pipeline import ADMIN_ROLE, EXECUTION_ROLE

ADMIN_ACCOUNT = "AdministratorAccountId"


def build(config: Config, regional: dict[str, dict]) -> Template:
    app = config.application.name
    template = Template(
        Description=f"{app}: StackSet execution role for a target account. Deploy once per "
        "target account (and the central account), in any one region: IAM is global."
    )
    template.add_parameter(
        Parameter(
            ADMIN_ACCOUNT,
            Type="String",
            AllowedPattern=r"^\d{12}$",
            Description="The central account, whose StackSets administration role "
            "deploys into this account.",
        )
    )
    admin_role = Sub(f"arn:${{AWS::Partition}}:iam::${{{ADMIN_ACCOUNT}}}:role/{ADMIN_ROLE}")
    trust = iam_helpers.document(
        Statement(
            Effect=Allow,
            Principal=Principal(
                "AWS", Sub(f"arn:${{AWS::Partition}}:iam::${{{ADMIN_ACCOUNT}}}:root")
            ),
            Action=[sts.AssumeRole],
            Condition=Condition(StringEquals({"aws:PrincipalArn": admin_role})),
        )
    )
    role = iam.Role(
        "ExecutionRole",
        RoleName=EXECUTION_ROLE,
        Description=f"StackSets deploy {app}'s regional stacks with this role.",
        AssumeRolePolicyDocument=trust,
    )
    template.add_resource(role)
    actions, _unknown = deployer.required_actions(regional.values())
    prefix = config.application.bucket_prefix
    scope = deployer.Scope(
        name_prefixes=[
            f"StackSet-{naming.stack_set(app, '')}",
            f"{app}-",
            f"{prefix}-",
            f"stackset-{naming.stack_set(app, '')}",
        ],
    )
    statements = deployer.statements(actions, scope) + powertools_layer_access()
    deployer.managed_policies(
        template,
        "ExecutionPolicy",
        role.title,
        statements,
        description="Derived from the resource schemas of the regional templates",
    )
    template.add_output(Output("ExecutionRoleArn", Value=GetAtt(role, "Arn")))
    return template
