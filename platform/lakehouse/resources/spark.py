"""The Spark resource: a lazy Spark session, configured for Delta and the table catalog.

Loading definitions starts no JVM: the session is built on first use inside a run. The resource is a
plain ConfigurableResource rather than a dagster-pyspark LazyPySparkResource: building the session our
way (Connect URL override, catalog registration) would mean overriding that class's private
`_init_session` / `_spark_session`, and its public surface (`spark_config`, a lazy `spark_session`) is
all this class keeps of it.

Catalogs (docs/architecture.md, "The catalog"):
- `path`, the zero-setup default: tables live at <warehouse>/<schema>/<table> and the Delta log is the
  single source of truth, so any number of processes (the daemon, sensor-launched runs, a notebook) use
  them at once, and Delta's optimistic concurrency arbitrates writers. A session registers a table by name
  when it is used, not by listing the warehouse at start: its writer registers it, and `sql()` registers
  the tables a query names (resources/path_catalog.py), so a bad folder only matters to who names it.
- `metastore`: tables by name in a Hive metastore database every process shares (resources/metastore.py).
- `unity`: Unity Catalog on Databricks, `<catalog>.<schema>.<table>`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource, EnvVar
from pydantic import Field, PrivateAttr
from pyspark.sql import SparkSession

from lakehouse.config.identifiers import key_table
from lakehouse.config.locations import SourceRoots
from lakehouse.config.profile import REMOTE_FROM_ENV, Profile, resolve_data_root
from lakehouse.resources.catalog import TableRef, table_ref
from lakehouse.resources.metastore import hive_session_conf, ivy_jar

# register_path_catalog is imported from here by notebooks (see its docstring).
from lakehouse.resources.path_catalog import (
    is_placeholder,
    register,
    register_named,
    register_path_catalog,  # noqa: F401
    table_names,
)


class SparkResource(ConfigurableResource):
    """Lazy Spark session (classic local/cluster, or Spark Connect) with Delta and a table catalog."""

    spark_config: dict[str, Any] = Field(
        description="Spark builder settings (`spark.*` keys; `spark.remote` selects Spark Connect), from the profile."
    )
    data_root: str = Field(description="Data root of the profile (resolved at run time).")
    catalog: str = Field(default="path", description="`path` (tables by location), `metastore` or `unity`.")
    catalog_name: str | None = Field(default=None, description="Unity Catalog name when catalog = unity.")
    warehouse_uri: str | None = Field(default=None, description="Warehouse location override.")
    metastore_url: str | None = Field(default=None, description="JDBC URL of the shared Hive metastore (catalog = metastore).")
    metastore_user: str | None = Field(default=None, description="Metastore database user (an EnvVar).")
    metastore_password: str | None = Field(default=None, repr=False, description="Metastore password (an EnvVar).")
    metastore_driver: str = Field(default="org.postgresql.Driver", description="Metastore JDBC driver class.")
    metastore_driver_package: str | None = Field(default=None, description="Maven coordinate of that driver.")
    allowed_source_roots: list[str] = Field(
        default_factory=list,
        description="Absolute folders sources may be read from besides the data root (profile storage).",
    )

    @property
    def warehouse(self) -> str:
        if self.warehouse_uri:
            return self.warehouse_uri
        return str(resolve_data_root(self.data_root) / "warehouse")

    def source_roots(self) -> SourceRoots:
        """Where this run may read source files (config/locations.py), resolved at run time."""
        return SourceRoots.of(resolve_data_root(self.data_root), self.allowed_source_roots)

    def table(self, schema: str, table: str) -> TableRef:
        if self.catalog == "metastore":
            return TableRef(schema=schema, table=table, location=None)  # by name: the metastore knows where
        return table_ref(schema, table, self.warehouse, self.catalog_name if self.catalog == "unity" else None)

    def table_for(self, key: Sequence[str]) -> TableRef:
        """The table of an asset key [dataset, schema, table] (config/identifiers.py `key_table`, the one
        rule): `<schema>.<table>` at <warehouse>/<schema>/<table> locally, `<catalog>.<schema>.<table>` on
        Unity, in the storage of this profile (whose dataset the key names)."""
        return self.table(*key_table(key))

    # One session per resource instance, built on first use (PrivateAttr: not config, not serialised).
    _session: SparkSession | None = PrivateAttr(default=None)

    @property
    def spark_session(self) -> SparkSession:
        if self._session is None:
            self._session = self._build_session()
        return self._session

    def _build_session(self) -> SparkSession:
        config = dict(self.spark_config)
        if "spark.remote" in config and os.environ.get("SPARK_REMOTE"):
            # The standard variable overrides the profile's Connect URL (another host or port), read at
            # session start like the data root, never when definitions load.
            config["spark.remote"] = os.environ["SPARK_REMOTE"]
        elif config.get("spark.remote") == REMOTE_FROM_ENV:
            raise RuntimeError("This profile's Spark session is the Connect URL in SPARK_REMOTE (Databricks Connect: "
                               "sc://<workspace-host>:443/;token=...;x-databricks-cluster-id=...), which is not set")
        if "spark.remote" not in config:
            # Python workers (mapInPandas: TreeSHAP explanations) must run this interpreter, which has
            # numpy, pandas and shap; Spark's default is whatever `python3` is first on PATH.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        if "spark.remote" not in config and self.catalog == "path":
            config.setdefault("spark.sql.warehouse.dir", self.warehouse)
            config.setdefault("spark.sql.catalogImplementation", "in-memory")
            Path(self.warehouse).mkdir(parents=True, exist_ok=True)
        if self.catalog == "metastore":
            config.update(self._metastore_conf(config))
            Path(self.warehouse).mkdir(parents=True, exist_ok=True)
        # Nothing is registered here: path tables are registered when used (see the module docstring).
        return SparkSession.builder.config(map=config).getOrCreate()

    def _metastore_conf(self, config: dict[str, Any]) -> dict[str, str]:
        if not (self.metastore_url and self.metastore_driver_package):
            raise ValueError("catalog = metastore needs metastore_url and metastore_driver_package")
        jar = ivy_jar(config.get("spark.jars.ivy", "~/.ivy2.5.2"), self.metastore_driver_package)
        return hive_session_conf(_value(self.metastore_url) or "", _value(self.metastore_user),
                                 _value(self.metastore_password), self.metastore_driver, jar, self.warehouse)

    def sql(self, text: str) -> Any:
        """Run Spark SQL that names tables as <schema>.<table>: in the path catalog, the tables it names are
        registered first (the lazy catalog); elsewhere the metastore already knows them."""
        if self.catalog == "path":
            register_named(self.spark_session, Path(self.warehouse), text)
        return self.spark_session.sql(text)

    def register(self, ref: TableRef) -> None:
        """Make a newly written path table visible by name in this session (replacing a placeholder that
        held its name while its folder was not a usable table, see resources/path_catalog.py)."""
        if self.catalog == "path" and ref.location:
            spark = self.spark_session
            if ref.table not in table_names(spark, ref.schema) or is_placeholder(spark, ref):
                register(spark, ref)


def spark_config_for(profile: Profile) -> dict[str, Any]:
    """Flat Spark builder configuration for a profile (static settings: jars, extensions, catalog)."""
    settings = profile.spark
    if settings.remote:
        return {"spark.remote": settings.remote, **settings.conf}
    config: dict[str, Any] = {
        "spark.app.name": settings.app_name,
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    }
    if settings.master:
        config["spark.master"] = settings.master
    if settings.packages:
        config["spark.jars.packages"] = ",".join(settings.packages)
        # Explicit, so the JVM (which ignores $HOME) and `make jars` agree on one cache folder.
        config["spark.jars.ivy"] = str(Path(settings.ivy_home).expanduser())
    config.update(settings.conf)
    return config


def _value(field: str | None) -> str | None:
    """A field's value: Dagster resolves EnvVar fields when a run starts; a session built outside a run (a
    notebook, a test) reads the variable here, when the session starts."""
    return field.get_value() if isinstance(field, EnvVar) else field


def _metastore_fields(profile: Profile) -> dict[str, Any]:
    """The resource's metastore fields: environment-backed ones as dagster.EnvVar, read when a run starts."""
    settings = profile.storage.metastore
    if settings is None:
        return {}
    return {
        "metastore_url": settings.url if settings.url is not None else EnvVar(settings.url_env or ""),
        "metastore_user": EnvVar(settings.user_env) if settings.user_env else None,
        "metastore_password": EnvVar(settings.password_env) if settings.password_env else None,
        "metastore_driver": settings.driver,
        "metastore_driver_package": settings.driver_package,
    }


def spark_resource_for(profile: Profile, data_root: str | None = None) -> SparkResource:
    return SparkResource(
        spark_config=spark_config_for(profile),
        data_root=data_root or profile.storage.data_root,
        catalog=profile.storage.catalog,
        catalog_name=profile.storage.catalog_name,
        warehouse_uri=profile.storage.warehouse_uri,
        allowed_source_roots=list(profile.storage.allowed_source_roots),
        **_metastore_fields(profile),
    )
