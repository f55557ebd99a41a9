"""Where troposphere 4.11.1 lags CloudFormation, the fix, and why; cfn-lint's schemas
(which track AWS's) check what these classes let through."""

from __future__ import annotations

from typing import ClassVar

from troposphere import firehose


class FirehoseProcessor(firehose.Processor):
    """troposphere's validator predates the Decompression and CloudWatchLogProcessing
    processor types, which AWS::KinesisFirehose::DeliveryStream accepts.
    https://docs.aws.amazon.com/firehose/latest/APIReference/API_Processor.html
    """

    props: ClassVar[dict] = {**firehose.Processor.props, "Type": (str, True)}
