"""Thresholds and breach episodes (pure, no Spark, no instance)."""

from __future__ import annotations

import pytest

from lakehouse.config.monitoring import MonitoringConfig, Thresholds, load_monitoring_config
from lakehouse.monitoring.breach import Episode, breaches, judged, reason, step

LIMITS = Thresholds(min_pr_auc=0.10, min_recall=0.30, min_precision=None, max_psi_vs_prior_days=0.25)


def test_each_threshold_is_judged_in_its_direction() -> None:
    found = breaches({"pr_auc": 0.08, "recall": 0.5, "precision": 0.01, "psi_vs_prior_days": 0.31}, LIMITS)
    # precision: no limit
    assert [(b.metric, b.kind) for b in found] == [("pr_auc", "min"), ("psi_vs_prior_days", "max")]
    assert breaches({"pr_auc": 0.10, "recall": 0.30, "psi_vs_prior_days": 0.25}, LIMITS) == []  # limits themselves pass


def test_missing_metrics_are_not_breaches() -> None:
    assert breaches({"psi_vs_prior_days": None, "evaluated_rows": 12}, LIMITS) == []
    assert judged({"psi_vs_prior_days": None, "recall": 0.2}, LIMITS) == {"recall"}


def test_the_reason_names_values_limits_and_the_evidence_window() -> None:
    metrics = {"pr_auc": 0.08, "psi_vs_prior_days": 0.31, "evaluated_from": "2026-01-01", "evaluated_to": "2026-01-29",
               "evaluated_rows": 4200}
    assert reason(breaches(metrics, LIMITS), metrics) == (
        "pr_auc 0.0800 < min 0.1 (matured 2026-01-01..2026-01-29, 4200 rows); psi_vs_prior_days 0.3100 > max 0.25"
    )


def test_one_request_per_episode_of_one_model_version() -> None:
    low = breaches({"pr_auc": 0.05}, LIMITS)
    episode, request = step(None, "2026-03-01", "7", low, {"pr_auc"})
    assert request and episode == Episode("2026-03-01", "7", ("pr_auc",))
    assert step(episode, "2026-03-02", "7", low, {"pr_auc"}) == (episode, False)  # continues: no new request
    assert step(episode, "2026-03-03", "7", [], set()) == (episode, False)  # not judged: no evidence of recovery
    assert step(episode, "2026-03-03", "7", [], {"pr_auc"}) == (None, False)  # recovered
    again, request = step(None, "2026-03-09", "7", low, {"pr_auc"})
    assert request and again.since == "2026-03-09"  # a new episode later: a new request
    _, request = step(episode, "2026-03-04", "8", low, {"pr_auc"})
    assert request  # a new champion failing too is a new episode


def test_the_dataset_config_loads_and_needs_a_threshold_when_retraining_is_on() -> None:
    config = load_monitoring_config("card_fraud")
    assert config.thresholds.min_pr_auc == 0.10 and config.retraining.job == "ml_weekly_training"
    none = {"min_pr_auc": None, "min_recall": None, "min_precision": None, "max_psi_vs_prior_days": None}
    with pytest.raises(ValueError, match="at least one threshold"):
        MonitoringConfig(thresholds=none)
