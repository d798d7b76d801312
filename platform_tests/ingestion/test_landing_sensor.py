"""The landing sensor, evaluated tick by tick against a temporary landing zone (no Spark, no daemon).

Ticks go through `SensorDefinition.evaluate_tick` with the definitions, so Dagster itself resolves every
request against the assets' partitions, as the daemon would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, DagsterInstance, DefaultSensorStatus, Definitions, SensorDefinition, build_sensor_context

from lakehouse.config.dataset import load_dataset
from lakehouse.config.profile import DATA_ROOT_ENV_VAR, load_profile
from lakehouse.config.sources import load_sources
from lakehouse.ingestion.assets import BUILDERS
from lakehouse.ingestion.sensors import assets_by_source, build_landing_sensor
from lakehouse.partitions import build_calendar
from lakehouse.profile_resources import build_resources
from lakehouse_tools.demo.generator import generate, land_next_day
from lakehouse_tools.demo.settings import GeneratorSettings

FILE_SOURCES = {"transactions_pos": "landing/transactions_csv", "transactions_online": "landing/transactions_json"}
TINY = GeneratorSettings(days=3, rows_per_day=20, customers=10, merchants=30)


@pytest.fixture(scope="module")
def file_assets() -> dict[str, Any]:
    # The real ingestion assets of the file sources (built one by one: other source kinds are not
    # this sensor's concern). Building them starts no JVM.
    dataset = load_dataset("card_fraud")
    calendar = build_calendar(dataset.partitions)
    sources = [s for s in load_sources(dataset.name).values() if s.format in ("csv", "json")]
    return assets_by_source(dataset.name, sources, [BUILDERS[s.format](s, dataset, calendar) for s in sources])


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # conftest's session `data_root` may have set the variable; each test gets its own landing zone.
    monkeypatch.setenv(DATA_ROOT_ENV_VAR, str(tmp_path))
    return tmp_path


class Ticker:
    """Evaluates one sensor against one instance and definitions, like the daemon does per tick."""

    def __init__(self, file_assets: dict[str, Any], instance: DagsterInstance, **options: Any) -> None:
        sources = list(load_sources("card_fraud").values())  # jdbc / stream entries must be ignored
        self.sensor: SensorDefinition = build_landing_sensor(sources, file_assets, "unused-configured-root", **options)
        resources = build_resources(load_profile("local"))
        self.defs = Definitions(assets=list(file_assets.values()), sensors=[self.sensor], resources=resources)
        self.instance = instance

    def __call__(self, cursor: str | None) -> Any:
        context = build_sensor_context(cursor=cursor, instance=self.instance, definitions=self.defs)
        return self.sensor.evaluate_tick(context)


@pytest.fixture
def tick(file_assets: dict[str, Any], instance: DagsterInstance) -> Ticker:
    return Ticker(file_assets, instance)


def days_of(request: Any) -> list[str]:
    """The landing days one run covers: its partition, or every day of its single-run range."""
    if request.partition_key:
        return [request.partition_key]
    first = date.fromisoformat(request.tags["dagster/asset_partition_range_start"])
    last = date.fromisoformat(request.tags["dagster/asset_partition_range_end"])
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def requested(result: Any) -> set[tuple[str, str]]:
    """(source, day) pairs the tick's runs cover."""
    return {(s, d) for r in result.run_requests for s in r.tags["lakehouse/source"].split(",") for d in days_of(r)}


def write(root: Path, source: str, day: str, name: str, text: str = "x\n") -> Path:
    path = root / FILE_SOURCES[source] / day / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_no_files_skips(root: Path, tick: Ticker) -> None:
    result = tick(None)
    assert result.run_requests == []
    assert result.skip_message.startswith("No new or changed landing files")
    assert result.cursor is None  # nothing to remember


