"""IAM roles whose policy is written by the blocks that grant them access.

A role starts with its trust and the statements it is created with; keys, buckets and log
groups add to it when they grant it something (`bucket.grant_read(role)`). Nothing is
rendered until the template is, so grants can be made in any order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from awacs.aws import Action, ConditionElement, PolicyDocument, Statement
from troposphere import GetAtt, Ref, Template, iam

from generator.blocks import policies
from generator.blocks.policies import Resource

INLINE_POLICY = "least-privilege"


class Role:
    """A role with one inline policy that collects every grant made to it."""

    def __init__(
        self,
        template: Template,
        title: str,
        *,
        trust: PolicyDocument,
        description: str,
        statements: Iterable[Statement] = (),
        name: str | None = None,
        inline: bool = True,
    ) -> None:
        self.title = title
        self.statements: list[Statement] = list(statements)
        properties: dict[str, object] = {
            "Description": description,
            "AssumeRolePolicyDocument": trust,
        }
        if name is not None:
            properties["RoleName"] = name
        if inline:
            properties["Policies"] = [
                iam.Policy(
                    PolicyName=INLINE_POLICY,
                    PolicyDocument=policies.Document(
                        Version=policies.POLICY_VERSION, Statement=self.statements
                    ),
                )
            ]
        self.inline = inline
        self.resource = template.add_resource(iam.Role(title, **properties))

    @property
    def arn(self) -> GetAtt:
        return GetAtt(self.resource, "Arn")

    @property
    def ref(self) -> Ref:
        return Ref(self.resource)

    def add(self, *statements: Statement) -> None:
        if not self.inline:
            raise ValueError(f"role {self.title} takes managed policies, not inline grants")
        known = {s.Sid for s in self.statements if hasattr(s, "Sid")}
        for statement in statements:
            if getattr(statement, "Sid", None) in known:
                raise ValueError(f"role {self.title}: statement {statement.Sid} granted twice")
            self.statements.append(statement)

    def allow(
        self,
        sid: str,
        actions: Sequence[Action],
        resources: Sequence[Resource],
        *conditions: ConditionElement,
    ) -> None:
        self.add(policies.allow(sid, actions, resources, *conditions))


def for_service(
    template: Template,
    title: str,
    service: str,
    *,
    description: str,
    statements: Iterable[Statement] = (),
    conditions: Sequence[ConditionElement] = (),
    name: str | None = None,
) -> Role:
    """A role that one AWS service assumes on this account's behalf (aws:SourceAccount)."""
    trust = policies.service_trust(service, *(conditions or [policies.source_account()]))
    return Role(
        template, title, trust=trust, description=description, statements=statements, name=name
    )
