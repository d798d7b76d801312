"""The project directory: where the configuration is read from (issue #18, "bring your own dataset").

A project holds `datasets/<name>/*.yaml` (one folder per dataset) and, optionally, `profiles/<name>.yaml`.
It is chosen by ``LAKEHOUSE_PROJECT_DIR``; unset, it is the default project shipped inside this package
(this folder: the demo datasets and the repository's profiles), which the wheel deployed to Databricks
carries (docs/changing-the-data-model.md, "Start a project"). A project without a `profiles/` folder uses
the default project's profiles.

The variable is read each time a loader runs, never at import, and the loaders' caches are keyed by the
resolved project (`project_cache`), so a process (or a test) that points elsewhere never sees the
configuration of the project it used before.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable
from functools import cache, wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

PROJECT_ENV_VAR = "LAKEHOUSE_PROJECT_DIR"
# The shipped default project: platform/lakehouse/config/{datasets,profiles}. Inside the package so the
# wheel (setup.cfg package_data) carries it to a Databricks cluster.
DEFAULT_PROJECT_DIR = Path(__file__).resolve().parent
# platform/lakehouse/config/ -> repository root (relative paths in profiles and this variable resolve here).
REPO_ROOT = DEFAULT_PROJECT_DIR.parents[2]

P = ParamSpec("P")
R = TypeVar("R")


def project_dir() -> Path:
    """The project in use: ``LAKEHOUSE_PROJECT_DIR`` (relative to the repository root, as every process -
    webserver, daemon, code server, run worker - resolves it the same way), else the default project."""
    return _resolve(os.environ.get(PROJECT_ENV_VAR, ""))


@cache
def _resolve(configured: str) -> Path:
    # Cached per value: loaders call project_dir() on every call, the check touches the file system.
    # A failed check raises and is not cached.
    if not configured:
        return DEFAULT_PROJECT_DIR
    path = Path(configured).expanduser()
    path = (path if path.is_absolute() else REPO_ROOT / path).resolve()
    if not path.is_dir():
        raise ValueError(f"{PROJECT_ENV_VAR}={configured!r}: no such directory ({path})")
    return path


def is_default_project() -> bool:
    return project_dir() == DEFAULT_PROJECT_DIR


def shown(path: Path) -> str:
    """How errors name a configuration file: relative to the repository when inside it, else absolute."""
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def datasets_dir() -> Path:
    """The project's `datasets/` folder; a project without one is an error naming the project."""
    path = project_dir() / "datasets"
    if not path.is_dir():
        raise ValueError(f"Project {project_dir()} ({PROJECT_ENV_VAR}) has no datasets/ folder: "
                         "it must hold datasets/<name>/dataset.yaml (docs/changing-the-data-model.md)")
    return path


def profiles_dir() -> Path:
    """The project's `profiles/` folder, or the default project's when it has none (a project may hold
    datasets only and run them with the shipped profiles)."""
    path = project_dir() / "profiles"
    return path if path.is_dir() else DEFAULT_PROJECT_DIR / "profiles"


def project_env() -> dict[str, str]:
    """The variable as a process started for a step must see it ({} for the default project)."""
    return {} if is_default_project() else {PROJECT_ENV_VAR: str(project_dir())}


def project_cache(loader: Callable[P, R]) -> Callable[P, R]:
    """`functools.cache` keyed by the resolved project as well as the arguments: the loaders are called
    by dataset or profile name, and the same name may mean another file in another project."""

    @cache
    def cached(project: Path, *args: Any, **kwargs: Any) -> R:
        return loader(*args, **kwargs)

    @wraps(loader)
    def load(*args: P.args, **kwargs: P.kwargs) -> R:
        # The arguments are names (str, None): hashable, as functools.cache needs; P.kwargs cannot say so.
        return cached(project_dir(), *args, **cast("dict[str, Hashable]", kwargs))

    return load