def test_three_days_between_ticks_then_nothing(root: Path, tick: Ticker, file_assets: dict[str, Any]) -> None:
    generate(TINY, root)  # the real demo generator: 3 days, both file sources, plus jdbc / stream data
    first = tick(None)
    days = {"2026-01-01", "2026-01-02", "2026-01-03"}
    assert requested(first) == {(s, d) for s in FILE_SOURCES for d in days}
    [request] = first.run_requests  # three days of both sources: one single-run range, not six runs
    assert set(request.asset_selection) == {k for s in FILE_SOURCES for k in file_assets[s].keys}  # + quarantine
    assert request.run_key.startswith("landing:transactions_online,transactions_pos:2026-01-01...2026-01-03:")
    assert request.tags["lakehouse/landing_files"] == "12"
    cursor = json.loads(first.cursor)
    assert set(cursor["seen"]) == set(FILE_SOURCES) and set(cursor["seen"]["transactions_pos"]) == days

    second = tick(first.cursor)
    assert second.run_requests == [] and second.skip_message
    assert second.cursor == first.cursor

    land_next_day(TINY, root)  # the CLI's `land-next-day`: only the new day is requested
    third = tick(second.cursor)
    assert requested(third) == {(s, "2026-01-04") for s in FILE_SOURCES}


def test_late_file_requests_exactly_its_day(root: Path, tick: Ticker) -> None:
    for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
        for source in FILE_SOURCES:
            write(root, source, day, "part_01.csv" if source == "transactions_pos" else "part_01.jsonl")
    first = tick(None)
    assert len(first.run_requests) == 1 and len(requested(first)) == 6
    write(root, "transactions_pos", "2026-01-01", "late_02.csv")
    late = tick(first.cursor)
    assert requested(late) == {("transactions_pos", "2026-01-01")}
    assert late.run_requests[0].run_key not in {r.run_key for r in first.run_requests}
    assert tick(late.cursor).run_requests == []  # the late file is requested once


def test_a_late_file_and_a_new_day_are_two_runs_never_one_per_day(root: Path, tick: Ticker) -> None:
    """Consecutive days of the same sources share a run; a gap or another set of sources does not (an
    unchanged day or source is never re-read)."""
    for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
        for source in FILE_SOURCES:
            write(root, source, day, "part_01.csv" if source == "transactions_pos" else "part_01.jsonl")
    first = tick(None)
    write(root, "transactions_pos", "2026-01-01", "late_02.csv")
    for day in ("2026-01-04", "2026-01-05"):
        for source in FILE_SOURCES:
            write(root, source, day, "part_01.csv" if source == "transactions_pos" else "part_01.jsonl")
    second = tick(first.cursor)
    runs = sorted((r.tags["lakehouse/source"], tuple(days_of(r))) for r in second.run_requests)
    assert runs == [("transactions_online,transactions_pos", ("2026-01-04", "2026-01-05")),
                    ("transactions_pos", ("2026-01-01",))]
    # The queue starts the newest days first; the late file's rebuild waits behind them.
    priority = {tuple(days_of(r)): r.tags["dagster/priority"] for r in second.run_requests}
    assert priority == {("2026-01-04", "2026-01-05"): "1", ("2026-01-01",): "-1"}


def test_rewritten_file_is_a_change(root: Path, tick: Ticker) -> None:
    path = write(root, "transactions_pos", "2026-01-05", "a.csv", "h\n1\n")
    first = tick(None)
    path.write_text("h\n1\n2\n")  # same name, new size (and mtime): a re-delivery
    assert requested(tick(first.cursor)) == {("transactions_pos", "2026-01-05")}


def test_cursor_loss_and_restart_reuse_run_keys(root: Path, tick: Ticker, file_assets: dict[str, Any]) -> None:
    generate(TINY, root)
    first = tick(None)
    keys = {r.run_key for r in first.run_requests}
    # Cursor lost (or a tick retried before its cursor was stored): the same data gives the same run
    # keys, which Dagster will not launch again.
    assert {r.run_key for r in tick(None).run_requests} == keys
    assert {r.run_key for r in tick("not json").run_requests} == keys  # unreadable cursor: same
    # Restart: a new sensor object and instance, only the stored cursor carries over.
    with DagsterInstance.ephemeral() as fresh:
        restarted = Ticker(file_assets, fresh)
        assert restarted(first.cursor).run_requests == []


