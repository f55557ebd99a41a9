"""The StackSet execution role for each target account (self-managed permissions).

Its name is fixed by StackSets, it trusts only the administration role in the central
account, and it holds what StackSets itself needs in a target account (CloudFormation on
the instance stacks, S3 as the guide requires) plus what the regional templates' resource
types need, derived from CloudFormation's resource schemas, instead of the
AdministratorAccess of AWS's sample template.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html

It is installed by hand, once per account, so its template carries a version that the
regional templates check (`generator.blocks.version_check`).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from awacs import iam as iam_actions
from awacs import kms as kms_actions
from awacs import logs as logs_actions
from awacs import s3 as s3_actions
from awacs import sts
from awacs.aws import (
    Action,
    Allow,
    Condition,
    ForAnyValueStringEquals,
    Principal,
    Statement,
    StringEquals,
    StringLike,
    StringNotEquals,
)
from troposphere import Parameter, Sub

from generator import vocabulary as names
from generator.blocks import policies
from generator.blocks.layers import powertools_layer_access
from generator.blocks.roles import Role
from generator.blocks.tables import DYNAMODB_ANY_REGION, REPLICA_KEY_USE
from generator.blocks.version_check import CHECK_TITLE, VERSION, check_parameter
from generator.permissions import coverage, deployer, iam_data
from generator.stacks.base import Stack

# Resource type -> (service, role) of the service-linked role its creation may make:
# - "When you create a Regional custom domain name ... with an ACM certificate, API
#   Gateway creates a service-linked role in your account" (the resource schemas do not
#   list the call);
#   https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-regional-api-custom-domain-create.html
#   https://docs.aws.amazon.com/apigateway/latest/developerguide/using-service-linked-roles.html
# - "Amazon DynamoDB automatically creates the AWSServiceRoleForDynamoDBReplication
#   service-linked role (SLR) when you create your first global table" (the type's create
#   handler lists iam:CreateServiceLinkedRole).
#   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/globaltables-security.html
SERVICE_LINKED_ROLES = {
    "AWS::ApiGatewayV2::DomainName": (
        "ops.apigateway.amazonaws.com",
        "AWSServiceRoleForAPIGateway",
    ),
    "AWS::DynamoDB::GlobalTable": (
        "replication.dynamodb.amazonaws.com",
        "AWSServiceRoleForDynamoDBReplication",
    ),
}


class ExecutionRole(Stack):
    """One role, installed once per account (IAM is global)."""

    contents = ("admin_account", "role", "policies", "outputs")

    def describe(self) -> str:
        return (
            f"{self.app}: StackSet execution role, version {VERSION}. Deploy once in every "
            "target account and in the central account (the bootstrap StackSet deploys "
            "there), in any one region: IAM is global."
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
            description=f"StackSets deploy {self.app}'s regional stacks with this role "
            f"(version {VERSION}).",
            inline=False,
        )

    @cached_property
    def policies(self) -> None:
        if self.inputs.coverage:
            return
        # Every type the regional templates can hold, and those the config's extensions
        # added to them; but the version check, which is granted by version below.
        deployed = [
            _without_check(t)
            for file, finished in sorted(self.inputs.finished.items())
            for t in (*coverage.templates(file), finished)
        ]
        actions, _unused_features = deployer.required_actions(deployed)
        instances = names.stack_set_instances(self.app)
        scope = deployer.Scope(
            role_prefixes=[names.role_path(self.app).lstrip("/")],
            bucket_prefixes=[f"{self.config.application.bucket_prefix}-", instances.lower()],
            passed_to=deployer.passed_to(deployed),
        )
        deployer.managed_policies(
            self.template,
            "ExecutionPolicy",
            self.role.title,
            [
                *self._stacksets(),
                *deployer.statements(actions, scope),
                *self._version_checks(),
                *powertools_layer_access(),
                *self._central_resources(),
                *self._service_linked_roles(deployed),
                *self._global_data_keys(),
            ],
            description="StackSets' own needs, and the resource schemas of every resource "
            "type the regional templates can hold",
        )

    def _stacksets(self) -> list[Statement]:
        """StackSets creates, updates, deletes and describes each instance's stack (named
        `StackSet-<stack set>-<id>`) with this role: "Your target account always needs full
        AWS CloudFormation permissions". The writes are granted on this application's
        instance stacks only; CloudFormation's reads that IAM authorizes only on `*` are
        granted as such (IAM's data lists them)."""
        stack_actions = iam_data.actions_on("cloudformation", "stack")
        reads = [
            a
            for a in iam_data.wildcard_only_actions("cloudformation")
            if iam_data.access_level(a) in ("Read", "List")
        ]
        stacks = Sub(
            "arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/"
            f"{names.stack_set_instances(self.app)}*/*"
        )
        return [
            policies.allow("RunInstanceStacks", policies.actions(stack_actions), [stacks]),
            policies.wildcard_only("ReadCloudFormationWildcardOnly", policies.actions(reads)),
            self._stacksets_s3(),
        ]

    def _stacksets_s3(self) -> Statement:
        """ "You must add the S3 service action and resources to
        AWSCloudFormationStackSetExecutionRole policy statement for each target account for
        StackSets to work. StackSets uses these permissions to notify the stack instance
        state" — the guide's minimum policy grants `s3:*` on `*`. The buckets are
        StackSets' own, in accounts of AWS, so this account's buckets are excluded
        (`aws:ResourceAccount`); ours are granted by name above. The IAM audit admits this
        one statement by its Sid, with this page as the reason."""
        return policies.allow(
            "StackSetsNotifyInstanceStateDocumentedWildcard",
            [Action("s3", "*")],
            ["*"],
            StringNotEquals({"aws:ResourceAccount": Sub("${AWS::AccountId}")}),
        )

    def _version_checks(self) -> list[Statement]:
        """Create the version check of this version or any earlier one (a rollback to an
        older template must still deploy); read and remove any of them."""
        parameter = "arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:parameter"
        create = [
            Sub(f"{parameter}{check_parameter(self.app, version)}")
            for version in range(1, VERSION + 1)
        ]
        every = Sub(f"{parameter}/{self.app}/requires/*")
        return [
            policies.allow(
                "CreateVersionCheckUpToOwnVersion",
                policies.actions(["ssm:PutParameter", "ssm:AddTagsToResource"]),
                create,
            ),
            policies.allow(
                "ReadAndRemoveVersionChecks",
                policies.actions(
                    [
                        "ssm:DeleteParameter",
                        "ssm:GetParameters",
                        "ssm:ListTagsForResource",
                        "ssm:RemoveTagsFromResource",
                    ]
                ),
                [every],
            ),
        ]

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
                StringLike(
                    {
                        "kms:ViaService": "s3.*.amazonaws.com",
                        "kms:EncryptionContext:aws:s3:arn": Sub(
                            f"arn:${{AWS::Partition}}:s3:::{prefix}-{central}-*"
                        ),
                    }
                ),
            ),
            policies.allow(
                "SubscribeToCentralDestinations",
                [logs_actions.PutSubscriptionFilter],
                [Sub(f"arn:${{AWS::Partition}}:logs:*:{central}:destination:{destination}")],
            ),
        ]

    def _service_linked_roles(self, deployed: list[dict[str, Any]]) -> list[Statement]:
        """The service-linked roles that a service creates on the deployer's behalf the
        first time a resource type is created in the account: each role, for its one
        service (the deployer statements grant no `iam:CreateServiceLinkedRole`).
        https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create-service-linked-role.html
        """
        kinds = {r["Type"] for t in deployed for r in t.get("Resources", {}).values()}
        return [
            policies.allow(
                f"Create{role}",
                [iam_actions.CreateServiceLinkedRole],
                [
                    Sub(
                        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/"
                        f"{service}/{role}"
                    )
                ],
                StringEquals({"iam:AWSServiceName": service}),
            )
            for kind, (service, role) in sorted(SERVICE_LINKED_ROLES.items())
            if kind in kinds
        ]

    def _global_data_keys(self) -> list[Statement]:
        """Creating a replica, DynamoDB uses its region's key on the deployer's behalf,
        from whichever region the data stack runs in: the key use DynamoDB requires, on
        the keys that carry the global data key's alias (blocks/tables.py)."""
        if "data-keys.json" not in self.inputs.finished:
            return []
        return [
            policies.allow(
                "UseGlobalDataKeysThroughDynamoDB",
                REPLICA_KEY_USE,
                [Sub("arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/*")],
                StringLike({"kms:ViaService": DYNAMODB_ANY_REGION}),
                ForAnyValueStringEquals(
                    {"kms:ResourceAliases": f"alias/{names.global_data_key_alias(self.app)}"}
                ),
            )
        ]

    @cached_property
    def outputs(self) -> None:
        self.output("ExecutionRoleArn", self.role.arn, "StackSets deploys with this role.")
        self.output("ExecutionRoleVersion", str(VERSION), "Regional templates check it.")


def _without_check(template: dict[str, Any]) -> dict[str, Any]:
    """The template less its version check, which the role grants by version."""
    resources = template.get("Resources", {})
    return {"Resources": {k: v for k, v in resources.items() if k != CHECK_TITLE}}
