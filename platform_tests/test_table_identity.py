"""The asset key is a table's only name (issue #17, item 1): one parser of `<schema>.<table>`, one rule
from key to table, run config that cannot redirect a write, the maintenance list derived from the asset
graph. Pure Python: no Spark session is started (SparkResource.table_for builds a TableRef only)."""

import subprocess
import warnings
from pathlib import Path

import pytest
from dagster import AssetKey, AssetSpec

from lakehouse.config.dataset import load_dataset
from lakehouse.config.identifiers import dataset_key, key_parts, key_table, side_key, split_table_name, table_name_of
from lakehouse.config.operations import MaintenanceConfig, OptimizeRule, QuarantineRetention
from lakehouse.config.reporting import load_reporting
from lakehouse.config.scoring import load_scoring_config
from lakehouse.config.sources import load_sources
from lakehouse.ingestion.run_config import run_config_class, source_defaults
from lakehouse.operations.maintenance_plan import resolve_plan
from lakehouse.partitions import build_calendar
from lakehouse.reporting.assets import SummaryRunConfig
from lakehouse.reporting.assets import require_own_tables as require_report_tables
from lakehouse.resources.spark import SparkResource
from lakehouse.run_config import require_table
from lakehouse.scoring.assets import ScoringRunConfig, run_defaults
from lakehouse.scoring.assets import require_own_tables as require_scoring_tables

REPO = Path(__file__).resolve().parents[1]


# Splits on "." or "/" that are not table names (each says what it splits instead).
NOT_TABLE_NAMES = {
    "platform/lakehouse/automation/conditions.py": 'pattern.split("/")',  # key patterns with `*` wildcards
    "platform/lakehouse/config/ml.py": 'dotted.rpartition(".")',  # a Python `module.attribute` path
}


def test_one_parser_of_schema_dot_table():
    """Nothing under platform/lakehouse splits a qualified table name but config/identifiers.py, whose
    `split_table_name` splits on its `separator` argument."""
    pattern = r'split\((separator|"[./]")\)|partition\("[./]"\)'
    out = subprocess.run(["git", "grep", "-nE", pattern, "--", "platform/lakehouse"], cwd=REPO,
                         capture_output=True, text=True, check=True)
    hits = out.stdout.splitlines()
    parsers = [line for line in hits if NOT_TABLE_NAMES.get(line.split(":")[0], "\0") not in line]
    assert [line.split(":")[0] for line in parsers] == ["platform/lakehouse/config/identifiers.py"], hits


def test_the_parser_reads_both_forms_and_nothing_else():
    assert split_table_name("scoring.predictions") == ("scoring", "predictions")
    assert key_parts("scoring/predictions") == ("scoring", "predictions")
    for bad in ("scoring", "a.b.c", "scoring/predictions", "scoring.pre dictions"):
        with pytest.raises(ValueError, match="Invalid"):
            split_table_name(bad)
    with pytest.raises(ValueError, match=r"must be <schema>/<table>"):
        key_parts("scoring.predictions")


def test_the_key_names_the_table_locally_and_on_unity_catalog(tmp_path: Path):
    local = SparkResource(spark_config={}, data_root=str(tmp_path), warehouse_uri=str(tmp_path / "wh"))
    unity = SparkResource(spark_config={}, data_root=str(tmp_path), catalog="unity", catalog_name="main")
    key = ["card_fraud", "scoring", "predictions"]
    assert local.table_for(key).name == "scoring.predictions"
    assert local.table_for(key).location == f"{tmp_path}/wh/scoring/predictions"
    assert unity.table_for(AssetKey(key).path).name == "main.scoring.predictions"
    assert table_name_of(["gold", "labels"]) == "gold.labels"
    with pytest.raises(ValueError, match=r"a table's asset key is \[<dataset>, <schema>, <table>\]"):
        key_table(["predictions"])


def test_side_tables_are_named_from_their_assets_key():
    assert side_key(("card_fraud", "bronze", "customers"), "_history") == ("card_fraud", "bronze", "customers_history")
    assert side_key(["card_fraud", "bronze", "customers"], "_quarantine") == (
        "card_fraud", "bronze", "customers_quarantine")
    with pytest.raises(ValueError, match="Unknown side-table suffix"):
        side_key(["card_fraud", "bronze", "customers"], "_backup")


def test_require_table_accepts_the_own_table_and_explains_the_way_elsewhere():
    require_table("output_table", "scoring.predictions", ("scoring", "predictions"), "remedy")
    with pytest.raises(ValueError, match=r"output_table 'scoring.other' is not scoring.predictions, the table of "
                                         r"asset scoring/predictions.*use the export job"):
        require_table("output_table", "scoring.other", ("scoring", "predictions"), "use the export job")


@pytest.mark.parametrize("dataset", ["card_fraud", "subscription_churn"])
def test_every_source_defaults_to_its_own_table_and_refuses_another(dataset):
    for source in load_sources(dataset).values():
        defaults = source_defaults(source)
        assert defaults["target_table"] == f"bronze.{source.name}"
        config = run_config_class(source)(**{**defaults, "target_table": "bronze.elsewhere"})
        with pytest.raises(ValueError, match="add an entry to sources.yaml"):
            require_table("target_table", config.target_table, source.key, "add an entry to sources.yaml")


