"""`publish` uploads missing zips to the region's bucket and skips what is there (moto)."""

from __future__ import annotations

import base64
import hashlib

import boto3
import pytest
from moto import mock_aws

from generator import cli
from generator.output.bundles import Asset
from generator.output.publish import publish

ACCOUNT = "123456789012"  # moto's default account


@pytest.fixture
def config_args(reference_path):
    return ["--config", str(reference_path)]


@pytest.fixture
def aws(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


def make_bucket(region: str) -> str:
    name = f"shop-artifacts-{ACCOUNT}-{region}"
    s3 = boto3.client("s3", region_name=region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return name


def test_uploads_then_skips(aws):
    bucket = make_bucket("eu-west-1")
    assets = [Asset("api", b"zip-one"), Asset("pretraffic-hook", b"zip-two")]
    first = publish(assets, "shop-artifacts", "eu-west-1")
    assert first.bucket == bucket
    assert first.uploaded == [a.key for a in assets] and first.skipped == []
    body = boto3.client("s3", region_name="eu-west-1").get_object(Bucket=bucket, Key=assets[0].key)
    assert body["Body"].read() == b"zip-one"
    again = publish(assets, "shop-artifacts", "eu-west-1")
    assert again.uploaded == [] and again.skipped == [a.key for a in assets]


def test_only_changed_code_is_uploaded(aws):
    make_bucket("us-east-1")
    publish([Asset("api", b"v1")], "shop-artifacts", "us-east-1")
    result = publish(
        [Asset("api", b"v2"), Asset("pretraffic-hook", b"h")], "shop-artifacts", "us-east-1"
    )
    assert result.uploaded == [
        f"api/{hashlib.sha256(b'v2').hexdigest()}.zip",
        f"pretraffic-hook/{hashlib.sha256(b'h').hexdigest()}.zip",
    ]
    assert base64.b64decode(Asset("api", b"v2").code_sha256) == hashlib.sha256(b"v2").digest()


def test_cli_publish_to_a_target_region(config_args, aws, capsys):
    make_bucket("us-east-1")
    assert cli.main([*config_args, "publish", "--region", "us-east-1"]) == 0
    out = capsys.readouterr().out
    assert "2 uploaded, 0 already present" in out
    assert cli.main([*config_args, "publish", "--region", "us-east-1"]) == 0
    assert "0 uploaded, 2 already present" in capsys.readouterr().out


def test_cli_publish_rejects_a_non_target_region(config_args, aws, capsys):
    assert cli.main([*config_args, "publish", "--region", "eu-central-1"]) == 2
    assert "'eu-central-1' is not a target region" in capsys.readouterr().err


def test_cli_publishes_the_zips_a_build_wrote(config_args, aws, tmp_path, capsys):
    from generator.output.bundles import write

    make_bucket("us-east-1")
    built = [Asset("api", b"tested bytes")]
    write(built, tmp_path / "assets")
    assert (
        cli.main(
            [*config_args, "publish", "--region", "us-east-1", "--from", str(tmp_path / "assets")]
        )
        == 0
    )
    assert "1 uploaded, 0 already present" in capsys.readouterr().out
    body = (
        boto3.client("s3", region_name="us-east-1")
        .get_object(Bucket=f"shop-artifacts-{ACCOUNT}-us-east-1", Key=built[0].key)["Body"]
        .read()
    )
    assert body == b"tested bytes"


def test_cli_refuses_a_zip_whose_name_lies(aws, tmp_path):
    from generator.output.bundles import read

    (tmp_path / "api").mkdir()
    (tmp_path / "api" / f"{'0' * 64}.zip").write_bytes(b"other bytes")
    with pytest.raises(ValueError, match="does not match its name"):
        read(tmp_path)
