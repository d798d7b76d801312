"""The landing sensor: re-materialise a file source's bronze partition when files land in its day folder.

Each tick lists `<data_root>/<source.location>/<YYYY-MM-DD>/` of every csv/json source, fingerprints each
day folder from file names, sizes and mtimes (stat only, no reads), and requests one run per
(source, day) whose fingerprint differs from the cursor, batched into as few runs as possible
(landing_runs.py: consecutive days of the same sources become one single-run range). The run key is
derived from sources, days and fingerprints, so Dagster never launches the same data twice, even after a
lost cursor or a retried tick.

Runs in the daemon: no pyspark here (no JVM), and the data root is resolved at tick time, not import.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    AssetsDefinition,
    AssetSelection,
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from lakehouse.config.identifiers import dataset_key
from lakehouse.config.profile import resolve_data_root
from lakehouse.config.sources import SourceConfig
from lakehouse.ingestion.landing_runs import DayFolder, batch_changes, fingerprint, range_request

# The files ingestion reads per format; keep in step with ingestion.file_shape.list_files. Other files
# (markers, READMEs) would only trigger empty re-runs.
DATA_SUFFIXES: dict[str, tuple[str, ...]] = {"csv": (".csv",), "json": (".json", ".jsonl")}
# Writers that are not atomic leave these while copying; a leading dot is the demo's own temp name.
IN_PROGRESS_SUFFIXES = (".tmp", "_COPYING_", ".part")
DAY_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}")
CURSOR_VERSION = 1
# Cursor bound: at most HORIZON_DAYS + 1 day entries per file source (~35 bytes each, ~13 KB/source).
DEFAULT_HORIZON_DAYS = 366
# A backlog (first start on a full landing zone) is requested oldest first, this many runs per tick.
DEFAULT_MAX_REQUESTS_PER_TICK = 50

Cursor = dict[str, dict[str, str]]  # {source: {day: fingerprint}}
# Table metadata of a file-source materialisation: {day: fingerprint} of the files it read.
LANDING_FINGERPRINTS = "landing_fingerprints"


def is_data_file(name: str, fmt: str) -> bool:
    if name.startswith(".") or name.endswith(IN_PROGRESS_SUFFIXES):
        return False
    return name.endswith(DATA_SUFFIXES[fmt])


def scan_landing(folder: Path, fmt: str) -> tuple[list[DayFolder], list[str]]:
    """Fingerprints of the day folders under `folder` and the names of entries that are not days."""
    if not folder.is_dir():
        return [], []
    days, ignored = [], []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue  # hidden: temp folders, .DS_Store; never data
            if not entry.is_dir() or not _is_day(entry.name):
                ignored.append(entry.name)
                continue
            stats = []
            with os.scandir(entry.path) as files:
                for f in files:
                    if f.is_file() and is_data_file(f.name, fmt):
                        st = f.stat()
                        stats.append((f.name, st.st_size, st.st_mtime_ns))
            if stats:  # an empty (or only-temp) folder holds nothing to ingest yet
                days.append(DayFolder(entry.name, fingerprint(stats), len(stats)))
    return sorted(days, key=lambda d: d.day), sorted(ignored)


def _is_day(name: str) -> bool:
    try:
        return bool(DAY_FOLDER.fullmatch(name)) and date.fromisoformat(name) is not None
    except ValueError:  # 2026-13-01 has the shape of a day but is none
        return False


def parse_cursor(raw: str | None) -> Cursor | None:
    """The cursor's {source: {day: fingerprint}}; None when it is unreadable (then every day is
    re-evaluated and the run keys keep Dagster from launching anything twice)."""
    if not raw:
        return {}
    try:
        data = json.loads(raw)
        seen = data["seen"] if data.get("v") == CURSOR_VERSION else None
        if isinstance(seen, dict) and all(isinstance(v, dict) for v in seen.values()):
            return {str(s): {str(d): str(fp) for d, fp in days.items()} for s, days in seen.items()}
    except (ValueError, TypeError, AttributeError, KeyError):
        pass
    return None


def dump_cursor(seen: Cursor) -> str:
    return json.dumps({"v": CURSOR_VERSION, "seen": seen}, sort_keys=True, separators=(",", ":"))


def assets_by_source(
    dataset: str, sources: Sequence[SourceConfig], assets: Sequence[AssetsDefinition]
) -> dict[str, AssetsDefinition]:
    """Each source's ingestion asset, found by its table key <dataset>/bronze/<name> (see SourceConfig.key)."""
    return {s.name: a for s in sources for a in assets if AssetKey(dataset_key(dataset, s.key)) in a.keys}


