"""One name for the API in every region, as wired in the generated app.json: latency record
→ health check (on this region's API) and → regional domain → certificate, and domain →
API mapping → the API's stage."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from generator import config as config_module
from generator.build import generate
from generator.output.render import compact
from tests.conftest import REFERENCE, resources_of_type, write_project

ZONE = "Z0123456789EXAMPLE01"
ACCOUNT = "111122223333"
DOMAIN = {"name": "api.example.com", "hosted_zone_id": ZONE, "hosted_zone_account": ACCOUNT}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    raw = copy.deepcopy(REFERENCE)
    raw["domain"] = dict(DOMAIN)
    raw["targets"]["central_account"] = ACCOUNT  # the app runs in the pipeline's account
    path = write_project(tmp_path_factory.mktemp("domain"), raw)
    return generate(config_module.load(path)).data["app.json"]


def one(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    (found,) = resources_of_type(template, kind).items()
    return found


def test_record_health_check_domain_mapping_and_stage_are_wired(app):
    resources = app["Resources"]
    record_id, record = one(app, "AWS::Route53::RecordSet")
    props = record["Properties"]
    assert props["HostedZoneId"] == ZONE
    assert props["Name"] == "api.example.com."
    assert props["Type"] == "A"
    # Latency routing: one record per region, told apart by the region.
    assert props["Region"] == {"Ref": "AWS::Region"}
    assert props["SetIdentifier"] == {"Ref": "AWS::Region"}

    # record -> health check -> this region's API, on the health path
    check = resources[props["HealthCheckId"]["Ref"]]
    assert check["Type"] == "AWS::Route53::HealthCheck"
    config = check["Properties"]["HealthCheckConfig"]
    assert config["Type"] == "HTTPS" and config["Port"] == 443
    assert config["ResourcePath"] == "/health"
    assert config["FullyQualifiedDomainName"] == {
        "Fn::Sub": [
            "${ApiId}.execute-api.${AWS::Region}.${AWS::URLSuffix}",
            {"ApiId": {"Ref": "HttpApi"}},
        ]
    }
    assert "HttpApiStage" in check["DependsOn"]

    # record -> regional domain (alias), whose health the record does not inherit
    alias = props["AliasTarget"]
    domain_id, attribute = alias["DNSName"]["Fn::GetAtt"]
    assert attribute == "RegionalDomainName"
    assert alias["HostedZoneId"] == {"Fn::GetAtt": [domain_id, "RegionalHostedZoneId"]}
    assert alias["EvaluateTargetHealth"] is False
    domain = resources[domain_id]
    assert domain["Type"] == "AWS::ApiGatewayV2::DomainName"
    (configuration,) = domain["Properties"]["DomainNameConfigurations"]
    assert configuration["EndpointType"] == "REGIONAL"
    assert configuration["SecurityPolicy"] == "TLS_1_2"

    # domain -> certificate of this region, validated by DNS in the zone
    certificate = resources[configuration["CertificateArn"]["Ref"]]
    assert certificate["Type"] == "AWS::CertificateManager::Certificate"
    assert certificate["Properties"]["ValidationMethod"] == "DNS"
    assert certificate["Properties"]["DomainValidationOptions"] == [
        {"DomainName": "api.example.com", "HostedZoneId": ZONE}
    ]

    # domain -> mapping -> the API's $default stage; the record waits for the mapping
    mapping_id, mapping = one(app, "AWS::ApiGatewayV2::ApiMapping")
    assert mapping["Properties"]["DomainName"] == {"Ref": domain_id}
    assert mapping["Properties"]["ApiId"] == {"Ref": "HttpApi"}
    stage = resources[mapping["Properties"]["Stage"]["Ref"]]
    assert stage["Type"] == "AWS::ApiGatewayV2::Stage"
    assert stage["Properties"]["ApiId"] == {"Ref": "HttpApi"}
    assert mapping_id in record["DependsOn"]
    assert record_id


def test_no_region_or_account_literal(app):
    text = compact(app)
    for literal in ("eu-west-1", "us-east-1", "ap-southeast-2", ACCOUNT):
        assert literal not in text, literal


def test_costs_five_resources(app, app_template):
    assert len(app["Resources"]) - len(app_template["Resources"]) == 5


def test_without_a_domain_none_of_it(app_template):
    for kind in (
        "AWS::CertificateManager::Certificate",
        "AWS::ApiGatewayV2::DomainName",
        "AWS::ApiGatewayV2::ApiMapping",
        "AWS::Route53::HealthCheck",
        "AWS::Route53::RecordSet",
    ):
        assert not resources_of_type(app_template, kind), kind
