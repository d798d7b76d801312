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


MARKERS = contract_with({"amount": {"missing_values": ["NA"]}, "device_id": {"missing_values": ["\\N"]},
                         "entry_mode": {"missing_values": ["N/A"]}})


def test_declared_missing_values_load_as_null_per_column_and_nowhere_else(spark, resources, data_root):
    lines = [HEADER,
             # country has no markers: Namibia's `NA` is a value. device_id's `\N` and entry_mode's `N/A` are missing.
             csv_line(values("t1", country="NA", device_id="\\N", entry_mode="N/A")),
             csv_line(values("t2", amount=" NA ")),  # required: a declared missing value quarantines the row
             csv_line(values("t3", entry_mode="n/a"))]  # markers match exactly (after trimming), not by case
    files = {f"{DAY}/pos.csv": "\n".join(lines) + "\n"}
    case = ingest(spark, resources, data_root, "markers", "csv", files, contract=MARKERS)
    loaded = {r["transaction_id"]: r for r in case.table.collect()}
    assert set(loaded) == {"t1", "t3"}
    assert (loaded["t1"]["country"], loaded["t1"]["device_id"], loaded["t1"]["entry_mode"]) == ("NA", None, None)
    assert loaded["t3"]["entry_mode"] == "n/a"
    [bad] = case.quarantine.collect()
    assert bad["reason"] == "amount: required value missing" and ",c1,m1," in bad["raw_record"]
    assert " NA " in bad["raw_record"]  # the landed text, unaltered


@pytest.mark.parametrize("marker", ["", " NA"])
def test_a_missing_value_marker_must_be_a_trimmed_nonempty_text(marker):
    with pytest.raises(ValidationError, match="Invalid missing value marker"):
        ColumnSpec(name="c", type="int", description="d", missing_values=[marker])
