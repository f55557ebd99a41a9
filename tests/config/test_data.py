"""Config of the data blocks: tables; errors that name the field and what is allowed."""

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