def build_landing_sensor(
    sources: Sequence[SourceConfig],
    assets_by_source: Mapping[str, AssetsDefinition],
    data_root: str,
    *,
    name: str = "landing_sensor",
    default_status: DefaultSensorStatus = DefaultSensorStatus.RUNNING,
    minimum_interval_seconds: int = 30,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    max_requests_per_tick: int = DEFAULT_MAX_REQUESTS_PER_TICK,
) -> SensorDefinition:
    """A sensor over the landing folders of the csv/json `sources`; jdbc and stream sources are ignored.

    `data_root` is the profile's configured root, resolved (LAKEHOUSE_DATA_ROOT first) at every tick.
    Days older than `horizon_days` before a source's newest landed day are neither watched nor kept in
    the cursor (that bounds it); late files for them need a backfill.
    """
    files = [s for s in sources if s.format in DATA_SUFFIXES]
    # Object stores need their SDK to list; such sources are reported at every tick, not watched.
    remote = [s.name for s in files if not s.location or "://" in s.location or s.location.startswith("dbfs:")]
    files = [s for s in files if s.name not in remote]
    missing = [s.name for s in files if s.name not in assets_by_source]
    if missing:
        raise ValueError(f"Landing sensor: no ingestion asset for file sources {missing}")
    for s in files:
        if assets_by_source[s.name].partitions_def is None:
            raise ValueError(f"Source {s.name!r}: its ingestion asset is not partitioned by landing day")
    keys = {s.name: sorted(assets_by_source[s.name].keys) for s in files}
    # The table output carries the fingerprints: the key ending bronze/<name> (its dataset is the asset's).
    table_keys = {s.name: next(k for k in keys[s.name] if tuple(k.path[-2:]) == s.key) for s in files}

    @sensor(
        name=name,
        target=AssetSelection.assets(*[k for ks in keys.values() for k in ks]),
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description="Requests the bronze partition of every (file source, landing day) whose files changed.",
    )
    def _landing_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        previous = parse_cursor(context.cursor)
        if previous is None:
            context.log.warning("Unreadable landing cursor; re-evaluating every day (run keys prevent repeats)")
            previous = {}
        root = resolve_data_root(data_root)
        seen: Cursor = {}
        changed: list[tuple[str, SourceConfig, DayFolder]] = []
        notes = [f"not watching {remote}: no local landing folder"] if remote else []
        for source in files:
            days, ignored = scan_landing(root / str(source.location), source.format)
            if ignored:
                notes.append(f"{source.name}: ignored {len(ignored)} entries that are not YYYY-MM-DD folders: "
                             f"{ignored[:5]}")
            prev, kept = previous.get(source.name, {}), {}
            table_key = table_keys[source.name]
            for folder in _watched(source.name, days, assets_by_source[source.name], horizon_days, notes):
                if prev.get(folder.day) == folder.fingerprint or (
                    folder.day not in prev and _already_ingested(context, table_key, folder)
                ):
                    kept[folder.day] = folder.fingerprint
                else:
                    changed.append((folder.day, source, folder))
                    if folder.day in prev:  # until requested, keep the old fingerprint (still pending)
                        kept[folder.day] = prev[folder.day]
            seen[source.name] = kept
        changed.sort(key=lambda c: (c[0], c[1].name))  # a backlog goes oldest first
        if len(changed) > max_requests_per_tick:
            notes.append(f"{len(changed) - max_requests_per_tick} changed day folders deferred to the next tick")
        changed = changed[:max_requests_per_tick]
        for day, source, folder in changed:
            seen[source.name][day] = folder.fingerprint
        freshest = max((day for days_seen in seen.values() for day in days_seen), default="")
        requests = [range_request(batch, keys, freshest) for batch in batch_changes(changed)]
        for note in notes:
            context.log.info(note)
        seen = {s: dict(sorted(d.items())) for s, d in seen.items() if d}
        cursor = dump_cursor(seen)
        if requests:
            context.log.info(f"Requesting {len(changed)} (source, day) changes as {len(requests)} runs: "
                             f"{[r.run_key for r in requests]}")
            return SensorResult(run_requests=requests, cursor=cursor)
        reason = "No new or changed landing files" + (f" ({'; '.join(notes)})" if notes else "")
        if seen != previous or (context.cursor and cursor != context.cursor):
            # Days pruned (deleted, past the horizon) or an unreadable cursor replaced: store it.
            return SensorResult(skip_reason=SkipReason(reason), cursor=cursor)
        return SkipReason(reason)

    return _landing_sensor


def _already_ingested(context: SensorEvaluationContext, key: AssetKey, folder: DayFolder) -> bool:
    """A day the cursor does not know (first tick, lost cursor) whose files are exactly what the
    partition's latest materialisation read (e.g. ingested by `make run` or a manual backfill)."""
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=key, asset_partitions=[folder.day]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return False
    recorded = records[0].asset_materialization.metadata.get(LANDING_FINGERPRINTS)
    fingerprints = recorded.value if recorded is not None else None  # a JSON {day: fingerprint}
    return isinstance(fingerprints, Mapping) and fingerprints.get(folder.day) == folder.fingerprint


def _watched(
    source: str, days: list[DayFolder], asset: AssetsDefinition, horizon_days: int, notes: list[str]
) -> list[DayFolder]:
    """The day folders that have a partition and lie within the horizon; notes say why others do not."""
    partitions = asset.partitions_def
    assert partitions is not None  # checked when the sensor is built
    first, last = partitions.get_first_partition_key(), partitions.get_last_partition_key()
    if first is None or last is None:  # the calendar starts in the future: nothing to request yet
        notes.append(f"{source}: no partitions exist yet; {len(days)} day folders wait")
        return []
    before = [d.day for d in days if d.day < first]
    after = [d.day for d in days if d.day > last]
    if before:
        notes.append(f"{source}: skipped {before[:5]} ({len(before)} folders): before the first partition {first}")
    if after:  # today's partition appears tomorrow (end_offset 0); these are requested once it exists
        notes.append(f"{source}: deferred {after[:5]} ({len(after)} folders): no partition yet (last is {last})")
    valid = [d for d in days if first <= d.day <= last]  # ISO dates order as strings
    if not valid:
        return []
    oldest = (date.fromisoformat(valid[-1].day) - timedelta(days=horizon_days)).isoformat()
    too_old = [d.day for d in valid if d.day < oldest]
    if too_old:
        notes.append(f"{source}: not watching {len(too_old)} folders older than {oldest} (horizon {horizon_days} days)")
    return [d for d in valid if d.day >= oldest]
