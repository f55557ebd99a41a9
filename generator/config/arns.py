"""Resource ARNs of permission grants, as the function stacks emit them.

A resource that holds `${...}` is emitted in Fn::Sub (so only the pseudo parameters
below resolve in it); any other is a plain string (`needs_sub`).
"""

from __future__ import annotations

import re

# An ARN: arn:partition:service:region:account-id:resource, the resource part free-form.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
ARNS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html"
EXAMPLE = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders"
# In Fn::Sub, `${AWS::...}` pseudo parameters resolve; any other name would need a template
# parameter or resource of that name; `${!text}` writes a literal `${text}` (an IAM policy
# variable, e.g. ${!aws:username}). Each maps to a stand-in for checking the ARN's shape.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-sub.html
SUB_VARIABLES = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "0" * 12,
    "AWS::URLSuffix": "amazonaws.com",
}
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SERVICE = re.compile(r"^[a-z0-9-]+$")
_REGION = re.compile(r"^[a-z0-9*?-]*$")
# None (S3, IAM's AWS-managed `aws`), a 12-digit account id, or a pattern with wildcards.
_ACCOUNT = re.compile(r"^(|aws|\d{12}|[0-9*?]*[*?][0-9*?]*)$")


def needs_sub(resource: str) -> bool:
    """Whether the template must wrap `resource` in Fn::Sub: only when it holds `${`."""
    return "${" in resource


def check_resource(resource: str) -> str:
    """`resource` itself when it is `*` or an ARN the stacks can use, else ValueError."""
    if resource == "*":
        return resource
    for name in _VARIABLE.findall(resource):
        if not name.startswith("!") and name not in SUB_VARIABLES:
            raise ValueError(
                f"{resource!r}: ${{{name}}} is not filled in; use "
                f"{', '.join('${' + v + '}' for v in SUB_VARIABLES)}, and write an IAM "
                "policy variable as ${!aws:username}"
            )
    plain = _VARIABLE.sub(lambda m: SUB_VARIABLES.get(m.group(1), m.group(1)), resource)
    if "${" in plain:
        raise ValueError(f"{resource!r}: '${{' without a closing '}}'")
    parts = plain.split(":", 5)
    shape = (
        len(parts) == 6
        and parts[0] == "arn"
        and _SERVICE.match(parts[2]) is not None
        and _REGION.match(parts[3]) is not None
        and _ACCOUNT.match(parts[4]) is not None
        and parts[5] != ""
    )
    if not shape:
        raise ValueError(
            f"{resource!r} is not an ARN (arn:<partition>:<service>:<region>:<account>:"
            f"<resource>, {ARNS}), e.g. {EXAMPLE!r}, or '*'"
        )
    if parts[1] != "aws":
        raise ValueError(
            f"{resource!r}: partition {parts[1]!r} can never match here; the stacks run in "
            "the 'aws' partition: write 'aws' or ${AWS::Partition}"
        )
    return resource
