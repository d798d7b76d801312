"""Hostile file contents (issue 16): nothing is loaded altered, nothing is lost, every reject says why."""

import base64
import json

from deltalake import DeltaTable

from platform_tests.ingestion.file_cases import HEADER, contract_with, csv_line, ingest, json_line, values

DAY = "2026-01-02"


def _ids(df) -> list[str]:
    return sorted(r["transaction_id"] for r in df.collect())


def _reasons(df) -> list[str]:
    return sorted(r["reason"] for r in df.collect())


def test_a_cut_off_last_line_is_quarantined_whatever_its_quoting_and_length(spark, resources, data_root):
    good = csv_line(values("t1"))
    quoted = csv_line(values("t2"))[: -len("chip")] + '"contactl'  # ...,"contactl  (the quote never closes)
    long_value = csv_line(values("t3", entry_mode=None)) + '"' + "x" * 70_000  # a last line over 64 KB
    files = {f"{DAY}/quoted.csv": f"{HEADER}\n{good}\n{quoted}", f"{DAY}/long.csv": f"{HEADER}\n{long_value}"}
    case = ingest(spark, resources, data_root, "cut_off", "csv", files)
    assert _ids(case.table) == ["t1"]
    rows = case.quarantine.collect()
    assert sorted(r["reason"] for r in rows) == ["truncated file: incomplete last line"] * 2
    assert sorted(len(r["raw_record"]) for r in rows) == sorted([len(quoted), len(long_value)])  # the raw line


def test_a_utf8_bom_is_not_part_of_the_first_column_name(spark, resources, data_root):
    files = {f"{DAY}/bom.csv": b"\xef\xbb\xbf" + f"{HEADER}\n{csv_line(values('t1'))}\n".encode()}
    case = ingest(spark, resources, data_root, "bom", "csv", files)
    assert _ids(case.table) == ["t1"] and case.quarantine.count() == 0


def test_multi_line_quoted_values_are_one_row_when_the_source_allows_it(spark, resources, data_root):
    text = f'{HEADER}\n{csv_line(values("t1", entry_mode=None))}"chip\nand pin"\n{csv_line(values("t2"))}\n'
    multi = ingest(spark, resources, data_root, "multiline", "csv", {f"{DAY}/ml.csv": text}, source={"multiline": True})
    assert {r["transaction_id"]: r["entry_mode"] for r in multi.table.collect()} == {"t1": "chip\nand pin", "t2": "chip"}
    assert multi.quarantine.count() == 0 and multi.checks["reconciliation"].passed
    # Without the option a line is a record: both fragments are quarantined with their raw text, none lost.
    single = ingest(spark, resources, data_root, "single_line", "csv", {f"{DAY}/ml.csv": text})
    assert _ids(single.table) == ["t2"]
    assert sorted(r["raw_record"] for r in single.quarantine.collect()) == sorted(text.splitlines()[1:3])


def test_json_extra_fields_are_rescued_and_missing_fields_recorded(spark, resources, data_root):
    extra = {**values("j1"), "promo_code": "PRM1", "loyalty": {"tier": "gold"}}
    missing = {k: v for k, v in values("j2").items() if k != "device_id"}
    files = {f"{DAY}/online.jsonl": json_line(extra) + "\n" + json_line(missing) + "\n"}
    case = ingest(spark, resources, data_root, "json_rescued", "json", files)
    rescued = {r["transaction_id"]: json.loads(r["_rescued_data"]) for r in case.table.collect()}
    assert rescued["j1"] == {"promo_code": "PRM1", "loyalty": '{"tier":"gold"}'}
    assert rescued["j2"] == {"_missing_column_0": "device_id"}  # the same record as a CSV without the column


def test_a_json_line_holding_an_array_is_one_quarantined_record(spark, resources, data_root):
    pair = "[" + json_line(values("j1")) + "," + json_line(values("j2")) + "]"
    glued = json_line(values("j4")) + json_line(values("j5"))  # two objects, no newline between them
    lines = [pair, "[]", json_line(values("j3")), glued]
    case = ingest(spark, resources, data_root, "json_array", "json", {f"{DAY}/a.jsonl": "\n".join(lines) + "\n"})
    assert _ids(case.table) == ["j3"]
    by_raw = {r["raw_record"]: r["reason"] for r in case.quarantine.collect()}
    assert by_raw[pair] == "JSON array on one line (2 elements): not one record"
    assert by_raw["[]"] == "JSON array on one line (0 elements): not one record"
    assert by_raw[glued] == "malformed record"
    assert case.checks["reconciliation"].metadata["rows_read"].value == 4


def test_invalid_utf8_is_kept_in_a_form_every_delta_reader_can_read(spark, resources, data_root):
    bad_json = json_line(values("j1", category="gro_cery")).replace("gro_cery", "gro\udce9cery")
    bad_csv = csv_line(values("t1", category="gro_cery")).replace("gro_cery", "gro\udce9cery")
    raw = {"json": bad_json.encode("utf-8", "surrogateescape"), "csv": bad_csv.encode("utf-8", "surrogateescape")}
    for fmt, name in (("json", "online.jsonl"), ("csv", "pos.csv")):
        header = b"" if fmt == "json" else HEADER.encode() + b"\n"
        case = ingest(spark, resources, data_root, f"utf8_{fmt}", fmt, {f"{DAY}/{name}": header + raw[fmt] + b"\n"})
        assert case.table.count() == 0
        rows = DeltaTable(case.quarantine_location).to_pyarrow_table().to_pylist()  # delta-rs / Arrow
        assert len(rows) == 1 and rows[0]["raw_record_encoding"] == "base64"
        assert base64.b64decode(rows[0]["raw_record"]) == raw[fmt]
        assert "invalid UTF-8" in rows[0]["reason"]
        DeltaTable(case.quarantine_location).to_pandas()  # pandas too


def test_a_value_that_would_lose_precision_is_quarantined_unless_rounding_is_declared(spark, resources, data_root):
    lines = [HEADER, csv_line(values("t1", amount="12.345")), csv_line(values("t2", amount="12.3400"))]
    files = {f"{DAY}/pos.csv": "\n".join(lines) + "\n"}
    strict = ingest(spark, resources, data_root, "precision", "csv", files)
    assert {r["transaction_id"]: str(r["amount"]) for r in strict.table.collect()} == {"t2": "12.34"}
    assert _reasons(strict.quarantine) == ["amount: 12.345 does not fit decimal(18,2) without rounding"]
    rounded = ingest(spark, resources, data_root, "precision_round", "csv", files,
                     contract=contract_with({"amount": {"round": True}}))
    assert {r["transaction_id"]: str(r["amount"]) for r in rounded.table.collect()} == {"t1": "12.35", "t2": "12.34"}
