"""The demo clock: `make run` replays the weeks that end yesterday, so after it every partition up to
yesterday is materialised and `make dev`'s schedules and sensors carry on from today.

The calendar is configuration (dataset.yaml `partitions.start_date`), and the shipped demo dataset keeps
a fixed one (2026-01-01) that the tests rely on. So the replay runs on a *demo project*
(``LAKEHOUSE_PROJECT_DIR``, config/project.py) kept in the data root, next to the data it describes:

    <data_root>/demo_project/datasets/<dataset>/dataset.yaml   the shipped file, start_date moved
    <data_root>/demo_project/datasets/<dataset>/*.yaml         links to the shipped files
    <data_root>/demo_project/datasets/<other dataset>          a link to the shipped folder

The start date is chosen once, when the data root is first replayed, and kept: the landed days, the
tables and the Dagster instance's partitions all hold those dates. Every `make run` refreshes the links
and regenerates dataset.yaml from the shipped one (so edits to the shipped configuration apply), keeping
the start date. `make clean-data` deletes the data root, and the clock with it.

`python -m lakehouse_tools.demo.clock` prints the demo project of the profile's data root when one
exists (nothing otherwise): `make dev` runs the UI and daemon on it.
"""

from __future__ import annotations

import re
import sys
from datetime import date, timedelta
from pathlib import Path

import yaml

from lakehouse.config.project import DEFAULT_PROJECT_DIR

DEMO_PROJECT = "demo_project"
_START_DATE = re.compile(r"^(\s+start_date:\s*)(\S+)(.*)$", re.MULTILINE)


def demo_project_dir(root: Path) -> Path:
    return root / DEMO_PROJECT


def clock_start(today: date, days: int, days_left: int = 0) -> date:
    """The first day of a replay of `days` days that ends `days_left` days before yesterday (the soak
    lands those days itself, on a timer)."""
    return today - timedelta(days=days + days_left)


def recorded_start(root: Path, dataset: str) -> date | None:
    """The start date the data root was first replayed with, if it was."""
    path = demo_project_dir(root) / "datasets" / dataset / "dataset.yaml"
    if not path.is_file():
        return None
    return date.fromisoformat(str(yaml.safe_load(path.read_text())["partitions"]["start_date"]))


def write_demo_project(root: Path, dataset: str, start: date) -> Path:
    """(Re)write the demo project: the shipped datasets linked, `dataset`'s calendar starting at `start`."""
    project = demo_project_dir(root)
    shipped = DEFAULT_PROJECT_DIR / "datasets"
    (project / "datasets").mkdir(parents=True, exist_ok=True)
    for folder in sorted(p for p in shipped.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        target = project / "datasets" / folder.name
        if folder.name != dataset:
            _link(target, folder)
            continue
        if target.is_symlink():
            target.unlink()
        target.mkdir(exist_ok=True)
        for item in sorted(folder.iterdir()):
            if item.name != "dataset.yaml":
                _link(target / item.name, item)
        (target / "dataset.yaml").write_text(_moved(folder / "dataset.yaml", start))
    return project


def _moved(shipped: Path, start: date) -> str:
    text = shipped.read_text()
    moved, count = _START_DATE.subn(lambda m: f"{m.group(1)}{start.isoformat()}{m.group(3)}", text, count=1)
    if count != 1:
        raise ValueError(f"{shipped}: no `partitions.start_date` line to move for the demo clock")
    header = (f"# Written by `make run` (lakehouse_tools/demo/clock.py) from {shipped}: the demo clock moved\n"
              f"# start_date to {start}. Edit the shipped file; the next `make run` rewrites this one.\n")
    return header + moved


def _link(link: Path, target: Path) -> None:
    if link.is_symlink() and link.resolve() == target.resolve():
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.exists():
        raise ValueError(f"{link} is a folder where the demo project links {target}; delete it (make clean-data)")
    link.symlink_to(target, target_is_directory=target.is_dir())


def main() -> int:
    """Print the demo project of the profile's data root, if `make run` wrote one."""
    from lakehouse.config.profile import load_profile, resolve_data_root

    project = demo_project_dir(resolve_data_root(load_profile().storage.data_root))
    if (project / "datasets").is_dir():
        print(project)
    return 0


if __name__ == "__main__":
    sys.exit(main())
