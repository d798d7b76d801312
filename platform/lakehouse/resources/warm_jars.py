"""Warm Spark's Ivy cache with the profile's packages (Delta, JDBC drivers): `make` calls this once.

Fast path: when every package's jar is already in the Ivy cache, nothing starts. Otherwise one local
Spark session resolves them (downloading from Maven Central), so later sessions start offline.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from lakehouse.config.profile import load_profile



def missing_jars(packages: list[str], jars_dir: Path) -> list[str]:
    missing = []
    for coordinate in packages:
        group, artifact, version = coordinate.split(":")
        if not (jars_dir / f"{group}_{artifact}-{version}.jar").exists():
            missing.append(coordinate)
    return missing


def main() -> int:
    settings = load_profile("local").spark
    packages, ivy = settings.packages, Path(settings.ivy_home).expanduser()
    missing = missing_jars(packages, ivy / "jars")
    if not missing:
        print(f"Spark jars cached in {ivy} ({len(packages)} packages)")
        return 0
    print(f"Fetching Spark packages into the Ivy cache: {', '.join(missing)}", flush=True)
    from pyspark.sql import SparkSession

    started = time.monotonic()
    spark = (
        SparkSession.builder.master("local[1]")
        .appName("lakehouse-warm-jars")
        .config("spark.jars.packages", ",".join(packages))
        .config("spark.jars.ivy", str(ivy))
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.stop()
    still = missing_jars(packages, ivy / "jars")
    if still:
        print(f"ERROR: Spark could not fetch {still} (is Maven Central reachable? see README)", file=sys.stderr)
        return 1
    print(f"Spark jars cached in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
