"""The StackSet execution role for each target account (self-managed permissions).

Its name is fixed by StackSets, it trusts only the administration role in the central
account, and its rights are what the regional templates' resource types need, derived
from CloudFormation's resource schemas, instead of the AdministratorAccess of AWS's
sample template.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html
"""

from __future__ import annotations

from awacs import kms as kms_actions
from awacs import logs as logs_actions
from awacs import s3 as s3_actions
from awacs import sts
from awacs.aws import Allow, Condition, Principal, Statement, StringEquals, StringLike
from troposphere import GetAtt, Output, Parameter, Sub, Template, iam

from generator import vocabulary as naming
from generator.blocks import policies as iam_helpers
from generator.blocks.layers import powertools_layer_access
from generator.config import Config
from generator.permissions import deployer
from generator.stacks.pipeline import ADMIN_ROLE, EXECUTION_ROLE

ADMIN_ACCOUNT = "AdministratorAccountId"


def build(config: Config, regional: dict[str, dict]) -> Template:
    app = config.application.name
    template = Template(
        Description=f"{app}: StackSet execution role. Deploy once in every target account "
        "and in the central account (the bootstrap StackSet deploys there), in any one "
        "region: IAM is global."
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
    actions, _unused_features = deployer.required_actions(regional.values())
    instances = f"StackSet-{naming.stack_set(app, '')}"  # StackSets name stacks so
    scope = deployer.Scope(
        role_prefixes=[instances],
        bucket_prefixes=[f"{config.application.bucket_prefix}-", instances.lower()],
        passed_to=deployer.passed_to(regional.values()),
    )
    statements = [
        *deployer.statements(actions, scope),
        *powertools_layer_access(),
        *central_resources(config),
    ]
    deployer.managed_policies(
        template,
        "ExecutionPolicy",
        role.title,
        statements,
        description="Derived from the resource schemas of the regional templates",
    )
    template.add_output(Output("ExecutionRoleArn", Value=GetAtt(role, "Arn")))
    return template


def central_resources(config: Config) -> list:
    """What a target account's stacks use in the central account: Lambda reads code with
    the deployer's credentials, and a subscription filter needs the sender's permission
    for the central destination.
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-function-zip.html
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Subscription-Filter-CrossAccount-Permissions-Firehose.html
    """
    central = f"${{{ADMIN_ACCOUNT}}}"
    prefix = config.application.bucket_prefix
    destination = naming.logs_destination(config.application.name)
    return [
        iam_helpers.allow(
            "ReadCodeFromCentralBuckets",
            [s3_actions.GetObject, s3_actions.GetObjectVersion],
            [Sub(f"arn:${{AWS::Partition}}:s3:::{prefix}-{central}-*/*")],
        ),
        iam_helpers.allow(
            "DecryptCodeWithCentralKeys",
            [kms_actions.Decrypt],
            [Sub(f"arn:${{AWS::Partition}}:kms:*:{central}:key/*")],
            StringLike({"kms:ViaService": "s3.*.amazonaws.com"}),
        ),
        iam_helpers.allow(
            "SubscribeToCentralDestinations",
            [logs_actions.PutSubscriptionFilter],
            [Sub(f"arn:${{AWS::Partition}}:logs:*:{central}:destination:{destination}")],
        ),
    ]
