"""Query the lakehouse tables by name from a new Spark session: `python -m lakehouse_tools.query "SQL"`.

The session is built exactly as the assets build theirs (same profile, same catalog), so `SELECT * FROM
silver.transactions` works here or in any other process: in the path catalog the tables the query names
are registered first (SparkResource.sql), in a metastore they are known already. In a notebook, `session()`
and `sql(text)`; `register_path_catalog(spark, warehouse)` (lakehouse.resources.spark) names every table.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from lakehouse.config.profile import load_profile
from lakehouse.resources.spark import spark_resource_for


def session() -> Any:
    """A Spark session for the current profile (path tables are registered as `sql` names them)."""
    return spark_resource_for(load_profile()).spark_session


def sql(text: str) -> Any:
    """Spark SQL over the current profile's tables by name (a DataFrame)."""
    return spark_resource_for(load_profile()).sql(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sql", nargs="?", default="SHOW TABLES IN bronze", help="SQL to run")
    parser.add_argument("--limit", type=int, default=20, help="Rows to show")
    args = parser.parse_args(argv)
    resource = spark_resource_for(load_profile())
    spark = resource.spark_session
    if "connect" not in type(spark).__module__:  # Spark Connect sessions have no SparkContext
        spark.sparkContext.setLogLevel("ERROR")
    resource.sql(args.sql).show(args.limit, truncate=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
