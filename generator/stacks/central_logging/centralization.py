"""The centralization path's one resource (`logging.mode` "centralization" or "both").

An organization-wide CloudWatch Logs centralization rule copies the application's log
groups, from the target accounts (or OUs) in every target region, into this account and
region: searchable together with Logs Insights, each copy named after its source account
and region, encrypted with the central logs key. It lives here, in the logging stack,
because that is the one stack of the central account's home region: the rule's
destination, the key it encrypts with and the dashboard that reads it are all here, and
it is deployed once, not by a StackSet. CloudFormation creates it with the deploying
principal, which must be of the organization's management account or its delegated
administrator for CloudWatch ("This operation can only be called by the organization's
management account or a delegated administrator account").
https://docs.aws.amazon.com/cloudwatch/latest/observabilityadmin/API_CreateCentralizationRuleForOrganization.html
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CloudWatchLogs_Centralization.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-observabilityadmin-organizationcentralizationrule.html
"""

from __future__ import annotations

from awacs import kms as kms_actions
from awacs.aws import ArnLike, StringEquals
from troposphere import Ref, Sub, Template
from troposphere import observabilityadmin as oa

from generator import vocabulary as names
from generator.blocks import keys
from generator.blocks.keys import Key
from generator.config import Config, centralization

# Destination keys must carry this tag: "If you are using customer managed KMS key in
# your destination log groups, add the tag LogsManaged = true to the kms key for
# Centralization service to access it." (CloudWatchLogs_Centralization.html)
LOGS_MANAGED_TAG = ("LogsManaged", "true")
# What the centralization service's own role may do with the key, should it use the key
# through IAM rather than as CloudWatch Logs: its service-linked role's policy is reported
# to hold kms:Encrypt, kms:Decrypt and kms:GenerateDataKey; AWS does not publish it (see
# README, Centralization, "Not settled by AWS's documentation").
CENTRALIZATION_KEY_ACTIONS = [kms_actions.Encrypt, kms_actions.Decrypt, kms_actions.GenerateDataKey]


def rule(template: Template, config: Config, key: Key) -> oa.OrganizationCentralizationRule:
    """The rule, and what the key must allow for it."""
    app = config.application.name
    allow_copies(key, app)
    scope = centralization.scope(config.targets)
    function_prefix = names.function_log_group(names.function_name(app, ""))
    destination = oa.DestinationLogsConfiguration(
        # The copies' names: plain text for CloudFormation, `${source.*}` are the rule's
        # own variables ("If you must use Sub, escape it"): no Fn::Sub here.
        LogGroupNameConfiguration=oa.LogGroupNameConfiguration(
            LogGroupNamePattern=names.centralized_log_group(
                app, "${source.accountId}", "${source.region}", "${source.logGroup}"
            )
        ),
        # Every copy encrypted with the central key (by default only the copies of
        # groups with a customer key would be); when a destination group is encrypted with
        # an AWS-owned key, "SKIP prevents centralization into the destination log group".
        # https://docs.aws.amazon.com/cloudwatch/latest/observabilityadmin/API_LogsEncryptionConfiguration.html
        LogsEncryptionConfiguration=oa.LogsEncryptionConfiguration(
            EncryptionStrategy="CUSTOMER_MANAGED",
            KmsKeyArn=key.arn,
            EncryptionScope="NEW_DESTINATION_LOG_GROUPS",
            EncryptionConflictResolutionStrategy="SKIP",
        ),
    )
    if config.logging.backup_region is not None:
        # A second copy in another region of this account: "For any subsequent copies
        # beyond the first centralization, there is an additional per-GB charge (using the
        # backup Region feature also creates an additional copy)".
        # (AWS's observability best-practices guide, "CloudTrail Lake to CloudWatch")
        # https://github.com/aws-observability/observability-best-practices/blob/main/docusaurus/docs/guides/cloudtrail/CloudTrail%20Lake/cloudtrail_lake_to_cloudwatch.md
        backup = oa.LogsBackupConfiguration(Region=config.logging.backup_region)
        if config.logging.backup_key_arn is not None:
            backup.KmsKeyArn = config.logging.backup_key_arn
        destination.BackupConfiguration = backup
    return template.add_resource(
        oa.OrganizationCentralizationRule(
            "LogsCentralizationRule",
            RuleName=names.centralization_rule(app),
            Rule=oa.CentralizationRule(
                Source=oa.CentralizationRuleSource(
                    Regions=list(config.targets.regions),
                    Scope=Sub(scope) if centralization.THIS_ACCOUNT in scope else scope,
                    SourceLogsConfiguration=oa.SourceLogsConfiguration(
                        # The application's groups are encrypted with their region's key:
                        # "SKIP will skip CMK encrypted source log groups from
                        # centralization", every one of them.
                        # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-observabilityadmin-organizationcentralizationrule-sourcelogsconfiguration.html
                        EncryptedLogGroupStrategy="ALLOW",
                        LogGroupSelectionCriteria=centralization.selection(
                            function_prefix, names.api_log_group(app)
                        ),
                    ),
                ),
                Destination=oa.CentralizationRuleDestination(
                    Account=Ref("AWS::AccountId"),
                    Region=Ref("AWS::Region"),
                    DestinationLogsConfiguration=destination,
                ),
            ),
        )
    )


def allow_copies(key: Key, app: str) -> None:
    """The central key encrypts the copies: tagged for the centralization service, and
    usable, for the copies' log groups only (the ARN CloudWatch Logs sends as encryption
    context), by CloudWatch Logs in this region, and by the account's IAM policies
    (the service's own role is one) through CloudWatch Logs only.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
    https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
    """
    key.tag(*LOGS_MANAGED_TAG)
    copies = ArnLike(
        {
            "kms:EncryptionContext:aws:logs:arn": Sub(
                "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                f"{names.centralized_prefix(app)}*"
            )
        }
    )
    key.allow_service(
        "CloudWatchLogsEncryptsCentralizedCopies",
        Sub("logs.${AWS::Region}.amazonaws.com"),
        keys.LOGS_DOCUMENTED,
        copies,
    )
    key.allow_account(
        "CentralizationEncryptsCentralizedCopies",
        CENTRALIZATION_KEY_ACTIONS,
        copies,
        StringEquals({"kms:ViaService": Sub(keys.via("logs"))}),
    )
