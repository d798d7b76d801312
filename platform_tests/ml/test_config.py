"""ml.yaml as data: the shipped file is valid and resolvable; mistakes are refused with their name."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lakehouse.config.ml import MlConfig, load_ml_config
from lakehouse.ml.features import load_feature_spec


def _with(**changes) -> dict:
    raw = load_ml_config("card_fraud").model_dump()
    for path, value in changes.items():
        section, _, key = path.partition("__")
        if key:
            raw[section][key] = value
        else:
            raw[section] = value
    return raw


def test_shipped_config_resolves_every_dotted_path():
    config = load_ml_config("card_fraud")
    config.check_imports()  # estimators and custom metrics import; training calls this first
    assert set(config.enabled_families()) == {"logistic_regression", "random_forest", "gbt"}
    assert config.training_set.lag_weeks(load_feature_spec("card_fraud").label_window_days) == 5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"evaluation__metrics": ["roc_auc", "accuracy"]}, "Unknown metrics"),
        ({"evaluation__threshold": {"rule": "min_precision"}}, "needs `value`"),
        ({"promotion__metric": "lift"}, "promotion.metric"),
        ({"feature_selection__method": "chi2"}, "feature_selection.method"),
        ({"models": {"lr": {"estimator": "x.Y", "enabled": False}}}, "No enabled model family"),
        ({"cross_validation__folds": 1}, "cross_validation.folds"),
    ],
)
def test_invalid_configs_are_refused(changes, message):
    with pytest.raises(ValidationError) as error:
        MlConfig.model_validate(_with(**changes))
    assert message in str(error.value)


def test_wrong_estimator_is_named_before_training():
    raw = _with(models={"gbt": {"estimator": "pyspark.ml.regression.GBTRegressor"}})
    with pytest.raises(ValueError, match="GBTRegressor is not a Spark ML ProbabilisticClassifier"):
        MlConfig.model_validate(raw).check_imports()
