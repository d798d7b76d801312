"""features.yaml `label:` in both forms (issue #18 item 3): label events, or an expression on the row,
validated when the definitions load — it parses, names silver's columns, is a condition, and reads no
model input (leakage) — and wired without a label source. Pure Python: no Spark, no JVM."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dagster import AssetKey
from pydantic import ValidationError

from lakehouse.automation.conditions import DailyCron
from lakehouse.config.dataset import load_dataset
from lakehouse.config.features import EventLabel, ExpressionLabel, load_features
from lakehouse.config.processing import load_processing
from lakehouse.config.project import PROJECT_ENV_VAR
from lakehouse.definitions import build_definitions
from lakehouse.ml.features import load_feature_spec
from lakehouse.partitions import build_calendar
from lakehouse.processing.assets import build_processing_assets
from lakehouse.processing.gold import identity_columns
from platform_tests.processing.expression_project import EXPRESSION, LABEL, expression_project

FEATURES = "datasets/card_fraud/features.yaml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """card_fraud with `currency <> 'EUR'` as its label, the project in use."""
    expression_project(tmp_path)
    monkeypatch.setenv(PROJECT_ENV_VAR, str(tmp_path))
    return tmp_path


def _with_label(root: Path, monkeypatch: pytest.MonkeyPatch, **label: object) -> None:
    expression_project(root, label={**LABEL, **label})
    monkeypatch.setenv(PROJECT_ENV_VAR, str(root))


def test_the_shipped_event_labels_load_unchanged() -> None:
    for dataset, source, window in (("card_fraud", "chargebacks", 30), ("subscription_churn", "cancellations", 7)):
        label = load_features(dataset).label
        assert isinstance(label, EventLabel) and label.source == source
        assert label.maturity_days == label.window_days == window
        assert label.label_key == label.key


def test_an_expression_label_loads_with_its_maturity_delay(project: Path) -> None:
    registry = load_features("card_fraud")
    label = registry.label
    assert isinstance(label, ExpressionLabel)
    assert (label.expression, label.maturity_days, label.label_key) == (EXPRESSION, 2, None)
    assert load_feature_spec("card_fraud").label_window_days == 2  # ML's lag reads the same delay
    # No label key to carry: gold's identity columns are the row key, entity, event time and day.
    assert identity_columns(registry, "transaction_id") == ["transaction_id", "customer_id", "event_time", "event_date"]


def test_known_after_days_defaults_to_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_label(tmp_path, monkeypatch, known_after_days=None)
    features = tmp_path / "datasets" / "card_fraud" / "features.yaml"
    features.write_text(features.read_text().replace("  known_after_days: null\n", ""))
    assert load_features("card_fraud").label.maturity_days == 0


@pytest.mark.parametrize("expression, error", [
    ("currency <>", r"does not parse as Spark SQL"),
    ("max(currency) = 'EUR'", r"aggregate or window function"),
    ("rand() > 0.5", r"clock or of chance"),
    ("currency = 'EUR'; SELECT 1", r"must be one expression, found 2"),
    ("t.currency = 'EUR'", r"without a table"),
    ("amount > 500", r"names \['amount'\], which model features \(used_by_model\) are computed from"),
    ("CHANNEL = 'atm'", r"names \['CHANNEL'\], which model features"),  # Spark resolves names case-insensitively
])
def test_a_bad_expression_fails_validation_naming_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           expression: str, error: str) -> None:
    _with_label(tmp_path, monkeypatch, expression=expression)
    with pytest.raises(ValidationError, match=rf"for FeatureRegistry in {re.escape(str(tmp_path))}.*{FEATURES}"
                                              rf"(.|\n)*{error}"):
        load_features("card_fraud")


@pytest.mark.parametrize("expression, error", [
    ("arrival_delay_minutes > 15", r"names \['arrival_delay_minutes'\], not columns of silver/transactions"),
    ("currency", r"is of type STRING, not a condition"),
])
def test_an_expression_not_over_silver_columns_or_not_a_condition_names_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, expression: str, error: str) -> None:
    _with_label(tmp_path, monkeypatch, expression=expression)
    with pytest.raises(ValueError, match=rf"{FEATURES}: label.expression '.*' {error}"):
        load_features("card_fraud")


def test_silver_columns_beyond_the_contract_may_be_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Silver adds the days, lineage, quality notes and missing flags to the contract's columns."""
    _with_label(tmp_path, monkeypatch, expression="size(_quality_notes) > 0 OR category_missing = 1")
    assert isinstance(load_features("card_fraud").label, ExpressionLabel)


def test_one_form_or_the_other_not_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_label(tmp_path, monkeypatch, source="chargebacks")
    with pytest.raises(ValidationError, match=r"label.expression.source\n  Extra inputs are not permitted"):
        load_features("card_fraud")


def test_the_labels_asset_reads_silver_not_a_label_source(project: Path) -> None:
    """The asset factory, and the whole code location: gold/labels' upstream is gold and silver's rows of
    the same days; the (still ingested) chargebacks are no longer its input."""
    dataset = load_dataset("card_fraud")
    labels = build_processing_assets(dataset, build_calendar(dataset.partitions))[2]
    deps = {d.asset_key.to_user_string(): d.partition_mapping for d in labels.specs_by_key[labels.key].deps}
    assert deps == {"card_fraud/gold/transaction_features": None, "card_fraud/silver/transactions": None}
    assert EXPRESSION in (labels.specs_by_key[labels.key].description or "")
    graph = build_definitions().resolve_asset_graph()
    parents = graph.get(AssetKey(["card_fraud", "gold", "labels"])).parent_keys
    assert parents == {AssetKey(["card_fraud", "gold", "transaction_features"]),
                       AssetKey(["card_fraud", "silver", "transactions"])}
    assert AssetKey(["card_fraud", "bronze", "chargebacks"]) in graph.get_all_asset_keys()


def test_the_maturity_refresh_covers_the_expression_labels_delay(project: Path) -> None:
    # automation.yaml's mature_labels recomputes `recent_days: label_maturity` days at each daily tick
    # (platform_tests/automation/test_conditions.py evaluates it): for known_after_days 2, the last
    # 2 + 2 partitions, the oldest of which matures that day; for the shipped chargebacks, 30 + 2.
    assert load_features("card_fraud").label.maturity_days == 2
    assert DailyCron.of(load_dataset("card_fraud")).days("label_maturity") == 4
    assert load_processing("card_fraud").labels_table == "labels"
