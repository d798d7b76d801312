"""A dataset folder checked as the platform will read it: every configuration loader, the model's feature
spec and estimators, and the Dagster definitions built for a profile naming the dataset — what `dg check
defs` loads. Starts no JVM (definitions load without Spark; the estimators are imported, not run)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lakehouse.config.profile import PROFILE_ENV_VAR
from lakehouse.config.project import PROJECT_ENV_VAR


@contextmanager
def pointed_at(project: Path | None, profile: str | None = None) -> Iterator[None]:
    """LAKEHOUSE_PROJECT_DIR (and LAKEHOUSE_PROFILE) set for the block, restored after it. None: both unset,
    the shipped project and its default profile."""
    saved = {k: os.environ.get(k) for k in (PROJECT_ENV_VAR, PROFILE_ENV_VAR)}
    for key, value in ((PROJECT_ENV_VAR, project), (PROFILE_ENV_VAR, profile)):
        if value is not None:
            os.environ[key] = str(value)
        elif project is None:
            os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def check_dataset(project: Path, dataset: str, profile: str) -> int:
    """Raises what the first failing loader raises; returns the number of assets of the definitions."""
    from dagster import Definitions

    from lakehouse.config.automation import load_automation_config
    from lakehouse.config.contracts import load_contracts
    from lakehouse.config.dataset import load_dataset
    from lakehouse.config.features import load_features
    from lakehouse.config.ml import load_ml_config
    from lakehouse.config.monitoring import load_monitoring_config
    from lakehouse.config.operations import load_maintenance_config
    from lakehouse.config.processing import load_processing
    from lakehouse.config.profile import load_profile
    from lakehouse.config.reporting import load_reporting
    from lakehouse.config.scoring import load_scoring_config
    from lakehouse.config.sources import load_sources
    from lakehouse.ml.features import load_feature_spec

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Dagster's beta warnings, once per asset
        with pointed_at(None):
            # The module builds its own `defs` from the environment when first imported: from the shipped
            # project here, so that it never depends on (nor keeps) the project checked below.
            from lakehouse.definitions import build_definitions
        with pointed_at(project, profile):
            for loader in (load_dataset, load_contracts, load_sources, load_processing, load_features,
                           load_scoring_config, load_reporting, load_monitoring_config, load_automation_config,
                           load_maintenance_config, load_feature_spec):
                loader(dataset)
            load_ml_config(dataset).check_imports()
            settings = load_profile(profile)
            if settings.dataset != dataset:
                raise ValueError(f"profile {profile!r} names dataset {settings.dataset!r}, not {dataset!r}")
            defs = build_definitions(settings)
            Definitions.validate_loadable(defs)
            return len(list(defs.resolve_asset_graph().get_all_asset_keys()))
