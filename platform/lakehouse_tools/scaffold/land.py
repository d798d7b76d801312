"""`lakehouse land`: files placed in a file source's landing folders, one folder per event day.

A file source reads `<data root>/<location>/<YYYY-MM-DD>/` folders, and silver's day D reads landing days
D .. D + late_tolerance_days only: a file holding weeks of events, dropped into one folder, would reach
none of their days but the first. This splits each file by the UTC day of its event time (read with the
contract's `format` and `timezone`, as bronze reads it) and writes one file per day — the CSV header on each,
a JSON line unchanged. A row whose event time does not read goes with the first day: bronze quarantines it
with its reason. Pure Python: the data root comes from the profile (or LAKEHOUSE_DATA_ROOT, or --data-root).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date
from pathlib import Path
from zoneinfo import ZoneInfo

from lakehouse.config.contracts import ColumnSpec
from lakehouse.config.sources import SourceConfig
from lakehouse_tools.scaffold import formats
from lakehouse_tools.scaffold.check import pointed_at

SUFFIX = {"csv": ".csv", "json": ".jsonl"}  # what file_shape.list_files reads


@dataclass(frozen=True)
class Landed:
    folder: Path  # <data root>/<location>
    days: dict[date, int]  # rows written per day
    unreadable: int  # rows whose event time did not read (landed with the first day)
    files: list[Path]


def event_day(text: str | None, spec: ColumnSpec) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        moment = formats.parse(text, spec.format)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(spec.timezone) if spec.timezone else UTC)
    return moment.astimezone(UTC).date()


def _csv_rows(path: Path, spec: ColumnSpec) -> tuple[list[str], list[tuple[date | None, list[str]]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next((row for row in reader if any(c.strip() for c in row)), None)
        if header is None or spec.landed_name not in header:
            raise ValueError(f"{path}: no header naming the event time column {spec.landed_name!r}")
        at = header.index(spec.landed_name)
        rows = [(event_day(row[at] if at < len(row) else None, spec), row) for row in reader if any(c.strip() for c in row)]
    return header, rows


def _json_rows(path: Path, spec: ColumnSpec) -> list[tuple[date | None, str]]:
    rows: list[tuple[date | None, str]] = []
    with path.open(encoding="utf-8-sig") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                record = json.loads(line, parse_float=str, parse_int=str)
                value = record.get(spec.landed_name) if isinstance(record, dict) else None
            except json.JSONDecodeError:
                value = None
            rows.append((event_day(None if value is None else str(value), spec), line.rstrip("\r\n")))
    return rows


def land_file(path: Path, source: SourceConfig, spec: ColumnSpec, folder: Path, force: bool = False) -> Landed:
    """`path` split into `folder`/<day>/<stem><suffix>; existing files are replaced only with `force`."""
    if source.format not in SUFFIX:
        raise ValueError(f"Source {source.name!r} is {source.format}: only csv and json sources read landed files")
    header: list[str] = []
    if source.format == "csv":
        header, csv_rows = _csv_rows(path, spec)
        rows: list[tuple[date | None, list[str] | str]] = list(csv_rows)
    else:
        rows = list(_json_rows(path, spec))
    known = sorted({day for day, _ in rows if day is not None})
    if not known:
        raise ValueError(f"{path}: no row's {spec.landed_name!r} reads as a time (format {spec.format or 'ISO 8601'})")
    by_day: dict[date, list[list[str] | str]] = defaultdict(list)
    for day, row in rows:
        by_day[day or known[0]].append(row)
    targets = {day: folder / day.isoformat() / f"{path.stem}{SUFFIX[source.format]}" for day in by_day}
    clash = [str(t) for t in targets.values() if t.exists()]
    if clash and not force:
        raise ValueError(f"{len(clash)} files exist already (e.g. {clash[0]}): pass --force to replace them "
                         "(the landing sensor then ingests those days again)")
    for day, target in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.tmp")  # neither the sensor nor a read sees it half-written
        with partial.open("w", encoding="utf-8", newline="") as handle:
            if source.format == "csv":
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(by_day[day])
            else:
                handle.writelines(f"{line}\n" for line in by_day[day])
        partial.replace(target)
    unreadable = sum(day is None for day, _ in rows)
    return Landed(folder, {d: len(r) for d, r in sorted(by_day.items())}, unreadable, sorted(targets.values()))


def land(dataset: str, files: list[Path], project: Path, profile: str | None, data_root: str | None,
         source_name: str | None = None, force: bool = False) -> list[Landed]:
    """Each file landed for the dataset's file source (the only one, or `source_name`)."""
    from lakehouse.config.contracts import load_contracts
    from lakehouse.config.profile import load_profile, resolve_data_root
    from lakehouse.config.sources import load_sources

    with pointed_at(project):
        sources = {n: s for n, s in load_sources(dataset).items() if s.format in SUFFIX}
        if source_name is None and len(sources) != 1:
            raise ValueError(f"Dataset {dataset!r} has file sources {sorted(sources)}: name one with --source")
        source = sources[source_name] if source_name else next(iter(sources.values()))
        if source.event_time_column is None or source.location is None:
            raise ValueError(f"Source {source.name!r} declares no event_time_column or location")
        spec = load_contracts(dataset)[source.contract].column(source.event_time_column)
        root = Path(data_root).resolve() if data_root else resolve_data_root(load_profile(profile).storage.data_root)
    location = Path(source.location)
    folder = location if location.is_absolute() else root / location
    return [land_file(path, source, spec, folder, force) for path in files]
