"""The soak's new champion: a promotion recorded the way the weekly training records one, without its
training run (a minute of Spark that proves nothing here): a new version of the registered model in
MLflow with the champion alias moved to it, and the model asset's materialisation saying
`promoted: true` (ml/assets.py). The demo project the soak runs on has `champion_rescore` switched on
(it is off in the shipped automation.yaml), so the daemon alone must re-score the newest scored days
with the new version in one run and rebuild their reports (lakehouse/automation/champion.py)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from dagster import AssetKey, AssetMaterialization, AssetRecordsFilter, DagsterInstance
from mlflow import MlflowClient

from lakehouse.config.ml import load_ml_config
from lakehouse_tools.demo.clock import demo_project_dir

DATASET = "card_fraud"
MODEL = AssetKey([DATASET, "ml", "model"])
RESCORE_TAG = "lakehouse/rescore_model_version"


def switch_on_champion_rescore(root: Path) -> int:
    """Replace the demo project's link to the shipped automation.yaml by a copy with the re-score on;
    returns how many days a promotion re-scores."""
    path = demo_project_dir(root) / "datasets" / DATASET / "automation.yaml"
    text = path.read_text()
    kept = yaml.safe_load(text)["champion_rescore"]
    if not path.is_symlink() and kept["enabled"] is True:
        return int(kept["days"])  # a root kept from an earlier soak (--base)
    block = re.compile(r"^(champion_rescore:\n(?:[ \t].*\n)*?[ \t]+enabled:[ \t]*)false", re.MULTILINE)
    text, count = block.subn(r"\1true", text)
    assert count == 1, f"{path}: no `champion_rescore.enabled: false` to switch on"
    # Two days, not the shipped seven: the newest two are in a week and a month that have not ended, so
    # the promotion costs the re-score and the daily reports only (the soak runs inside make test's time).
    days = re.compile(r"^(champion_rescore:\n(?:[ \t].*\n)*?[ \t]+days:[ \t]*)\d+", re.MULTILINE)
    text, count = days.subn(r"\g<1>2", text)
    assert count == 1, f"{path}: no `champion_rescore.days` to set"
    path.unlink()
    path.write_text(text)
    config = yaml.safe_load(text)["champion_rescore"]
    assert config["enabled"] is True
    return int(config["days"])


def promote_new_champion(root: Path, instance: DagsterInstance) -> str:
    """A new version of the champion's model, the alias moved to it, and the promotion recorded."""
    registry = load_ml_config(DATASET).registry
    client = MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow' / 'mlflow.db'}")
    current = client.get_model_version_by_alias(registry.model_name, registry.champion_alias)
    new = client.create_model_version(registry.model_name, source=current.source, run_id=current.run_id,
                                      description="soak: a new champion (a copy of the previous one)")
    client.set_registered_model_alias(registry.model_name, registry.champion_alias, new.version)
    week = instance.fetch_materializations(MODEL, limit=1).records[0].partition_key
    instance.report_runless_asset_event(AssetMaterialization(
        asset_key=MODEL, partition=week, metadata={"promoted": True, "model_version": str(new.version)}))
    return str(new.version)


def rescored_versions(instance: DagsterInstance, predictions: AssetKey, since: float) -> dict[str, str]:
    """Partition -> the model version its predictions were scored with, for those scored after `since`."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=predictions, after_timestamp=since), limit=1000).records
    out = {}
    for record in records:
        mat = record.asset_materialization
        version = mat.metadata.get("model_version") if mat else None
        out[record.partition_key or ""] = str(version.value) if version is not None else "?"
    return out