def test_temporary_and_hidden_files_are_ignored(root: Path, tick: Ticker) -> None:
    write(root, "transactions_pos", "2026-01-02", ".pos_01.csv.tmp")  # the generator's temp name
    write(root, "transactions_pos", "2026-01-02", "pos_01.csv._COPYING_")  # hdfs dfs -put
    write(root, "transactions_pos", "2026-01-02", "notes.txt")  # not a csv: ingestion won't read it
    write(root, "transactions_pos", "2026-01-02", ".hidden.csv")
    first = tick(None)
    assert first.run_requests == []
    (root / FILE_SOURCES["transactions_pos"] / "2026-01-02" / ".pos_01.csv.tmp").rename(
        root / FILE_SOURCES["transactions_pos"] / "2026-01-02" / "pos_01.csv"
    )
    second = tick(first.cursor)
    assert requested(second) == {("transactions_pos", "2026-01-02")}
    assert second.run_requests[0].tags["lakehouse/landing_files"] == "1"


def test_days_without_partition_are_skipped_with_a_reason(root: Path, tick: Ticker) -> None:
    write(root, "transactions_pos", "2025-12-31", "old.csv")  # before the calendar's start 2026-01-01
    write(root, "transactions_pos", "2099-01-01", "future.csv")  # the partition does not exist yet
    result = tick(None)
    assert result.run_requests == []
    assert "2025-12-31" in result.skip_message and "before the first partition 2026-01-01" in result.skip_message
    assert "2099-01-01" in result.skip_message and "no partition yet" in result.skip_message
    write(root, "transactions_pos", "2026-01-01", "ok.csv")
    assert requested(tick(result.cursor)) == {("transactions_pos", "2026-01-01")}


def test_non_date_folders_are_ignored_with_a_reason(root: Path, tick: Ticker) -> None:
    for name in ("archive", "2026-13-01", "20260101"):
        write(root, "transactions_online", name, "x.jsonl")
    write(root, "transactions_online", "2026-01-03", "x.jsonl")
    (root / FILE_SOURCES["transactions_online"] / "README.md").write_text("not a folder")
    result = tick(None)
    assert requested(result) == {("transactions_online", "2026-01-03")}
    again = tick(result.cursor)
    assert "ignored 4 entries that are not YYYY-MM-DD folders" in again.skip_message
    assert "archive" in again.skip_message


def test_cursor_is_bounded_by_the_horizon(root: Path, file_assets: dict[str, Any], instance: DagsterInstance) -> None:
    tick = Ticker(file_assets, instance, horizon_days=2)
    for day in range(1, 6):
        write(root, "transactions_pos", f"2026-01-0{day}", "a.csv")
    first = tick(None)
    assert {d for _, d in requested(first)} == {"2026-01-03", "2026-01-04", "2026-01-05"}
    seen = json.loads(first.cursor)["seen"]
    assert set(seen) == {"transactions_pos"}
    assert set(seen["transactions_pos"]) == {"2026-01-03", "2026-01-04", "2026-01-05"}
    write(root, "transactions_pos", "2026-01-06", "a.csv")  # the window moves: 01-03 leaves the cursor
    second = tick(first.cursor)
    assert requested(second) == {("transactions_pos", "2026-01-06")}
    assert set(json.loads(second.cursor)["seen"]["transactions_pos"]) == {"2026-01-04", "2026-01-05", "2026-01-06"}
    assert "not watching 3 folders older than 2026-01-04" in tick(second.cursor).skip_message


def test_backlog_is_requested_oldest_first_in_batches(
    root: Path, file_assets: dict[str, Any], instance: DagsterInstance
) -> None:
    tick = Ticker(file_assets, instance, max_requests_per_tick=4)
    generate(TINY, root)
    first = tick(None)
    assert requested(first) == {(s, d) for s in FILE_SOURCES for d in ("2026-01-01", "2026-01-02")}
    assert len(first.run_requests) == 1
    second = tick(first.cursor)
    assert requested(second) == {(s, "2026-01-03") for s in FILE_SOURCES}
    assert tick(second.cursor).run_requests == []


