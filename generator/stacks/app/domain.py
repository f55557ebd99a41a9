"""One name for the API in every region: each region's stack adds its own certificate,
custom domain, API mapping, health check and latency record to the one hosted zone.

```
 client ── api.example.com ──▶ Route 53 (hosted zone, this account)
                               latency records, one per region (SetIdentifier = region),
                               each answered only while its health check passes
                                 │ alias: RegionalDomainName / RegionalHostedZoneId
                                 ▼
                               custom domain (REGIONAL, TLS 1.2, ACM certificate of the region,
                               validated by DNS in the same zone) ── API mapping ──▶ $default stage
 health check (HTTPS GET <health_check_path>) ──▶ https://<api id>.execute-api.<region>…
```

- The certificate must be in the API's region ("You must provide a Region-specific ACM
  certificate. This certificate must be in the same Region as your API"), so each region
  requests its own; `HostedZoneId` makes CloudFormation add the DNS validation record.
  https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-regional-api-custom-domain-create.html
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-certificatemanager-certificate-domainvalidationoption.html
- Latency records: the same name and type in every region, a `SetIdentifier` and `Region`
  each, an alias to the regional domain. API Gateway is not a target whose health an alias
  can inherit (EvaluateTargetHealth applies to ELB, Elastic Beanstalk, S3 and other records
  of the zone), so `EvaluateTargetHealth` is false and the record carries the region's own
  health check: "You can associate a health check with an alias record instead of or in
  addition to setting the value of Evaluate Target Health to Yes".
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-latency-alias.html
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-complex-configs.html
- The health check requests the region's execute-api endpoint, not the name: the name
  resolves by latency to whichever region is nearest the checker, and the regional domain
  answers only for the name it serves. The endpoint is the same API and stage, so a region
  whose API or function fails drops out. If every region fails, Route 53 answers with all
  of them ("Route 53 considers all resource record sets in the group healthy").
  https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html
"""

from __future__ import annotations

from functools import cached_property

from troposphere import GetAtt, Ref, Sub, Tags, Template, apigatewayv2, certificatemanager, route53

from generator.blocks.substitutions import sub
from generator.config.models import Domain
from generator.stacks.app.api import HttpApi

# Route 53's standard interval and threshold: a failing region drops out after about
# 90 seconds. https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html
REQUEST_INTERVAL = 30
FAILURE_THRESHOLD = 3


class RegionalDomain:
    """The custom domain of one region and its place in the latency record set."""

    def __init__(
        self, template: Template, domain: Domain, api: HttpApi, tags: dict[str, str]
    ) -> None:
        assert domain.name is not None and domain.hosted_zone_id is not None
        self.template = template
        self.tags = tags
        self.name = domain.name
        self.zone = domain.hosted_zone_id
        self.health_check_path = domain.health_check_path
        self.api = api

    def build(self) -> None:
        self.record  # noqa: B018 (a part is built by reading it)

    @cached_property
    def certificate(self) -> certificatemanager.Certificate:
        return self.template.add_resource(
            certificatemanager.Certificate(
                "ApiCertificate",
                DomainName=self.name,
                ValidationMethod="DNS",
                DomainValidationOptions=[
                    certificatemanager.DomainValidationOption(
                        DomainName=self.name, HostedZoneId=self.zone
                    )
                ],
            )
        )

    @cached_property
    def domain_name(self) -> apigatewayv2.DomainName:
        return self.template.add_resource(
            apigatewayv2.DomainName(
                "ApiDomainName",
                DomainName=self.name,
                DomainNameConfigurations=[
                    apigatewayv2.DomainNameConfiguration(
                        CertificateArn=Ref(self.certificate),
                        EndpointType="REGIONAL",
                        SecurityPolicy="TLS_1_2",
                    )
                ],
            )
        )

    @cached_property
    def mapping(self) -> apigatewayv2.ApiMapping:
        """The whole API at the root of the name, on the `$default` stage."""
        return self.template.add_resource(
            apigatewayv2.ApiMapping(
                "ApiMapping",
                ApiId=self.api.ref,
                DomainName=Ref(self.domain_name),
                Stage=Ref(self.api.stage),
            )
        )

    @cached_property
    def health_check(self) -> route53.HealthCheck:
        return self.template.add_resource(
            route53.HealthCheck(
                "ApiHealthCheck",
                HealthCheckConfig=route53.HealthCheckConfig(
                    Type="HTTPS",
                    FullyQualifiedDomainName=sub(
                        "${ApiId}.execute-api.${AWS::Region}.${AWS::URLSuffix}",
                        ApiId=self.api.ref,
                    ),
                    Port=443,
                    ResourcePath=self.health_check_path,
                    EnableSNI=True,
                    RequestInterval=REQUEST_INTERVAL,
                    FailureThreshold=FAILURE_THRESHOLD,
                ),
                # Health checks take tags under a property of their own, which the config's
                # tags (generator/blocks/tags.py) do not reach; Name is what the console shows.
                HealthCheckTags=Tags(**self.tags, Name=Sub(f"{self.name} ${{AWS::Region}}")),
                # The stage serves the health path only once it exists.
                DependsOn=[self.api.stage.title],
            )
        )

    @cached_property
    def record(self) -> route53.RecordSetType:
        """This region's answer for the name: its regional domain, while healthy. The
        mapping must exist before the name routes here."""
        return self.template.add_resource(
            route53.RecordSetType(
                "ApiLatencyRecord",
                HostedZoneId=self.zone,
                Name=f"{self.name}.",
                Type="A",
                SetIdentifier=Ref("AWS::Region"),
                Region=Ref("AWS::Region"),
                HealthCheckId=Ref(self.health_check),
                AliasTarget=route53.AliasTarget(
                    DNSName=GetAtt(self.domain_name, "RegionalDomainName"),
                    HostedZoneId=GetAtt(self.domain_name, "RegionalHostedZoneId"),
                    EvaluateTargetHealth=False,
                ),
                DependsOn=[self.mapping.title],
            )
        )
