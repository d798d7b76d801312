"""Names from the real world (issue 18, item 7): files whose columns are called `Trip ID`,
`Arrival Delay ($min)`, `2nd.Stop` or `MixedCase` load into the safe names the contract declares
(`source_name`), values unaltered, through the real bronze asset; a bad value is quarantined with its raw
text and a reason naming both names; rows read = rows loaded + rows quarantined. Matching is exact: a file
with `Amount` and `amount` fills two columns, and a header that differs from the declared one only in case
is not taken for it (the quarantined rows say to declare `source_name`).

Needs Spark (the `spark` fixture); the contract-only tests are in test_source_names_config.py.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from lakehouse.config.contracts import ColumnSpec, Contract
from lakehouse.config.identifiers import is_identifier
from platform_tests.ingestion.file_cases import Ingested, ingest
from platform_tests.ingestion.test_source_names_config import TRIPS

DAY = "2026-01-02"
# Named `transactions` so it stands in for the demo sources' contract (file_cases._contract_override).
CONTRACT = Contract(name="transactions", description="One trip.", columns=[ColumnSpec(**c) for c in TRIPS])
SOURCE = {"keys": ["trip_id"], "event_time_column": None}
NAMES = [c.name for c in CONTRACT.columns]
HEADER = 'Trip ID,Arrival Delay ($min),2nd.Stop,MixedCase,amount,Amount'
DELAY_REASON = "arrival_delay_minutes (source column 'Arrival Delay ($min)'): not a int: late"
ADVICE = ", which no contract column reads: declare each as `source_name` of its contract column (matched exactly, case included)"


def _run(spark, resources, data_root, case: str, fmt: str, files: dict[str, str]) -> Ingested:
    return ingest(spark, resources, data_root, case, fmt, files, source=SOURCE, contract=CONTRACT)


def _loaded(case: Ingested) -> dict[str, dict[str, Any]]:
    return {r["trip_id"]: {n: r[n] for n in NAMES} for r in case.table.collect()}


def _assert_accounted(case: Ingested, read: int) -> None:
    rows = case.checks["reconciliation"].metadata
    assert case.checks["reconciliation"].passed
    assert rows["rows_read"].value == read == case.table.count() + case.quarantine.count()


def test_csv_columns_load_under_their_declared_names(spark, resources, data_root):
    good = ['t1,5,"Oak, North",Value,12.50,11.00', "t3,0,Elm,x,3.1,4.20"]
    bad = "t2,late,Elm,y,1.00,2.00"
    files = {f"{DAY}/trips.csv": "\n".join([HEADER, good[0], bad, good[1]]) + "\n"}
    case = _run(spark, resources, data_root, "source_names_csv", "csv", files)

    assert NAMES == [c for c in case.table.columns if c in NAMES]
    assert all(is_identifier(c) for c in case.table.columns)  # no source name reaches the table
    assert _loaded(case) == {
        "t1": {"trip_id": "t1", "arrival_delay_minutes": 5, "second_stop": "Oak, North", "mixed_case": "Value",
               "amount": Decimal("12.50"), "amount_eur": Decimal("11.00")},
        # `amount` and `Amount` are two columns: each read exactly from its own header.
        "t3": {"trip_id": "t3", "arrival_delay_minutes": 0, "second_stop": "Elm", "mixed_case": "x",
               "amount": Decimal("3.10"), "amount_eur": Decimal("4.20")},
    }
    assert [r["_rescued_data"] for r in case.table.collect()] == [None, None]  # nothing unmatched
    [row] = case.quarantine.collect()
    assert (row["raw_record"], row["reason"]) == (bad, DELAY_REASON)  # the line as landed
    _assert_accounted(case, 3)


def test_json_fields_load_under_their_declared_names(spark, resources, data_root):
    # JSON numbers as written (json.dumps would write 9999999999999999.99 as the float 1e+16): a
    # source-named decimal column is read exactly too, not through a double.
    first = ('{"Trip ID": "j1", "Arrival Delay ($min)": 5, "2nd.Stop": "Oak, North", "MixedCase": "Value", '
             '"amount": 12.5, "Amount": 9999999999999999.99}')
    third = {"Trip ID": "j3", "Arrival Delay ($min)": "0", "2nd.Stop": " Elm ", "MixedCase": "x",
             "amount": "3.10", "Amount": "4.20"}
    bad = {**third, "Trip ID": "j2", "Arrival Delay ($min)": "late"}
    lines = [first, json.dumps(bad), json.dumps(third)]
    case = _run(spark, resources, data_root, "source_names_json", "json", {f"{DAY}/trips.jsonl": "\n".join(lines) + "\n"})

    assert _loaded(case) == {
        "j1": {"trip_id": "j1", "arrival_delay_minutes": 5, "second_stop": "Oak, North", "mixed_case": "Value",
               "amount": Decimal("12.50"), "amount_eur": Decimal("9999999999999999.99")},
        "j3": {"trip_id": "j3", "arrival_delay_minutes": 0, "second_stop": " Elm ", "mixed_case": "x",
               "amount": Decimal("3.10"), "amount_eur": Decimal("4.20")},  # a string keeps its spaces
    }
    [row] = case.quarantine.collect()
    assert (row["raw_record"], row["reason"]) == (lines[1], DELAY_REASON)
    _assert_accounted(case, 3)


def test_a_csv_header_that_does_not_match_says_to_declare_source_name(spark, resources, data_root):
    # `Trip Id` differs from the declared `Trip ID` only in case, `Arrival Delay (min)` from its declared
    # name by its text: neither is taken for them, the file is read by what it says.
    header = "Trip Id,Arrival Delay (min),2nd.Stop,MixedCase,amount,Amount"
    lines = ["t1,5,Elm,x,1.00,2.00", "t2,6,Elm,x,1.00,2.00"]
    files = {f"{DAY}/trips.csv": "\n".join([header, *lines]) + "\n"}
    case = _run(spark, resources, data_root, "source_names_csv_mismatch", "csv", files)

    assert case.table.count() == 0
    rows = sorted(case.quarantine.collect(), key=lambda r: r["raw_record"])
    assert [r["raw_record"] for r in rows] == lines  # raw text unaltered; the rows, not the file, rejected
    hint = f"file header lacks 'Trip ID', 'Arrival Delay ($min)' and has 'Trip Id', 'Arrival Delay (min)'{ADVICE}"
    assert {r["reason"] for r in rows} == {f"trip_id (source column 'Trip ID'): required value missing; {hint}"}
    _assert_accounted(case, 2)


def test_a_json_line_that_does_not_match_says_to_declare_source_name(spark, resources, data_root):
    good = {"Trip ID": "j1", "Arrival Delay ($min)": "5", "2nd.Stop": "Elm", "MixedCase": "x",
            "amount": "1.00", "Amount": "2.00"}
    wrong = {"trip_id": "j2", **{k: v for k, v in good.items() if k != "Trip ID"}, "Mixedcase": "y", "Note": "n"}
    wrong.pop("MixedCase")
    lines = [json.dumps(good), json.dumps(wrong)]
    case = _run(spark, resources, data_root, "source_names_json_mismatch", "json",
                {f"{DAY}/trips.jsonl": "\n".join(lines) + "\n"})

    assert list(_loaded(case)) == ["j1"]
    [row] = case.quarantine.collect()
    assert row["raw_record"] == lines[1]
    # Pointed at: `trip_id` (the name of the column read from `Trip ID`) and `Mixedcase` (the declared
    # `MixedCase` but for case); not `Note`, a valid name that looks like no missing column.
    hint = f"JSON line lacks 'Trip ID', 'MixedCase' and has 'trip_id', 'Mixedcase'{ADVICE}"
    assert row["reason"] == f"trip_id (source column 'Trip ID'): required value missing; {hint}"
    _assert_accounted(case, 2)


def test_unmatched_names_are_kept_in_rescued_data(spark, resources, data_root):
    # A column outside the contract is not lost: it lands in `_rescued_data` under its own name.
    files = {f"{DAY}/trips.csv": f"{HEADER},Notes (free text)\nt1,5,Elm,x,1.00,2.00,hello\n"}
    case = _run(spark, resources, data_root, "source_names_rescued", "csv", files)
    [row] = case.table.collect()
    assert json.loads(row["_rescued_data"]) == {"Notes (free text)": "hello"}
    assert (row["trip_id"], row["arrival_delay_minutes"]) == ("t1", 5)
    _assert_accounted(case, 1)
