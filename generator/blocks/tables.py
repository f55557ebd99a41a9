"""DynamoDB tables that grant: `table.grant(role, "read")` writes the role's statement on
this one table and the role's use of the table's key through DynamoDB, so no policy names
a table by hand and no key policy names a role.

A regional table (`Table`) is a resource of each app stack. A global table is one
`AWS::DynamoDB::GlobalTable` in the home region's data stack (`GlobalTable`) with a
replica in every target region, each encrypted with its region's global data key; each
app stack reaches its own region's replica by name (`Replica`).

Every table has point-in-time recovery, server-side encryption with a customer managed
key, deletion protection (on unless the config turns it off) and is retained when its
resource leaves the template: a table holds data no release can bring back.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Point-in-time-recovery.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithTables.Basics.html#WorkingWithTables.Basics.DeletionProtection
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-globaltable.html
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from awacs import dynamodb as ddb
from awacs import kms as kms_actions
from awacs.aws import Action, ForAnyValueStringEquals, StringEquals
from troposphere import AWSHelperFn, GetAtt, Ref, Sub, Tags, Template, dynamodb

from generator.blocks.keys import Key, via
from generator.blocks.roles import Role
from generator.config import Table as TableSpec

Access = Literal["read", "write", "read-write"]
ACCESS: tuple[Access, ...] = ("read", "write", "read-write")

# The data-plane actions of each access level, on the table itself (no index is defined,
# so no `table/<name>/index/*` ARN is granted).
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/api-permissions-reference.html
READ = [
    ddb.BatchGetItem,
    ddb.ConditionCheckItem,
    ddb.DescribeTable,
    ddb.GetItem,
    ddb.Query,
    ddb.Scan,
]
WRITE = [
    ddb.BatchWriteItem,
    ddb.ConditionCheckItem,
    ddb.DeleteItem,
    ddb.DescribeTable,
    ddb.PutItem,
    ddb.UpdateItem,
]
# A table encrypted with a customer managed key: DynamoDB uses the key on the caller's
# behalf ("kms:ViaService" dynamodb), with the table's name in the encryption context
# ("aws:dynamodb:tableName"), so a role's use of the key is confined to its tables.
# Readers decrypt; writers also encrypt and generate data keys.
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html
KEY_READ = [kms_actions.Decrypt]
KEY_WRITE = [kms_actions.Decrypt, kms_actions.Encrypt, kms_actions.GenerateDataKey]
# What the principal that creates, updates and deletes the table (the stack's deploying
# role) asks DynamoDB to do with the key: DynamoDB creates a grant for itself and checks
# the key ("The IAM principal who creates the table must have kms:CreateGrant ...").
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html
KEY_MANAGE = [
    kms_actions.CreateGrant,
    kms_actions.Decrypt,
    kms_actions.DescribeKey,
    kms_actions.Encrypt,
    kms_actions.RevokeGrant,
]
TABLE_NAME_CONTEXT = "kms:EncryptionContext:aws:dynamodb:tableName"
# What DynamoDB needs of a replica's key, for the principal that selects it (the deployer)
# and for replication: "At a minimum, DynamoDB requires the following permissions on a
# customer managed key: kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*,
# kms:DescribeKey, kms:CreateGrant" (the families written out), RevokeGrant for the
# handlers that remove a replica; through DynamoDB in any region: "DynamoDB requires the
# permission to be independent of any particular AWS Region so it can make cross-Region
# calls to support DynamoDB global tables".
# https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
REPLICA_KEY_USE = [
    kms_actions.CreateGrant,
    kms_actions.Decrypt,
    kms_actions.DescribeKey,
    kms_actions.Encrypt,
    kms_actions.GenerateDataKey,
    kms_actions.GenerateDataKeyWithoutPlaintext,
    kms_actions.ReEncryptFrom,
    kms_actions.ReEncryptTo,
    kms_actions.RevokeGrant,
]
DYNAMODB_ANY_REGION = "dynamodb.*.amazonaws.com"

_TYPES = {"S": "S", "N": "N", "B": "B"}


class Table:
    """One regional table of this stack, encrypted with `key`."""

    def __init__(
        self, template: Template, title: str, *, name: str, spec: TableSpec, key: Key
    ) -> None:
        self.title = title
        self.name = name
        self.key = key
        properties: dict[str, object] = {
            **_shape(name, spec),
            "PointInTimeRecoverySpecification": _recovery(),
            "SSESpecification": dynamodb.SSESpecification(
                SSEEnabled=True, SSEType="KMS", KMSMasterKeyId=key.arn
            ),
            "DeletionProtectionEnabled": spec.deletion_protection,
        }
        properties.update(_changes(spec))
        self.resource = template.add_resource(
            dynamodb.Table(
                title, DeletionPolicy="Retain", UpdateReplacePolicy="Retain", **properties
            )
        )
        key.delegate("dynamodb", KEY_MANAGE)

    @property
    def arn(self) -> GetAtt:
        return GetAtt(self.resource, "Arn")

    @property
    def ref(self) -> Ref:
        """The table's name."""
        return Ref(self.resource)

    def grant(self, role: Role, sid: str, access: Access) -> None:
        """`access` to this table's items, and the key's use for them through DynamoDB."""
        _grant_items(role, sid, access, self.arn)
        self.key.grant(
            role, f"{sid}Key", _key_actions(access), service="dynamodb",
            equals={TABLE_NAME_CONTEXT: self.name},
        )  # fmt: skip


