"""Streaming source selection and guard rails, the asset's definition, and the demo generator's stream."""

import json
import shutil
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from lakehouse.config.contracts import load_contracts
from lakehouse.ingestion.assets import BUILDERS
from lakehouse.ingestion.stream import JsonFileStream, UnsupportedStreamFormat, stream_source_for
from lakehouse.ingestion.stream_assets import build_stream_asset
from lakehouse.ingestion.stream_batch import utc_date
from lakehouse_tools.demo.generator import generate, land_next_day
from lakehouse_tools.demo.settings import GeneratorSettings
from platform_tests.ingestion.stream_helpers import SOURCE, StreamCase, event, stream_asset


def test_the_stream_format_selects_the_implementation_and_kafka_is_a_clear_error(resources, instance, data_root):
    contract = load_contracts("card_fraud")["chargebacks"]
    assert isinstance(stream_source_for(SOURCE, "/x", contract), JsonFileStream)
    kafka = SOURCE.model_copy(update={"stream_format": "kafka"})
    with pytest.raises(NotImplementedError, match=r"Source 'chargebacks': stream_format 'kafka' is not implemented"):
        stream_source_for(kafka, "/x", contract)
    case = StreamCase(data_root)
    case.write("2026-01-05", 1, [event("cb-1", "2026-01-05T08:00:00Z")])
    with pytest.raises(UnsupportedStreamFormat, match=f"{case.source.name}.*kafka"):
        case.run(resources, instance, asset=stream_asset(case.source.model_copy(update={"stream_format": "kafka"})))
    assert not case.checkpoint.exists()  # failed before touching anything


def test_the_asset_definition_follows_the_ingestion_conventions():
    assert BUILDERS["stream"] is build_stream_asset
    asset = stream_asset()
    specs = {k.to_user_string(): s for k, s in asset.specs_by_key.items()}
    assert set(specs) == {"card_fraud/bronze/chargebacks", "card_fraud/bronze/chargebacks_quarantine"}
    table = specs["card_fraud/bronze/chargebacks"]
    assert table.group_name == "ingestion" and table.owners == ["team:fraud-analytics"]
    assert set(table.kinds) == {"spark", "delta"} and asset.partitions_def is None
    assert table.metadata["column_descriptions"]["reported_date"].startswith("UTC day of `reported_at`")
    fields = asset.op.config_schema.config_type.fields
    assert fields["checkpoint_path"].default_value == "checkpoints/chargebacks"
    assert fields["data_source"].default_value == "stream/chargebacks"
    assert fields["target_table"].default_value == "bronze.chargebacks"
    assert fields["ingest_mode"].default_value == "incremental"


def test_guard_rails_name_the_source(spark, resources, instance, data_root):
    case = StreamCase(data_root)
    with pytest.raises(FileNotFoundError, match=rf"Source '{case.source.name}': stream folder .* does not exist"):
        case.run(resources, instance)
    case.write("2026-01-05", 1, [event("cb-1", "2026-01-05T08:00:00Z")])
    with pytest.raises(Exception, match="unknown ingest_mode 'sometimes'"):
        case.run(resources, instance, ingest_mode="sometimes")
    # A lost table with a checkpoint that has progress must be rebuilt, not silently continued.
    case.run(resources, instance)
    spark.sql(f"DROP TABLE IF EXISTS {case.table}")
    shutil.rmtree(Path(case.data_root, "warehouse", *case.table.split(".")))
    with pytest.raises(RuntimeError, match="run with ingest_mode=full"):
        case.run(resources, instance)
    assert case.run(resources, instance, ingest_mode="full")["table"]["dagster/row_count"] == 1


def test_the_generated_stream_lands_every_chargeback_once_as_days_arrive(spark, resources, instance, data_root):
    case = StreamCase(data_root)
    settings = GeneratorSettings(rows_per_day=600, customers=200, merchants=30, days=8)
    gen_root = data_root / case.rel / "generated"
    generate(settings, gen_root)
    case.folder.parent.mkdir(parents=True, exist_ok=True)
    (case.folder).symlink_to(gen_root / "stream" / "chargebacks", target_is_directory=True)
    first = case.run(resources, instance)["table"]
    for _ in range(2):
        land_next_day(settings, gen_root)
    second = case.run(resources, instance)["table"]

    manifest = json.loads((gen_root / "_generator/manifest.json").read_text())
    expected = sum(day["chargebacks"]["rows"] for day in manifest["days"].values())
    assert expected > 0 and first["rows_read"] > 0 and second["rows_read"] > 0
    assert first["rows_read"] + second["rows_read"] == expected
    assert second["dagster/row_count"] == expected and second["rows_quarantined"] == 0
    rows = spark.table(case.table).collect()
    assert len({r["chargeback_id"] for r in rows}) == expected
    # Each event sits in the folder of the UTC day it was reported.
    assert all(f"/{r['reported_date'].isoformat()}/" in r["_source_file"] for r in rows)


def test_the_partition_day_is_the_utc_day_whatever_the_session_time_zone(spark):
    previous = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        df = spark.createDataFrame([("2026-01-05T23:30:00Z",), ("2026-01-06T02:00:00Z",)], "at string")
        days = [r["d"].isoformat() for r in df.select(utc_date(F.to_timestamp("at")).alias("d")).collect()]
    finally:
        spark.conf.set("spark.sql.session.timeZone", previous)
    assert days == ["2026-01-05", "2026-01-06"]
