"""Customer-managed KMS keys whose policies are written by the grants made on them.

A key starts with one statement: the account administers it (IAM decides who). Every use
is granted by a consumer asking for it, and the grant writes both sides:
- a role of this stack: the role's policy names the key, and the key policy lets the
  account's IAM policies use it through the one service named (`kms:ViaService`), so no
  key policy has to name a role (which would tie the key's creation to the role's);
- an AWS service, or principals in other accounts: the key policy names them, with the
  conditions that confine them.
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
"""

from __future__ import annotations

from collections.abc import Sequence

from awacs import kms as kms_actions
from awacs.aws import (
    Action,
    Allow,
    ArnEquals,
    ArnLike,
    Condition,
    ConditionElement,
    Principal,
    Statement,
    StringEquals,
)
from troposphere import AWSHelperFn, GetAtt, Ref, Sub, Tags, Template, kms

from generator.blocks import checkov, policies
from generator.blocks.principals import Readers
from generator.blocks.roles import Role

# Key administration, listed rather than `kms:*`, for the account root: IAM policies in
# the account then decide who administers. Resource "*" in a key policy means this key.
ADMIN_ACTIONS = [
    kms_actions.CancelKeyDeletion,
    kms_actions.CreateAlias,
    kms_actions.DeleteAlias,
    kms_actions.DescribeKey,
    kms_actions.DisableKey,
    kms_actions.DisableKeyRotation,
    kms_actions.EnableKey,
    kms_actions.EnableKeyRotation,
    kms_actions.GetKeyPolicy,
    kms_actions.GetKeyRotationStatus,
    kms_actions.ListResourceTags,
    kms_actions.PutKeyPolicy,
    kms_actions.ScheduleKeyDeletion,
    kms_actions.TagResource,
    kms_actions.UntagResource,
    kms_actions.UpdateAlias,
    kms_actions.UpdateKeyDescription,
]
ENCRYPT = [kms_actions.Encrypt, kms_actions.GenerateDataKey, kms_actions.DescribeKey]
DECRYPT = [kms_actions.Decrypt, kms_actions.DescribeKey]
# What CloudWatch Logs needs to encrypt and read a log group.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
LOGS = [
    kms_actions.Encrypt,
    kms_actions.Decrypt,
    kms_actions.ReEncryptFrom,
    kms_actions.ReEncryptTo,
    kms_actions.GenerateDataKey,
    kms_actions.DescribeKey,
]
# The same, exactly as that page's key policy statements write it today (the 2023 page had
# kms:Encrypt* and kms:Decrypt* as well): with the families, an operation of them that
# CloudWatch Logs calls (GenerateDataKeyWithoutPlaintext, say) is covered. A statement that
# uses it needs its Sid in checks.iam_audit.DOCUMENTED_WILDCARDS.
LOGS_DOCUMENTED = [
    kms_actions.Encrypt,
    kms_actions.Decrypt,
    kms_actions.Action("ReEncrypt*"),
    kms_actions.Action("GenerateDataKey*"),
    kms_actions.Action("Describe*"),
]


def via(service: str) -> str:
    """The `kms:ViaService` value of a service in this stack's region."""
    return f"{service}.${{AWS::Region}}.amazonaws.com"


def _names(actions: Sequence[Action]) -> list[str]:
    return sorted({a.JSONrepr() for a in actions})


