"""Dirty-data kinds: each appears when its rate is high, none when rates are zero, and the manifest's
counts equal what an independent reader finds in the files."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from lakehouse_tools.demo import writer
from lakehouse_tools.demo.dirty import ALL_KINDS, FILE_KINDS, ROW_KINDS
from lakehouse_tools.demo.generator import generate
from lakehouse_tools.demo.render import Layout, render_fast, render_row
from lakehouse_tools.demo.settings import DirtyRates, GeneratorSettings
from lakehouse_tools.demo.transactions import day_context, generate_chunk
from platform_tests.demo.landed import COLUMNS, FOLDERS, scan_day

START = date(2026, 1, 1)
ROW_LEVEL = [*ROW_KINDS, "duplicate_transaction_id"]


def settings(days: int = 1, **rates: float) -> GeneratorSettings:
    dirty = DirtyRates.none().model_copy(update=rates)
    return GeneratorSettings(days=days, rows_per_day=800, customers=300, merchants=40, dirty=dirty)


def manifest_days(root: Path) -> dict:
    return json.loads((root / "_generator/manifest.json").read_text())["days"]


def check_manifest_against_files(root: Path) -> Counter:
    """Recount every file of every landed day against the manifest; return the dirty totals found."""
    totals: Counter = Counter()
    for day, record in manifest_days(root).items():
        files = {f["path"]: f for f in record["transactions"]["files"]}
        scans = scan_day(root, date.fromisoformat(day), "csv") + scan_day(root, date.fromisoformat(day), "jsonl")
        assert sorted(s.path for s in scans) == sorted(files)
        truth = Counter(line.split(",")[1] for line in (root / record["fraud_truth"]).read_text().splitlines()[1:])
        found: Counter = Counter()
        for scan in scans:
            entry = files[scan.path]
            assert scan.rows == entry["rows"], scan.path
            assert dict(scan.kinds) == entry["dirty_rows"], scan.path
            assert truth[scan.path] == entry["fraud"], scan.path
            issues = entry["file_issues"]
            expected = [c for c in COLUMNS if c != issues.get("missing_column")]
            if "extra_column" in issues:
                expected.insert(issues["extra_column"]["position"], issues["extra_column"]["name"])
            assert scan.columns == expected or not scan.columns, scan.path
            assert scan.columns or not scan.clean_rows, scan.path
            assert scan.ends_with_newline != ("truncated_file" in issues), scan.path
            if "empty_file" in issues:
                assert scan.rows == 0 and issues["empty_file"] in ("zero_bytes", "header_only")
            found.update(scan.kinds)
            found.update(k for k in ("missing_column", "extra_column", "empty_file") if k in issues)
        assert sum(f["rows"] for f in files.values()) == record["transactions"]["rows"]
        file_and_row_kinds = [k for k in ALL_KINDS if k != "out_of_order_customer_update"]
        assert {k: record["dirty"][k] for k in file_and_row_kinds} == {k: found[k] for k in file_and_row_kinds}
        totals += found
    return totals


def test_no_dirt_when_all_rates_are_zero(tmp_path: Path) -> None:
    generate(settings(days=3), tmp_path)
    totals = check_manifest_against_files(tmp_path)
    assert not totals
    for record in manifest_days(tmp_path).values():
        assert set(record["dirty"]) == set(ALL_KINDS)
        assert not any(record["dirty"].values())
        assert record["customers"]["out_of_order_updates"] == []


@pytest.mark.parametrize("rate", [0.2, 1.0])
@pytest.mark.parametrize("kind", ROW_LEVEL)
def test_each_row_kind_appears_when_its_rate_is_high(tmp_path: Path, kind: str, rate: float) -> None:
    generate(settings(days=1, **{kind: rate}), tmp_path)  # days named: the rates cannot be taken for it
    totals = check_manifest_against_files(tmp_path)
    record = manifest_days(tmp_path)["2026-01-01"]
    assert set(totals) == {kind}
    assert record["dirty"][kind] == totals[kind] == sum(record["dirty"].values())
    # 800 rows a day: 480 in CSV, 320 in JSON; format-specific kinds only hit their own format.
    applicable = {"malformed_csv_line": 480, "invalid_json_line": 320}.get(kind, 800)
    if rate == 1.0:
        assert totals[kind] == applicable  # every row (duplicates: one extra copy per row)
    else:
        assert 0.1 * applicable < totals[kind] < 0.3 * applicable


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_each_file_kind_hits_every_file_when_its_rate_is_one(tmp_path: Path, kind: str) -> None:
    generate(settings(days=1, **{kind: 1.0}), tmp_path)
    check_manifest_against_files(tmp_path)
    record = manifest_days(tmp_path)["2026-01-01"]
    files = record["transactions"]["files"]
    data_files = [f for f in files if "empty_file" not in f["file_issues"]]
    assert len(data_files) == 4
    if kind == "empty_file":
        empties = [f for f in files if "empty_file" in f["file_issues"]]
        assert len(empties) == record["dirty"]["empty_file"] == 4
        assert {f["path"].rsplit("_", 1)[1] for f in empties} == {"03.csv", "04.csv", "03.jsonl", "04.jsonl"}
    else:
        assert all(kind in f["file_issues"] for f in data_files)
        assert record["dirty"][kind] == 4
    assert sum(v for k, v in record["dirty"].items() if k != kind) == 0


def test_all_kinds_together_across_days_and_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Small chunks: duplicates then come from earlier chunks and files, truncation hits the last chunk.
    monkeypatch.setattr(writer, "CHUNK_ROWS", 97)
    rates = {k: 0.02 for k in ROW_LEVEL} | {k: 0.5 for k in FILE_KINDS}
    generate(settings(days=3, **rates), tmp_path)
    totals = check_manifest_against_files(tmp_path)
    assert set(ROW_LEVEL) <= set(totals)
    days = manifest_days(tmp_path)
    for kind in ALL_KINDS[:-1]:
        assert sum(r["dirty"][kind] for r in days.values()) > 0, kind
    for kind in ROW_LEVEL:
        assert sum(r["dirty"][kind] for r in days.values()) == totals[kind], kind


def test_duplicates_copy_earlier_rows_exactly_also_across_files(tmp_path: Path) -> None:
    generate(settings(duplicate_transaction_id=0.05), tmp_path)
    for fmt in FOLDERS:
        first_seen: dict[str, tuple[str, str]] = {}
        across = 0
        for path in sorted((tmp_path / FOLDERS[fmt] / "2026-01-01").iterdir()):
            for line in path.read_text().splitlines()[1 if fmt == "csv" else 0 :]:
                tid = line.split(",")[0] if fmt == "csv" else json.loads(line)["transaction_id"]
                if tid in first_seen:
                    assert first_seen[tid][1] == line  # an exact copy
                    across += first_seen[tid][0] != path.name
                else:
                    first_seen[tid] = (path.name, line)
        assert across > 0, fmt


def test_out_of_order_customer_updates_are_older_than_what_was_written_before(tmp_path: Path) -> None:
    generate(settings(days=5, out_of_order_customer_update=1.0), tmp_path)
    days = manifest_days(tmp_path)
    assert days["2026-01-01"]["customers"]["out_of_order_updates"] == []  # nothing older exists yet
    late = [(d, u) for d, r in days.items() for u in r["customers"]["out_of_order_updates"]]
    assert len(late) == sum(r["dirty"]["out_of_order_customer_update"] for r in days.values()) >= 3
    for day, update in late:
        written_in = date.fromisoformat(day)
        updated_at = date.fromisoformat(update["updated_at"][:10])
        # Older than the previous day's batch, whose updates all carry that day's timestamps.
        assert written_in - timedelta(days=3) <= updated_at < written_in - timedelta(days=1)
        assert days[(written_in - timedelta(days=1)).isoformat()]["customers"]["updated"] > 0


def test_fast_and_row_rendering_agree_on_clean_rows() -> None:
    s = settings()
    ctx = day_context(s, START)
    for fmt in ("csv", "jsonl"):
        chunk = generate_chunk(ctx, fmt, 1, 0, 50, 0)
        for layout in (Layout.build(fmt), Layout.build(fmt, "currency", "promo_code", 3)):
            cols = {**chunk.columns, "promo_code": ["PRM000001"] * 50}
            fast = render_fast(layout, cols)
            slow = [render_row(layout, {c: cols[c][i] for c in layout.columns}) for i in range(50)]
            assert fast == slow
    changed = Layout.build("jsonl", "currency", "promo_code", 3)
    assert changed.columns[3] == "promo_code" and "currency" not in changed.columns
    line = render_fast(changed, {**chunk.columns, "promo_code": ["PRM000001"] * 50})[0]
    assert list(json.loads(line)) == list(changed.columns)
