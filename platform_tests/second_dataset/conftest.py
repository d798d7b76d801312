"""The subscription_churn graph materialised once, end to end, on its own data root.

The profile is the local test profile with `dataset: subscription_churn`, the billing database's
connection (`accounts_db`, which local.yaml does not have) and its own MLflow experiment; the data root
(warehouse, landing zone, MLflow store, reports) is a fresh temporary folder, so nothing here meets
card_fraud's tables. The replay is `make run DATASET=subscription_churn`'s (lakehouse_tools/replay.py and
demo/churn/demo_days.py): the database is read after each chunk of landed days, files and stream are
ingested and processed as one range, the week is trained, then every day is scored and the reports built.
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

from lakehouse.config.profile import DATA_ROOT_ENV_VAR, ConnectionSettings, Profile
from lakehouse.definitions import build_definitions
from lakehouse_tools.demo.churn.demo_days import FIRST, LAST, MID, SETTINGS, land_demo_days
from lakehouse_tools.demo.churn.generator import LandingSummary
from lakehouse_tools.replay import Replay as Runs

DATASET = "subscription_churn"
# Trains on 2026-01-05 .. 01-18 (2 weeks, 1 week behind): every label there has matured by LAST.
WEEK = date(2026, 1, 19)  # expected, not derived: the replay must choose this week (lakehouse_tools/replay.py)
MONITORED = LAST
CONNECTION = ConnectionSettings(url="jdbc:sqlite:{data_root}/sources/churn_sources.sqlite", driver="org.sqlite.JDBC")
__all__ = ["FIRST", "LAST", "MID", "SETTINGS", "WEEK"]


@dataclass
class Replay:
    root: Path
    defs: Definitions
    instance: DagsterInstance
    landed: LandingSummary  # the generator's truth for every day landed
    results: dict[str, ExecuteInProcessResult]
    seconds: dict[str, float]

    def table(self, spark: Any, name: str) -> Any:
        """A Delta table of this replay, by location (never by a catalog name another test registered)."""
        schema, table = name.split(".")
        return spark.read.format("delta").load(str(self.root / "warehouse" / schema / table))


def churn_profile(base: Profile) -> Profile:
    return base.model_copy(update={
        "name": "churn_test", "dataset": DATASET,
        "connections": {"accounts_db": CONNECTION},
        "mlflow": base.mlflow.model_copy(update={"experiment": "/lakehouse/subscription_churn_test"}),
    })


@pytest.fixture(scope="module")
def replay(test_profile: Profile) -> Iterator[Replay]:
    # Not pytest's tmp_path: a concurrent pytest session prunes old numbered temp folders, and this
    # replay runs for minutes.
    root = Path(tempfile.mkdtemp(prefix="churn-lakehouse-"))
    with pytest.MonkeyPatch.context() as env, DagsterInstance.ephemeral() as instance:
        # Resources resolve the data root at run time, the environment first: point it here for the module.
        env.setenv(DATA_ROOT_ENV_VAR, str(root))
        env.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        defs = build_definitions(churn_profile(test_profile), str(root))
        runs, truth = Runs(defs, DATASET), list[LandingSummary]()
        for day in land_demo_days(root, truth):  # MID, then LAST
            runs.read_databases(instance, day)  # the billing database as it stood at the end of that day
        runs.days(instance, FIRST, LAST)
        last = truth[-1]
        landed = LandingSummary(root, tuple(d for t in truth for d in t.days), last.accounts, last.account_changes)
        state = Replay(root, defs, instance, landed, runs.results, runs.seconds)
        print("\n".join(f"  {k:40s} {s:6.1f} s" for k, s in state.seconds.items()))
        yield state
    assert os.environ.get(DATA_ROOT_ENV_VAR) != str(root)  # restored for the tests that follow
    shutil.rmtree(root, ignore_errors=True)
