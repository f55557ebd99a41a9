"""Parameters that let one regional template serve every region and account.

StackSet instances get these from the StackSet (and `sam deploy` from samconfig.toml), so
a regional template holds no literal home region or central account id.
"""

from __future__ import annotations

from troposphere import AWSHelperFn, Equals, If, Parameter, Ref, Sub, Template

from generator.vocabulary import CENTRAL_ACCOUNT, HOME_REGION, LOG_LEVEL

CENTRAL_IS_HERE = "CentralAccountIsThisAccount"
REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d$"
LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR"]


def home_region(template: Template) -> Parameter:
    return template.add_parameter(
        Parameter(
            HOME_REGION,
            Type="String",
            AllowedPattern=REGION_PATTERN,
            Description="Region of the central log delivery streams and event bus.",
        )
    )


class CentralAccount:
    """The account of the artifact buckets, log destinations and event bus: the
    `CentralAccountId` parameter, where empty means this stack's own account."""

    def __init__(self, template: Template) -> None:
        self.parameter = template.add_parameter(
            Parameter(
                CENTRAL_ACCOUNT,
                Type="String",
                Default="",
                AllowedPattern=r"^(\d{12})?$",
                Description="Account that owns the artifact buckets, log destinations and "
                "event bus. Empty means this stack's own account.",
            )
        )
        template.add_condition(CENTRAL_IS_HERE, Equals(Ref(self.parameter), ""))

    @property
    def value(self) -> If:
        return If(CENTRAL_IS_HERE, Ref("AWS::AccountId"), Ref(self.parameter))

    def arn(self, service: str, resource: str, *, region: AWSHelperFn | None = None) -> Sub:
        """An ARN in the central account, in `region` (default: this stack's region)."""
        where = "${AWS::Region}" if region is None else "${Region}"
        variables: dict[str, object] = {"Account": self.value}
        if region is not None:
            variables["Region"] = region
        return Sub(
            f"arn:${{AWS::Partition}}:{service}:{where}:${{Account}}:{resource}", **variables
        )


def log_level(template: Template, default: str) -> Parameter:
    return template.add_parameter(
        Parameter(
            LOG_LEVEL,
            Type="String",
            Default=default,
            AllowedValues=LOG_LEVELS,
            Description="Log level of every function (Powertools POWERTOOLS_LOG_LEVEL).",
        )
    )
