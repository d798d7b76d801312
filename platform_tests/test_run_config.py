"""Run config: static Config classes whose defaults are the dataset's values, carried by each asset's
config_schema (lakehouse/run_config.py). No Spark."""

import pytest
from dagster import AssetExecutionContext, Config, asset, materialize
from pydantic import Field, field_validator

from lakehouse.config.dataset import load_dataset
from lakehouse.config.sources import load_sources
from lakehouse.ingestion.assets import build_ingestion_assets
from lakehouse.partitions import build_calendar
from lakehouse.run_config import config_schema, op_config


class _Params(Config):
    name: str = Field(description="Required by the class; the asset gives the default.")
    size: int = Field(default=3, ge=0, description="The class's own default.")

    @field_validator("name")
    @classmethod
    def _no_newline(cls, value: str) -> str:
        if "\n" in value:
            raise ValueError("Invalid name")
        return value


@asset(config_schema=config_schema(_Params, {"name": "configured"}))
def _echo(context: AssetExecutionContext) -> str:
    params = op_config(context, _Params)
    return f"{params.name}:{params.size}"


def _run(config: dict) -> object:
    return materialize([_echo], run_config={"ops": {"_echo": {"config": config}}}, raise_on_error=False)


def test_no_config_runs_with_the_given_defaults_and_a_launchpad_value_replaces_one():
    assert _run({}).output_for_node("_echo") == "configured:3"
    assert _run({"size": 5}).output_for_node("_echo") == "configured:5"
    assert _run({"name": "typed"}).output_for_node("_echo") == "typed:3"


def test_the_class_validators_fail_the_step():
    result = _run({"name": "bad\n"})
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "Invalid name" in str(failure.step_failure_data.error)


def test_a_default_for_a_field_the_class_lacks_is_refused():
    with pytest.raises(ValueError, match=r"_Params has no fields \['nmae'\]"):
        config_schema(_Params, {"nmae": "typo"})


@pytest.mark.parametrize("dataset", ["card_fraud", "subscription_churn"])
def test_each_bronze_asset_defaults_to_its_sources_yaml_entry(dataset):
    config = load_dataset(dataset)
    assets = {a.op.name: a for a in build_ingestion_assets(config, build_calendar(config.partitions))}
    for source in load_sources(dataset).values():
        fields = assets[f"ingest_{source.name}"].op.config_schema.config_type.fields
        defaults = {name: field.default_value for name, field in fields.items()}
        assert defaults["target_table"] == f"bronze.{source.name}"  # the table of the asset key <dataset>/bronze/<name>
        assert defaults["ingest_mode"] == source.ingest_mode
        assert defaults["data_source"] == (source.table if source.format == "jdbc" else source.location)
        assert ("cdc_lookback_hours" in defaults) == bool(source.format == "jdbc" and source.cdc_column)
