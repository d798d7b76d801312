"""Behaviour of the demo generator: determinism, idempotence, layout, fraud signal, labels, CLI."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from lakehouse_tools.demo.cli import main
from lakehouse_tools.demo.generator import generate, land_next_day
from lakehouse_tools.demo.settings import DirtyRates, GeneratorSettings
from platform_tests.demo.landed import COLUMNS, FOLDERS, scan_day, tree

START = date(2026, 1, 1)


def small(**overrides) -> GeneratorSettings:
    return GeneratorSettings(**{"rows_per_day": 1500, "customers": 400, "merchants": 60, **overrides})


def manifest(root: Path) -> dict:
    return json.loads((root / "_generator/manifest.json").read_text())


def fraud_truth(root: Path, day: date) -> dict[str, str]:
    with open(root / f"_generator/truth/{day.isoformat()}.csv") as fh:
        return {row["transaction_id"]: row["file"] for row in csv.DictReader(fh)}


def test_same_settings_give_byte_identical_output(tmp_path: Path) -> None:
    settings = small(days=3)
    generate(settings, tmp_path / "a")
    generate(settings, tmp_path / "b")
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert sum(k.startswith("landing/") for k in a) >= 12
    assert a == b
    generate(small(days=3, seed=7), tmp_path / "c")
    assert tree(tmp_path / "c") != a  # the seed matters, so the comparison above is not vacuous


def test_a_day_does_not_depend_on_how_it_was_reached(tmp_path: Path) -> None:
    settings = small(days=4)
    generate(settings, tmp_path / "all_at_once")
    generate(settings.model_copy(update={"days": 1}), tmp_path / "day_by_day")
    for expected in (START + timedelta(days=i) for i in range(1, 4)):
        summary = land_next_day(settings, tmp_path / "day_by_day")
        assert [d.day for d in summary.days] == [expected]
    assert tree(tmp_path / "all_at_once") == tree(tmp_path / "day_by_day")


def test_landing_a_day_again_gives_the_same_bytes_and_keeps_later_days(tmp_path: Path) -> None:
    generate(small(days=2), tmp_path)
    before = tree(tmp_path)
    generate(small(days=2), tmp_path)
    assert tree(tmp_path) == before
    generate(small(days=1), tmp_path)  # re-land day 1 only
    assert tree(tmp_path) == before
    assert list(manifest(tmp_path)["days"]) == ["2026-01-01", "2026-01-02"]


def test_a_root_refuses_a_different_population(tmp_path: Path) -> None:
    generate(small(), tmp_path)
    with pytest.raises(ValueError, match="different entity settings"):
        generate(small(customers=401), tmp_path)


def test_file_layout_and_value_formats(tmp_path: Path) -> None:
    generate(small(dirty=DirtyRates.none()), tmp_path)
    day = START.isoformat()
    csv_files = sorted(p.name for p in (tmp_path / FOLDERS["csv"] / day).iterdir())
    json_files = sorted(p.name for p in (tmp_path / FOLDERS["jsonl"] / day).iterdir())
    assert csv_files == [f"pos_{day}_01.csv", f"pos_{day}_02.csv"]
    assert json_files == [f"online_{day}_01.jsonl", f"online_{day}_02.jsonl"]
    first_line = (tmp_path / FOLDERS["csv"] / day / csv_files[0]).read_text().splitlines()[0]
    assert first_line.split(",") == COLUMNS
    scans = scan_day(tmp_path, START, "csv") + scan_day(tmp_path, START, "jsonl")
    rows = [row for s in scans for row in s.clean_rows]
    assert sum(s.rows for s in scans) == len(rows) == 1500
    for row in rows:
        assert re.fullmatch(r"2026-01-01T\d\d:\d\d:\d\dZ", row["event_time"])
        assert re.fullmatch(r"\d+\.\d\d", str(row["amount"]))
        online = row["channel"] == "online"
        assert bool(row["device_id"]) == online
        assert row["channel"] in ("pos", "atm", "online")
        assert (row["category"] == "cash") == (row["channel"] == "atm")
    assert len({r["transaction_id"] for r in rows}) == len(rows)
    json_text = (tmp_path / FOLDERS["jsonl"] / day / json_files[0]).read_text()
    assert re.search(r'"amount":\d+\.\d\d,', json_text)  # amounts are JSON numbers with two decimals


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    ranks = np.argsort(np.argsort(scores, kind="stable"), kind="stable") + 1.0
    pos = labels.sum()
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * (len(labels) - pos)))


def test_fraud_rate_is_realistic_and_the_signal_is_real_but_imperfect(tmp_path: Path) -> None:
    generate(small(rows_per_day=12_000, customers=3000, merchants=200, dirty=DirtyRates.none()), tmp_path)
    truth = fraud_truth(tmp_path, START)
    day = manifest(tmp_path)["days"]["2026-01-01"]
    assert day["transactions"]["fraud"] == len(truth)
    assert 0.01 <= len(truth) / day["transactions"]["rows"] <= 0.03
    rows = [row for fmt in FOLDERS for s in scan_day(tmp_path, START, fmt) for row in s.clean_rows]
    label = np.array([r["transaction_id"] in truth for r in rows])
    night = np.array([int(r["event_time"][11:13]) < 6 for r in rows])
    risky = np.array([r["category"] in ("electronics", "gaming", "travel") for r in rows])
    amount = np.log([float(r["amount"]) for r in rows])
    card_absent = np.array([r["entry_mode"] in ("magstripe", "manual", "ecom") for r in rows])
    assert label[night].mean() > 3 * label[~night].mean()
    assert label[risky].mean() > 2 * label[~risky].mean()
    auc = _auc(night + risky + 0.5 * amount + card_absent, label)
    assert 0.7 < auc < 0.97, auc


def test_late_events_land_in_a_later_folder_than_their_event_day(tmp_path: Path) -> None:
    generate(small(days=2, dirty=DirtyRates.none().model_copy(update={"late_event": 0.05})), tmp_path)
    for day, record in manifest(tmp_path)["days"].items():
        folder_day = date.fromisoformat(day)
        late = []
        for fmt in FOLDERS:
            for path in (tmp_path / FOLDERS[fmt] / day).iterdir():
                for line in path.read_text().splitlines():
                    if line.startswith("transaction_id,"):
                        continue  # CSV header
                    event_day = date.fromisoformat(re.search(r"\d{4}-\d\d-\d\dT", line).group(0)[:10])
                    if event_day != folder_day:
                        late.append(event_day)
        assert len(late) == record["dirty"]["late_event"] > 20
        assert all(folder_day - timedelta(days=3) <= d < folder_day for d in late)


def test_chargebacks_report_earlier_transactions_in_later_folders(tmp_path: Path) -> None:
    settings = small(days=6, chargeback_delay_median_days=2.0, chargeback_delay_sigma=0.5, dispute_rate=0.02)
    generate(settings, tmp_path)
    landed_on = {}
    for day in (START + timedelta(days=i) for i in range(6)):
        for fmt in FOLDERS:
            for scan in scan_day(tmp_path, day, fmt):
                landed_on.update(dict.fromkeys(scan.ids, day))
    truth = {tid for i in range(6) for tid in fraud_truth(tmp_path, START + timedelta(days=i))}
    reasons: Counter = Counter()
    days = manifest(tmp_path)["days"]
    for day, record in days.items():
        events = []
        for path in sorted((tmp_path / "stream/chargebacks" / day).glob("*.json")):
            assert path.name.startswith(f"chargebacks_{day}_")
            events += [json.loads(line) for line in path.read_text().splitlines()]
        assert len(events) == record["chargebacks"]["rows"]
        for event in events:
            assert set(event) == {"chargeback_id", "transaction_id", "reported_at", "reason"}
            assert event["reported_at"].startswith(day) and event["reported_at"].endswith("Z")
            assert landed_on[event["transaction_id"]] < date.fromisoformat(day)
            if event["reason"] == "fraud":
                assert event["transaction_id"] in truth
            reasons[event["reason"]] += 1
    assert days["2026-01-01"]["chargebacks"]["rows"] == 0  # nothing can be reported on the first day
    assert reasons["fraud"] > 20 and reasons["dispute"] > 0 and set(reasons) <= {"fraud", "dispute", "other"}


def test_cli_generate_then_land_next_day_reuses_the_manifest_settings(tmp_path: Path, capsys) -> None:
    args = ["--root", str(tmp_path), "--rows-per-day", "300", "--customers", "100", "--merchants", "40"]
    assert main(["generate", "--days", "2", *args, "--clean"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[:2]] == ["2026-01-01", "2026-01-02"]
    assert "transactions=300" in lines[0]
    assert main(["land-next-day", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2026-01-03 transactions=300 ")
    assert manifest(tmp_path)["settings"]["dirty"] == DirtyRates.none().model_dump()
    with pytest.raises(SystemExit):
        main(["generate", "--root", str(tmp_path), "--dirty", "no_such_kind=1"])


def test_settings_describe_every_field_and_clean_means_zero() -> None:
    for model in (GeneratorSettings, DirtyRates):
        assert all(f.description for f in model.model_fields.values()), model
    assert set(DirtyRates.none().model_dump().values()) == {0.0}
    assert DirtyRates.clean() == DirtyRates.none()
    assert any(DirtyRates().model_dump().values())
    assert GeneratorSettings().clean().dirty == DirtyRates.none()
    with pytest.raises(ValueError):
        GeneratorSettings(chargeback_delay_median_days=40, label_window_days=30)
