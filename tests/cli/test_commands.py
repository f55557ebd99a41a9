"""The command line: --version, exit codes, commands that load only what they use, runs
from any folder, and the deploy bodies written from the committed templates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from generator import cli
from generator.output import bodies, render
from tests.conftest import REPO

HEAVY = ("cfnlint", "troposphere", "awacs")


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )


def test_version_is_setup_cfg_s(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    version = [line for line in (REPO / "setup.cfg").read_text().splitlines() if "version" in line]
    assert capsys.readouterr().out.split()[-1] == version[0].split("=")[1].strip()


def test_the_build_command_forks_its_lint_workers_before_loading_the_config():
    """`make templates` forks the cfn-lint workers on entering `output.run._main`: what its
    module imports first (the config's models, troposphere) delays them on every run."""
    code = (
        "import sys; import generator.output.run; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {(*HEAVY, 'pydantic')!r}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.strip() == "[]", done.stderr


def test_regions_loads_neither_cfn_lint_nor_troposphere(reference_path):
    code = (
        "import sys; from generator import cli; "
        f"cli.main(['--config', {str(reference_path)!r}, 'regions']); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    first, loaded = done.stdout.splitlines()
    assert first == "eu-west-1 us-east-1 ap-southeast-2"
    assert loaded == "[]"


def test_regions_reads_no_aws_sdk_nor_iam_data(reference_path):
    """The regions come from botocore's data files, read without boto3 or botocore."""
    heavy = ("boto3", "botocore", "policy_sentry", "s3transfer")
    code = (
        "import sys; from generator import cli; "
        f"cli.main(['--config', {str(reference_path)!r}, 'regions']); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.splitlines() == ["eu-west-1 us-east-1 ap-southeast-2", "[]"]


def test_templates_loads_no_stack_nor_pydantic(reference_path):
    """The registry names its stacks; the Makefile's `templates` imports none of them."""
    code = (
        "import sys; from generator import cli; "
        f"cli.main(['--config', {str(reference_path)!r}, 'templates', '--regional']); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {(*HEAVY, 'pydantic')!r}"
        " or m.startswith('generator.stacks.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    first, loaded = done.stdout.splitlines()
    assert first.split() == ["templates/app.json", "templates/bootstrap.json"]
    assert loaded == "[]"


def test_runs_from_any_folder(reference_path, tmp_path):
    done = run("--config", str(reference_path), "regions", "--first", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "eu-west-1\n")
    done = run("paths", "deploy", "--config", str(reference_path), cwd=tmp_path)
    assert done.stdout == "build/deploy\n"


def test_templates_come_from_the_registry(reference_path, capsys):
    assert cli.main(["--config", str(reference_path), "templates", "--regional"]) == 0
    assert capsys.readouterr().out.split() == ["templates/app.json", "templates/bootstrap.json"]
    assert cli.main(["--config", str(reference_path), "templates", "--home"]) == 0
    home = capsys.readouterr().out.split()
    assert "templates/pipeline.json" in home and "templates/app.json" not in home


@pytest.mark.parametrize(
    "args, message",
    [
        (["--config", "{tmp}"], "is a folder"),
        (["--config", "{tmp}/missing.toml"], "file not found"),
        (["--config", "{tmp}/deployment.toml", "publish", "--region", "mars-1"], "not a target"),
    ],
)
def test_bad_input_exits_2_with_one_message(args, message, write_config, tmp_path, capsys):
    write_config()
    code = cli.main([a.format(tmp=tmp_path) for a in args])
    err = capsys.readouterr().err
    assert code == cli.EXIT_BAD_INPUT and message in err and "Traceback" not in err


def test_all_refuses_out_and_assets(reference_path, tmp_path, capsys):
    args = ["--config", str(reference_path), "--all", "--out", str(tmp_path)]
    assert cli.main(args) == cli.EXIT_BAD_INPUT
    assert "drop --out" in capsys.readouterr().err


def test_bodies_are_the_committed_templates_compact(reference_build, write_config, tmp_path):
    path = write_config()
    for name, text in reference_build.files.items():
        (tmp_path / "templates" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "templates" / name).write_text(text)
    assert cli.main(["--config", str(path), "bodies"]) == cli.EXIT_OK
    deploy = tmp_path / "build/deploy"
    written = {
        p.relative_to(deploy).as_posix(): p.read_text() for p in deploy.rglob("*") if p.is_file()
    }
    assert written == reference_build.bodies()  # what a fresh build would deploy
    assert "params/app.json" in written  # what the pipeline's StackSet actions read
    app = json.loads((tmp_path / "templates/app.json").read_text())
    assert written["app.json"] == render.compact(app) + "\n"
    assert " " not in written["app.json"].split('"Description"')[0]


def test_bundles_must_be_named_by_the_committed_app(reference_build, write_config, tmp_path):
    path = write_config()
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "app.json").write_text("{}\n")
    assert cli.main(["--config", str(path), "bundles"]) == cli.EXIT_STALE
    assert not (tmp_path / "build/assets").exists()
    (templates / "app.json").write_text(reference_build.files["app.json"])
    assert cli.main(["--config", str(path), "bundles"]) == cli.EXIT_OK
    assert bodies.unreferenced(reference_build.assets, templates) == []
    zips = sorted(p.relative_to(tmp_path / "build/assets") for p in tmp_path.rglob("*.zip"))
    assert [z.as_posix() for z in zips] == sorted(a.key for a in reference_build.assets)


def test_make_help_lists_every_documented_target():
    done = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True)
    listed = {line.split()[1] for line in done.stdout.splitlines()}
    assert {"templates", "check", "test", "lint", "scan", "bench", "artifacts"} <= listed
    assert {"publish", "deploy", "lock", "style"} <= listed


def test_regions_keeps_only_what_validation_said(write_config, tmp_path, capsys, monkeypatch):
    """`regions` answers from what it kept for the same inputs; a changed config (or
    function folder) is validated afresh, and an invalid one is refused, never answered."""
    path = write_config()
    args = ["--config", str(path), "regions"]
    assert cli.main(args) == cli.EXIT_OK
    fresh = capsys.readouterr().out
    assert list((tmp_path / cli.PLACEMENTS).iterdir())
    validated: list[Path] = []
    real = cli.load_config
    monkeypatch.setattr(cli, "load_config", lambda p: validated.append(p) or real(p))
    for extra in ([], ["--home"], ["--first"]):
        assert cli.main([*args, *extra]) == cli.EXIT_OK
    kept = capsys.readouterr().out.splitlines()
    assert validated == [] and kept == [fresh.strip(), "eu-west-1", "eu-west-1"]
    write_config(lambda raw: raw["targets"].update(regions=["us-east-1"], waves=[["us-east-1"]]))
    assert cli.main(args) == cli.EXIT_OK
    assert capsys.readouterr().out == "us-east-1\n" and validated == [path]
    (tmp_path / "functions" / "api" / "app.py").unlink()  # the handler's module is gone
    assert cli.main(args) == cli.EXIT_BAD_INPUT
    assert "handler" in capsys.readouterr().err


def test_templates_lists_an_optional_template_where_its_environment_wrote_it(
    write_config, tmp_path, capsys
):
    """The data templates exist only with a global table: listed from the environment's
    own folder, whatever folder the command runs in."""
    path = write_config()
    args = ["--config", str(path), "templates", "--regional"]
    assert cli.main(args) == 0
    assert capsys.readouterr().out.split() == ["templates/app.json", "templates/bootstrap.json"]
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "data-keys.json").write_text("{}\n")
    assert cli.main(args) == 0
    assert "templates/data-keys.json" in capsys.readouterr().out.split()
