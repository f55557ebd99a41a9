"""`publish` without credentials, without the bucket, or denied: one line that says what
is wrong and what to do, exit 3, no traceback (moto and botocore's Stubber; no AWS)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from generator import cli
from generator.output.bundles import Asset
from generator.output.publish import PublishError, publish

ACCOUNT = "123456789012"
BUCKET = f"shop-artifacts-{ACCOUNT}-us-east-1"


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for key in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def fake_credentials(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def publish_cli(reference_path) -> int:
    return cli.main(["--config", str(reference_path), "publish", "--region", "us-east-1"])


def test_without_credentials(no_credentials, reference_path, capsys):
    assert publish_cli(reference_path) == cli.EXIT_AWS
    assert "no AWS credentials found; sign in" in one_line_error(capsys)


def test_without_the_bucket(fake_credentials, reference_path, capsys):
    with mock_aws():
        assert publish_cli(reference_path) == cli.EXIT_AWS
    err = one_line_error(capsys)
    assert f"bucket {BUCKET} does not exist in us-east-1" in err
    assert "deploy the bootstrap StackSet" in err


class StubbedSession:
    """A session whose clients answer from botocore Stubbers."""

    def __init__(self) -> None:
        options = {
            "region_name": "us-east-1",
            "aws_access_key_id": "x",
            "aws_secret_access_key": "x",
        }
        self.clients = {"sts": boto3.client("sts", **options), "s3": boto3.client("s3", **options)}
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}
        self.stubs["sts"].add_response("get_caller_identity", {"Account": ACCOUNT})

    def client(self, name: str, region_name: str):
        return self.clients[name]


def test_access_denied(monkeypatch, reference_path, capsys):
    session = StubbedSession()
    session.stubs["s3"].add_client_error("head_bucket", "403", "Forbidden", 403)
    monkeypatch.setattr(boto3.session, "Session", lambda: session)
    with session.stubs["sts"], session.stubs["s3"]:
        assert publish_cli(reference_path) == cli.EXIT_AWS
    err = one_line_error(capsys)
    assert f"access denied to s3://{BUCKET}" in err and "s3:PutObject" in err


def test_expired_credentials():
    session = StubbedSession()
    session.stubs["sts"] = Stubber(session.clients["sts"])
    session.stubs["sts"].add_client_error("get_caller_identity", "ExpiredToken", "expired", 403)
    with session.stubs["sts"], pytest.raises(PublishError, match="rejected the credentials"):
        publish([Asset("api", b"x")], "shop-artifacts", "us-east-1", session)  # type: ignore[arg-type]


def test_denied_upload_after_a_present_bucket():
    session = StubbedSession()
    s3 = session.stubs["s3"]
    s3.add_response("head_bucket", {})
    s3.add_client_error("head_object", "404", "Not Found", 404)
    s3.add_client_error("put_object", "AccessDenied", "denied", 403)
    with session.stubs["sts"], s3, pytest.raises(PublishError, match="access denied"):
        publish([Asset("api", b"x")], "shop-artifacts", "us-east-1", session)  # type: ignore[arg-type]