class Key:
    """A symmetric key with yearly rotation and an alias; retained when removed."""

    def __init__(
        self,
        template: Template,
        title: str,
        *,
        description: str,
        alias: str,
        keep_alias: bool = False,
    ) -> None:
        """`keep_alias`: the alias is retained with the key, for a key that others find by
        its alias: a stack created again then fails on the taken alias rather than point
        it at a new key."""
        self.title = title
        self.statements: list[Statement] = [
            _statement(
                "AccountAdministersKey", Principal("AWS", policies.account_root()), ADMIN_ACTIONS
            )
        ]
        # Account-wide use through one service: service -> IAM action names, and the
        # further StringEquals conditions that confine that use (see `confine`).
        self._delegated: dict[str, set[str]] = {}
        self._confined: dict[str, dict[str, object]] = {}
        # The ARNs of the log groups this key encrypts, for `allow_logs(own_groups=True)`.
        self.log_groups: list[AWSHelperFn] = []
        self._tags: dict[str, str] = {}
        self.resource = template.add_resource(
            kms.Key(
                title,
                Description=description,
                EnableKeyRotation=True,
                PendingWindowInDays=30,
                KeyPolicy=policies.Document(
                    Version=policies.POLICY_VERSION, Statement=self.statements
                ),
                DeletionPolicy="Retain",
                UpdateReplacePolicy="Retain",
            )
        )
        kept = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"} if keep_alias else {}
        template.add_resource(
            kms.Alias(
                f"{title}Alias",
                AliasName=f"alias/{alias}",
                TargetKeyId=Ref(self.resource),
                **kept,
            )
        )

    @property
    def arn(self) -> GetAtt:
        return GetAtt(self.resource, "Arn")

    def tag(self, name: str, value: str) -> None:
        """A tag a service looks for on the key (e.g. to be let use it)."""
        self._tags[name] = value
        self.resource.Tags = Tags(**dict(sorted(self._tags.items())))

    def grant(
        self,
        role: Role,
        sid: str,
        actions: Sequence[Action],
        *,
        service: str,
        equals: dict[str, object] | None = None,
    ) -> None:
        """Let a role of this stack use the key through `service` (e.g. "s3", "logs"),
        with `equals` (an encryption context, say) as further StringEquals conditions."""
        condition = StringEquals({"kms:ViaService": Sub(via(service)), **(equals or {})})
        role.allow(sid, actions, [self.arn], condition)
        self.delegate(service, actions)

    def delegate(self, service: str, actions: Sequence[Action]) -> None:
        """Let this account's IAM policies grant `actions` through `service`; the identity
        side lives with whoever needs it (a role of another stack of this account)."""
        self._delegated.setdefault(service, set()).update(_names(actions))
        self._rewrite_delegations()

    def confine(self, service: str, equals: dict[str, object]) -> None:
        """Confine the account's use through `service` further, to `equals` (StringEquals):
        a key that serves one bucket is usable through S3 for that bucket only, whatever
        IAM policy in the account names the key."""
        self._confined.setdefault(service, {}).update(equals)
        self._rewrite_delegations()

    def allow_service(
        self, sid: str, service: str | Sub, actions: Sequence[Action], *conditions: ConditionElement
    ) -> None:
        """Let an AWS service principal use the key, confined by `conditions`."""
        self._add(_statement(sid, Principal("Service", service), actions, *conditions))

    def allow_account(
        self, sid: str, actions: Sequence[Action], *conditions: ConditionElement
    ) -> None:
        """Let this account's IAM policies use the key under `conditions` (e.g. a grant
        that a service uses on the caller's behalf)."""
        self._add(_statement(sid, Principal("AWS", policies.account_root()), actions, *conditions))

    def allow_readers(
        self, sid: str, readers: Readers, actions: Sequence[Action], equals: dict[str, object]
    ) -> None:
        """Let principals of other accounts (or the organization's OUs) use the key, with
        `equals` (e.g. `kms:ViaService`) as StringEquals conditions."""
        condition = StringEquals({**equals, **readers.org_equals})
        self._add(_statement(sid, readers.principal, actions, condition, *readers.conditions))
        if readers.org_equals:
            checkov.add(self.resource, checkov.ORGANIZATION_PRINCIPAL)

    def allow_logs(
        self,
        sid: str,
        actions: Sequence[Action] = tuple(LOGS),
        *,
        own_groups: bool = False,
    ) -> None:
        """CloudWatch Logs in this region may use the key for this account's log groups,
        or (`own_groups`) for the groups named with `encrypts_log_group` only: CloudWatch
        Logs sends the group's ARN as the encryption context, and the page shows both the
        account-wide ArnLike and the per-group ArnEquals form.
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
        """
        context = "kms:EncryptionContext:aws:logs:arn"
        scope = (
            ArnEquals({context: self.log_groups})
            if own_groups
            else ArnLike(
                {
                    context: Sub(
                        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
                    )
                }
            )
        )
        self.allow_service(sid, Sub("logs.${AWS::Region}.amazonaws.com"), actions, scope)

    def encrypts_log_group(self, name: str) -> None:
        """Name a log group of this account and region that the key encrypts (the ARN
        CloudWatch Logs sends as context: the group's, without `:*`)."""
        arn = Sub(
            f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{name}"
        )
        if arn not in self.log_groups:
            self.log_groups.append(arn)

    def _add(self, statement: Statement) -> None:
        if any(s.Sid == statement.Sid for s in self.statements):
            raise ValueError(f"key {self.title}: statement {statement.Sid} written twice")
        self.statements.append(statement)

    def _rewrite_delegations(self) -> None:
        self.statements[:] = [
            s for s in self.statements if not str(s.Sid).startswith("AccountUsesKeyThrough")
        ]
        for service, names in sorted(self._delegated.items()):
            self.statements.append(
                _statement(
                    f"AccountUsesKeyThrough{service.title()}",
                    Principal("AWS", policies.account_root()),
                    [Action(*n.split(":", 1)) for n in sorted(names)],
                    StringEquals(
                        {
                            "kms:ViaService": Sub(via(service)),
                            "kms:CallerAccount": Ref("AWS::AccountId"),
                            **self._confined.get(service, {}),
                        }
                    ),
                )
            )


def _statement(
    sid: str, principal: Principal, actions: Sequence[Action], *conditions: ConditionElement
) -> Statement:
    statement = Statement(
        Sid=sid, Effect=Allow, Principal=principal, Action=list(actions), Resource=["*"]
    )
    if conditions:
        statement.Condition = Condition(list(conditions))
    return statement
