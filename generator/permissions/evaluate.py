"""An offline evaluator of AWS IAM policies: one request against the principal's identity
policies and at most one resource policy (bucket, key, role trust, destination, bus, topic).

It decides Allow, ExplicitDeny or ImplicitDeny as AWS documents the rules, and says why.
No maintained Python library does this correctly offline (see the project's research notes),
so the project keeps its own, tested against AWS's documented examples
(tests/permissions/test_evaluate.py). Pages relied on, under
https://docs.aws.amazon.com/IAM/latest/UserGuide/:

- EVAL   reference_policies_evaluation-logic.html (deny wins; allow needed; same-account)
- XACCT  reference_policies_evaluation-logic-cross-account.html (both sides must allow)
- COND   reference_policies_elements_condition_operators.html (operators, missing keys)
- MULTI  reference_policies_condition-single-vs-multi-valued-context-keys.html
- KMS    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
- TRUST  id_roles_manage_delegate.html / reference_policies_elements_principal.html (a role's
         trust policy must allow sts:AssumeRole, as a key policy must allow KMS calls)

Out of scope, and so never silently assumed: SCPs, RCPs, permission boundaries, session
policies, VPC endpoint policies, KMS grants, S3 ACLs and Block Public Access, policy
variables. Anything it cannot read (an unknown operator, an unresolved CloudFormation
intrinsic, a policy variable) raises, so a check can never pass by accident.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final, Literal

Result = Literal["Allow", "ExplicitDeny", "ImplicitDeny"]
ALLOW: Final = "Allow"
EXPLICIT_DENY: Final = "ExplicitDeny"
IMPLICIT_DENY: Final = "ImplicitDeny"

PolicyDocument = Mapping[str, Any]
Statement = Mapping[str, Any]
ContextValue = str | bool | int | float | Sequence[str] | None
Match = Literal["direct", "account"]


@dataclass(frozen=True)
class Request:
    """One API call: who (a role ARN, or a service principal such as `logs.amazonaws.com`),
    which action on which resource ARN, with which request context keys.

    `resource_account` names the owner when the ARN has no account field (S3)."""

    principal: str
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    resource_account: str | None = None


@dataclass(frozen=True)
class Decision:
    result: Result
    reason: str

    @property
    def allowed(self) -> bool:
        return self.result == ALLOW


# ---------------------------------------------------------------- reading policies
def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    """A policy or context scalar as IAM compares it: JSON booleans are "true"/"false"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        text = str(value)
        if "${" in text:
            raise NotImplementedError(f"policy variables are not evaluated: {text!r}")
        return text
    raise ValueError(f"unresolved or unsupported policy value: {value!r}")  # e.g. {"Fn::Sub"}


def document(policy: Any) -> dict[str, Any]:
    """A policy as a dict, from a dict, a JSON string or an awacs/troposphere object."""
    if hasattr(policy, "to_json"):
        policy = policy.to_json()
    if isinstance(policy, str):
        policy = json.loads(policy)
    if not isinstance(policy, dict) or "Statement" not in policy:
        raise ValueError(f"not a policy document: {policy!r}")
    return policy


@lru_cache(maxsize=8192)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@lru_cache(maxsize=8192)
def _any_glob(patterns: tuple[str, ...], ignore_case: bool) -> re.Pattern[str] | None:
    """One expression that fully matches what any of `patterns` fully matches (a full
    match of alternatives is a full match of one of them); None when one of them holds a
    policy variable, which `_text` refuses when it is reached, or is not a string, which
    `_text` reads or refuses: the caller goes through them one by one."""
    if not patterns or not all(type(p) is str and "${" not in p for p in patterns):
        return None
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("|".join(f"(?:{_glob(p, ignore_case).pattern})" for p in patterns), flags)


def matches_any(patterns: list[Any], value: str, ignore_case: bool = False) -> bool:
    """Whether `value` is like any of `patterns`, taken in order (the first that cannot be
    read raises, unless one before it matched): an element's Action or Resource list."""
    try:
        combined = _any_glob(tuple(patterns), ignore_case)
    except TypeError:  # an item that cannot be hashed, e.g. an unresolved {"Fn::Sub"}
        combined = None
    if combined is not None:
        return combined.fullmatch(value) is not None
    return any(like(_text(p), value, ignore_case) for p in patterns)


