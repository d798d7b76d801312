"""The summary `make run` prints at the end: every table with its row count, the champion model with
its metrics, the predictions, the reports made, and how to open the UIs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from lakehouse.config.ml import load_ml_config
from lakehouse.config.profile import Profile
from lakehouse.profile_resources import build_resources
from lakehouse.reporting.paths import report_paths
from lakehouse.resources.delta_write import table_exists

PREDICTIONS = ("scoring", "predictions")


def say(message: str) -> None:
    print(f"[lakehouse {time.strftime('%H:%M:%S')}] {message}", flush=True)


def asset_tables(spark_resource: Any, keys: list[tuple[str, ...]]) -> list[Any]:
    """The table of each asset key, by the one rule (SparkResource.table_for), whether it exists or not."""
    return [spark_resource.table_for(key) for key in keys]


def table_counts(resources: dict[str, Any], keys: list[tuple[str, ...]]) -> dict[str, int]:
    """Row count of every asset that is a Delta table (models and report files are not)."""
    spark_resource = resources["spark"]
    session = spark_resource.spark_session
    counts = {}
    for ref in asset_tables(spark_resource, keys):
        if table_exists(session, ref):
            spark_resource.register(ref)
            counts[ref.name] = session.table(ref.name).count()
    return counts


def champion_lines(resources: dict[str, Any], dataset: str) -> list[str]:
    from mlflow.exceptions import MlflowException

    from lakehouse.ml.promotion import ModelVersionNotFound, resolve_model_version

    registry = load_ml_config(dataset).registry
    client = resources["mlflow"].client()
    try:
        version = resolve_model_version(client, registry.model_name, "production", registry.champion_alias)
    except ModelVersionNotFound as missing:  # reported, not hidden: the gate kept every candidate out
        return [f"no champion: {missing}"]
    try:
        metrics = client.get_run(version.run_id).data.metrics
    except MlflowException as error:
        return [f"{registry.model_name} v{version.version} (@{registry.champion_alias}); run unreadable: {error}"]
    shown = ", ".join(f"{k}={v:.3f}" for k, v in sorted(metrics.items()) if k.startswith("test_"))
    link = resources["mlflow"].model_version_url(registry.model_name, version.version)
    return [f"{registry.model_name} v{version.version} (@{registry.champion_alias}), run {version.run_id}",
            f"held-out test window: {shown or 'no test metrics logged'}",
            *([f"in MLflow (make mlflow): {link}"] if link else [])]


def print_summary(profile: Profile, root: Path, seen: dict[str, list], seconds: float) -> None:
    from lakehouse.definitions import defs

    resources = build_resources(profile, str(root))
    keys = [tuple(k.path) for k in defs.resolve_asset_graph().get_all_asset_keys()]
    say(f"Done in {seconds / 60:.1f} min. Materialisations this run: {sum(v[0] for v in seen.values())}")
    say("Tables (rows):")
    for name, rows in sorted(table_counts(resources, keys).items()):
        say(f"  {name:45s} {rows:>10,}")
    say("Champion model:")
    for line in champion_lines(resources, profile.dataset):
        say(f"  {line}")
    reports = report_paths(root, profile.dataset)
    say(f"Reports ({len(reports)} HTML; PDF, Excel, CSV and PNG beside each):")
    by_report: dict[str, list[Path]] = {}
    for path in reports:
        by_report.setdefault(path.parent.parent.name, []).append(path)
    for name, paths in by_report.items():  # the newest of each report, then where the others are
        say(f"  {name:8s} {len(paths):3d} reports, newest {paths[-1]}")
    dev = "make dev" if profile.dataset == "card_fraud" else f"make dev DATASET={profile.dataset}"
    say(f"Dagster UI: {dev}, then http://127.0.0.1:3000 (lineage under Assets > Global asset lineage)")
    ui = resources["mlflow"].ui_base()  # the profile's mlflow.ui_url: where `make mlflow` serves this store
    say(f"MLflow UI:  make mlflow, then {ui}" if ui else "MLflow UI:  none configured (profile mlflow.ui_url)")
    say(f"Tables by name from SQL: .venv/bin/python -m lakehouse_tools.query \"SELECT count(*) FROM {'.'.join(PREDICTIONS)}\"")
