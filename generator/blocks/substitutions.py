"""`Fn::Sub` of a text that names the region beside a resource: the resource is a variable.

cfn-lint checks a `Fn::Sub` by resolving its variables in order, the ones given first,
then those the text names inline; each region-dependent pseudo parameter (REGIONAL) takes
every region it lints for, in every combination with the others. A resource's `Ref` or
`Fn::GetAtt` resolves to nothing, so a resource named inline after them is looked up for
every combination before cfn-lint finds none: 900 in 30 regions, about a second for each
`Fn::Sub` of the kind (the Lambda permission of each function's API was three quarters of
linting a 28-function app.json in 30 regions). Given first, it ends the search at once.
CloudFormation substitutes the same value either way. (cfn-lint 1.58:
cfnlint/jsonschema/_resolvers_cfn.py, `sub` and `_sub_parameter_expansion`.)
"""

from __future__ import annotations

import re
from typing import Any

from troposphere import Sub

# A variable of an Fn::Sub text; `${!Literal}` is none.
PLACEHOLDER = re.compile(r"\$\{([^!}][^}]*)\}")
# The pseudo parameters cfn-lint gives a value per region (cfnlint/context/context.py:
# PSEUDOPARAMS but _PSEUDOPARAMS_NON_REGION).
REGIONAL = frozenset(
    {"AWS::NotificationARNs", "AWS::Partition", "AWS::Region", "AWS::StackId", "AWS::URLSuffix"}
)


def sub(text: str, /, **variables: Any) -> Sub:
    """`Fn::Sub` of `text`, whose placeholders are pseudo parameters and `variables`, each
    variable used (cfn-lint 1.58 does not report an unused one)."""
    named = set(PLACEHOLDER.findall(text))
    inline = {n for n in named if not n.startswith("AWS::")}
    if missing := sorted(inline - variables.keys()):
        raise ValueError(f"{text!r} names {', '.join(missing)} inline; pass each as a variable")
    if unused := sorted(variables.keys() - named):
        raise ValueError(f"{text!r} does not name {', '.join(unused)}")
    return Sub(text, dict_values=variables)
