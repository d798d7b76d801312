"""scoring.yaml as data, the run config it defaults, and the asset's declaration (no Spark)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from dagster import AssetKey, BackfillPolicy
from pydantic import ValidationError

from lakehouse.config.scoring import ScoringSettings, load_scoring_config
from lakehouse.scoring import checks
from lakehouse.scoring.assets import ScoringRunConfig, build_scoring_assets, run_defaults
from platform_tests.scoring.conftest import CALENDAR, DATASET

PREDICTIONS_KEY = AssetKey(["card_fraud", "scoring", "predictions"])  # scoring.yaml's scoring/predictions


def test_shipped_config_defaults_the_notebook_parameters():
    config = load_scoring_config("card_fraud")
    assert config.model_name == "card_fraud_classifier"  # from ml.yaml's registry
    assert (config.model_version, config.features_asset, config.predictions_asset, config.output_mode) == (
        "production", "gold/transaction_features", "scoring/predictions", "overwrite")
    assert (config.explanations.mode, config.explanations.tree_method) == ("off", "exact")
    defaults = ScoringRunConfig(**run_defaults(config))
    assert defaults.model_dump() == {"model_name": "card_fraud_classifier", "model_version": "production",
                                     "input_table": "gold.transaction_features",
                                     "output_table": "scoring.predictions", "output_mode": "overwrite"}


@pytest.mark.parametrize(("changes", "message"), [
    ({"predictions_asset": "predictions"}, "must be <schema>/<table>"),
    ({"predictions_asset": "scoring.predictions"}, "must be <schema>/<table>"),
    ({"features_asset": "gold/x;drop"}, "Invalid asset key table name"),
    ({"output_mode": "upsert"}, "output_mode"),
    ({"explanations": {"mode": "shap"}}, "explanations.mode"),
    ({"explanations": {"top_k": 0}}, "explanations.top_k"),
    ({"explanations": {"tree_method": "saabas"}}, "explanations.tree_method"),
    ({"drift": {"bins": 1}}, "drift.bins"),
])
def test_invalid_settings_are_refused(changes, message):
    raw = {**load_scoring_config("card_fraud").model_dump(), **changes}
    with pytest.raises(ValidationError) as error:
        ScoringSettings.model_validate(raw)
    assert message in str(error.value)


def test_unquoted_yaml_off_and_on_are_understood():
    raw = load_scoring_config("card_fraud").model_dump()
    assert ScoringSettings.model_validate({**raw, "explanations": {"mode": False}}).explanations.mode == "off"
    assert ScoringSettings.model_validate({**raw, "explanations": {"mode": True}}).explanations.mode == "on"


def test_asset_declaration():
    [asset] = build_scoring_assets(DATASET, CALENDAR)
    assert asset.key == PREDICTIONS_KEY and asset.group_names_by_key[PREDICTIONS_KEY] == "scoring"
    assert asset.op.name == "scoring__predictions" and asset.can_subset
    assert asset.partitions_def == CALENDAR.daily
    assert asset.backfill_policy == BackfillPolicy.single_run()
    assert set(asset.asset_deps[PREDICTIONS_KEY]) == {AssetKey(["card_fraud", "gold", "transaction_features"])}
    specs = {s.name: s for s in asset.check_specs}
    assert set(specs) == {checks.ROWS, checks.CONTRACT, checks.VERSION, checks.DRIFT}
    assert all(specs[n].blocking for n in (checks.ROWS, checks.CONTRACT, checks.VERSION))
    assert not specs[checks.DRIFT].blocking
    meta = asset.metadata_by_key[PREDICTIONS_KEY]
    assert meta["partition_expr"] == "event_date" and meta["merge_keys"] == ["transaction_id"]


def test_importing_the_stage_starts_no_jvm_and_imports_no_mlflow_or_shap():
    code = ("import sys, lakehouse.scoring.assets, lakehouse.scoring.export; "
            "from lakehouse.config.dataset import load_dataset; from lakehouse.partitions import build_calendar; "
            "d = load_dataset('card_fraud'); "
            "lakehouse.scoring.assets.build_scoring_assets(d, build_calendar(d.partitions)); "
            "lakehouse.scoring.export.build_export_job(d); "
            "print(sorted(m for m in ('mlflow', 'shap', 'pyspark.ml', 'pandera') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert "SparkContext" not in out.stderr
