"""Config of the data blocks: tables, queues, schedules; errors that name the field and
what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from generator import config as config_module
from generator.config import ConfigError


def _problems(write_config, edit) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config_module.load(write_config(edit))
    return caught.value.problems


def _tables(**tables: Any):
    def edit(raw: dict[str, Any]) -> None:
        raw["tables"] = tables

    return edit


def test_a_table_needs_only_its_partition_key(write_config) -> None:
    config = config_module.load(write_config(_tables(orders={"partition_key": "pk"})))
    table = config.tables["orders"]
    assert (table.billing, table.deletion_protection, table.stream) == ("on-demand", True, None)


def test_provisioned_billing_needs_both_capacities(write_config) -> None:
    problems = _problems(
        write_config, _tables(orders={"partition_key": "pk", "billing": "provisioned"})
    )
    assert any("tables.orders.read_capacity" in p and "provisioned" in p for p in problems)
    assert any("tables.orders.write_capacity" in p for p in problems)


def test_capacity_is_refused_on_demand(write_config) -> None:
    problems = _problems(write_config, _tables(orders={"partition_key": "pk", "read_capacity": 5}))
    assert any("tables.orders.read_capacity" in p and "on-demand" in p for p in problems)


def test_a_bad_table_name_is_named(write_config) -> None:
    problems = _problems(write_config, _tables(Orders={"partition_key": "pk"}))
    assert any("tables" in p and "'Orders'" in p for p in problems)


def test_an_unknown_table_key_gets_a_suggestion(write_config) -> None:
    problems = _problems(write_config, _tables(orders={"partition_key": "pk", "sort_kye": "s"}))
    assert any("tables.orders.sort_kye" in p and "sort_key" in p for p in problems)


def _queues(**queues: Any):
    def edit(raw: dict[str, Any]) -> None:
        raw["queues"] = queues

    return edit


def test_a_consumer_must_be_a_function_of_the_config(write_config) -> None:
    path = write_config(_queues(jobs={"consumer": "wroker"}))
    with pytest.raises(ConfigError) as caught:
        config_module.load(path)
    (problem,) = caught.value.problems
    assert problem.startswith("queues.jobs.consumer: unknown function 'wroker'"), problem
    assert "(allowed: 'api')" in problem
    assert str(path) in str(caught.value)


def test_a_batch_over_ten_needs_a_batching_window(write_config) -> None:
    problems = _problems(write_config, _queues(jobs={"consumer": "api", "batch_size": 11}))
    assert any("queues.jobs.batching_window_seconds" in p and "at least 1" in p for p in problems)


def test_maximum_concurrency_is_lambdas_range(write_config) -> None:
    problems = _problems(write_config, _queues(jobs={"maximum_concurrency": 1}))
    assert any("queues.jobs.maximum_concurrency" in p for p in problems)


def _schedules(**schedules: Any):
    def edit(raw: dict[str, Any]) -> None:
        raw["schedules"] = schedules

    return edit


def test_a_schedule_names_a_function_of_the_config(write_config) -> None:
    problems = _problems(
        write_config, _schedules(nightly={"function": "apo", "expression": "rate(1 day)"})
    )
    assert any(
        p.startswith("schedules.nightly.function: unknown function 'apo'; did you mean 'api'?")
        for p in problems
    ), problems


@pytest.mark.parametrize("expression", ["every day", "rate(one day)", "cron(0 3 * *)"])
def test_a_schedule_expression_is_schedulers(write_config, expression: str) -> None:
    problems = _problems(
        write_config, _schedules(nightly={"function": "api", "expression": expression})
    )
    assert any("schedules.nightly.expression" in p and "rate(" in p for p in problems)


def _uses(*uses: dict[str, Any], tables: Any = None, queues: Any = None):
    def edit(raw: dict[str, Any]) -> None:
        raw["tables"] = tables if tables is not None else {"orders": {"partition_key": "pk"}}
        raw["queues"] = queues if queues is not None else {"jobs": {}}
        raw["functions"]["api"]["uses"] = list(uses)

    return edit


def test_an_unknown_table_is_named_with_the_tables_allowed(write_config) -> None:
    problems = _problems(write_config, _uses({"table": "order", "access": "read"}))
    assert problems == [
        "functions.api.uses.0.table: unknown table 'order'; did you mean 'orders'? "
        "(allowed: 'orders')"
    ]


def test_an_unknown_queue_is_named_with_the_queues_allowed(write_config) -> None:
    problems = _problems(
        write_config, _uses({"queue": "jbos", "access": "send"}, queues={"jobs": {}, "mail": {}})
    )
    assert problems == [
        "functions.api.uses.0.queue: unknown queue 'jbos'; did you mean 'jobs'? "
        "(allowed: 'jobs', 'mail')"
    ]


@pytest.mark.parametrize(
    ("use", "fragment"),
    [
        ({"table": "orders", "access": "send"}, "allowed: 'read', 'write', 'read-write'"),
        ({"queue": "jobs", "access": "read"}, "allowed: 'send', 'consume'"),
        ({"table": "orders", "queue": "jobs", "access": "read"}, "exactly one table or queue"),
    ],
)
def test_an_access_level_must_fit_the_resource(write_config, use, fragment) -> None:
    problems = _problems(write_config, _uses(use))
    assert any(p.startswith("functions.api.uses.0.") and fragment in p for p in problems), problems


def test_an_unknown_name_exits_2_and_names_the_file(write_config, capsys) -> None:
    from generator.cli import main

    path = write_config(_uses({"table": "nope", "access": "read"}))
    assert main(["--config", str(path), "regions"]) == 2
    err = capsys.readouterr().err
    assert f"{path.name}: functions.api.uses.0.table: unknown table 'nope'" in err


GLOBAL = {"partition_key": "pk", "replication": "global", "stream": "NEW_AND_OLD_IMAGES"}


def test_a_global_table_needs_a_stream_and_on_demand_billing(write_config) -> None:
    problems = _problems(
        write_config,
        _tables(
            ledger={
                "partition_key": "pk",
                "replication": "global",
                "billing": "provisioned",
                "read_capacity": 1,
                "write_capacity": 1,
            }
        ),
    )
    assert any(p.startswith("tables.ledger.stream: is required") for p in problems)
    assert any('tables.ledger.billing: must be "on-demand"' in p for p in problems)


@pytest.mark.parametrize(
    "targets, message",
    [
        (
            {"accounts": ["111111111111", "222222222222"], "central_account": "333333333333"},
            "targets.accounts names 2",
        ),
        (
            {
                "organizational_units": ["ou-ab12-11111111"],
                "organization_id": "o-a1b2c3d4e5",
                "permission_model": "SERVICE_MANAGED",
                "central_account": "333333333333",
            },
            "targets.organizational_units",
        ),
        ({"regions": ["us-east-1"], "waves": [["us-east-1"]]}, "add it to targets.regions"),
    ],
)
def test_a_global_table_lives_in_one_account_and_the_home_region(
    write_config, targets, message
) -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["tables"] = {"ledger": dict(GLOBAL)}
        raw["targets"].update(targets)

    problems = _problems(write_config, edit)
    assert [p for p in problems if p.startswith("tables.ledger.replication:")], problems
    assert any(message in p for p in problems), problems


def test_a_global_table_in_one_named_account_is_accepted(write_config) -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["tables"] = {"ledger": dict(GLOBAL)}
        raw["targets"].update(accounts=["111111111111"], central_account="333333333333")

    config = config_module.load(write_config(edit))
    assert list(config.global_tables) == ["ledger"]
    assert config.tables["ledger"].is_global


def test_a_function_is_checked_at_most_as_many_ways_as_the_hook_has_time_for(
    write_config,
) -> None:
    from generator.config.models import MAX_HOOK_CHECKS

    def edit(raw: dict[str, Any]) -> None:
        raw["functions"]["worker"] = {"source": "functions/worker"}
        raw["queues"] = {f"q{i:02d}": {"consumer": "worker"} for i in range(MAX_HOOK_CHECKS)}

    config = config_module.load(write_config(edit))
    assert config.checks_of("worker") == MAX_HOOK_CHECKS
    assert config.checks_of("api") == 1  # its routes, one HTTP request

    def one_more(raw: dict[str, Any]) -> None:
        edit(raw)
        raw["schedules"] = {"nightly": {"function": "worker", "expression": "rate(1 day)"}}

    (problem,) = _problems(write_config, one_more)
    assert problem.startswith(f"functions.worker: is called {MAX_HOOK_CHECKS + 1} ways")
