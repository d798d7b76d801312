"""The stage half of a scaffolded dataset: ml.yaml, scoring.yaml, reporting.yaml, monitoring.yaml,
automation.yaml and maintenance.yaml — subscription_churn's choices made generic (one model family, a
small grid, weekly and monthly reports), sized from the plan (the label's delay, the sample's rate)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from lakehouse_tools.scaffold.plan import Plan
from lakehouse_tools.scaffold.yamltext import comment, flow, scalar, text

PREDICTIONS = "predictions"  # contracts.yaml entry of the scored rows
# Columns scoring writes itself (lakehouse/scoring/predict.py SCORED): no carried column may take these names.
SCORED = ("probability", "prediction", "threshold", "model_name", "model_version", "mlflow_run_id", "scored_at")


def _header(plan: Plan, what: str, change: str) -> list[str]:
    return comment(f"{what} Scaffolded by `lakehouse new-dataset {plan.name}` on {date.today().isoformat()}.\n"
                   f"To change: {change}")


def _carried(plan: Plan) -> tuple[str | None, str | None]:
    """The amount and breakdown columns the predictions carry from gold for the reports (or None)."""
    amount = plan.amount.name if plan.amount and plan.amount.name not in SCORED else None
    breakdown = plan.breakdown if plan.breakdown not in SCORED else None
    return amount, breakdown


def predictions_columns(plan: Plan) -> list[dict[str, Any]]:
    key, time = plan.key_column, plan.time.name
    amount, breakdown = _carried(plan)
    columns: list[dict[str, Any]] = [
        {"name": key.name, "type": key.type, "required": True, "unique": True, "description": "Scored row (silver / gold key)."},
        {"name": "event_date", "type": "date", "required": True, "description": "Day of the row (partition)."},
        {"name": time, "type": "timestamp", "required": True, "description": "Event time of the row."},
    ]
    if amount:
        columns.append({"name": amount, "type": "double", "description": "Carried from gold for the reports."})
    if breakdown:
        columns.append({"name": breakdown, "type": "string", "description": "Carried from gold for the reports."})
    probability = {"type": "double", "required": True, "min": 0, "max": 1}
    return columns + [
        {"name": "probability", **probability, "description": "Predicted probability that the label is 1."},
        {"name": "prediction", "type": "int", "required": True, "min": 0, "max": 1, "description": "1 when probability > threshold."},
        {"name": "threshold", **probability, "description": "Decision threshold stored with the model version."},
        {"name": "model_name", "type": "string", "required": True, "description": "Registered MLflow model name."},
        {"name": "model_version", "type": "string", "required": True, "description": "Model version that scored the row."},
        {"name": "mlflow_run_id", "type": "string", "required": True, "description": "MLflow run of the model version."},
        {"name": "scored_at", "type": "timestamp", "required": True, "description": "When the row was scored (UTC)."},
    ]


def training_window(known_after_days: int) -> str:
    """The days a weekly training reads (ml/training_set.py window_bounds, 4-week window), in words."""
    end = 1 - -(-known_after_days // 7)  # weeks after the training week's start
    until = ("the training week's start" if end == 0 else "the training week's end" if end == 1
             else f"{-end} week(s) before the training week's start")
    return f"the 4 weeks up to {until}"


def _ml(plan: Plan) -> str:
    rate = plan.label_on_sample.rate if plan.label_on_sample else None
    why = (f"above the sample's positive rate ({rate:.1%}), which a guessing model scores" if rate and 0 < rate < 1
           else "the sample gave no positive rate")
    lag = -(-plan.known_after_days // 7)
    return text([
        *_header(plan, "Machine learning, validated by lakehouse/config/ml.py (docs/ml.md).",
                 f"a training week reads {training_window(plan.known_after_days)} (land that much first); "
                 "add model families and grids; raise the promotion floor once you know what a useful model scores."),
        "seed: 42", "",
        "training_set:",
        "  window_weeks: 4              # four weeks of matured rows per weekly training set",
        f"  maturity_lag_weeks: null     # null: known_after_days ({plan.known_after_days}) rounded up to weeks ({lag})",
        "  split: {validation_days: 7, test_days: 7}   # oldest 14 days train, then 7 validation, newest 7 test",
        "  class_weighting: balanced", "",
        "feature_selection:",
        "  method: none", "",
        "models:",
        "  logistic_regression:",
        "    estimator: pyspark.ml.classification.LogisticRegression",
        "    scale: true",
        "    params: {maxIter: 50}",
        "    grid: {regParam: [0.01, 0.1]}",
        "  # random_forest:             # a second family competes on the validation days",
        "  #   estimator: pyspark.ml.classification.RandomForestClassifier",
        "  #   params: {numTrees: 50}",
        "  #   grid: {maxDepth: [5, 8]}", "",
        "cross_validation:",
        "  folds: 2",
        "  parallelism: 1",
        "  fold_strategy: time_blocks",
        "  metric: areaUnderPR", "",
        "evaluation:",
        "  metrics: [roc_auc, pr_auc, precision, recall, f1, log_loss, brier]",
        "  selection_metric: pr_auc",
        "  threshold: {rule: best_f1}",
        "  bins: 200", "",
        "promotion:",
        "  metric: pr_auc",
        "  margin: 0.01",
        f"  floor: {plan.floor}                  # {why}", "",
        "registry:",
        f"  model_name: {plan.name}_classifier",
        "  challenger_alias: challenger",
        "  champion_alias: champion", "",
        "schedule: {hour: 6, minute: 0} # Mondays",
    ])


def _scoring(plan: Plan) -> str:
    return text([
        *_header(plan, "Batch scoring, validated by lakehouse/config/scoring.py (docs/scoring.md).",
                 "explanations (on: top features per row), the export format."),
        "model_name: null               # null: ml.yaml registry.model_name",
        "model_version: production      # the champion alias",
        f"features_asset: gold/{plan.name}_features",
        "predictions_asset: scoring/predictions",
        "output_mode: overwrite", "",
        f"contract: {PREDICTIONS}             # contracts.yaml entry of the output rows",
        f"key: {plan.key_column.name}",
        "event_date: event_date", "",
        "explanations:",
        "  mode: \"off\"",
        "  top_k: 3", "",
        "drift:",
        "  bins: 10",
        "  psi_warn: 0.2", "",
        "export:",
        f"  directory: exports/{plan.name}",
        "  format: csv",
    ])


def _names(plan: Plan) -> tuple[dict[str, str], dict[str, str]]:
    amount, _ = _carried(plan)
    key = plan.key_column.name
    predictions = {"key": key, "event_date": "event_date", "event_time": plan.time.name, "probability": "probability",
                   "prediction": "prediction", "threshold": "threshold", "amount": amount or "probability",
                   "model_version": "model_version"}
    labels = {"key": key, "event_date": "event_date", "label": plan.label_name, "matured": "label_matured"}
    return predictions, labels


def _reporting(plan: Plan) -> str:
    predictions, labels = _names(plan)
    positive = plan.label_name.removeprefix("is_") if plan.label_name != "label" else "positive"
    sections: dict[str, dict[str, Any]] = {
        "summary": {"kind": "summary", "title": "Summary statistics",
                    "description": f"Rows scored, how many were predicted {positive}, percentiles of probability and {predictions['amount']}."},
        "by_day": {"kind": "timeline", "grain": "day", "title": "By day", "description": "Rows scored and the share predicted positive, day by day."},
    }
    if plan.time_of_day:
        sections["by_hour"] = {"kind": "timeline", "grain": "hour", "title": "By hour of day",
                               "description": "Rows scored and the share predicted positive, by hour (UTC)."}
    _, breakdown = _carried(plan)
    if breakdown:
        sections["breakdown"] = {"kind": "breakdown", "column": breakdown, "title": f"By {breakdown}",
                                 "description": f"Volume, share predicted positive and mean probability per {breakdown}."}
    sections["probability"] = {"kind": "histogram", "column": "probability", "edges": [round(i / 10, 1) for i in range(11)],
                               "log_y": True, "mark_threshold": True, "axis_label": "predicted probability",
                               "title": "Probability distribution", "description": "The dashed line is the decision threshold."}
    sections["realised"] = {"kind": "realised", "min_matured_fraction": 0.5, "title": "Realised performance",
                            "description": "Precision, recall and AUC against the labels, once half the period's have matured."}
    reports = [{"name": "weekly", "period": "week", "title": f"Weekly {plan.name} report", "sections": list(sections),
                "main_chart": "by_day", "schedule_hour": 7, "description": "One week (Monday to Sunday) of scored rows."},
               {"name": "monthly", "period": "month", "title": f"Monthly {plan.name} report", "sections": list(sections),
                "main_chart": "by_day", "schedule_hour": 7, "description": "One calendar month of scored rows."}]
    lines = _header(plan, "Reports on the scored rows, validated by lakehouse/config/reporting.py (docs/reporting.md).",
                    "the wording (positive_name), breakdowns and histograms of your columns, a daily report.")
    lines += ["predictions_asset: scoring/predictions", f"labels_asset: gold/{plan.name}_labels",
              "report_root: \"{data_root}/reports\"", f"positive_name: {scalar(positive)}",
              f"negative_name: {scalar('negative' if positive == 'positive' else f'not {positive}')}",
              "render_processes: 1", f"predictions: {flow(predictions)}", f"labels: {flow(labels)}", "", "sections:"]
    lines += [f"  {name}: {flow(spec)}" for name, spec in sections.items()]
    lines += ["", "reports:"] + [f"  - {flow(report)}" for report in reports]
    return text(lines)


def _monitoring(plan: Plan) -> str:
    predictions, labels = _names(plan)
    predictions = {k: predictions[k] for k in ("key", "event_date", "probability", "prediction", "model_version")}
    return text([
        *_header(plan, "Model monitoring, validated by lakehouse/config/monitoring.py (docs/monitoring.md).",
                 "the thresholds whose breach requests a retraining run."),
        "predictions_asset: scoring/predictions", f"labels_asset: gold/{plan.name}_labels",
        f"predictions: {flow(predictions)}", f"labels: {flow(labels)}", "",
        "performance:",
        f"  window_days: {max(21, plan.known_after_days + 14)}        # must exceed the label's delay (known_after_days: {plan.known_after_days})",
        "  min_rows: 200", "  min_positives: 10", "  bins: 200",
        "drift: {reference_days: 14, bins: 10, min_rows: 100}",
        "thresholds:",
        f"  min_pr_auc: {plan.floor}          # the champion gate's floor (ml.yaml promotion.floor)",
        "  min_recall: 0.30", "  min_precision: null", "  max_psi_vs_prior_days: 0.25", "",
        "retraining: {enabled: true, job: ml_weekly_training, default_status: running}",
    ])


def _automation(plan: Plan) -> str:
    labels = f"gold/{plan.name}_labels"
    return text([
        *_header(plan, "Declarative Automation, validated by lakehouse/config/automation.py (docs/automation.md): "
                 "the landing sensor ingests each landed day, these rules carry it to the reports.",
                 "nothing, unless you add sources (name their assets here)."),
        "sensor: {name: data_automation, default_status: running}",
        "run_tags:", "  dagster/max_retries: \"1\"", "",
        "rules:",
        "  process_landed_data:",
        "    description: \"Bronze changed: rebuild the silver days it holds, their labels and the gold days reading them.\"",
        f"    assets: [silver/{plan.name}, gold/{plan.name}_features, {labels}]",
        "    optional_upstream: [\"bronze/*\"]   # a late-arrival landing day may never land",
        "  score_new_features:",
        "    description: \"A day's features changed: score that day again.\"",
        "    assets: [scoring/predictions]",
        "  report_new_predictions:",
        "    description: \"A day's scores changed: rebuild the week and month holding it.\"",
        "    assets: [\"reporting/*\"]",
        f"    ignore_updates_from: [{labels}]",
        "  monitor_new_predictions:",
        "    description: \"A day's scores changed: re-evaluate the monitoring days whose windows hold it.\"",
        "    assets: [monitoring/model_performance]",
        f"    ignore_updates_from: [{labels}]",
        "  mature_labels:",
        f"    description: \"A day's labels are final {plan.known_after_days} days after it: recompute the days still maturing once a day.\"",
        f"    assets: [{labels}]",
        "    when: cron               # at dataset.yaml schedules.daily",
        "    recent_days: label_maturity   # the label's known_after_days + 2: the days still maturing", "",
        "champion_rescore: {enabled: false, model_asset: ml/model, target: scoring/predictions, days: 7}",
    ])


def _maintenance(plan: Plan) -> str:
    key = plan.key_column.name
    column = plan.entity.name if plan.entity else key
    recent = plan.late_tolerance_days + 7
    return text([
        *_header(plan, "Weekly maintenance (docs/operations.md), validated by lakehouse/config/operations.py; VACUUM "
                 "and the quarantines' expiry cover every table of the graph.",
                 "Z-order by the columns your queries filter on."),
        "optimize:",
        f"  - {{asset: silver/{plan.name}, zorder_by: [{column}], recent_days: {recent}}}",
        f"  - {{asset: gold/{plan.name}_features, zorder_by: [{column}], recent_days: {recent}}}",
        f"  - {{asset: scoring/predictions, zorder_by: [{key}]}}",
        "keep_history: [ml/training_set]   # models pin their training set version",
        "quarantine: {retention_days: 90}",
        "registry: {models: null, keep_latest: 5, action: tag}",
    ])


STAGE_FILES: dict[str, Callable[[Plan], str]] = {
    "ml.yaml": _ml, "scoring.yaml": _scoring, "reporting.yaml": _reporting, "monitoring.yaml": _monitoring,
    "automation.yaml": _automation, "maintenance.yaml": _maintenance,
}
