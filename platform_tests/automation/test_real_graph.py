"""automation.yaml and monitoring.yaml against the real asset graph (built without Spark), wired the way
definitions.py wires them: the rules select the real reporting assets, and the code location is loadable."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetKey, DefaultSensorStatus, Definitions

from lakehouse.automation.champion import build_champion_rescore_sensor
from lakehouse.automation.sensors import build_rematerialization_sensors, resolve_rule
from lakehouse.automation.graph import build_net, reach
from lakehouse.config.automation import load_automation_config
from lakehouse.config.dataset import load_dataset
from lakehouse.config.monitoring import load_monitoring_config
from lakehouse.config.profile import load_profile
from lakehouse.ingestion.assets import build_ingestion_assets
from lakehouse.ml.assets import build_ml_assets
from lakehouse.ml.schedules import build_ml_schedules
from lakehouse.monitoring.assets import build_monitoring_assets
from lakehouse.monitoring.sensors import build_retraining_sensor
from lakehouse.partitions import build_calendar
from lakehouse.processing.assets import build_processing_assets
from lakehouse.reporting.assets import build_reporting_assets
from lakehouse.resources import build_resources
from lakehouse.scoring.assets import build_scoring_assets


def test_rules_and_retraining_wire_into_a_loadable_code_location(tmp_path: Path) -> None:
    dataset = load_dataset("card_fraud")
    calendar = build_calendar(dataset.partitions)
    assets = [*build_ingestion_assets(dataset, calendar), *build_processing_assets(dataset, calendar),
              *build_ml_assets(dataset, calendar), *build_scoring_assets(dataset, calendar),
              *build_reporting_assets(dataset, calendar), *build_monitoring_assets(dataset, calendar)]
    automation = load_automation_config("card_fraud")
    sensors = build_rematerialization_sensors(assets, automation)
    retrain = build_retraining_sensor(calendar.weekly, load_monitoring_config("card_fraud"))
    assert retrain is not None and build_champion_rescore_sensor(assets, automation.champion_rescore) is None
    defs = Definitions(assets=assets, schedules=build_ml_schedules(dataset), sensors=[*sensors, retrain],
                       resources=build_resources(load_profile("local"), str(tmp_path)))
    Definitions.validate_loadable(defs)
    assert {s.name: s.default_status for s in [*sensors, retrain]} == {
        "process_on_new_bronze": DefaultSensorStatus.RUNNING,
        "score_on_new_features": DefaultSensorStatus.RUNNING,
        "report_on_new_predictions": DefaultSensorStatus.RUNNING,
        "retrain_on_model_degradation": DefaultSensorStatus.RUNNING,
    }
    jobs = resolve_rule("report_on_new_predictions", automation.rules["report_on_new_predictions"],
                        build_net(assets)).job_of
    assert {k.to_user_string(): j for k, j in jobs.items()} == {
        f"reporting/{period}_{kind}": f"report_on_new_predictions__{period}"
        for period in ("daily", "weekly", "monthly") for kind in ("summary", "report")
    }


def test_a_late_landing_day_reaches_the_silver_days_it_can_hold_and_their_features() -> None:
    """Silver day D reads landing days D .. D + late tolerance (3): landing day L reaches silver L-3 .. L,
    and each of those reaches gold through gold's 30-day look-back (gold days from L-3 onwards)."""
    dataset = load_dataset("card_fraud")
    calendar = build_calendar(dataset.partitions)
    assets = [*build_ingestion_assets(dataset, calendar), *build_processing_assets(dataset, calendar)]
    net = build_net(assets)
    targets = {AssetKey(["silver", "transactions"]), AssetKey(["gold", "transaction_features"])}
    reached = reach(net, AssetKey(["bronze", "transactions_pos"]), "2026-03-10", targets)
    assert reached[AssetKey(["silver", "transactions"])] == {"2026-03-07", "2026-03-08", "2026-03-09", "2026-03-10"}
    gold_days = reached[AssetKey(["gold", "transaction_features"])]
    assert min(gold_days) == "2026-03-07" and "2026-03-10" in gold_days
