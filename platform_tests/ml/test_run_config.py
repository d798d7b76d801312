"""`ml/model`'s run config narrows ml.yaml for one run (pure: no Spark)."""

import pytest

from lakehouse.config.ml import load_ml_config
from lakehouse.ml.run_config import effective_config


def test_defaults_leave_ml_yaml_as_it_is():
    config = load_ml_config("card_fraud")
    assert effective_config(config, [], "grid") == config


def test_quick_tuning_keeps_every_family_with_one_grid_point():
    config = load_ml_config("card_fraud")
    quick = effective_config(config, [], "quick")
    assert quick.enabled_families().keys() == config.enabled_families().keys()
    for name, family in quick.models.items():
        assert family.grid == {p: v[:1] for p, v in config.models[name].grid.items()}
        assert all(len(v) == 1 for v in family.grid.values())
    assert config.models["gbt"].grid["maxDepth"] == [3, 5]  # the loaded (cached) config is untouched


def test_families_subset_and_unknown_family_error_lists_the_choices():
    config = load_ml_config("card_fraud")
    assert list(effective_config(config, ["gbt"], "grid").enabled_families()) == ["gbt"]
    with pytest.raises(ValueError, match=r"\['xgboost'\].*choose from \['gbt', 'logistic_regression', 'random_forest'\]"):
        effective_config(config, ["xgboost", "gbt"], "grid")
