"""`lakehouse new-dataset`: a sample file -> a complete dataset folder (and a profile naming it) in a project.

Nothing is written until the whole folder has been checked in a temporary copy of the project (check.py):
a sample, a label or a name the platform would refuse stops here, naming why. An existing dataset folder
or profile is replaced only with `force`; a shipped dataset's name, or the shipped project itself, never.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date
from pathlib import Path

from lakehouse.config.identifiers import is_identifier
from lakehouse.config.project import DEFAULT_PROJECT_DIR
from lakehouse_tools.scaffold import formats
from lakehouse_tools.scaffold.check import check_dataset
from lakehouse_tools.scaffold.infer import ColumnGuess, choose_key, infer_columns
from lakehouse_tools.scaffold.label import SILVER, in_silver_names, label_columns, on_sample
from lakehouse_tools.scaffold.names import resolve
from lakehouse_tools.scaffold.plan import Plan, plan_features
from lakehouse_tools.scaffold.project import profile_name, profiles_to_write, project_path
from lakehouse_tools.scaffold.render import render
from lakehouse_tools.scaffold.sample import read_sample

MAX_NAME = 64
SHIPPED = sorted(p.name for p in (DEFAULT_PROJECT_DIR / "datasets").iterdir() if (p / "dataset.yaml").is_file())


@dataclass
class Options:
    name: str
    sample: Path
    time_column: str
    label: str
    known_after_days: int = 1
    label_name: str = "label"
    entity: str | None = None
    key: str | None = None
    project: str | None = None
    owner: str = "team:change-me"
    description: str | None = None
    rows: int = 1000
    force: bool = False
    check: bool = True


@dataclass
class Result:
    plan: Plan
    project: Path
    folder: Path
    files: list[Path]
    profile: str
    assets: int | None  # assets of the checked definitions (None: not checked)
    notes: list[str] = field(default_factory=list)


def _check_name(name: str) -> None:
    if not is_identifier(name) or len(name) > MAX_NAME:
        raise ValueError(f"Invalid dataset name {name!r}: ASCII letters, digits and underscores, starting with a "
                         f"letter or underscore, at most {MAX_NAME} characters (it names tables and folders)")
    if name in SHIPPED:
        raise ValueError(f"{name!r} is a shipped dataset ({', '.join(SHIPPED)}): choose another name")


def _targets(options: Options) -> tuple[Path, Path]:
    project = project_path(options.project)
    if project == DEFAULT_PROJECT_DIR:
        raise ValueError(f"{project} is the shipped project inside the package: choose a project of your own (--project)")
    folder = project / "datasets" / options.name
    existing = [p for p in (folder, project / "profiles" / f"{profile_name(options.name)}.yaml") if p.exists()]
    if existing and not options.force:
        raise ValueError(f"{', '.join(map(str, existing))} already exist(s): pass --force to replace the dataset folder "
                         "and its profile (every file in the folder is rewritten)")
    return project, folder


def _time(columns: list[ColumnGuess], given: str) -> tuple[ColumnGuess, bool]:
    header = resolve(given, {c.header: c.name for c in columns}, "--time-column")
    column = next(c for c in columns if c.header == header)
    if column.type not in ("timestamp", "date"):
        raise ValueError(f"--time-column {given!r}: its sample values ({', '.join(column.examples)}) read as "
                         f"{column.type}, not as a timestamp or a date")
    time_of_day = column.type == "timestamp"
    column.type = "timestamp"  # gold's event time is a timestamp; dates are read as midnight UTC
    return column, time_of_day


def _start_date(values: list[str | None], pattern: str | None) -> date:
    """The first day of the month of the sample's earliest event (UTC)."""
    days = []
    for value in values:
        if value is None:
            continue
        moment = formats.parse(value, pattern)
        days.append((moment.astimezone(UTC) if moment.tzinfo else moment).date())
    first = min(days)
    return first.replace(day=1)


def build_plan(options: Options) -> Plan:
    """Everything decided from the sample and the options (no file written)."""
    _check_name(options.name)
    sample = read_sample(options.sample, options.rows)
    columns = infer_columns(sample)
    time, time_of_day = _time(columns, options.time_column)
    if not time.required:
        time.notes.append("empty in some sample rows: such rows will be quarantined (no day to place them in)")
    entity = None
    if options.entity is not None:
        header = resolve(options.entity, {c.header: c.name for c in columns}, "--entity")
        entity = next(c for c in columns if c.header == header)
        if entity is time:
            raise ValueError("--entity cannot be the time column")
        if not entity.required:
            entity.notes.append("empty in some sample rows: required, such rows will be quarantined")
    key = choose_key(columns, time.header, options.key)
    if entity is not None and entity.header == key.header:
        raise ValueError(f"--entity {options.entity!r} is the key: an entity groups rows (a customer, a device)")
    key_column = next(c for c in columns if c.header == key.header)
    if key_column.type == "int":
        key_column.type = "bigint"  # ids outgrow 32 bits
    if not is_identifier(options.label_name) or options.label_name.lower() in {c.name.lower() for c in columns} | SILVER:
        raise ValueError(f"--label-name {options.label_name!r}: an identifier that is no column of silver")
    if options.known_after_days < 0:
        raise ValueError(f"--known-after-days {options.known_after_days}: a number of days, 0 or more")
    expression = in_silver_names(options.label, columns)
    plan = Plan(
        name=options.name, sample_file=options.sample.name, sample_rows=len(sample.rows), format=sample.format,
        multiline=sample.multiline, columns=columns, key=key, time=time, entity=entity, label_name=options.label_name,
        label_expression=expression, label_columns=label_columns(expression, columns, time.name),
        known_after_days=options.known_after_days,
        label_on_sample=on_sample(expression, sample, columns, time.name), owner=options.owner,
        start_date=_start_date(sample.values(time.header), time.format), time_of_day=time_of_day,
        notes=list(sample.notes))
    plan_features(plan)
    return plan


def _write(root: Path, name: str, files: dict[str, str], profiles: dict[str, str]) -> list[Path]:
    folder = root / "datasets" / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (root / "profiles").mkdir(exist_ok=True)
    written = []
    for directory, texts in ((folder, files), (root / "profiles", profiles)):
        for file, content in texts.items():
            (directory / file).write_text(content)
            written.append(directory / file)
    return written


def new_dataset(options: Options) -> Result:
    project, folder = _targets(options)
    plan = build_plan(options)
    files = render(plan, options.description)
    profiles = profiles_to_write(project, options.name)
    assets = None
    if options.check:
        with tempfile.TemporaryDirectory(prefix="lakehouse-scaffold-") as tmp:
            _write(Path(tmp), options.name, files, profiles)
            assets = check_dataset(Path(tmp), options.name, profile_name(options.name))
    written = _write(project, options.name, files, profiles)
    notes = [f"also copied the shipped profile {p} (the project had no profiles/ folder)"
             for p in profiles if p != f"{profile_name(options.name)}.yaml"]
    return Result(plan, project, folder, written, profile_name(options.name), assets, notes)
