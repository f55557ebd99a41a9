"""AWS's public Powertools for AWS Lambda (Python) layer, resolved in each region.

The functions import Powertools from AWS's layer rather than bundling it, so the zips
hold only the application's own code. The layer's ARN differs by region and
architecture, and AWS publishes it as a public SSM parameter per release, so the
template names the release and CloudFormation resolves the ARN in whichever region the
stack runs: no region, account or layer-version literal in the template.
https://docs.powertools.aws.dev/lambda/python/latest/#lambda-layer
"""

from __future__ import annotations

from awacs import awslambda, ssm
from awacs.aws import Statement
from troposphere import Sub

from generator.blocks import policies as iam

# AWS's account that publishes the layer, and the public parameter path of its ARNs.
PUBLISHER_ACCOUNT = "017000801446"
PARAMETER_PATH = "/aws/service/powertools/python"
# Matches the aws-lambda-powertools pin in requirements.txt, which the tests run against.
POWERTOOLS_VERSION = "3.37.0"
RUNTIME_SSM_NAME = "python3.11"


def powertools_layer(architecture: str) -> str:
    """A dynamic reference to the layer ARN for this release, runtime and architecture."""
    return (
        f"{{{{resolve:ssm:{PARAMETER_PATH}/{architecture}/"
        f"{RUNTIME_SSM_NAME}/{POWERTOOLS_VERSION}}}}}"
    )


def powertools_layer_access() -> list[Statement]:
    """What a deploying role needs to use the layer: read the public parameter that names
    it, and read the layer version in AWS's publishing account."""
    return [
        iam.allow(
            "ResolvePowertoolsLayerParameter",
            [ssm.GetParameters, ssm.GetParameter],
            [Sub(f"arn:${{AWS::Partition}}:ssm:*::parameter{PARAMETER_PATH}/*")],
        ),
        iam.allow(
            "UsePowertoolsLayer",
            [awslambda.GetLayerVersion],
            [
                Sub(
                    f"arn:${{AWS::Partition}}:lambda:*:{PUBLISHER_ACCOUNT}:layer:"
                    "AWSLambdaPowertoolsPythonV3-*"
                )
            ],
        ),
    ]