def like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcard match: `*` any run of characters (including `/` and `:`), `?` one.
    Actions compare case-insensitively, resources and string conditions case-sensitively
    (EVAL, "Action" and "Resource" elements; COND, StringLike)."""
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def arn_like(pattern: str, value: str) -> bool:
    """ArnLike/ArnEquals: each of the six colon-separated ARN parts matches on its own,
    wildcards allowed in each (COND, "Amazon Resource Name (ARN) condition operators")."""
    if pattern == "*":
        return True
    wanted, given = pattern.split(":", 5), value.split(":", 5)
    return (
        len(wanted) == 6
        and len(given) == 6
        and all(like(a, b) for a, b in zip(wanted, given, strict=True))
    )


def account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def is_service_principal(principal: str) -> bool:
    return not principal.startswith("arn:") and principal.endswith(".amazonaws.com")


# ---------------------------------------------------------------- conditions (COND, MULTI)
def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    return lambda wanted, given: compare(float(given), float(wanted))


_BASE: Final[dict[str, Callable[[str, str], bool]]] = {
    "StringEquals": lambda w, v: w == v,
    "StringEqualsIgnoreCase": lambda w, v: w.casefold() == v.casefold(),
    "StringLike": like,
    "ArnEquals": arn_like,
    "ArnLike": arn_like,
    "Bool": lambda w, v: w.lower() == v.lower(),
    "NumericEquals": _numeric(lambda v, w: v == w),
    "NumericLessThan": _numeric(lambda v, w: v < w),
    "NumericLessThanEquals": _numeric(lambda v, w: v <= w),
    "NumericGreaterThan": _numeric(lambda v, w: v > w),
    "NumericGreaterThanEquals": _numeric(lambda v, w: v >= w),
}
_NEGATED: Final = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}
_QUALIFIERS: Final = ("", "ForAnyValue", "ForAllValues")


def _lookup(context: Mapping[str, ContextValue], key: str) -> list[str] | None:
    """Context key names are case-insensitive; a missing key is None, an empty set []."""
    for name, value in context.items():
        if name.lower() == key.lower():
            return None if value is None else [_text(v) for v in _list(value)]
    return None


def _split_operator(operator: str) -> tuple[str, str, bool]:
    """`ForAnyValue:StringLikeIfExists` -> ("ForAnyValue", "StringLike", True)."""
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists") and name != "IfExists"
    name = name.removesuffix("IfExists") if if_exists else name
    known = name in _BASE or name in _NEGATED or (name == "Null" and not qualifier)
    if qualifier not in _QUALIFIERS or not known:
        raise NotImplementedError(f"condition operator {operator!r}")
    return qualifier, name, if_exists


def _operator_holds(
    operator: str, key: str, policy_values: list[Any], context: Mapping[str, ContextValue]
) -> bool:
    qualifier, name, if_exists = _split_operator(operator)
    wanted = [_text(v) for v in policy_values]
    values = _lookup(context, key)
    if name == "Null":  # "true": the key must be absent; "false": present (COND, Null)
        return any((w.lower() == "true") == (values is None) for w in wanted)
    negated = name in _NEGATED
    base = _BASE[_NEGATED.get(name, name)]

    def value_matches(value: str) -> bool:  # several policy values: OR; negated: NOR
        hit = any(base(w, value) for w in wanted)
        return not hit if negated else hit

    if values is None or (qualifier and not values):
        # COND: a missing key does not match, so a condition on it is false, except
        # ...IfExists and negated operators (true); MULTI: ForAllValues is true and
        # ForAnyValue false when the key is missing or its set empty.
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return if_exists or negated
    if qualifier == "ForAllValues" or negated:
        return all(value_matches(v) for v in values)
    return any(value_matches(v) for v in values)


def conditions_hold(condition: Mapping[str, Any], context: Mapping[str, ContextValue]) -> bool:
    """Operators AND together, keys AND together, values OR together (COND)."""
    return all(
        _operator_holds(operator, key, _list(values), context)
        for operator, block in condition.items()
        for key, values in block.items()
    )


# ---------------------------------------------------------------- statements
def _element_matches(statement: Statement, name: str, value: str, ignore_case: bool) -> bool:
    """Action/NotAction, Resource/NotResource (NOTA, NOTR); absent means any (trust)."""
    if name in statement:
        return matches_any(_list(statement[name]), value, ignore_case)
    if "Not" + name in statement:
        return not matches_any(_list(statement["Not" + name]), value, ignore_case)
    return True


def _principal_kind(element: Any, principal: str) -> Match | None:
    """'direct' when the element names the caller (or everyone), 'account' when it names
    only the caller's account (so the account must delegate with an identity policy)."""
    if element == "*":
        return "direct"
    if not isinstance(element, dict):
        raise ValueError(f"bad Principal {element!r}")
    if is_service_principal(principal):
        services = [_text(s) for s in _list(element.get("Service", []))]
        return "direct" if principal in services else None
    account = account_of(principal)
    partition = principal.split(":")[1] if principal.startswith("arn:") else "aws"
    found: Match | None = None
    for named in (_text(p) for p in _list(element.get("AWS", []))):
        if named in ("*", principal):
            return "direct"
        if named in (account, f"arn:{partition}:iam::{account}:root"):
            found = "account"
    return found


