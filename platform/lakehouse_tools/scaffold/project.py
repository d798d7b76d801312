"""Where the scaffold writes: the project directory and its profiles (lakehouse/config/project.py).

The profile `profiles/<name>_local.yaml` is the shipped local profile with `dataset: <name>`, its own data
root (`.lakehouse-<name>`: the demo's `.lakehouse` holds tables of the same names, `scoring.predictions`,
`ml.training_set`) and its own MLflow experiment, so the dataset runs without editing anything. Its asset
keys start with its name, so it shares the Dagster instance (and a workspace) with the demos.

A project with a `profiles/` folder uses only its own profiles. So when the scaffold creates that folder in
a project that had none (it ran on the shipped profiles), it also copies each shipped profile that names one
of the project's datasets: what ran before still runs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from lakehouse.config.project import DEFAULT_PROJECT_DIR, PROJECT_ENV_VAR, REPO_ROOT

SHIPPED_PROFILES = DEFAULT_PROJECT_DIR / "profiles"
DEFAULT_PROJECT = "project"  # under the working directory, when neither --project nor the variable names one


def project_path(given: str | None) -> Path:
    """--project (relative to the working directory), else LAKEHOUSE_PROJECT_DIR (relative to the repository
    root, as every process resolves it), else ./project."""
    if given:
        return Path(given).expanduser().resolve()
    configured = os.environ.get(PROJECT_ENV_VAR, "")
    if configured:
        path = Path(configured).expanduser()
        return (path if path.is_absolute() else REPO_ROOT / path).resolve()
    return Path(DEFAULT_PROJECT).resolve()


def profile_name(dataset: str) -> str:
    return f"{dataset}_local"


def data_root(dataset: str) -> str:
    """The profile's data root, relative to the repository root (profile.py resolve_data_root)."""
    return f".lakehouse-{dataset}"


def _replace(text: str, key: str, line: str) -> str:
    """The one line `key: ...` (any indent) replaced by `line` at the same indent."""
    pattern = re.compile(rf"^(?P<indent>[ ]*){key}:.*$", re.MULTILINE)
    found = pattern.findall(text)
    if len(found) != 1:
        raise ValueError(f"{SHIPPED_PROFILES / 'local.yaml'}: expected one `{key}:` line, found {len(found)}")
    return pattern.sub(lambda m: m.group("indent") + line, text)


def local_profile(dataset: str) -> str:
    """The shipped local.yaml with this dataset, its data root and its MLflow experiment."""
    text = (SHIPPED_PROFILES / "local.yaml").read_text()
    text = _replace(text, "dataset", f"dataset: {dataset}")
    text = _replace(text, "data_root", f'data_root: "{data_root(dataset)}"   # this dataset\'s tables, landing '
                                       "zone, MLflow and Dagster home (the demo's is .lakehouse)")
    text = _replace(text, "experiment", f'experiment: "/lakehouse/{dataset}"')
    header = (f"# The local profile for `{dataset}`, written by `lakehouse new-dataset`: the shipped\n"
              "# platform/lakehouse/config/profiles/local.yaml with this dataset, data root and MLflow experiment.\n"
              "# Run it with LAKEHOUSE_PROFILE=" + profile_name(dataset) + " (and LAKEHOUSE_PROJECT_DIR at this project).\n")
    return header + text


def project_datasets(project: Path) -> list[str]:
    folder = project / "datasets"
    return sorted(p.name for p in folder.iterdir() if (p / "dataset.yaml").is_file()) if folder.is_dir() else []


def profiles_to_write(project: Path, dataset: str) -> dict[str, str]:
    """File name under profiles/ -> text: this dataset's profile, and the shipped profiles the project's other
    datasets ran on when the project has no profiles/ folder yet."""
    files = {f"{profile_name(dataset)}.yaml": local_profile(dataset)}
    if (project / "profiles").is_dir():
        return files
    others = set(project_datasets(project)) - {dataset}
    for path in sorted(SHIPPED_PROFILES.glob("*.yaml")):
        if (yaml.safe_load(path.read_text()) or {}).get("dataset") in others:
            files.setdefault(path.name, path.read_text())
    return files
