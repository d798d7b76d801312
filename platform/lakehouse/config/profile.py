"""Environment profiles: one YAML parameter file per environment, validated by these models.

The profile is selected by the environment variable ``LAKEHOUSE_PROFILE`` (default ``local``) among the
project's profiles (``LAKEHOUSE_PROJECT_DIR``, config/project.py). Nothing else is read from the environment
when definitions load; secrets are referenced by the *name* of the environment variable that holds them
and resolved by ``dagster.EnvVar`` at run time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakehouse.config.access import AccessSettings
from lakehouse.config.base import StrictModel, load_yaml
from lakehouse.config.databricks import DatabricksSettings
from lakehouse.config.operations import AlertSettings, MaintenanceSettings
from lakehouse.config.project import PROJECT_ENV_VAR, REPO_ROOT, profiles_dir, project_cache, shown

PROFILE_ENV_VAR = "LAKEHOUSE_PROFILE"
DATA_ROOT_ENV_VAR = "LAKEHOUSE_DATA_ROOT"
# `spark.remote` of the profiles whose Connect URL holds a token (Databricks Connect): only SPARK_REMOTE
# supplies it, at session start; without it the session refuses to start (a Connect client would retry
# this unreachable host for minutes).
REMOTE_FROM_ENV = "sc://databricks-connect-set-SPARK_REMOTE"


class SparkSettings(StrictModel):
    master: str | None = Field(
        default="local[*]",
        description="Spark master URL for a classic session (local[*], spark://host:7077). "
        "Ignored when `remote` is set.",
    )
    remote: str | None = Field(
        default=None,
        description="Spark Connect URL (sc://host:15002). When set, assets run on that remote engine "
        "and no local JVM is started.",
    )
    app_name: str = Field(default="lakehouse", description="Spark application name shown in the Spark UI.")
    packages: list[str] = Field(
        default_factory=list,
        description="Maven coordinates fetched by Spark's Ivy at session start (spark.jars.packages): "
        "Delta and the JDBC drivers. Cached under ~/.ivy2.5.2 so later starts work offline.",
    )
    conf: dict[str, str] = Field(
        default_factory=dict, description="Extra Spark configuration applied to the session builder."
    )
    ivy_home: str = Field(
        default="~/.ivy2.5.2",
        description="Ivy cache for `packages` (spark.jars.ivy); `make` warms it so later starts work offline.",
    )


class ConnectionSettings(StrictModel):
    """A JDBC connection. Credentials are never in the file: only the names of the environment
    variables that hold them, resolved with dagster.EnvVar at run time."""

    url: str | None = Field(
        default=None,
        description="JDBC URL without credentials; `{data_root}` is replaced by the data root at run time.",
    )
    url_env: str | None = Field(default=None, description="Environment variable holding the JDBC URL instead.")
    user_env: str | None = Field(default=None, description="Environment variable holding the user name.")
    password_env: str | None = Field(default=None, description="Environment variable holding the password.")
    driver: str = Field(description="JDBC driver class (org.postgresql.Driver, org.mariadb.jdbc.Driver, ...).")


class MetastoreSettings(ConnectionSettings):
    """A Hive metastore database (PostgreSQL by default) that every Spark session of the profile shares, so
    a table one process writes is known by name to every other: a JDBC connection (credentials only as
    the names of their environment variables) plus the driver's jar. Create its schema once with
    `python -m lakehouse.resources.metastore --profile <name>` (docs/environments.md)."""

    url: str | None = Field(default=None, description="JDBC URL of the metastore's own database, without "
                            "credentials (jdbc:postgresql://host:5432/metastore).")
    driver: str = Field(default="org.postgresql.Driver", description="JDBC driver class of the metastore database.")
    driver_package: str = Field(
        default="org.postgresql:postgresql:42.7.4",
        description="Maven coordinate of that driver; it must be one of spark.packages. It also goes on the "
        "driver JVM's class path, because the Hive client loads the driver through java.sql.DriverManager, "
        "which does not see the jars spark.jars.packages adds.",
    )

    @model_validator(mode="after")
    def _one_url(self) -> MetastoreSettings:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("storage.metastore: set exactly one of `url` (the metastore's own database) and `url_env`")
        return self


class StorageSettings(StrictModel):
    data_root: str = Field(
        default=".lakehouse",
        description="Root folder for the embedded profile's data (warehouse, landing zone, MLflow, "
        "Dagster home). Relative paths are resolved against the repository root; the environment "
        f"variable {DATA_ROOT_ENV_VAR} overrides it at run time.",
    )
    catalog: Literal["path", "metastore", "unity"] = Field(
        default="path",
        description="`path` (zero setup): Delta tables live under <warehouse>/<schema>/<table> and a Spark "
        "session registers a table by name when it first uses it (multi-process safe, no metastore). "
        "`metastore`: tables by name (<schema>.<table>) in a Hive metastore database that every process "
        "shares (`storage.metastore`), stored under the warehouse. `unity`: tables are addressed as "
        "<catalog_name>.<schema>.<table> in Unity Catalog (Databricks).",
    )
    metastore: MetastoreSettings | None = Field(
        default=None, description="The shared Hive metastore database; required when catalog = metastore."
    )
    catalog_name: str | None = Field(
        default=None, description="Unity Catalog catalog name; only used when catalog = unity."
    )
    warehouse_uri: str | None = Field(
        default=None,
        description="Explicit warehouse location (dbfs:/..., s3://...). Default: <data_root>/warehouse.",
    )
    allowed_source_roots: list[str] = Field(
        default_factory=list,
        description="Absolute local (or mounted) folders that file and stream sources may also be read from; "
        "`data_source` run config and source locations must otherwise resolve inside the data root "
        "(symlinks and `..` resolved first). Empty: the data root only.",
    )

    @field_validator("allowed_source_roots")
    @classmethod
    def _absolute(cls, roots: list[str]) -> list[str]:
        relative = [r for r in roots if not Path(r).is_absolute()]
        if relative:
            raise ValueError(f"storage.allowed_source_roots must be absolute paths: {relative}")
        return roots


class MlflowSettings(StrictModel):
    tracking_uri: str | None = Field(
        default=None,
        description="MLflow tracking URI. Default: sqlite database under <data_root>/mlflow.",
    )
    registry_uri: str | None = Field(default=None, description="Registry URI; default: the tracking URI.")
    experiment: str | None = Field(
        default=None, description="MLflow experiment name. Default: /lakehouse/<dataset> (the profile's dataset)."
    )
    ui_url: str | None = Field(
        default=None,
        description="Browser address of an MLflow UI over this tracking store (local: `make mlflow`, "
        "http://127.0.0.1:5000). Materialisations link runs and registered model versions under it. "
        "Default: the tracking URI when it is an http(s) server; no links otherwise.",
    )

    def experiment_for(self, dataset: str) -> str:
        """The experiment runs log to: the configured one, or the one default, named after the dataset."""
        return self.experiment or f"/lakehouse/{dataset}"


class DagsterSettings(StrictModel):
    executor: Literal["in_process", "multiprocess"] = Field(
        default="in_process",
        description="in_process: every step of a run shares one Spark session (a local JVM takes 15-25 s "
        "to start, so one per step would dominate). multiprocess: for remote engines (Spark Connect, "
        "Databricks) where a step's start-up is cheap.",
    )
    max_concurrent_steps: int = Field(default=4, description="Parallel steps with the multiprocess executor.")
    schedules_running: bool = Field(
        default=False,
        description="Whether the pipeline schedules start switched on when the daemon loads the code location "
        "(prod: yes; local: switched on in the UI, because the demo data are not today's).",
    )
    instance_template: str = Field(
        default="scripts/templates/dagster.yaml",
        description="dagster.yaml template (repository-relative) for this environment's DAGSTER_HOME: sqlite "
        "storage for one machine, dagster.prod.yaml (PostgreSQL through dagster-postgres) for shared ones.",
    )


class Profile(StrictModel):
    name: str = Field(description="Profile name: local, dev, staging or prod.")
    description: str = Field(description="What this environment is for.")
    dataset: str = Field(description="Dataset configuration under the project's datasets/ (every profile names its own).")
    spark: SparkSettings = Field(default_factory=SparkSettings, description="Spark engine settings.")
    storage: StorageSettings = Field(default_factory=StorageSettings, description="Where tables live.")
    mlflow: MlflowSettings = Field(default_factory=MlflowSettings, description="Tracking and registry.")
    dagster: DagsterSettings = Field(default_factory=DagsterSettings, description="Run execution settings.")
    alerts: AlertSettings = Field(default_factory=AlertSettings, description="Where run-failure alerts go.")
    maintenance: MaintenanceSettings = Field(
        default_factory=MaintenanceSettings, description="How the weekly maintenance job runs here."
    )
    connections: dict[str, ConnectionSettings] = Field(
        default_factory=dict, description="Named JDBC connections that sources refer to."
    )
    databricks: DatabricksSettings | None = Field(
        default=None,
        description="When set, the processing steps run through Dagster Pipes on Databricks (see "
        "docs/databricks.md); otherwise in the run's own Spark session.",
    )
    access: AccessSettings | None = Field(
        default=None,
        description="Who may read and write each layer in this environment's Unity Catalog, applied by the "
        "`apply_access_grants` job (docs/environments.md). None: grants are not managed from here.",
    )

    @model_validator(mode="after")
    def _metastore_settings(self) -> Profile:
        storage = self.storage
        if (storage.catalog == "metastore") != (storage.metastore is not None):
            raise ValueError("storage.metastore is set exactly when storage.catalog is `metastore`")
        if storage.metastore is not None:
            if self.spark.remote:
                raise ValueError("storage.catalog: metastore configures this process's own Spark session; a Spark "
                                 "Connect server has its own catalog (set it where the server starts)")
            if storage.metastore.driver_package not in self.spark.packages:
                raise ValueError(f"storage.metastore.driver_package {storage.metastore.driver_package!r} must be "
                                 f"one of spark.packages {self.spark.packages}")
        return self

    @model_validator(mode="after")
    def _access_needs_unity(self) -> Profile:
        if self.access is not None and not (self.storage.catalog == "unity" and self.storage.catalog_name):
            raise ValueError("access: grants are Unity Catalog's; set storage.catalog: unity and storage.catalog_name")
        return self


def profile_name() -> str:
    """The one environment variable read when definitions load."""
    return os.environ.get(PROFILE_ENV_VAR, "local")


def known_profiles() -> list[str]:
    """The profiles of the project (or the default ones when it has no profiles/ folder)."""
    return sorted(p.stem for p in profiles_dir().glob("*.yaml"))


@project_cache
def load_profile(name: str | None = None) -> Profile:
    name = name or profile_name()
    path = profiles_dir() / f"{name}.yaml"
    if not path.exists():
        raise ValueError(f"Unknown profile {name!r} ({PROFILE_ENV_VAR}) in {profiles_dir()} ({PROJECT_ENV_VAR}); "
                         f"known profiles: {known_profiles()}")
    return load_yaml(path, shown(path), Profile, name=name)


def resolve_data_root(configured: str) -> Path:
    """Run-time resolution of the data root (environment override, then repo-relative path)."""
    root = Path(os.environ.get(DATA_ROOT_ENV_VAR) or configured)
    return root if root.is_absolute() else (REPO_ROOT / root).resolve()
