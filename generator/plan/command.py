"""`python -m generator plan`: what the current config would change, against a git ref
(`--against`, default the branch's upstream or HEAD) or against what the fleet runs
(`--live`, with the central account's credentials). Exit 0 when a plan was made, whatever
it holds; 2 when the ref, the config or the fleet could not be read."""

from __future__ import annotations

import shlex
import sys
from typing import Any, TextIO

from generator import vocabulary as names
from generator.output import derived
from generator.plan import Plan, make_plan, report
from generator.plan.sources import (
    LIVE_TEMPLATES,
    Fleet,
    SourceError,
    at_ref,
    default_ref,
    live,
)

FORMATS = {"text": report.text, "markdown": report.markdown, "json": report.as_json}


def _unhealthy(fleet: Fleet) -> str:
    lines = [
        f"  {name} {i.account} {i.region}: {i.status}/{i.detailed_status}, drift {i.drift}"
        + (f" ({i.reason})" if i.reason else "")
        for name, i in fleet.unhealthy()
    ]
    return "Instances not current, failed or drifted\n" + "\n".join(lines) + "\n\n" if lines else ""


def run(
    args: Any,
    config: Any,
    layout: Any,
    new_files: dict[str, str],
    templates: list[str],
    out: TextIO = sys.stdout,
) -> int:
    """Make the plan and print it; `new_files` is what the current config generates."""
    try:
        if args.live:
            import boto3

            fleet = live(config, boto3.session.Session())
            old, preface = fleet.files, _unhealthy(fleet)
            templates = [t for t in templates if t in LIVE_TEMPLATES]
        else:
            ref = args.against or default_ref(layout.root)
            old, preface = at_ref(layout.root, ref, layout.templates), ""
    except SourceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    plan: Plan = make_plan(old, new_files, templates)
    derived.save()  # what the plan asked of the resource schemas
    body = FORMATS[args.format](plan)
    text = body if args.format == "json" else preface + body
    out.write(text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(report.as_json(plan), encoding="utf-8")
    if args.gate:
        args.gate.parent.mkdir(parents=True, exist_ok=True)
        args.gate.write_text(gate_variables(plan), encoding="utf-8")
    return 0


# The risks fill the Review stage's approval message, which has its own words around them.
MAX_RISKS = names.APPROVAL_MESSAGE_MAX - len(names.REVIEW_MESSAGE.format(risks=""))


def gate_variables(plan: Plan) -> str:
    """Shell assignments the Build stage exports: whether a person must approve the
    release before its first wave, and why."""
    risks = "; ".join(plan.risks())
    if len(risks) > MAX_RISKS:
        risks = risks[: MAX_RISKS - 1] + "…"
    gate = "approval" if plan.risks() else "none"
    return f"PLAN_GATE={shlex.quote(gate)}\nPLAN_RISKS={shlex.quote(risks or 'none')}\n"
