"""The contract the scaffold infers from a sample (lakehouse_tools/scaffold): types, required, source_name,
datetime formats, the key. Pure Python: no Spark, no Dagster."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.config.contracts import ColumnSpec
from lakehouse_tools.scaffold import formats
from lakehouse_tools.scaffold.infer import ColumnGuess, choose_key, infer_columns
from lakehouse_tools.scaffold.label import in_silver_names
from lakehouse_tools.scaffold.names import safe_names
from lakehouse_tools.scaffold.sample import read_sample
from platform_tests.scaffold import samples


def _by_name(columns: list[ColumnGuess]) -> dict[str, tuple[str, bool, str | None, str | None]]:
    return {c.name: (c.type, c.required, c.source_name, c.format) for c in columns}


def test_a_hostile_csv_sample(tmp_path: Path) -> None:
    sample = read_sample(samples.flights(tmp_path))
    assert (sample.format, len(sample.rows), sample.multiline) == ("csv", 6, False)  # the blank line is no record
    columns = infer_columns(sample)
    assert _by_name(columns) == {
        "flight_id": ("string", True, "Flight ID", None),
        "carrier": ("string", True, "Carrier", None),
        "dep_time": ("timestamp", True, "Dep Time", "yyyy/MM/dd HH:mm"),
        "arrival_delay_min": ("int", False, "Arrival Delay ($min)", None),  # one empty value: nullable
        "distance_mi": ("double", True, "Distance (mi)", None),
        "fare": ("decimal(18,2)", True, "Fare $", None),  # fixed-point text with trailing zeros
        "customer_id": ("string", True, "CustomerID", None),
        "col_2nd_stop": ("string", False, "2nd.Stop", None),
        "cancelled": ("boolean", True, "Cancelled", None),
        "booked_on": ("date", True, "Booked On", None),  # ISO: no format
        "notes": ("string", False, "Notes", None),
        "zip": ("string", True, "Zip", None),  # 02134: a code, not a number
    }
    zip_code = next(c for c in columns if c.name == "zip")
    assert any("leading zeros" in note for note in zip_code.notes)
    key = choose_key(columns, "Dep Time", None)
    assert (key.header, key.warning) == ("Flight ID", None)
    # Every inferred column is a valid contract column (names, types, format on a timestamp).
    for column in columns:
        ColumnSpec(name=column.name, source_name=column.source_name, type=column.type, format=column.format,
                   required=column.required, description="d")


def test_a_json_lines_sample(tmp_path: Path) -> None:
    sample = read_sample(samples.events(tmp_path))
    assert (sample.format, len(sample.rows)) == ("json", 5)
    assert sample.notes == ["nested values in ['meta']: read as their JSON text (type string)"]
    columns = infer_columns(sample)
    assert _by_name(columns) == {
        "event_id": ("string", True, "eventId", None),
        "ts": ("timestamp", True, None, None),  # ISO 8601 with Z and +01:00: Spark's default reads both
        "user": ("string", True, None, None),
        "amount": ("double", False, None, None),  # JSON null
        "country": ("string", False, None, None),  # "" is missing, as in bronze
        "is_mobile": ("boolean", True, "isMobile", None),
        "meta": ("string", False, None, None),
        "status": ("string", True, None, None),
    }
    assert choose_key(columns, "ts", None).header == "eventId"


@pytest.mark.parametrize(("values", "pattern", "has_time"), [
    (["2001/01/01 00:47", "2001/12/31 23:59"], "yyyy/MM/dd HH:mm", True),
    (["1/5/2001 3:04 PM", "12/25/2001 11:00 AM"], "M/d/yyyy h:mm a", True),  # unpadded: M, not MM
    (["13.01.2001", "01.02.2001"], "dd.MM.yyyy", False),  # 13 cannot be a month: day first
    (["02-Jan-2001"], "dd-MMM-yyyy", False),
    (["2001-01-01 00:47"], "yyyy-MM-dd HH:mm", True),  # no seconds: not what the default cast reads
    (["2001-01-01T10:00:00+0100"], "yyyy-MM-dd'T'HH:mm:ssXX", True),
    (["2001/01/01 00:47:01.5", "2001/01/01 00:47:01.25"], "yyyy/MM/dd HH:mm:ss.SS", True),
    (["2001-01-01 00:47:00", "2001-01-01T00:47:00.5Z"], None, True),  # ISO 8601
    (["2001-01-01"], None, False),
])
def test_datetime_patterns(values: list[str], pattern: str | None, has_time: bool) -> None:
    found = formats.detect(values)
    assert found is not None and (found.pattern, found.has_time) == (pattern, has_time)
    assert formats.parse(values[0], pattern)  # `lakehouse land` reads them back with the same pattern


def test_what_is_not_a_datetime_and_ambiguous_orders() -> None:
    for values in (["12", "13"], ["2001/13/01 00:00"], ["2001-02-30"], ["20010101"], ["x 2001-01-01"]):
        assert formats.detect(values) is None, values
    ambiguous = formats.detect(["01/02/2001", "03/04/2001"])
    assert ambiguous is not None and ambiguous.pattern == "MM/dd/yyyy" and "ambiguous" in (ambiguous.note or "")


def test_safe_names() -> None:
    headers = ["Arrival Delay ($min)", "CustomerID", "HTTPStatus", "2nd.Stop", "event_date", "Fare $", "Fare", "$", "Café"]
    assert list(safe_names(headers).values()) == [
        "arrival_delay_min", "customer_id", "http_status", "col_2nd_stop", "source_event_date", "fare", "fare_2",
        "column", "cafe"]


def test_the_key_falls_back_and_otherwise_asks_for_one(tmp_path: Path) -> None:
    path = samples.write(tmp_path, "s.csv", "when,name,v\n2026-01-01 00:00:00,a,1\n2026-01-01 00:00:00,b,1\n")
    columns = infer_columns(read_sample(path))
    key = choose_key(columns, "when", None)
    assert key.header == "name" and "not named like an id" in (key.warning or "")
    path = samples.write(tmp_path, "t.csv", "when,name,v\n2026-01-01 00:00:00,a,1\n2026-01-02 00:00:00,a,1\n")
    with pytest.raises(ValueError, match="platform derives no row id for file sources.*--key"):
        choose_key(infer_columns(read_sample(path)), "when", None)


def test_the_label_is_written_in_silver_names(tmp_path: Path) -> None:
    columns = infer_columns(read_sample(samples.flights(tmp_path)))
    assert in_silver_names("`Arrival Delay ($min)` > 15 AND carrier = 'AA'", columns) == \
        "arrival_delay_min > 15 AND carrier = 'AA'"
    assert in_silver_names("ARRIVAL_DELAY_MIN  >  15", columns) == "ARRIVAL_DELAY_MIN  >  15"  # kept as typed
    # A header named like a column silver writes is renamed (source_event_date); `event_date` stays silver's.
    odd = infer_columns(read_sample(samples.write(tmp_path, "odd.csv", "id,event_date,t\n1,x,2001-01-01\n")))
    assert [c.name for c in odd] == ["id", "source_event_date", "t"]
    assert in_silver_names("dayofweek(event_date) = 1", odd) == "dayofweek(event_date) = 1"


def test_files_no_source_reads_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="comma-separated"):
        read_sample(samples.write(tmp_path, "a.csv", "a;b;c\n1;2;3\n"))
    with pytest.raises(ValueError, match="not JSON lines"):
        read_sample(samples.write(tmp_path, "b.json", '[\n  {"a": 1}\n]\n'))
