"""File sources: typed rows loaded, bad rows quarantined with a reason, counts that add up."""

import json
from pathlib import Path

import pytest
from dagster import materialize

from lakehouse.config.contracts import load_contracts
from lakehouse.config.dataset import load_dataset
from lakehouse.config.sources import load_sources
from lakehouse.ingestion.assets import BUILDERS
from lakehouse.partitions import build_calendar

HEADER = "transaction_id,customer_id,merchant_id,event_time,amount,currency,channel,category,country,device_id,entry_mode"
GOOD = "t1,c1,m1,2026-01-02T10:00:00Z,12.50,EUR,pos,grocery,DE,,chip"


def _assets():
    dataset, calendar = load_dataset("card_fraud"), None
    calendar = build_calendar(dataset.partitions)
    files = [s for s in load_sources("card_fraud").values() if s.format in ("csv", "json")]
    return {f"ingest_{s.name}": BUILDERS[s.format](s, dataset, calendar) for s in files}


def _write(root: Path, rel: str, text: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())


def _count(spark, table: str, day: str) -> int:
    return spark.table(table).where(f"landing_date = DATE'{day}'").count()


def test_csv_rows_are_loaded_or_quarantined_with_reasons(spark, resources, instance, data_root):
    day = "2026-01-02"
    lines = [
        HEADER,
        GOOD,
        "t2,c1,m1,2026-01-02T11:00:00Z,abc,EUR,pos,grocery,DE,,chip",  # text in amount
        "t3,,m1,2026-01-02T11:00:00Z,5.00,EUR,pos,grocery,DE,,chip",  # missing required customer_id
        "t4,c1,m1,2026-01-02T11:00:00Z,5.00,EUR,pos",  # malformed: too few fields
        "t5,c1,m1,2026-01-02T11:00:00Z,-3.00,EUR,pos,grocery,DE,,chip",  # below minimum
        "t6,c1,m1,2026-01-01T23:00:00Z,7.00,EUR,pos,grocery,DE,,chip",  # late event for the day before
    ]
    _write(data_root, f"landing/transactions_csv/{day}/pos_1.csv", "\n".join(lines) + "\n")
    _write(data_root, f"landing/transactions_csv/{day}/pos_empty.csv", b"")
    ingest = _assets()["ingest_transactions_pos"]
    materialize([ingest], resources=resources, instance=instance, partition_key=day)

    loaded = spark.table("bronze.transactions_pos").where(f"landing_date = DATE'{day}'")
    assert sorted(r["transaction_id"] for r in loaded.collect()) == ["t1", "t6"]
    assert {r["transaction_id"]: r["event_date"].isoformat() for r in loaded.collect()}["t6"] == "2026-01-01"
    quarantine = spark.table("bronze.transactions_pos_quarantine").where(f"landing_date = DATE'{day}'").collect()
    reasons = sorted(r["reason"] for r in quarantine)
    assert len(reasons) == 4
    assert any("amount: not a decimal" in r for r in reasons)
    assert any("customer_id: required value missing" in r for r in reasons)
    assert any("malformed record" in r for r in reasons)
    assert any("amount: below minimum" in r for r in reasons)
    assert all(r["_source_file"].endswith("pos_1.csv") and r["raw_record"] for r in quarantine)
    assert loaded.count() + len(quarantine) == len(lines) - 1  # every data line accounted for

    # Re-running the day rewrites it: no duplicates.
    materialize([ingest], resources=resources, instance=instance, partition_key=day)
    assert _count(spark, "bronze.transactions_pos", day) == 2
    assert _count(spark, "bronze.transactions_pos_quarantine", day) == 4


def test_json_invalid_lines_are_quarantined(spark, resources, instance, data_root):
    day = "2026-01-03"
    good = dict(zip(HEADER.split(","), GOOD.split(",")), channel="online", transaction_id="j1")
    lines = [json.dumps(good), "{not json", json.dumps({**good, "transaction_id": None})]
    _write(data_root, f"landing/transactions_json/{day}/online_1.jsonl", "\n".join(lines) + "\n")
    ingest = _assets()["ingest_transactions_online"]
    materialize([ingest], resources=resources, instance=instance, partition_key=day)
    assert _count(spark, "bronze.transactions_online", day) == 1
    quarantine = spark.table("bronze.transactions_online_quarantine").where(f"landing_date = DATE'{day}'")
    reasons = [r["reason"] for r in quarantine.collect()]
    assert sorted(reasons) == ["malformed record", "transaction_id: required value missing"]


def test_missing_landing_folder_is_a_clear_error_naming_the_source(resources, instance, data_root):
    (data_root / "landing/transactions_csv").mkdir(parents=True, exist_ok=True)
    ingest = _assets()["ingest_transactions_pos"]
    with pytest.raises(Exception, match=r"transactions_pos.*no landing folder for \['2026-02-01'\]"):
        materialize([ingest], resources=resources, instance=instance, partition_key="2026-02-01")


def test_unknown_ingest_mode_is_rejected(resources, instance):
    ingest = _assets()["ingest_transactions_pos"]
    config = {"ops": {"ingest_transactions_pos": {"config": {"ingest_mode": "sometimes"}}}}
    with pytest.raises(Exception, match="unknown ingest_mode 'sometimes'"):
        materialize([ingest], resources=resources, instance=instance, partition_key="2026-01-02", run_config=config)


def test_contract_descriptions_reach_the_column_schema():
    contract = load_contracts("card_fraud")["transactions"]
    assert contract.keys == ["transaction_id"]
    assert all(c.description for c in contract.columns)
