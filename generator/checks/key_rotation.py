"""Every customer-managed KMS key rotates its key material.

https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
"""

from __future__ import annotations

from generator.checks import Finding, Template, resources

ID = "key-rotation"


def check(template: Template) -> list[Finding]:
    return [
        Finding(ID, logical_id, "EnableKeyRotation is not true")
        for logical_id, key in resources(template, "AWS::KMS::Key").items()
        if key.get("Properties", {}).get("EnableKeyRotation") is not True
    ]
