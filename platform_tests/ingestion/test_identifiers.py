"""One identifier rule for every name that reaches SQL text or a path (issue 16, item 1). No Spark."""

from pathlib import Path

import pytest
from dagster import materialize
from pydantic import ValidationError

from lakehouse.config import identifiers
from lakehouse.config.contracts import ColumnSpec
from lakehouse.config.dataset import load_dataset
from lakehouse.config.operations import OptimizeTarget
from lakehouse.config.profile import load_profile
from lakehouse.config.sources import load_sources
from lakehouse.ingestion.assets import BUILDERS
from lakehouse.ingestion.jdbc import source_table_name
from lakehouse.ingestion.run_config import run_config_class, source_defaults
from lakehouse.partitions import build_calendar
from lakehouse.profile_resources import build_resources
from lakehouse.resources.catalog import TableRef, quote, validate_identifier

REJECTED = {
    "trailing newline": "t7nl\n",
    "leading space": " t",
    "trailing space": "t ",
    "inner space": "t 1",
    "tab": "t\t",
    "slash": "a/b",
    "backslash": "a\\b",
    "dot-dot": "..",
    "semicolon": "t;drop",
    "backtick": "t`x",
    "quote": "t'x",
    "empty": "",
    "over the limit": "a" * (identifiers.MAX_LENGTH + 1),
    "non-ASCII letter": "tä",
    "non-ASCII digit": "t٣",
    "leading digit": "1t",
    "hyphen": "a-b",
}
ACCEPTED = ["t", "_x", "T1", "transactions_pos", "a" * identifiers.MAX_LENGTH]


@pytest.mark.parametrize("name", REJECTED.values(), ids=REJECTED.keys())
def test_every_bad_form_is_rejected_everywhere(name):
    assert not identifiers.is_identifier(name)
    with pytest.raises(ValueError, match="Invalid column name"):
        identifiers.validate_identifier(name, "column name")
    with pytest.raises(ValueError, match="Invalid"):
        quote(name)  # the catalog's quoting (and its re-exported validator) uses the same rule
    with pytest.raises(ValueError, match="Invalid table name"):
        TableRef(schema="bronze", table=name, location=None)
    with pytest.raises(ValueError, match="Invalid target_table"):
        identifiers.validate_target_table(f"bronze.{name}")
    with pytest.raises(ValueError, match="Invalid source table name"):
        source_table_name(name)  # JDBC sources
    with pytest.raises(ValidationError):
        ColumnSpec(name=name, type="string", description="d")  # contract columns
    with pytest.raises(ValidationError):
        OptimizeTarget(asset=f"bronze/{name}", zorder_by=["x"])  # operations config names asset keys


@pytest.mark.parametrize("name", ACCEPTED)
def test_plain_names_are_accepted(name):
    assert validate_identifier(name) == name
    assert TableRef(schema="bronze", table=name, location=None).name == f"bronze.{name}"


def test_the_catalog_re_exports_the_shared_validator():
    assert validate_identifier is identifiers.validate_identifier


@pytest.mark.parametrize("value", ["bronze", "a.b.c", ".t", "bronze.", "bronze.t7nl\n", "bronze .t"])
def test_table_names_need_exactly_schema_dot_table(value):
    with pytest.raises(ValueError, match="Invalid"):
        identifiers.split_table_name(value)


def test_a_target_table_leaves_room_for_its_quarantine_and_history_tables():
    longest = max(map(len, identifiers.DERIVED_SUFFIXES))
    fits = "a" * (identifiers.MAX_LENGTH - longest)
    assert identifiers.validate_target_table(f"bronze.{fits}")
    with pytest.raises(ValueError, match="leave room for its `_quarantine` table"):
        identifiers.validate_target_table(f"bronze.{fits}a")


def test_sources_yaml_names_are_checked():
    source = load_sources("card_fraud")["transactions_pos"]
    for field, value in [("name", "t7nl\n"), ("name", "a/b"), ("keys", ["id "]),
                         ("table", "main.t;x"), ("partition_column", "day\n")]:
        with pytest.raises(ValidationError):
            type(source)(**{**source.model_dump(), field: value})


@pytest.mark.parametrize("source_name", ["transactions_pos", "merchants", "chargebacks"])
def test_the_run_config_refuses_a_bad_target_table(source_name):
    source = load_sources("card_fraud")[source_name]
    config_class, defaults = run_config_class(source), source_defaults(source)
    assert config_class(**{**defaults, "target_table": "bronze.other"}).target_table == "bronze.other"
    with pytest.raises(ValidationError, match="Invalid target_table"):
        config_class(**{**defaults, "target_table": "bronze.t7nl\n"})


def test_a_launchpad_target_table_with_a_newline_fails_the_run_before_anything_is_written(tmp_path: Path, instance):
    """The issue's case: `bronze.t7nl\\n` used to create a table folder that broke every later session.
    (Any target_table but bronze.<source> now fails too: this one fails on the name rule first.)"""
    dataset = load_dataset("card_fraud")
    source = load_sources("card_fraud")["transactions_pos"]
    asset = BUILDERS[source.format](source, dataset, build_calendar(dataset.partitions))
    resources = build_resources(load_profile("local"), str(tmp_path))
    run_config = {"ops": {f"ingest_{source.name}": {"config": {"target_table": "bronze.t7nl\n"}}}}
    result = materialize([asset], resources=resources, instance=instance, partition_key="2026-01-02",
                         run_config=run_config, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "Invalid target_table" in str(failure.step_failure_data.error)
    assert not (tmp_path / "warehouse").exists() or not any((tmp_path / "warehouse").rglob("*"))
