"""Timestamp and date formats in the contract: a real dataset's own format loads without pre-processing."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from pyspark.sql import functions as F

from lakehouse.config.contracts import ColumnSpec
from lakehouse.ingestion.casts import typed_value
from platform_tests.ingestion.file_cases import HEADER, contract_with, csv_line, ingest, values

DAY = "2026-01-02"
PARIS = contract_with({"event_time": {"format": "yyyy/MM/dd HH:mm", "timezone": "Europe/Paris"}})


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_a_declared_format_and_timezone_load_the_sources_own_timestamps(spark, resources, data_root):
    lines = [HEADER,
             csv_line(values("t1", event_time="2001/01/04 06:03")),  # winter: Paris is UTC+1
             csv_line(values("t2", event_time="2001/07/04 06:03")),  # summer: UTC+2
             csv_line(values("t3", event_time="2001-01-04T06:03:00Z"))]  # not the declared format
    files = {f"{DAY}/pos.csv": "\n".join(lines) + "\n"}
    session_zone = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")  # the result must not depend on it
    try:
        case = ingest(spark, resources, data_root, "formats", "csv", files, contract=PARIS)
        loaded = {r["transaction_id"]: r["s"] for r in case.table.select("transaction_id", F.unix_seconds("event_time").alias("s")).collect()}
    finally:
        spark.conf.set("spark.sql.session.timeZone", session_zone)
    assert loaded == {"t1": _epoch("2001-01-04T05:03:00"), "t2": _epoch("2001-07-04T04:03:00")}
    [bad] = case.quarantine.collect()
    assert bad["reason"] == "event_time: not a timestamp in format 'yyyy/MM/dd HH:mm': 2001-01-04T06:03:00Z"


def test_a_date_column_with_a_format(spark):
    spec = ColumnSpec(name="signup", type="date", description="d", format="dd.MM.yyyy")
    df = spark.createDataFrame([("04.01.2001",), ("2001-01-04",)], "signup string")
    assert [r[0] for r in df.select(typed_value(spec, F.col("signup"))).collect()] == [
        datetime(2001, 1, 4).date(), None]


@pytest.mark.parametrize("fields, message", [
    ({"type": "string", "format": "yyyy"}, "`format` applies to timestamp and date columns"),
    ({"type": "timestamp", "timezone": "Europe/Paris"}, "`timezone` needs a timestamp column with a `format`"),
    ({"type": "timestamp", "format": "yyyy-MM-dd HH:mm XXX", "timezone": "UTC"}, "reads the zone from the text"),
    ({"type": "timestamp", "format": "yyyy-MM-dd HH:mm", "timezone": "Mars/Olympus"}, "unknown timezone"),
    ({"type": "string", "round": True}, "`round` applies to decimal columns"),
])
def test_parsing_options_that_cannot_apply_are_rejected(fields, message):
    with pytest.raises(ValidationError, match=message):
        ColumnSpec(name="c", description="d", **fields)