class GlobalTable:
    """One global table of the data stack: a replica in each of `regions` (the stack's
    own region among them), each encrypted with its region's global data key, named by
    its alias because a stack cannot refer to a resource of another region. On-demand
    (the type's default is PROVISIONED), with the stream that replication requires.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-dynamodb-globaltable-replicassespecification.html
    """

    def __init__(
        self,
        template: Template,
        title: str,
        *,
        name: str,
        spec: TableSpec,
        regions: list[str],
        key_alias: str,
        tags: dict[str, str],
    ) -> None:
        replicas = [
            dynamodb.ReplicaSpecification(
                Region=region,
                PointInTimeRecoverySpecification=_recovery(),
                DeletionProtectionEnabled=spec.deletion_protection,
                SSESpecification=dynamodb.ReplicaSSESpecification(
                    KMSMasterKeyId=Sub(
                        f"arn:${{AWS::Partition}}:kms:{region}:${{AWS::AccountId}}:"
                        f"alias/{key_alias}"
                    )
                ),
                Tags=Tags(**dict(sorted(tags.items()))),
            )
            for region in sorted(regions)
        ]
        self.resource = template.add_resource(
            dynamodb.GlobalTable(
                title,
                DeletionPolicy="Retain",
                UpdateReplacePolicy="Retain",
                SSESpecification=dynamodb.GlobalTableSSESpecification(
                    SSEEnabled=True, SSEType="KMS"
                ),
                Replicas=replicas,
                **_shape(name, spec),
                **_changes(spec),
            )
        )

    @property
    def arn(self) -> GetAtt:
        """The ARN of the replica in the stack's region."""
        return GetAtt(self.resource, "Arn")


class Replica:
    """This region's replica of a global table, as an app stack sees it: by name (the
    data stack owns it), with the region's global data key found by its alias."""

    def __init__(self, *, name: str, key_alias: str) -> None:
        self.name = name
        self.key_alias = key_alias

    @property
    def arn(self) -> Sub:
        return Sub(
            "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:"
            f"table/{self.name}"
        )

    @property
    def ref(self) -> str:
        """The table's name."""
        return self.name

    def grant(self, role: Role, sid: str, access: Access) -> None:
        """`access` to this replica's items, and the use through DynamoDB of the key that
        carries the global data key's alias (`kms:ResourceAliases`), for this table only.
        https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-resource-aliases
        """
        _grant_items(role, sid, access, self.arn)
        role.allow(
            f"{sid}Key",
            _key_actions(access),
            [Sub("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*")],
            StringEquals({"kms:ViaService": Sub(via("dynamodb")), TABLE_NAME_CONTEXT: self.name}),
            ForAnyValueStringEquals({"kms:ResourceAliases": f"alias/{self.key_alias}"}),
        )


def _shape(name: str, spec: TableSpec) -> dict[str, object]:
    """Name, keys and billing: what a regional and a global table write alike."""
    attributes = [
        dynamodb.AttributeDefinition(
            AttributeName=spec.partition_key, AttributeType=_TYPES[spec.partition_key_type]
        )
    ]
    schema = [dynamodb.KeySchema(AttributeName=spec.partition_key, KeyType="HASH")]
    if spec.sort_key is not None:
        attributes.append(
            dynamodb.AttributeDefinition(
                AttributeName=spec.sort_key, AttributeType=_TYPES[spec.sort_key_type]
            )
        )
        schema.append(dynamodb.KeySchema(AttributeName=spec.sort_key, KeyType="RANGE"))
    found: dict[str, object] = {
        "TableName": name,
        "AttributeDefinitions": attributes,
        "KeySchema": schema,
    }
    if spec.billing == "on-demand":
        found["BillingMode"] = "PAY_PER_REQUEST"
    else:
        found["BillingMode"] = "PROVISIONED"
        found["ProvisionedThroughput"] = dynamodb.ProvisionedThroughput(
            ReadCapacityUnits=spec.read_capacity, WriteCapacityUnits=spec.write_capacity
        )
    return found


def _changes(spec: TableSpec) -> dict[str, object]:
    """Expiry and the stream of changes, when the config asks for them."""
    found: dict[str, object] = {}
    if spec.ttl_attribute is not None:
        found["TimeToLiveSpecification"] = dynamodb.TimeToLiveSpecification(
            AttributeName=spec.ttl_attribute, Enabled=True
        )
    if spec.stream is not None:
        found["StreamSpecification"] = dynamodb.StreamSpecification(StreamViewType=spec.stream)
    return found


def _recovery() -> dynamodb.PointInTimeRecoverySpecification:
    return dynamodb.PointInTimeRecoverySpecification(PointInTimeRecoveryEnabled=True)


def _grant_items(role: Role, sid: str, access: Access, arn: AWSHelperFn) -> None:
    actions = {"read": READ, "write": WRITE, "read-write": READ + WRITE}[access]
    unique = sorted({a.JSONrepr(): a for a in actions}.items())
    role.allow(sid, [a for _, a in unique], [arn])


def _key_actions(access: Access) -> Sequence[Action]:
    return KEY_READ if access == "read" else KEY_WRITE