def test_sources_without_a_local_folder_are_reported_not_watched(root: Path, file_assets: dict[str, Any]) -> None:
    pos = load_sources("card_fraud")["transactions_pos"]
    remote = pos.model_copy(update={"location": "s3://bucket/landing/pos"})
    sensor = build_landing_sensor([remote], {}, str(root))  # no asset needed: it is never requested
    write(root, "transactions_pos", "2026-01-02", "a.csv")
    with DagsterInstance.ephemeral() as instance:
        result = sensor.evaluate_tick(build_sensor_context(instance=instance))
    assert result.run_requests == [] and "not watching ['transactions_pos']" in result.skip_message


def test_definitions_wire_a_running_landing_sensor(root: Path) -> None:
    from lakehouse.definitions import build_definitions

    defs = build_definitions()
    sensor = defs.resolve_sensor_def("landing_sensor")
    assert sensor.default_status == DefaultSensorStatus.RUNNING
    write(root, "transactions_pos", "2026-01-02", "a.csv")  # the data root is resolved at tick time
    with DagsterInstance.ephemeral() as instance:
        result = sensor.evaluate_tick(build_sensor_context(instance=instance, definitions=defs))
    assert requested(result) == {("transactions_pos", "2026-01-02")}


def test_sensor_module_does_not_import_pyspark() -> None:
    probe = "import sys, lakehouse.ingestion.sensors; print('pyspark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True, env=os.environ)
    assert out.stdout.strip() == "False"


def test_days_already_ingested_outside_the_sensor_are_not_requested_again(spark, resources, data_root, tmp_path):
    """`make run` (or a manual backfill) ingested a day: the first tick, with no cursor, must not re-run it."""
    from dagster import materialize

    from lakehouse.ingestion.sensors import LANDING_FINGERPRINTS

    day = "2026-04-01"
    folder = data_root / "landing" / "transactions_csv" / day
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pos_1.csv").write_text(
        "transaction_id,customer_id,merchant_id,event_time,amount,currency,channel,category,country,device_id,entry_mode\n"
        "s1,c1,m1,2026-04-01T10:00:00Z,5.00,EUR,pos,grocery,DE,,chip\n"
    )
    dataset = load_dataset("card_fraud")
    calendar = build_calendar(dataset.partitions)
    sources = [s for s in load_sources("card_fraud").values() if s.name == "transactions_pos"]
    assets = [BUILDERS["csv"](sources[0], dataset, calendar)]
    sensor_def = build_landing_sensor(sources, assets_by_source(dataset.name, sources, assets), str(data_root))
    defs = Definitions(assets=assets, sensors=[sensor_def], resources=resources)
    with DagsterInstance.ephemeral() as instance:
        result = materialize(assets, resources=resources, instance=instance, partition_key=day)
        (table,) = [m for m in result.asset_materializations_for_node(assets[0].op.name)
                    if m.asset_key == AssetKey(["card_fraud", "bronze", "transactions_pos"])]
        recorded = table.metadata[LANDING_FINGERPRINTS].value
        assert list(recorded) == [day]
        tick = sensor_def.evaluate_tick(build_sensor_context(instance=instance, definitions=defs))
        first = [d for r in tick.run_requests or [] for d in days_of(r)]
        assert day not in first
        (folder / "pos_2.csv").write_text((folder / "pos_1.csv").read_text().replace("s1,", "s2,"))
        tick = sensor_def.evaluate_tick(build_sensor_context(cursor=tick.cursor, instance=instance, definitions=defs))
        second = [d for r in tick.run_requests for d in days_of(r)]
    # The session's data root holds other tests' landed days too: beyond the per-tick cap they are requested
    # on the second tick, but none twice; our day, changed by a new file, exactly once.
    assert second.count(day) == 1 and not set(first) & set(second)
