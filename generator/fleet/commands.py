"""The `rollout` and `status` commands: boto3 sessions, what they print, and one line for
whatever AWS refuses (exit 3), never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from generator.config import Config

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_AWS = 0, 1, 2, 3


@contextmanager
def _aws() -> Iterator[None]:
    """Turn what AWS or botocore refuses into one line and exit 3."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        yield
    except NoCredentialsError:
        raise SystemExit(
            _fail("no AWS credentials: set AWS_PROFILE, or keys of the central account")
        ) from None
    except ClientError as error:
        detail = error.response.get("Error", {})
        raise SystemExit(
            _fail(f"AWS refused: {detail.get('Code')}: {detail.get('Message')}")
        ) from None
    except BotoCoreError as error:
        raise SystemExit(_fail(f"AWS could not be reached: {error}")) from None


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_AWS


class Printer:
    """Progress as plain lines, or, on a terminal, as a table of regions redrawn in place."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.live = out.isatty()
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        if not self.live:
            print(line, file=self.out, flush=True)
            return
        self.lines.append(line)
        # Cursor home, clear the screen: the whole rollout so far, newest at the bottom.
        self.out.write("\x1b[H\x1b[J" + "\n".join(self.lines[-40:]) + "\n")
        self.out.flush()


def rollout(config: Config, deploy: Path, templates: Path, yes: bool) -> int:
    import boto3

    from generator.fleet.rollout import Release, Rollout, RolloutError

    try:
        release = Release.read(deploy, templates)
    except RolloutError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    waves = config.targets.wave_list
    if sys.stdin.isatty() and not yes:
        answer = input(
            f"Roll {release.id} out to {len(waves)} waves of {config.application.name}? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            return EXIT_FAILED
    home = config.application.home_region
    with _aws():
        session = boto3.session.Session()
        account = session.client("sts", region_name=home).get_caller_identity()["Account"]
        code, last = Rollout(
            config,
            session.client("cloudformation", region_name=home),
            session.client("logs", region_name=home),
            account,
            Printer(),
        ).run(release)
    print(last if code == 0 else f"error: {last}", file=sys.stdout if code == 0 else sys.stderr)
    return code


def status(config: Config, assume_role: str | None) -> int:
    import boto3

    from generator.fleet import status as fleet_status

    home = config.application.home_region
    with _aws():
        session = boto3.session.Session()
        caller = session.client("sts", region_name=home).get_caller_identity()["Account"]
        lambdas = _lambda_clients(session, caller, assume_role)
        found = fleet_status.rows(
            config, session.client("cloudformation", region_name=home), lambdas
        )
    sys.stdout.write(fleet_status.table(found))
    return EXIT_OK


def _lambda_clients(
    session: Any, caller: str, role: str | None
) -> Callable[[str, str], Any | None]:
    """A Lambda client in an account and region: the caller's own, or one assumed by
    `role` name in the other accounts; None where neither applies."""
    sessions: dict[str, Any] = {caller: session}

    def client(account: str, region: str) -> Any | None:
        if account not in sessions:
            if role is None:
                return None
            sts = session.client("sts", region_name=region)
            credentials = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="generator-status"
            )["Credentials"]
            import boto3

            sessions[account] = boto3.session.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )
        return sessions[account].client("lambda", region_name=region)

    return client
