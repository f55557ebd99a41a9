"""SQS queues that grant: `queue.grant_send(role)` writes the role's statement on this one
queue and the role's use of the queue's key through SQS.

Every queue is encrypted with a customer managed key and has a dead-letter queue (a
redrive policy moves a message there after `max_receive_count` receives; the dead-letter
queue admits this queue alone), and an alarm on the dead-letter queue's depth.
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from awacs import kms as kms_actions
from awacs import sqs as sqs_actions
from awacs.aws import Action
from troposphere import GetAtt, Ref, Sub, Template, sqs
from troposphere import cloudwatch as cw

from generator.blocks.keys import Key
from generator.blocks.roles import Role

Access = Literal["send", "consume"]
ACCESS: tuple[Access, ...] = ("send", "consume")
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
# A consumer function's queue hides a received message for six times the function's
# timeout (plus the batching window), so a throttled batch can be retried before another
# poller sees its messages: "set the source queue's visibility timeout to at least six
# times the timeout that you configure on your function".
# https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-queueconfig
VISIBILITY_PER_FUNCTION_TIMEOUT = 6
DEFAULT_VISIBILITY_SECONDS = 30

# A producer: SendMessage, and the key, since SQS encrypts with a data key it generates
# and decrypts on the producer's behalf.
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#send-to-encrypted-queue
SEND = [sqs_actions.SendMessage]
KEY_SEND = [kms_actions.Decrypt, kms_actions.GenerateDataKey]
# A consumer that receives and deletes messages itself, and extends their visibility.
CONSUME = [
    sqs_actions.ChangeMessageVisibility,
    sqs_actions.DeleteMessage,
    sqs_actions.GetQueueAttributes,
    sqs_actions.ReceiveMessage,
]
KEY_CONSUME = [kms_actions.Decrypt]
# What Lambda's event source mapping does with the function's execution role: "Lambda
# needs the following permissions ... sqs:ReceiveMessage, sqs:DeleteMessage,
# sqs:GetQueueAttributes", and kms:Decrypt for an encrypted queue.
# https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-permissions
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-lambda-function-trigger.html
TRIGGER = [sqs_actions.DeleteMessage, sqs_actions.GetQueueAttributes, sqs_actions.ReceiveMessage]
KEY_TRIGGER = [kms_actions.Decrypt]


class Queue:
    """A queue of this stack and its dead-letter queue, both encrypted with `key`."""

    def __init__(
        self,
        template: Template,
        title: str,
        *,
        name: str,
        key: Key,
        max_receive_count: int,
        retention_days: int,
        visibility_seconds: int = DEFAULT_VISIBILITY_SECONDS,
        redrive: bool = True,
    ) -> None:
        """`redrive=False`: a queue that is itself a dead-letter queue (of schedules, say),
        without one of its own; its alarm watches its own depth."""
        self.title = title
        self.name = name
        self.key = key
        self.template = template
        # The dead-letter queue admits this queue only. Its ARN is written from the name
        # rather than referenced: the queue's redrive policy already references the
        # dead-letter queue, and a reference back would be a cycle.
        source = Sub(f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{name}")
        if not redrive:
            self.dead_letters = self.resource = template.add_resource(
                sqs.Queue(
                    title,
                    QueueName=name,
                    KmsMasterKeyId=key.arn,
                    MessageRetentionPeriod=DEAD_LETTER_RETENTION_SECONDS,
                    DeletionPolicy="Delete",
                    UpdateReplacePolicy="Delete",
                )
            )
            return
        self.dead_letters = template.add_resource(
            sqs.Queue(
                f"{title}DeadLetters",
                QueueName=f"{name}-dead-letters",
                KmsMasterKeyId=key.arn,
                MessageRetentionPeriod=DEAD_LETTER_RETENTION_SECONDS,
                RedriveAllowPolicy={"redrivePermission": "byQueue", "sourceQueueArns": [source]},
                DeletionPolicy="Delete",
                UpdateReplacePolicy="Delete",
            )
        )
        self.resource = template.add_resource(
            sqs.Queue(
                title,
                QueueName=name,
                KmsMasterKeyId=key.arn,
                MessageRetentionPeriod=retention_days * 24 * 3600,
                VisibilityTimeout=visibility_seconds,
                RedrivePolicy=sqs.RedrivePolicy(
                    deadLetterTargetArn=GetAtt(self.dead_letters, "Arn"),
                    maxReceiveCount=max_receive_count,
                ),
                DeletionPolicy="Delete",
                UpdateReplacePolicy="Delete",
            )
        )

    @property
    def arn(self) -> GetAtt:
        return GetAtt(self.resource, "Arn")

    @property
    def url(self) -> Ref:
        return Ref(self.resource)

    @property
    def name_ref(self) -> GetAtt:
        return GetAtt(self.resource, "QueueName")

    def dead_letter_alarm(
        self, title: str, *, alarm_name: str, period: int, evaluation_periods: int
    ) -> cw.Alarm:
        """Any message in the dead-letter queue: a message the consumer failed
        `max_receive_count` times (or, without a redrive, any message in this queue).
        SQS's metrics of a queue.
        https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
        """
        return self.template.add_resource(
            cw.Alarm(
                title,
                AlarmName=alarm_name,
                AlarmDescription=f"{self.name}: a message reached the dead-letter queue. "
                "Part of the region's health, not of a release's.",
                Namespace="AWS/SQS",
                MetricName="ApproximateNumberOfMessagesVisible",
                Dimensions=[
                    cw.MetricDimension(
                        Name="QueueName", Value=GetAtt(self.dead_letters, "QueueName")
                    )
                ],
                Statistic="Maximum",
                Period=period,
                EvaluationPeriods=evaluation_periods,
                Threshold=1,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
                TreatMissingData="notBreaching",
            )
        )

    def _grant(
        self, role: Role, sid: str, actions: Sequence[Action], key_actions: Sequence[Action]
    ) -> None:
        role.allow(sid, actions, [self.arn])
        # SQS encrypts each queue's messages with the queue's ARN as encryption context,
        # so the role's use of the key is confined to this queue.
        # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
        self.key.grant(
            role, f"{sid}Key", key_actions, service="sqs",
            equals={"kms:EncryptionContext:aws:sqs:arn": self.arn},
        )  # fmt: skip

    def grant_send(self, role: Role, sid: str) -> None:
        self._grant(role, sid, SEND, KEY_SEND)

    def grant_consume(self, role: Role, sid: str) -> None:
        self._grant(role, sid, CONSUME, KEY_CONSUME)

    def grant_trigger(self, role: Role, sid: str) -> None:
        """What Lambda's poller does with the consumer function's role."""
        self._grant(role, sid, TRIGGER, KEY_TRIGGER)
