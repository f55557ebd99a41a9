"""Property-based tests: every valid config builds templates that cfn-lint passes in
every target region; every invalid one gets a clear error, no traceback, no writes.

The default run is derandomized (the "ci" profile of tests/config/conftest.py): the same
examples every time. The `slow` tests explore new ones: `pytest -m slow tests/config`.
"""

from __future__ import annotations

import itertools
import json
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import cli
from generator.config import DEPLOYMENT_STRATEGIES
from generator.config.regions import home_regions, target_regions
from tests.config.support import tree_digest, write_toml
from tests.conftest import FIXTURES

REGIONS = list(target_regions())
EXPLORE = settings.get_profile("explore")


# The default run's examples have at most this many functions, each example a config
# of a few templates that lint in seconds; the exploring run (`-m slow`, which CI runs)
# draws up to 20, and tests/checks/test_quotas.py lints the largest app stack (28).
DEFAULT_MAX_FUNCTIONS = 4


@st.composite
def valid_configs(draw, max_functions: int = 20) -> dict:
    regions = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=17, unique=True))
    wave_count = draw(st.integers(1, min(4, len(regions))))
    cuts = (
        sorted(
            draw(
                st.lists(
                    st.integers(1, len(regions) - 1),
                    min_size=wave_count - 1,
                    max_size=wave_count - 1,
                    unique=True,
                )
            )
        )
        if wave_count > 1
        else []
    )
    bounds = [0, *cuts, len(regions)]
    waves = [regions[a:b] for a, b in itertools.pairwise(bounds)]
    count = draw(st.integers(1, max_functions))
    functions = {
        f"fn{i:02d}": {
            "source": "src",
            "memory": draw(st.sampled_from([128, 256, 1024, 3008])),
            "timeout": draw(st.integers(1, 60)),
            "architecture": draw(st.sampled_from(["arm64", "x86_64"])),
            # A routed function serves its health path; a routeless one needs none.
            **(
                {"routes": [f"GET /fn{i:02d}"], "health_path": f"/fn{i:02d}"}
                if draw(st.booleans())
                else {}
            ),
        }
        for i in range(count)
    }
    return {
        "application": {
            "name": draw(st.from_regex(r"[a-z][a-z0-9]{1,10}", fullmatch=True)),
            "home_region": draw(st.sampled_from(home_regions(True))),
        },
        "targets": {"regions": regions, "waves": waves},
        "deployment": {"strategy": draw(st.sampled_from(DEPLOYMENT_STRATEGIES))},
        "functions": functions,
    }


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("properties")
    shutil.copytree(FIXTURES / "functions" / "api", root / "src")
    return root


@settings(max_examples=5)
@given(config=valid_configs(max_functions=DEFAULT_MAX_FUNCTIONS))
def test_valid_configs_lint_clean_everywhere(config, workdir, capsys):
    check_valid(config, workdir, capsys)


@pytest.mark.slow
@settings(EXPLORE, max_examples=25)
@given(config=valid_configs())
def test_valid_configs_lint_clean_everywhere_explore(config, workdir, capsys):
    check_valid(config, workdir, capsys)


def check_valid(config, workdir, capsys):
    path = write_toml(workdir / "deployment.toml", config)
    out = workdir / "out"
    code = cli.main(["--config", str(path), "--out", str(out), "--assets", str(workdir / "a")])
    captured = capsys.readouterr()
    assert code == 0, captured.err  # the build lints every template in every target region
    app = json.loads((out / "app.json").read_text())
    assert len([r for r in app["Resources"].values() if r["Type"] == "AWS::Lambda::Alias"]) == len(
        config["functions"]
    )
    for number, wave in enumerate(config["targets"]["waves"], start=1):
        instances = json.loads(
            (out / "stacksets" / f"app.wave-{number}.instances.json").read_text()
        )
        assert instances["Regions"] == wave


