"""The one strict config base and the one YAML loader (lakehouse.config.base). Pure Python: no Spark."""

import importlib
import pkgutil
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

import lakehouse.config
from lakehouse.config.base import StrictModel, known_datasets, load_dataset_entries, load_dataset_yaml
from lakehouse.config.dataset import DatasetConfig, load_dataset
from lakehouse.config.ml import MlConfig, load_ml_config
from lakehouse.config.sources import SourceConfig


def _config_models() -> list[type[BaseModel]]:
    models = []
    for info in pkgutil.iter_modules(lakehouse.config.__path__):
        module = importlib.import_module(f"lakehouse.config.{info.name}")
        models += [v for v in vars(module).values()
                   if isinstance(v, type) and issubclass(v, BaseModel) and v.__module__ == module.__name__]
    return models


def test_every_config_model_is_strict_and_frozen() -> None:
    models = _config_models()
    assert len(models) > 40
    for model in models:
        assert issubclass(model, StrictModel), model
        assert model.model_config.get("frozen") is True, model
        expected = "allow" if model is DatasetConfig else "forbid"  # the one documented exception
        assert model.model_config.get("extra") == expected, model


def test_an_unknown_dataset_lists_the_known_ones_for_every_file() -> None:
    assert known_datasets() == ["card_fraud", "subscription_churn"]
    for call in (lambda: load_dataset("nope"), lambda: load_ml_config("nope"),
                 lambda: load_ml_config("../datasets/card_fraud")):
        with pytest.raises(ValueError, match=r"Unknown dataset .* in project .*; known datasets: \['card_fraud', 'subscription_churn'\]"):
            call()


def test_a_missing_file_names_the_dataset_and_the_path(toy_dataset: Path) -> None:
    assert load_dataset_yaml("toy", "dataset.yaml", DatasetConfig, name="toy").name == "toy"
    with pytest.raises(ValueError, match=r"Dataset 'toy' has no ml.yaml \(.*toy/ml.yaml\)"):
        load_dataset_yaml("toy", "ml.yaml", MlConfig)


def test_a_validation_error_keeps_its_type_and_names_model_and_file(toy_dataset: Path) -> None:
    (toy_dataset / "ml.yaml").write_text("models: {}\ntypo: 1\n")
    with pytest.raises(ValidationError, match=r"for MlConfig in /.*/datasets/toy/ml.yaml\n(.|\n)*typo"):
        load_dataset_yaml("toy", "ml.yaml", MlConfig)


def test_the_file_may_not_set_what_its_place_gives(toy_dataset: Path) -> None:
    (toy_dataset / "dataset.yaml").write_text("name: other\n")
    with pytest.raises(ValueError, match=r"/datasets/toy/dataset.yaml must not set \['name'\]"):
        load_dataset_yaml("toy", "dataset.yaml", DatasetConfig, name="toy")
    (toy_dataset / "sources.yaml").write_text("pos:\n  name: other\n")
    with pytest.raises(ValueError, match=r"sources.yaml, entry 'pos' must not set \['name'\]"):
        load_dataset_entries("toy", "sources.yaml", SourceConfig)


@pytest.mark.parametrize("text, error", [("- a\n- b\n", "must hold a mapping at the top level, got list"),
                                         ("pos: 3\n", "entry 'pos' must be a mapping, got int")])
def test_a_file_of_the_wrong_shape_is_an_error_naming_it(toy_dataset: Path, text: str, error: str) -> None:
    (toy_dataset / "sources.yaml").write_text(text)
    with pytest.raises(ValueError, match=error):
        load_dataset_entries("toy", "sources.yaml", SourceConfig)
