"""The StackSet execution role for each target account (self-managed permissions).

Its name is fixed by StackSets, it trusts only the administration role in the central
account, and its rights are what the regional templates' resource types need, derived
from CloudFormation's resource schemas, instead of the AdministratorAccess of AWS's
sample template.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html
"""

from __future__ import annotations

from functools import cached_property

from awacs import kms as kms_actions
from awacs import logs as logs_actions
from awacs import s3 as s3_actions
from awacs import sts
from awacs.aws import Allow, Condition, Principal, Statement, StringEquals, StringLike
from troposphere import Output, Parameter, Sub

from generator import vocabulary as names
from generator.blocks import policies
from generator.blocks.layers import powertools_layer_access
from generator.blocks.roles import Role
from generator.permissions import deployer
from generator.stacks.base import Stack


class ExecutionRole(Stack):
    """One role, installed once per account (IAM is global)."""

    contents = ("admin_account", "role", "policies", "outputs")

    def describe(self) -> str:
        return (
            f"{self.app}: StackSet execution role. Deploy once in every target account and "
            "in the central account (the bootstrap StackSet deploys there), in any one "
            "region: IAM is global."
        )

    @cached_property
    def admin_account(self) -> Parameter:
        return self.template.add_parameter(
            Parameter(
                names.ADMIN_ACCOUNT,
                Type="String",
                AllowedPattern=r"^\d{12}$",
                Description="The central account, whose StackSets administration role "
                "deploys into this account.",
            )
        )

    @cached_property
    def role(self) -> Role:
        account = f"${{{self.admin_account.title}}}"
        admin_role = Sub(f"arn:${{AWS::Partition}}:iam::{account}:role/{names.STACKSET_ADMIN_ROLE}")
        trust = policies.document(
            Statement(
                Effect=Allow,
                Principal=Principal("AWS", Sub(f"arn:${{AWS::Partition}}:iam::{account}:root")),
                Action=[sts.AssumeRole],
                Condition=Condition(StringEquals({"aws:PrincipalArn": admin_role})),
            )
        )
        return Role(
            self.template,
            "ExecutionRole",
            name=names.STACKSET_EXECUTION_ROLE,
            trust=trust,
            description=f"StackSets deploy {self.app}'s regional stacks with this role.",
            inline=False,
        )

    @cached_property
    def policies(self) -> None:
        regional = list(self.inputs.finished.values())  # the templates it deploys
        actions, _unused_features = deployer.required_actions(regional)
        instances = names.stack_set_instances(self.app)
        scope = deployer.Scope(
            role_prefixes=[instances],
            bucket_prefixes=[f"{self.config.application.bucket_prefix}-", instances.lower()],
            passed_to=deployer.passed_to(regional),
        )
        deployer.managed_policies(
            self.template,
            "ExecutionPolicy",
            self.role.title,
            [
                *deployer.statements(actions, scope),
                *powertools_layer_access(),
                *self._central_resources(),
            ],
            description="Derived from the resource schemas of the regional templates",
        )

    def _central_resources(self) -> list[Statement]:
        """What a target account's stacks use in the central account: Lambda reads code
        with the deployer's credentials, and a subscription filter needs the sender's
        permission for the central destination.
        https://docs.aws.amazon.com/lambda/latest/dg/configuration-function-zip.html
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Subscription-Filter-CrossAccount-Permissions-Firehose.html
        """
        central = f"${{{self.admin_account.title}}}"
        prefix = self.config.application.bucket_prefix
        destination = names.logs_destination(self.app)
        return [
            policies.allow(
                "ReadCodeFromCentralBuckets",
                [s3_actions.GetObject, s3_actions.GetObjectVersion],
                [Sub(f"arn:${{AWS::Partition}}:s3:::{prefix}-{central}-*/*")],
            ),
            policies.allow(
                "DecryptCodeWithCentralKeys",
                [kms_actions.Decrypt],
                [Sub(f"arn:${{AWS::Partition}}:kms:*:{central}:key/*")],
                StringLike({"kms:ViaService": "s3.*.amazonaws.com"}),
            ),
            policies.allow(
                "SubscribeToCentralDestinations",
                [logs_actions.PutSubscriptionFilter],
                [Sub(f"arn:${{AWS::Partition}}:logs:*:{central}:destination:{destination}")],
            ),
        ]

    @cached_property
    def outputs(self) -> None:
        self.template.add_output(Output("ExecutionRoleArn", Value=self.role.arn))