# (field path, a bad value, a fragment the message must contain)
BREAKAGES = [
    (("functions", "fn00", "memory"), st.integers(-10, 127), "greater than or equal to 128"),
    (("functions", "fn00", "timeout"), st.integers(901, 10_000), "less than or equal to 900"),
    (("functions", "fn00", "architecture"), st.sampled_from(["arm", "x86", "ARM64"]), "arm64"),
    (("functions", "fn00", "memory"), st.text(min_size=1, max_size=5), "valid integer"),
    (
        ("deployment", "strategy"),
        st.text(min_size=1, max_size=30),
        "CodeDeployDefault.LambdaAllAtOnce",
    ),
    (
        ("application", "home_region"),
        st.from_regex(r"[a-z]{2}-[a-z]{4,9}-[5-9]", fullmatch=True),
        "unknown region",
    ),
    (
        ("application", "log_retention_days"),
        st.sampled_from([2, 4, 31, 100, 5000]),
        "not a CloudWatch Logs retention",
    ),
    (
        ("application", "name"),
        st.from_regex(r"[A-Z_][A-Za-z_]{1,8}", fullmatch=True),
        "lowercase letters",
    ),
    (("alarms", "evaluation_periods"), st.integers(11, 100), "less than or equal to 10"),
    (("pipeline", "execution_mode"), st.just("PARALLEL"), "PARALLEL is not allowed"),
    (
        ("application", "artifact_bucket_prefix"),
        st.sampled_from(["xn--a", "sthree", "amzn-s3-demo"]),
        "a prefix S3 reserves",
    ),
    (
        ("functions", "fn00", "health_path"),
        st.from_regex(r"/[a-z]{1,8}", fullmatch=True).filter(lambda p: p != "/fn00"),
        "none of the function's routes serves",
    ),
    (("functions", "fn00", "source"), st.sampled_from(["", ".", "..", "/src"]), "source"),
]


@settings(max_examples=30)
@given(data=st.data(), index=st.integers(0, len(BREAKAGES) - 1))
def test_invalid_configs_fail_clearly_and_write_nothing(data, index, workdir, capsys):
    check_invalid(data, index, workdir, capsys)


@pytest.mark.slow
@settings(EXPLORE, max_examples=300)
@given(data=st.data(), index=st.integers(0, len(BREAKAGES) - 1))
def test_invalid_configs_fail_clearly_explore(data, index, workdir, capsys):
    check_invalid(data, index, workdir, capsys)


def check_invalid(data, index, workdir, capsys):
    path_parts, bad_values, fragment = BREAKAGES[index]
    config = {
        "targets": {"regions": ["eu-west-1"]},
        "functions": {"fn00": {"source": "src", "routes": ["GET /fn00"], "health_path": "/fn00"}},
    }
    target = config
    for part in path_parts[:-1]:
        target = target.setdefault(part, {})
    target[path_parts[-1]] = data.draw(bad_values)
    path = write_toml(workdir / "bad.toml", config)
    out = workdir / "untouched"
    out.mkdir(exist_ok=True)
    (out / "app.json").write_text('{"keep": true}\n')
    before = tree_digest(out)
    code = cli.main(["--config", str(path), "--out", str(out), "--assets", str(workdir / "b")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{path}: {'.'.join(path_parts)}: " in err
    assert fragment in err
    assert "Traceback" not in err
    assert tree_digest(out) == before


@pytest.mark.parametrize("strategy", DEPLOYMENT_STRATEGIES)
def test_every_deployment_strategy_lints_clean(strategy, workdir, capsys):
    """Hypothesis samples strategies; this pins each of the nine."""
    config = {
        "deployment": {"strategy": strategy},
        "functions": {"api": {"source": "src", "routes": ["GET /x"], "health_path": "/x"}},
    }
    path = write_toml(workdir / f"{strategy}.toml", config)
    out = workdir / f"out-{strategy}"
    code = cli.main(["--config", str(path), "--out", str(out), "--assets", str(workdir / "c")])
    assert code == 0, capsys.readouterr().err
    app = json.loads((out / "app.json").read_text())
    (group,) = [
        r for r in app["Resources"].values() if r["Type"] == "AWS::CodeDeploy::DeploymentGroup"
    ]
    assert group["Properties"]["DeploymentConfigName"] == strategy
