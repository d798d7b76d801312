"""The subscription_churn graph materialised once, end to end, on its own data root.

The profile is the local test profile with `dataset: subscription_churn`, the billing database's
connection (`accounts_db`, which local.yaml does not have) and its own MLflow experiment; the data root
(warehouse, landing zone, MLflow store, reports) is a fresh temporary folder, so nothing here meets
card_fraud's tables. The replay follows `make run`: the database is read after each batch of landed
days, files and stream are ingested and processed as one range, the week is trained, then every day is
scored and the reports are built.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetSelection, DagsterInstance, Definitions, ExecuteInProcessResult, define_asset_job

from lakehouse.config.profile import DATA_ROOT_ENV_VAR, ConnectionSettings, Profile
from lakehouse.definitions import build_definitions
from lakehouse.ml.schedules import ML_JOB
from lakehouse_tools.demo.churn.generator import LandingSummary, land_days
from lakehouse_tools.demo.churn.settings import ChurnSettings

DATASET = "subscription_churn"
FIRST, MID, LAST = date(2026, 1, 1), date(2026, 1, 14), date(2026, 1, 28)
# Trains on 2026-01-05 .. 01-18 (2 weeks, 1 week behind): every label there has matured by LAST.
WEEK = date(2026, 1, 19)
MONITORED = LAST
SETTINGS = ChurnSettings()
CONNECTION = ConnectionSettings(url="jdbc:sqlite:{data_root}/sources/churn_sources.sqlite", driver="org.sqlite.JDBC")


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


def _jobs(defs: Definitions) -> Definitions:
    accounts = AssetSelection.assets(["bronze", "accounts"]).required_multi_asset_neighbors()
    jobs = {
        "churn_accounts": accounts,
        "churn_ingest_process": AssetSelection.groups("ingestion", "processing") - accounts,
        "churn_score": AssetSelection.assets(["scoring", "predictions"]),
        "churn_monitor": AssetSelection.assets(["monitoring", "model_performance"]),
        "churn_monthly": AssetSelection.groups("reporting_monthly_churn"),
        "churn_weekly": AssetSelection.groups("reporting_weekly_churn"),
    }
    return Definitions.merge(defs, Definitions(jobs=[define_asset_job(n, selection=s) for n, s in jobs.items()]))


def _run(replay: Replay, job: str, first: date, last: date | None = None) -> None:
    started = time.perf_counter()
    target = replay.defs.resolve_job_def(job)
    if last is None:
        result = target.execute_in_process(instance=replay.instance, partition_key=first.isoformat())
    else:
        tags = {"dagster/asset_partition_range_start": first.isoformat(),
                "dagster/asset_partition_range_end": last.isoformat()}
        result = target.execute_in_process(instance=replay.instance, tags=tags)
    assert result.success, job
    key = f"{job}@{first}"
    replay.results[key], replay.seconds[key] = result, time.perf_counter() - started


@pytest.fixture(scope="module")
def replay(test_profile: Profile) -> Iterator[Replay]:
    # Not pytest's tmp_path: a concurrent pytest session prunes old numbered temp folders, and this
    # replay runs for minutes.
    root = Path(tempfile.mkdtemp(prefix="churn-lakehouse-"))
    with pytest.MonkeyPatch.context() as env, DagsterInstance.ephemeral() as instance:
        # Resources resolve the data root at run time, the environment first: point it here for the module.
        env.setenv(DATA_ROOT_ENV_VAR, str(root))
        env.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        defs = _jobs(build_definitions(churn_profile(test_profile), str(root)))
        state = Replay(root, defs, instance, land_days(SETTINGS, root, FIRST, MID), {}, {})
        _run(state, "churn_accounts", MID)  # the billing database as it stood at the end of MID
        second = land_days(SETTINGS, root, MID + timedelta(days=1), LAST)
        state.landed = LandingSummary(root, state.landed.days + second.days, second.accounts, second.account_changes)
        _run(state, "churn_accounts", LAST)
        _run(state, "churn_ingest_process", FIRST, LAST)
        _run(state, ML_JOB, WEEK)
        _run(state, "churn_score", FIRST, LAST)
        _run(state, "churn_monitor", MONITORED)
        _run(state, "churn_monthly", FIRST)  # January
        _run(state, "churn_weekly", WEEK)
        print("\n".join(f"  {k:40s} {s:6.1f} s" for k, s in state.seconds.items()))
        yield state
    assert os.environ.get(DATA_ROOT_ENV_VAR) != str(root)  # restored for the tests that follow
    shutil.rmtree(root, ignore_errors=True)