def _principal_match(statement: Statement, principal: str) -> Match | None:
    if "NotPrincipal" in statement:
        return None if _principal_kind(statement["NotPrincipal"], principal) else "direct"
    if "Principal" not in statement:
        raise ValueError(f"resource policy statement without Principal: {statement!r}")
    return _principal_kind(statement["Principal"], principal)


def _applying(
    policy: Any, effect: str, request: Request, resource_policy: bool
) -> Iterator[tuple[Statement, Match | None]]:
    """Statements of `effect` that apply to the request, with how they name the caller."""
    for statement in _list(document(policy)["Statement"]):
        if statement["Effect"] != effect:
            continue
        who = _principal_match(statement, request.principal) if resource_policy else None
        if resource_policy and who is None:
            continue
        if not _element_matches(statement, "Action", request.action, ignore_case=True):
            continue
        if not _element_matches(statement, "Resource", request.resource, ignore_case=False):
            continue
        if conditions_hold(statement.get("Condition", {}), request.context):
            yield statement, who


def _label(statement: Statement) -> str:
    return str(statement.get("Sid") or json.dumps(statement, sort_keys=True)[:160])


# ---------------------------------------------------------------- the decision
def requires_resource_policy(request: Request) -> bool:
    """Calls whose resource's own policy must allow, even inside one account: KMS keys
    (KMS, "the key policy ... must allow"; aliases have no policy of their own, IAM
    policies govern them: kms/latest/developerguide/alias-access.html), and
    sts:AssumeRole* on a role, whose trust policy must name the caller or its account
    (TRUST)."""
    parts = request.resource.split(":", 5) if request.resource.startswith("arn:") else []
    service = parts[2] if len(parts) == 6 else ""
    if service == "kms":
        return parts[5].startswith("key/")
    return (
        service == "iam"
        and ":role/" in request.resource
        and request.action.lower().startswith("sts:assumerole")
    )


def _owner(request: Request, resource_policy: Any | None, service: bool) -> str:
    owner = request.resource_account or account_of(request.resource)
    if owner:
        return owner
    if resource_policy is not None or service:
        raise ValueError(f"say which account owns {request.resource} (resource_account=)")
    return account_of(request.principal)


def _explicit_deny(
    request: Request, identity: Sequence[Any], resource_policy: Any | None
) -> Decision | None:
    for policy in identity:
        for statement, _ in _applying(policy, "Deny", request, False):
            return Decision(EXPLICIT_DENY, f"identity policy denies: {_label(statement)}")
    if resource_policy is not None:
        for statement, _ in _applying(resource_policy, "Deny", request, True):
            return Decision(EXPLICIT_DENY, f"resource policy denies: {_label(statement)}")
    return None


def evaluate(
    request: Request, identity_policies: Sequence[Any] = (), resource_policy: Any | None = None
) -> Decision:
    """Decide one request (EVAL, XACCT, KMS, TRUST):

    - an explicit Deny in any applying policy wins;
    - a service principal is allowed only by a resource policy naming it;
    - a key or role trust policy must allow: naming the caller is enough in one account,
      naming only the account (delegation) also needs an identity Allow;
    - in one account, an identity Allow or a resource policy naming the caller is enough;
    - across accounts the resource policy (naming the caller or its account) and an
      identity policy must both allow.
    """
    service = is_service_principal(request.principal)
    if service and identity_policies:
        raise ValueError("a service principal has no identity policies; model its role")
    owner = _owner(request, resource_policy, service)
    caller = "" if service else account_of(request.principal)
    denied = _explicit_deny(request, identity_policies, resource_policy)
    if denied:
        return denied
    grants = (
        {who for _, who in _applying(resource_policy, "Allow", request, True)}
        if resource_policy is not None
        else set()
    )
    if service:
        if grants:
            return Decision(ALLOW, "resource policy allows the service")
        return Decision(IMPLICIT_DENY, "no resource policy statement allows the service")
    identity = any(any(_applying(p, "Allow", request, False)) for p in identity_policies)
    return _combine(request, caller, owner, grants, identity)


def _combine(
    request: Request, caller: str, owner: str, grants: set[Match | None], identity: bool
) -> Decision:
    if requires_resource_policy(request):
        kind = "key" if ":kms:" in request.resource else "trust"
        if "direct" in grants and caller == owner:
            return Decision(ALLOW, f"{kind} policy names the principal")
        if not grants:
            return Decision(
                IMPLICIT_DENY, f"{kind} policy does not allow this principal or its account"
            )
    elif caller == owner and "direct" in grants:
        return Decision(ALLOW, "same account: resource policy names the principal")
    if caller != owner and not grants:
        return Decision(IMPLICIT_DENY, "cross-account: resource policy does not allow the caller")
    if identity:
        extra = " and the resource policy allows" if grants else ""
        return Decision(ALLOW, "identity policy allows" + extra)
    return Decision(IMPLICIT_DENY, "no identity policy allows")