@pytest.mark.parametrize("dataset", ["card_fraud", "subscription_churn"])
def test_scoring_refuses_tables_other_than_its_keys(dataset):
    settings = load_scoring_config(dataset)
    defaults = run_defaults(settings)
    assert defaults["output_table"] == "scoring.predictions"
    assert defaults["input_table"] == table_name_of(settings.features_key)
    require_scoring_tables(ScoringRunConfig(**defaults), settings)
    with pytest.raises(ValueError, match="export_predictions"):
        require_scoring_tables(ScoringRunConfig(**{**defaults, "output_table": "scratch.predictions"}), settings)
    with pytest.raises(ValueError, match="features_asset"):
        require_scoring_tables(ScoringRunConfig(**{**defaults, "input_table": "gold.other"}), settings)


@pytest.mark.parametrize("dataset", ["card_fraud", "subscription_churn"])
def test_reports_read_only_their_declared_upstream(dataset):
    settings = load_reporting(dataset)
    own = {"data_table": "scoring.predictions", "labels_table": table_name_of(settings.labels_key or ())}
    require_report_tables(SummaryRunConfig(**own), settings)
    require_report_tables(SummaryRunConfig(**{**own, "labels_table": ""}), settings)  # no labels: pending
    for field in ("data_table", "labels_table"):
        with pytest.raises(ValueError, match=f"{field} 'scratch.x' is not"):
            require_report_tables(SummaryRunConfig(**{**own, field: "scratch.x"}), settings)


def _assets(dataset: str) -> list:
    from lakehouse.ingestion.assets import build_ingestion_assets
    from lakehouse.ml.assets import build_ml_assets
    from lakehouse.monitoring.assets import build_monitoring_assets
    from lakehouse.processing.assets import build_processing_assets
    from lakehouse.reporting.assets import build_reporting_assets
    from lakehouse.scoring.assets import build_scoring_assets

    config = load_dataset(dataset)
    calendar = build_calendar(config.partitions)
    builders = (build_ingestion_assets, build_processing_assets, build_ml_assets, build_scoring_assets,
                build_reporting_assets, build_monitoring_assets)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Dagster's beta warnings on partition mappings
        return [a for build in builders for a in build(config, calendar)]


@pytest.mark.parametrize("dataset", ["card_fraud", "subscription_churn"])
def test_maintenance_covers_every_delta_asset_of_the_graph(dataset):
    from lakehouse.config.operations import load_maintenance_config

    assets = _assets(dataset)
    plan = resolve_plan(load_maintenance_config(dataset), assets, dataset)
    keys = [s.key for a in assets for s in a.specs if "delta" in s.kinds]
    assert all(len(k.path) == 3 and k.path[0] == dataset for k in keys), keys
    delta = {"/".join(k.path[1:]) for k in keys}  # the plan names tables by their key within the dataset
    # Every Delta asset but the training set, whose old versions models pin (maintenance.yaml keep_history).
    assert "ml/training_set" in delta and "scoring/predictions" in delta
    assert set(plan.vacuum) == delta - {"ml/training_set"}
    sources = load_sources(dataset).values()
    assert {q.asset for q in plan.quarantine} == {f"bronze/{s.name}_quarantine" for s in sources}
    ages = {q.asset: q.age_column for q in plan.quarantine}
    for source in sources:
        expected = "_ingested_at" if source.format == "stream" else source.partition_column
        assert ages[f"bronze/{source.name}_quarantine"] == expected
    assert plan.quarantine_retention_days == 90
    partitions = {t.asset: t.partition_column for t in plan.optimize}
    assert partitions["scoring/predictions"] == "event_date"


def test_an_optimize_rule_must_name_a_delta_asset():
    spec = AssetSpec(["d", "silver", "t"], kinds={"delta"}, metadata={"partition_expr": "event_date"})
    config = MaintenanceConfig(optimize=[OptimizeRule(asset="silver/t", zorder_by=["id"], recent_days=3)],
                               quarantine=QuarantineRetention(retention_days=5))
    [target] = resolve_plan(config, [spec], "d").optimize
    assert (target.asset, target.partition_column, target.recent_days) == ("silver/t", "event_date", 3)
    with pytest.raises(ValueError, match="'silver/missing' is no Delta asset"):
        resolve_plan(MaintenanceConfig(optimize=[OptimizeRule(asset="silver/missing", zorder_by=["id"])]), [spec], "d")
    with pytest.raises(ValueError, match="'silver/t' is no Delta asset"):  # another dataset's table is not its own
        resolve_plan(config, [spec], "other")
    unpartitioned = AssetSpec(["d", "silver", "t"], kinds={"delta"})
    with pytest.raises(ValueError, match="recent_days needs a partitioned asset"):
        resolve_plan(config, [unpartitioned], "d")


def test_asset_keys_are_namespaced_by_their_dataset() -> None:
    """[<dataset>, <schema>, <table>]: configuration names a key within its dataset, `dataset_key` adds the
    dataset; two datasets' graphs share no key, so both fit one Dagster instance."""
    from lakehouse.config.profile import load_profile
    from lakehouse.definitions import build_definitions

    assert dataset_key("card_fraud", "scoring/predictions") == ("card_fraud", "scoring", "predictions")
    with pytest.raises(ValueError, match=r"\[<dataset>, <schema>, <table>\]"):
        key_table(["scoring", "predictions"])
    assert side_key(("d", "bronze", "t"), "_quarantine") == ("d", "bronze", "t_quarantine")
    keys: dict[str, set[AssetKey]] = {}
    for dataset, profile in (("card_fraud", "local"), ("subscription_churn", "subscription_churn_local")):
        keys[dataset] = set(build_definitions(load_profile(profile)).resolve_asset_graph().get_all_asset_keys())
        assert keys[dataset], profile
        assert all(len(k.path) == 3 and k.path[0] == dataset for k in keys[dataset]), (dataset, keys[dataset])
    assert not keys["card_fraud"] & keys["subscription_churn"]
