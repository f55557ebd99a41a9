"""A plan as text for a terminal, Markdown for a review comment, or JSON for tools.

Text and Markdown put the most dangerous things first (what needs approval, then each
template with its riskiest change first) and end with a one-line summary."""

from __future__ import annotations

import json

from generator.plan import Plan
from generator.plan.resources import ResourceChange

ORDER = {"always": 0, "conditional": 1, "never": 2}
SHOWN_PATHS = 6
Section = tuple[str, list[str]]


def _rank(change: ResourceChange) -> tuple[int, int, str]:
    return (0 if change.data_risk else 1, ORDER[change.replacement], change.id)


def _line(change: ResourceChange) -> str:
    what = {"add": "+", "remove": "-", "modify": "~"}[change.action]
    text = f"{what} {change.id} ({change.type})"
    if change.replacement != "never":
        text += f" replaced: {change.replacement}"
    if change.data_risk:
        text += f" DATA RISK (DeletionPolicy {change.deletion_policy})"
    if change.paths:
        more = " …" if len(change.paths) > SHOWN_PATHS else ""
        text += f": {', '.join(change.paths[:SHOWN_PATHS])}{more}"
    return text


def summary_line(plan: Plan) -> str:
    if plan.empty:
        return "No changes."
    s = plan.summary()
    return (
        f"{s['added']} to add, {s['modified']} to change ({s['replaced']} replaced), "
        f"{s['removed']} to remove; {_count(s['new_versions'], 'new function version')}; "
        f"{_count(s['broadened'], 'broadened policy', 'broadened policies')}; "
        f"{_count(s['data_risks'], 'data risk')}."
    )


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


def _templates(plan: Plan) -> list[Section]:
    ranked = sorted(
        (t for t in plan.templates.items() if t[1]),
        key=lambda t: min(_rank(c) for c in t[1]),
    )
    return [(name, [_line(c) for c in sorted(changes, key=_rank)]) for name, changes in ranked]


def _functions(plan: Plan) -> list[Section]:
    lines = [
        f"{f.name}: new version, deployed by CodeDeploy ({f.strategy})"
        if f.new_version
        else f"{f.name}: no new version, yet {', '.join(f.unversioned)} change at once"
        for f in plan.functions
    ]
    return [("Functions", lines)] if lines else []


def _permissions(plan: Plan) -> list[Section]:
    lines = []
    for change in plan.iam:
        lines.append(f"{change.template} {change.resource}: {change.verdict}")
        lines += [f"  + {g}" for g in change.added] + [f"  - {g}" for g in change.removed]
    return [("Permissions", lines)] if lines else []


def _rollout(plan: Plan) -> list[Section]:
    r = plan.rollout
    lines = [f"+ region {x}" for x in r.added_regions]
    lines += [f"- region {x}" for x in r.removed_regions]
    lines += [f"~ region {x}: wave {a} → {b}" for x, (a, b) in r.moved_regions.items()]
    for region, values in r.parameters.items():
        lines += [f"~ {region} {k}: {a} → {b}" for k, (a, b) in values.items()]
    if r.targets:
        before, after = (", ".join(t) or "(the central account)" for t in r.targets)
        lines.append(f"~ targets: {before} → {after}")
    return [("Rollout", lines)] if lines else []


def sections(plan: Plan) -> list[Section]:
    risks: list[Section] = [("Needs approval", plan.risks())] if plan.risks() else []
    return [*risks, *_templates(plan), *_functions(plan), *_permissions(plan), *_rollout(plan)]


def text(plan: Plan) -> str:
    out = []
    for title, lines in sections(plan):
        out += [title, *[f"  {line}" for line in lines], ""]
    return "\n".join([*out, summary_line(plan)]) + "\n"


def markdown(plan: Plan) -> str:
    out = ["## Plan", ""]
    for title, lines in sections(plan):
        items = [f"  - `{x.strip()}`" if x.startswith("  ") else f"- `{x}`" for x in lines]
        out += [f"### {title}", "", *items, ""]
    return "\n".join([*out, f"**{summary_line(plan)}**"]) + "\n"


def as_json(plan: Plan) -> str:
    return json.dumps(plan.as_json(), indent=2, sort_keys=True) + "\n"
