"""Encrypted log groups with an explicit retention and an explicit fate on removal.

Every log group names what happens when its stack deletes or replaces it: `Delete` where
the lines are copied elsewhere (the central archive), `Retain` for audit trails.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html
"""

from __future__ import annotations

from typing import Literal

from awacs import logs as logs_actions
from troposphere import GetAtt, Ref, Template, logs

from generator.blocks.keys import Key
from generator.blocks.roles import Role

Fate = Literal["Delete", "Retain"]


class LogGroup:
    """A named log group encrypted with a key of this stack."""

    def __init__(
        self,
        template: Template,
        title: str,
        *,
        name: str,
        retention_days: int,
        key: Key,
        fate: Fate,
    ) -> None:
        self.title = title
        self.name = name
        self.resource = template.add_resource(
            logs.LogGroup(
                title,
                LogGroupName=name,
                RetentionInDays=retention_days,
                KmsKeyId=key.arn,
                DeletionPolicy=fate,
                UpdateReplacePolicy=fate,
            )
        )

    @property
    def arn(self) -> GetAtt:
        """`arn:...:log-group:<name>:*`, which covers the group's streams."""
        return GetAtt(self.resource, "Arn")

    @property
    def ref(self) -> Ref:
        return Ref(self.resource)

    def grant_write(self, role: Role, sid: str) -> None:
        """Create streams in and put events to this group."""
        role.allow(sid, [logs_actions.CreateLogStream, logs_actions.PutLogEvents], [self.arn])
