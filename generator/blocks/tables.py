"""DynamoDB tables that grant: `table.grant(role, "read")` writes the role's statement on
this one table and the role's use of the table's key through DynamoDB, so no policy names
a table by hand and no key policy names a role.

Every table has point-in-time recovery, server-side encryption with a customer managed
key, deletion protection (on unless the config turns it off) and is retained when its
resource leaves the template: a table holds data no release can bring back.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Point-in-time-recovery.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithTables.Basics.html#WorkingWithTables.Basics.DeletionProtection
"""

from __future__ import annotations

from typing import Literal

from awacs import dynamodb as ddb
from awacs import kms as kms_actions
from troposphere import GetAtt, Ref, Template, dynamodb

from generator.blocks.keys import Key
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

_TYPES = {"S": "S", "N": "N", "B": "B"}


class Table:
    """One regional table of this stack, encrypted with `key`."""

    def __init__(
        self, template: Template, title: str, *, name: str, spec: TableSpec, key: Key
    ) -> None:
        self.title = title
        self.name = name
        self.key = key
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
        properties: dict[str, object] = {
            "TableName": name,
            "AttributeDefinitions": attributes,
            "KeySchema": schema,
            "PointInTimeRecoverySpecification": dynamodb.PointInTimeRecoverySpecification(
                PointInTimeRecoveryEnabled=True
            ),
            "SSESpecification": dynamodb.SSESpecification(
                SSEEnabled=True, SSEType="KMS", KMSMasterKeyId=key.arn
            ),
            "DeletionProtectionEnabled": spec.deletion_protection,
        }
        if spec.billing == "on-demand":
            properties["BillingMode"] = "PAY_PER_REQUEST"
        else:
            properties["BillingMode"] = "PROVISIONED"
            properties["ProvisionedThroughput"] = dynamodb.ProvisionedThroughput(
                ReadCapacityUnits=spec.read_capacity, WriteCapacityUnits=spec.write_capacity
            )
        if spec.ttl_attribute is not None:
            properties["TimeToLiveSpecification"] = dynamodb.TimeToLiveSpecification(
                AttributeName=spec.ttl_attribute, Enabled=True
            )
        if spec.stream is not None:
            properties["StreamSpecification"] = dynamodb.StreamSpecification(
                StreamViewType=spec.stream
            )
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
        actions = {"read": READ, "write": WRITE, "read-write": READ + WRITE}[access]
        unique = sorted({a.JSONrepr(): a for a in actions}.items())
        role.allow(sid, [a for _, a in unique], [self.arn])
        key_actions = KEY_READ if access == "read" else KEY_WRITE
        self.key.grant(
            role, f"{sid}Key", key_actions, service="dynamodb",
            equals={TABLE_NAME_CONTEXT: self.name},
        )  # fmt: skip
