"""The Spark resource: a lazy Spark session, configured for Delta and the table catalog.

Loading definitions starts no JVM: the session is built on first use inside a run. The resource is a
plain ConfigurableResource rather than a dagster-pyspark LazyPySparkResource: building the session our
way (Connect URL override, catalog registration) would mean overriding that class's private
`_init_session` / `_spark_session`, and its public surface (`spark_config`, a lazy `spark_session`) is
all this class keeps of it.

Catalog design (why no Hive metastore locally): an embedded Derby metastore admits one process, yet the
daemon, sensor-launched runs and a notebook must use the tables at the same time. In the `path` catalog
the Delta log is the single source of truth: tables live at <warehouse>/<schema>/<table>, and every new
session registers them into its own in-memory catalog, so `spark.table("silver.transactions")` works in
any number of concurrent processes. Delta's optimistic concurrency arbitrates concurrent writers.
In the `unity` catalog (Databricks) the metastore is real and shared, and nothing is registered here.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource
from pydantic import Field, PrivateAttr
from pyspark.sql import SparkSession

from lakehouse.config.identifiers import key_table
from lakehouse.config.locations import SourceRoots
from lakehouse.config.profile import REMOTE_FROM_ENV, Profile, resolve_data_root
from lakehouse.resources.catalog import TableRef, table_ref

# register_path_catalog is imported from here by notebooks (see its docstring).
from lakehouse.resources.path_catalog import is_placeholder, register, register_path_catalog, table_names

log = logging.getLogger(__name__)
# Session conf key marking the warehouse whose tables this Spark session has registered.
_REGISTERED = "spark.lakehouse.catalog.registered"


class SparkResource(ConfigurableResource):
    """Lazy Spark session (classic local/cluster, or Spark Connect) with Delta and a table catalog."""

    spark_config: dict[str, Any] = Field(
        description="Spark builder settings (`spark.*` keys; `spark.remote` selects Spark Connect), from the profile."
    )
    data_root: str = Field(description="Data root of the profile (resolved at run time).")
    catalog: str = Field(default="path", description="`path` (register tables by location) or `unity`.")
    catalog_name: str | None = Field(default=None, description="Unity Catalog name when catalog = unity.")
    warehouse_uri: str | None = Field(default=None, description="Warehouse location override.")
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
        session = SparkSession.builder.config(map=config).getOrCreate()
        # Dagster builds a fresh resource for every run, but a process keeps one Spark session: register
        # the warehouse once per session (the IO manager registers what it writes afterwards).
        if self.catalog == "path" and session.conf.get(_REGISTERED, "") != self.warehouse:
            # Never fails on a bad table folder: it is logged as a warning and fails only when queried.
            registered = register_path_catalog(session, Path(self.warehouse))
            session.conf.set(_REGISTERED, self.warehouse)
            log.info("Registered %d Delta tables from %s", registered, self.warehouse)
        return session

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


def spark_resource_for(profile: Profile, data_root: str | None = None) -> SparkResource:
    return SparkResource(
        spark_config=spark_config_for(profile),
        data_root=data_root or profile.storage.data_root,
        catalog=profile.storage.catalog,
        catalog_name=profile.storage.catalog_name,
        warehouse_uri=profile.storage.warehouse_uri,
        allowed_source_roots=list(profile.storage.allowed_source_roots),
    )
