"""Global tables: one table replicated to every target region, in the app's one account.

Two templates, which the pipeline deploys before the app's waves so that each region's
replica exists when its app stack first runs (generator/stacks/pipeline):
- `data-keys.json`, by a StackSet to every target region: the key that encrypts the
  region's replicas, found by its alias. A replica's key "must be created in the same
  region as the replica", and must exist before it, so it cannot be a resource of the app
  stack, which runs later and can be deleted while the table lives on.
- `data.json`, by a StackSet to the home region alone: every global table, each with a
  replica in each target region. "Each global table is controlled by a single stack, in a
  single region"; "You should not deploy the same AWS::DynamoDB::GlobalTable resource in
  multiple regions".
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-replicassespecification.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-globaltable.html
"""

from __future__ import annotations

from functools import cached_property

from awacs.aws import StringEquals, StringLike
from troposphere import Ref, ssm

from generator import vocabulary as names
from generator.blocks import version_check
from generator.blocks.keys import Key
from generator.blocks.tables import DYNAMODB_ANY_REGION, REPLICA_KEY_USE, GlobalTable
from generator.stacks.base import Stack


class DataKeys(Stack):
    """The global data key of one region of the app account."""

    contents = ("key", "outputs", "execution_role_check")
    closing = ("execution_role_check",)

    def describe(self) -> str:
        return (
            f"{self.app}: the key of this region's global table replicas. Deployed by a "
            "StackSet to every target region of the app account, before data.json."
        )

    @cached_property
    def key(self) -> Key:
        """Used through DynamoDB alone, by this account's principals whose IAM policies
        allow it: the deployer that creates each replica (DynamoDB then creates a grant
        for itself), replication, and the functions granted a table (blocks/tables.py:
        `Replica.grant`, confined there to the table's name and this key's alias)."""
        key = Key(
            self.template,
            "GlobalDataKey",
            description=f"{self.app}: encrypts this region's replicas of the global tables",
            alias=names.global_data_key_alias(self.app),
            # The replicas and the functions' grants find the key by its alias; a replica
            # keeps its key, so the alias must never move to another.
            keep_alias=True,
        )
        key.allow_account(
            "AccountUsesKeyThroughDynamoDBInAnyRegion",
            REPLICA_KEY_USE,
            StringEquals({"kms:CallerAccount": Ref("AWS::AccountId")}),
            StringLike({"kms:ViaService": DYNAMODB_ANY_REGION}),
        )
        return key

    @cached_property
    def outputs(self) -> None:
        self.output("GlobalDataKeyArn", self.key.arn, "Encrypts this region's replicas.")

    @cached_property
    def execution_role_check(self) -> ssm.Parameter:
        return version_check.add(self.template, self.app, "data-keys")


class GlobalTables(Stack):
    """Every global table, each replicated to every target region."""

    contents = ("tables", "outputs", "execution_role_check")
    closing = ("execution_role_check",)

    def describe(self) -> str:
        return (
            f"{self.app}: the global tables, a replica in every target region. Deployed by "
            "a StackSet to the home region of the app account, after data-keys.json."
        )

    @cached_property
    def tables(self) -> dict[str, GlobalTable]:
        return {
            key: GlobalTable(
                self.template,
                names.logical_id(key, "global", "table"),
                name=names.table_name(self.app, key),
                spec=spec,
                regions=list(self.config.targets.regions),
                key_alias=names.global_data_key_alias(self.app),
                tags=self.config.application.all_tags,
            )
            for key, spec in self.config.global_tables.items()
        }

    @cached_property
    def outputs(self) -> None:
        for key, table in self.tables.items():
            self.output(
                names.logical_id(key, "global", "table", "arn"),
                table.arn,
                f"The global table {key}: its replica in this region.",
            )

    @cached_property
    def execution_role_check(self) -> ssm.Parameter:
        return version_check.add(self.template, self.app, "data")
