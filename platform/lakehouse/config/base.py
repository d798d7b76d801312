"""What every configuration model and YAML loader shares: the strict base model, and the one way a
YAML file (<project>/datasets/<dataset>/<file>, <project>/profiles/<profile>.yaml) becomes a validated model.
The project is the default one (platform/lakehouse/config/) or LAKEHOUSE_PROJECT_DIR's (config/project.py).

Each public `load_*` function stays in its own module (callers and tests patch and cache them there);
they all read through the functions below (`load_dataset_yaml`, `load_dataset_entries`, `load_yaml`), so a missing
file, an unknown dataset and a validation error read the same everywhere and name the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails

from lakehouse.config.project import PROJECT_ENV_VAR, datasets_dir, project_dir, shown

Model = TypeVar("Model", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of the configuration models.

    extra="forbid": a misspelt key is an error, not a setting silently ignored. frozen: the loaders are
    cached, so every caller shares one instance and none may change it under the others
    (`model_copy(update=...)` makes a changed copy).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


def known_datasets() -> list[str]:
    """Folders under the project's datasets/ that hold a dataset.yaml."""
    return sorted(p.name for p in datasets_dir().iterdir() if (p / "dataset.yaml").is_file())


def _dataset_file(dataset: str, file: str) -> Path:
    """<project>/datasets/<dataset>/<file>; an unknown dataset (listing the known ones) or a missing file
    is an error. The dataset must be one of the folders, so a name cannot reach outside datasets/."""
    known = known_datasets()
    if dataset not in known:
        raise ValueError(f"Unknown dataset {dataset!r} in project {project_dir()} ({PROJECT_ENV_VAR}); "
                         f"known datasets: {known}")
    path = datasets_dir() / dataset / file
    if not path.is_file():
        raise ValueError(f"Dataset {dataset!r} has no {file} ({path})")
    return path


def read_yaml(path: Path, where: str) -> dict[str, Any]:
    """The mapping at the top of a YAML file ({} for an empty file); `where` names the file in errors."""
    raw = yaml.safe_load(path.read_text()) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must hold a mapping at the top level, got {type(raw).__name__}")
    return raw


def validate(model: type[Model], raw: dict[str, Any], where: str) -> Model:
    """`model` validated from `raw`. A ValidationError is raised again (same type, same errors) with
    `where` in its title: "1 validation error for MlConfig in platform/lakehouse/config/datasets/x/ml.yaml"."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        # errors() and the InitErrorDetails that from_exception_data takes are the same dicts
        # (type, loc, input, ctx); only their TypedDicts differ.
        details = cast(list[InitErrorDetails], error.errors())
        raise ValidationError.from_exception_data(f"{model.__name__} in {where}", details) from error


def load_yaml(path: Path, where: str, model: type[Model], **fields: Any) -> Model:
    """A YAML file validated as `model`. `fields` come from where the file sits (a dataset's or a
    profile's name is its folder or file name), so the file itself must not set them."""
    return validate(model, _with_fields(read_yaml(path, where), fields, where), where)


def read_dataset_yaml(dataset: str, file: str) -> tuple[dict[str, Any], str]:
    """The mapping in <project>/datasets/<dataset>/<file>, and how errors name the file (for `validate`)."""
    path = _dataset_file(dataset, file)
    where = shown(path)
    return read_yaml(path, where), where


def load_dataset_yaml(dataset: str, file: str, model: type[Model], **fields: Any) -> Model:
    """<project>/datasets/<dataset>/<file> validated as `model` (`fields` as in `load_yaml`)."""
    raw, where = read_dataset_yaml(dataset, file)
    return validate(model, _with_fields(raw, fields, where), where)


def load_dataset_entries(dataset: str, file: str, model: type[Model]) -> dict[str, Model]:
    """A dataset file of named entries (sources.yaml, contracts.yaml): each entry validated as `model`,
    with its key as the model's `name` (which the entry must not set itself)."""
    raw, where = read_dataset_yaml(dataset, file)
    entries: dict[str, Model] = {}
    for name, spec in raw.items():
        entry = f"{where}, entry {name!r}"
        if not isinstance(spec, dict):
            raise ValueError(f"{entry} must be a mapping, got {type(spec).__name__}")
        entries[name] = validate(model, _with_fields(spec, {"name": name}, entry), entry)
    return entries


def _with_fields(raw: dict[str, Any], fields: dict[str, Any], where: str) -> dict[str, Any]:
    """`raw` plus the values its place gives it; the file setting one of them too is an error."""
    clash = sorted(raw.keys() & fields.keys())
    if clash:
        raise ValueError(f"{where} must not set {clash}: taken from the file's place (its name, its key)")
    return {**raw, **fields}
