"""Where troposphere 4.11.1 lags CloudFormation, the fix, and why; cfn-lint's schemas
(which track AWS's) check what these classes let through."""

from __future__ import annotations

from typing import Any, ClassVar

import troposphere
from troposphere import awslambda, firehose


class FirehoseProcessor(firehose.Processor):  # type: ignore[misc]
    """troposphere's validator predates the Decompression and CloudWatchLogProcessing
    processor types, which AWS::KinesisFirehose::DeliveryStream accepts.
    https://docs.aws.amazon.com/firehose/latest/APIReference/API_Processor.html
    """

    props: ClassVar[dict[str, Any]] = {**firehose.Processor.props, "Type": (str, True)}


def count_resources_past_the_limit() -> None:
    """troposphere stops at the 500th resource with a bare ValueError; `generator.limits`
    counts them all after the build and names the template, the limit and the count."""
    troposphere.MAX_RESOURCES = 100_000
    troposphere.MAX_PARAMETERS = 100_000
    troposphere.MAX_OUTPUTS = 100_000
    troposphere.MAX_MAPPINGS = 100_000


class EventSourceScaling(troposphere.AWSProperty):  # type: ignore[misc]
    """The `ScalingConfig` of an AWS::Lambda::EventSourceMapping. troposphere's
    `awslambda.ScalingConfig` is the function's (`MaxEnvironments`), a later class of the
    same name having replaced the event source mapping's, so the mapping's
    `MaximumConcurrency` is refused.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-eventsourcemapping-scalingconfig.html
    """

    props: ClassVar[dict[str, Any]] = {"MaximumConcurrency": (int, False)}


class EventSourceMapping(awslambda.EventSourceMapping):  # type: ignore[misc]
    """AWS::Lambda::EventSourceMapping whose `ScalingConfig` is the mapping's."""

    props: ClassVar[dict[str, Any]] = {
        **awslambda.EventSourceMapping.props,
        "ScalingConfig": (EventSourceScaling, False),
    }
