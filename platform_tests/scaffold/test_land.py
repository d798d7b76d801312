"""`lakehouse land`: a sample split into the landing folders of its scaffolded source, one per event day (UTC),
in the layout and with the suffixes the file sources read. Pure Python."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from lakehouse.config.contracts import ColumnSpec
from lakehouse.ingestion.file_shape import list_files
from lakehouse_tools.cli import main
from lakehouse_tools.scaffold.land import event_day, land
from lakehouse_tools.scaffold.new_dataset import Options, new_dataset
from platform_tests.scaffold import samples


def test_a_csv_lands_in_its_event_days(tmp_path: Path) -> None:
    sample = samples.flights(tmp_path)
    new_dataset(Options(name="flights", sample=sample, time_column="Dep Time", label="arrival_delay_min > 15",
                        project=str(tmp_path / "project"), check=False))
    [landed] = land("flights", [sample], tmp_path / "project", "flights_local", str(tmp_path / "root"))
    assert landed.folder == tmp_path / "root" / "landing" / "flights"
    assert {d.isoformat(): n for d, n in landed.days.items()} == \
        {"2001-01-01": 2, "2001-01-02": 1, "2001-01-03": 1, "2001-01-15": 1, "2001-02-01": 1}
    assert landed.unreadable == 0
    first = landed.folder / "2001-01-01" / "flights.csv"
    with first.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["Flight ID", "Carrier", "Dep Time"] and [r[0] for r in rows[1:]] == ["F001", "F002"]
    assert list_files([first.parent], "csv") == [first]  # what bronze reads
    with pytest.raises(ValueError, match="exist already.*--force"):
        land("flights", [sample], tmp_path / "project", "flights_local", str(tmp_path / "root"))


def test_json_lines_land_by_their_utc_day(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = samples.events(tmp_path)
    new_dataset(Options(name="payments", sample=sample, time_column="ts", label="status = 'failed'",
                        project=str(tmp_path / "p"), check=False))
    assert main(["land", "payments", str(sample), "--project", str(tmp_path / "p"), "--data-root", str(tmp_path / "r")]) == 0
    assert "5 rows into 4 day folders 2026-01-02 .. 2026-01-20" in capsys.readouterr().out
    day = tmp_path / "r" / "landing" / "payments" / "2026-01-03"
    [file] = list_files([day], "json")
    assert file.name == "events.jsonl" and json.loads(file.read_text())["eventId"] == "e3"  # 09:00+01:00 = 08:00 UTC


def test_event_days_follow_the_contract() -> None:
    paris = ColumnSpec(name="t", type="timestamp", format="yyyy/MM/dd HH:mm", timezone="Europe/Paris", description="d")
    assert event_day("2001/01/01 00:47", paris).isoformat() == "2000-12-31"  # 23:47 UTC the day before
    utc = paris.model_copy(update={"timezone": None})
    assert event_day("2001/01/01 00:47", utc).isoformat() == "2001-01-01"
    assert event_day("not a time", utc) is None and event_day(None, utc) is None
