"""The shared Hive metastore (`storage.catalog: metastore`): tables by name that every process sees.

A Spark session of such a profile keeps its catalog in a Hive metastore database (PostgreSQL by default),
through the Hive client that ships with pyspark: a table one process writes with `saveAsTable` is known by
name to every other process at once, with no folder scan (the path catalog's way), and the data stays in
Delta under the profile's warehouse. Delta's optimistic concurrency still arbitrates writers.

The metastore's own schema (the Hive tables DBS, TBLS, ...) is created by the platform, once per database
(give the metastore a database of its own: DataNucleus finds Hive tables in any schema of the database, so a
PostgreSQL `currentSchema` does not keep two metastores apart):
`python -m lakehouse.resources.metastore --profile <name>`, which runs DataNucleus' SchemaTool (in
pyspark's jars, the persistence layer of the Hive client) over the Hive model (`package.jdo` in
hive-metastore). Sessions never create it themselves (`datanucleus.schema.autoCreateAll` is off): created
lazily, a table's foreign keys are added by a second connection while the first holds a lock on the table
they reference, and on PostgreSQL the first `saveAsTable` of a fresh metastore then waits forever.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakehouse.config.profile import Profile

# Hive 2.3's own DataNucleus settings (HiveConf defaults), so the schema is what the Hive client expects.
_DATANUCLEUS = {
    "datanucleus.identifierFactory": "datanucleus1",
    "datanucleus.rdbms.useLegacyNativeValueStrategy": "true",
    "datanucleus.storeManagerType": "rdbms",
}
_HIVE_MODEL = "package.jdo"  # the Hive metastore's JDO mapping, inside hive-metastore-<version>.jar


def ivy_jar(ivy_home: str, coordinate: str) -> Path:
    """Where Spark's Ivy keeps the jar of `group:artifact:version` (spark.jars.ivy/jars)."""
    group, artifact, version = coordinate.split(":")
    return Path(ivy_home).expanduser() / "jars" / f"{group}_{artifact}-{version}.jar"


def _connection_properties(url: str, user: str | None, password: str | None, driver: str,
                           driver_jar: Path) -> dict[str, str]:
    """The JDO connection settings the Hive client and SchemaTool both read; the driver jar must exist."""
    if not driver_jar.is_file():
        raise FileNotFoundError(f"The metastore's JDBC driver {driver_jar} is not in the Ivy cache yet: run "
                                "`make setup` (it fetches spark.packages) and start again.")
    properties = {"javax.jdo.option.ConnectionURL": url, "javax.jdo.option.ConnectionDriverName": driver}
    if user:
        properties["javax.jdo.option.ConnectionUserName"] = user
    if password:
        properties["javax.jdo.option.ConnectionPassword"] = password
    return properties


def hive_session_conf(url: str, user: str | None, password: str | None, driver: str, driver_jar: Path,
                      warehouse: str) -> dict[str, str]:
    """Spark settings of a session whose catalog is this metastore (static: read when the JVM starts)."""
    connection = _connection_properties(url, user, password, driver, driver_jar)
    # Spark's UI and logs redact keys matching (?i)secret|password|token, so the password never shows.
    return {
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": warehouse,
        "spark.driver.extraClassPath": str(driver_jar),
        "spark.hadoop.datanucleus.schema.autoCreateAll": "false",
        "spark.hadoop.hive.metastore.schema.verification": "false",
        **{f"spark.hadoop.{key}": value for key, value in connection.items()},
    }


def _pyspark_jars() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "jars"


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java:
        raise RuntimeError("No Java found (JAVA_HOME or `java` on PATH): `make setup` installs one")
    return java


def create_schema(url: str, user: str | None, password: str | None, driver: str, driver_jar: Path) -> str:
    """Create every Hive metastore table that the database lacks (existing ones are kept, so it is safe to
    run again); returns SchemaTool's report. Credentials go through a private properties file, never argv."""
    jars = _pyspark_jars()
    model = next(jars.glob("hive-metastore-*.jar"), None)
    if model is None:
        raise FileNotFoundError(f"No hive-metastore jar in {jars}: this pyspark has no Hive support")
    properties = {**_DATANUCLEUS, **_connection_properties(url, user, password, driver, driver_jar)}
    with tempfile.TemporaryDirectory(prefix="lakehouse-metastore-") as folder:
        work = Path(folder)
        with zipfile.ZipFile(model) as jar:
            (work / _HIVE_MODEL).write_bytes(jar.read(_HIVE_MODEL))
        props = work / "datanucleus.properties"
        props.touch(mode=0o600)
        props.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
        command = [_java(), "-cp", f"{jars}/*{os.pathsep}{driver_jar}", "org.datanucleus.store.schema.SchemaTool",
                   "-create", "-api", "JDO", "-props", str(props), str(work / _HIVE_MODEL)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    report = (done.stdout + done.stderr).strip()
    if done.returncode != 0 or "completed successfully" not in report:
        raise RuntimeError(f"Creating the metastore schema at {url} failed (exit {done.returncode}):\n{report[-3000:]}")
    return report


@dataclass(frozen=True)
class MetastoreConnection:
    """A profile's metastore settings with its environment variables read (the schema-creation command)."""

    url: str
    user: str | None
    password: str | None
    driver: str
    driver_jar: Path


def connection_for(profile: Profile) -> MetastoreConnection:
    settings = profile.storage.metastore
    if settings is None:
        raise ValueError(f"Profile {profile.name!r} has no storage.metastore (its catalog is {profile.storage.catalog!r})")
    url = settings.url if settings.url is not None else os.environ.get(settings.url_env or "")
    if not url:
        raise ValueError(f"Profile {profile.name!r}: the metastore URL is not set ({settings.url_env})")
    user = os.environ.get(settings.user_env) if settings.user_env else None
    password = os.environ.get(settings.password_env) if settings.password_env else None
    return MetastoreConnection(url, user, password, settings.driver,
                               ivy_jar(profile.spark.ivy_home, settings.driver_package))


def main(argv: list[str] | None = None) -> int:
    from lakehouse.config.profile import load_profile

    parser = argparse.ArgumentParser(prog="python -m lakehouse.resources.metastore", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default=None, help="Profile with storage.catalog: metastore (default: LAKEHOUSE_PROFILE)")
    args = parser.parse_args(argv)
    profile = load_profile(args.profile)
    connection = connection_for(profile)
    create_schema(connection.url, connection.user, connection.password, connection.driver, connection.driver_jar)
    print(f"Metastore schema ready for profile {profile.name!r} (its database: the profile's storage.metastore)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
