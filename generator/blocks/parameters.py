"""Parameters that let one regional template serve every region and account.

StackSet instances get these from the StackSet, so the template holds no literal
home region or central account id.
"""

from __future__ import annotations

from troposphere import AWSHelperFn, Equals, If, Parameter, Ref, Sub, Template

HOME_REGION = "HomeRegion"
CENTRAL_ACCOUNT = "CentralAccountId"
CENTRAL_IS_HERE = "CentralAccountIsThisAccount"
REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d$"


def add_home_region(template: Template) -> Parameter:
    return template.add_parameter(
        Parameter(
            HOME_REGION,
            Type="String",
            AllowedPattern=REGION_PATTERN,
            Description="Region of the central log delivery streams and event bus.",
        )
    )


def add_central_account(template: Template) -> Parameter:
    """The account of the artifact buckets, log destinations and event bus; '' = this one."""
    parameter = template.add_parameter(
        Parameter(
            CENTRAL_ACCOUNT,
            Type="String",
            Default="",
            AllowedPattern=r"^(\d{12})?$",
            Description="Account that owns the artifact buckets, log destinations and event "
            "bus. Empty means this stack's own account.",
        )
    )
    template.add_condition(CENTRAL_IS_HERE, Equals(Ref(parameter), ""))
    return parameter


def central_account() -> If:
    return If(CENTRAL_IS_HERE, Ref("AWS::AccountId"), Ref(CENTRAL_ACCOUNT))


def central_arn(service: str, resource: str, *, region: AWSHelperFn | str | None = None) -> Sub:
    """An ARN in the central account, in `region` (default: this stack's region)."""
    where = "${AWS::Region}" if region is None else "${Region}"
    variables: dict = {"Account": central_account()}
    if region is not None:
        variables["Region"] = region
    return Sub(f"arn:${{AWS::Partition}}:{service}:{where}:${{Account}}:{resource}", **variables)
