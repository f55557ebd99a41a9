"""What a release may change of its tables, given the last release's templates: one
replica more or fewer per release, and no change of a table's replication."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from generator import cli
from generator import config as config_module
from generator.build import generate
from generator.checks import replicas
from generator.output import tree
from tests.conftest import REFERENCE, write_project


def _raw(regions: list[str], replication: str = "global", **table: Any) -> dict[str, Any]:
    raw = copy.deepcopy(REFERENCE)
    raw["targets"].update(regions=regions, waves=[regions])
    raw["tables"] = {"ledger": {"partition_key": "pk", "replication": replication, **table}}
    if replication == "global":
        raw["tables"]["ledger"]["stream"] = "KEYS_ONLY"
    return raw


def _release(root: Path, raw: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    config = config_module.load(write_project(root, raw))
    return config, generate(config).data


def _previous(data: dict[str, Any]) -> dict[str, str]:
    return {n: json.dumps(data[n]) for n in replicas.FILES if n in data}


def test_one_replica_more_or_fewer_per_release_passes(tmp_path) -> None:
    _, before = _release(tmp_path, _raw(["eu-west-1", "us-east-1"]))
    config, after = _release(tmp_path, _raw(["eu-west-1", "us-east-1", "us-west-2"]))
    assert replicas.problems(config, _previous(before), after) == []
    _, unprotected = _release(tmp_path, _raw(["eu-west-1", "us-east-1"], deletion_protection=False))
    config, after = _release(tmp_path, _raw(["eu-west-1"]))
    assert replicas.problems(config, _previous(unprotected), after) == []


def test_a_protected_replica_is_unprotected_one_release_before_it_goes(tmp_path) -> None:
    _, before = _release(tmp_path, _raw(["eu-west-1", "us-east-1"]))
    config, after = _release(tmp_path, _raw(["eu-west-1"], deletion_protection=False))
    (problem,) = replicas.problems(config, _previous(before), after)
    assert problem.startswith("tables.ledger.deletion_protection: the replica of shop-ledger ")
    assert "in us-east-1 is protected" in problem and "release once with" in problem


def test_the_expiry_attribute_changes_over_two_releases(tmp_path) -> None:
    for replication in ("global", "regional"):
        regions = ["eu-west-1", "us-east-1"]
        _, before = _release(tmp_path, _raw(regions, replication, ttl_attribute="expires"))
        config, after = _release(tmp_path, _raw(regions, replication, ttl_attribute="ttl"))
        (problem,) = replicas.problems(config, _previous(before), after)
        assert problem.startswith("tables.ledger.ttl_attribute: changing 'expires' to 'ttl'")
        config, off = _release(tmp_path, _raw(regions, replication))
        assert replicas.problems(config, _previous(before), off) == []
        config, on = _release(tmp_path, _raw(regions, replication, ttl_attribute="ttl"))
        assert replicas.problems(config, _previous(off), on) == []  # a release later


def test_two_replicas_in_one_release_are_refused_naming_the_regions(tmp_path) -> None:
    _, before = _release(tmp_path, _raw(["eu-west-1", "us-east-1"]))
    config, after = _release(tmp_path, _raw(["eu-west-1", "us-west-2"]))
    problem, protected = replicas.problems(config, _previous(before), after)
    assert "us-east-1 is protected" in protected
    assert problem.startswith("targets.regions: the global table shop-ledger")
    assert "adds us-west-2, removes us-east-1" in problem
    assert "one region per release" in problem


def test_a_first_release_or_a_new_table_may_have_any_number_of_replicas(tmp_path) -> None:
    config, after = _release(tmp_path, _raw(["eu-west-1", "us-east-1", "us-west-2"]))
    assert replicas.problems(config, {}, after) == []
    assert replicas.problems(config, {"app.json": json.dumps({"Resources": {}})}, after) == []


def test_a_table_keeps_its_replication(tmp_path) -> None:
    regions = ["eu-west-1", "us-east-1"]
    _, regional = _release(tmp_path, _raw(regions, "regional"))
    config, global_ = _release(tmp_path, _raw(regions, "global"))
    (problem,) = replicas.problems(config, _previous(regional), global_)
    assert problem.startswith("tables.ledger.replication: shop-ledger exists as a regional")
    back, _ = _release(tmp_path, _raw(regions, "regional"))
    (problem,) = replicas.problems(back, _previous(global_), regional)
    assert "exists as a global table" in problem


def test_a_refused_change_exits_2_and_leaves_the_templates_as_they_were(tmp_path, capsys) -> None:
    path = write_project(tmp_path, _raw(["eu-west-1", "us-east-1"]))
    assert cli.main(["--config", str(path)]) == cli.EXIT_OK
    before = tree.read_tree(tmp_path / "templates")
    capsys.readouterr()
    write_project(tmp_path, _raw(["eu-west-1", "us-east-1", "us-west-2", "eu-central-1"]))
    assert cli.main(["--config", str(path)]) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "deployment.toml" in err and "targets.regions:" in err and "Traceback" not in err
    assert tree.read_tree(tmp_path / "templates") == before
