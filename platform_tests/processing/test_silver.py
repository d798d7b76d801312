"""Silver on tiny hand-made frames: late events, deterministic deduplication, normalisation, missing values."""

from datetime import date, datetime
from decimal import Decimal

from lakehouse.config.contracts import load_contracts
from lakehouse.config.processing import load_processing
from lakehouse.processing.silver import NOTES, build_silver

CONFIG = load_processing("card_fraud").silver
COLUMNS = [c.name for c in load_contracts("card_fraud")["transactions"].columns]
SCHEMA = ("transaction_id string, customer_id string, merchant_id string, event_time timestamp, amount decimal(18,2), "
          "currency string, channel string, category string, country string, device_id string, entry_mode string, "
          "event_date date, landing_date date, _source_file string, _ingested_at timestamp")


def row(tid, event, landing, ingested="2026-01-05 01:00:00", category="grocery", channel="pos", file="f1.csv",
        country="de", entry="chip", customer="c1", device=None):
    return (tid, customer, "m1", datetime.fromisoformat(event), Decimal("10.00"), "eur", channel, category, country, device, entry,
            date.fromisoformat(event[:10]), date.fromisoformat(landing), file, datetime.fromisoformat(ingested))


def silver(spark, pos, online=(), day="2026-01-02"):
    frames = {"transactions_pos": spark.createDataFrame(pos, SCHEMA),
              "transactions_online": spark.createDataFrame(list(online), SCHEMA)}
    start = date.fromisoformat(day)
    return build_silver(frames, COLUMNS, CONFIG, start, date.fromordinal(start.toordinal() + 1))


def test_late_event_lands_in_its_own_day_and_other_days_stay_out(spark):
    result = silver(spark, [row("t1", "2026-01-02 10:00:00", "2026-01-02"),
                            row("late", "2026-01-02 23:30:00", "2026-01-04"),  # landed two days later
                            row("t3", "2026-01-03 09:00:00", "2026-01-03")])
    assert sorted(r["transaction_id"] for r in result.table.collect()) == ["late", "t1"]


def test_duplicates_keep_the_first_landed_copy_deterministically(spark):
    copies = [row("t1", "2026-01-02 10:00:00", "2026-01-03", ingested="2026-01-03 02:00:00", category="travel", file="b.csv"),
              row("t1", "2026-01-02 10:00:00", "2026-01-02", ingested="2026-01-02 02:00:00", category="grocery", file="a.csv")]
    for order in (copies, list(reversed(copies))):
        rows = silver(spark, order).table.collect()
        assert [(r["transaction_id"], r["category"], r["landing_date"].isoformat()) for r in rows] == [("t1", "grocery", "2026-01-02")]


def test_duplicates_across_sources_are_removed(spark):
    result = silver(spark, [row("t1", "2026-01-02 10:00:00", "2026-01-02")],
                    [row("t1", "2026-01-02 10:00:00", "2026-01-02", file="o.jsonl", channel="online")])
    assert result.table.count() == 1 and result.candidates.count() == 2


def test_normalisation_aliases_casing_and_invalid_values(spark):
    result = silver(spark, [row("t1", "2026-01-02 10:00:00", "2026-01-02", category=" Groceries ", country="de"),
                            row("t2", "2026-01-02 11:00:00", "2026-01-02", channel="Teleport")])
    rows = {r["transaction_id"]: r for r in result.table.collect()}
    assert rows["t1"]["category"] == "grocery" and rows["t1"]["country"] == "DE" and rows["t1"]["currency"] == "EUR"
    assert rows["t2"]["channel"] is None and rows["t2"][NOTES] == ["channel: invalid value teleport"]
    assert rows["t1"][NOTES] == []


def test_missing_values_are_flagged_and_constants_filled(spark):
    result = silver(spark, [row("t1", "2026-01-02 10:00:00", "2026-01-02", category=None, country=None, entry=None),
                            row("t2", "2026-01-02 11:00:00", "2026-01-02", device="d1")])
    rows = {r["transaction_id"]: r for r in result.table.collect()}
    assert rows["t1"]["category"] == "unknown" and rows["t1"]["category_missing"] == 1
    assert rows["t1"]["country"] is None and rows["t1"]["country_missing"] == 1  # mode: fitted by the model pipeline
    assert rows["t1"]["device_id_missing"] == 1 and rows["t2"]["device_id_missing"] == 0
    assert rows["t2"]["category_missing"] == 0


def test_the_silver_columns_config_knows_are_what_silver_writes(spark):
    """SilverSettings.row_types is what a label expression may name, checked when the definitions load
    (no Spark there): it must be silver's real schema, names and types."""
    result = silver(spark, [row("t1", "2026-01-02 10:00:00", "2026-01-02")])
    written = {f.name: f.dataType.simpleString() for f in result.table.schema.fields}
    assert written == CONFIG.row_types(load_contracts("card_fraud")["transactions"])
