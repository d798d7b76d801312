"""A bad table folder cannot take the platform down (issue 16, item 2), and the path catalog is lazy
(issue 17, item 2).

One folder in the warehouse with a bad name, no `_delta_log` or a corrupt one used to stop every new Spark
session on the data root. Sessions now register a table when it is used, so a bad folder costs nothing to
whoever does not name it; registering every table (a notebook's `register_path_catalog`) makes each a
warning naming it, a query on it fails with that message, and every other table and a materialisation work.
"""

import logging
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from dagster import asset, materialize
from pyspark.errors import AnalysisException

from lakehouse.resources.path_catalog import is_placeholder, register, register_path_catalog, scan_warehouse
from lakehouse.resources.spark import SparkResource


@pytest.fixture
def planted(spark, spark_resource):
    """A good table and three bad folders under the shared session warehouse, removed afterwards."""
    suffix = uuid.uuid4().hex[:8]
    warehouse = Path(spark_resource.warehouse)
    good = spark_resource.table("testing", f"good_{suffix}")
    spark.range(4).write.format("delta").save(good.location)
    newline = warehouse / "bronze" / f"t7nl_{suffix}\n"  # the Launchpad name, as a real Delta table
    shutil.copytree(good.location, newline)
    no_log = warehouse / "testing" / f"no_log_{suffix}"
    no_log.mkdir(parents=True)
    (no_log / "part-00000.parquet").write_bytes(b"not really parquet")
    corrupt = warehouse / "testing" / f"corrupt_{suffix}"
    (corrupt / "_delta_log").mkdir(parents=True)
    (corrupt / "_delta_log" / "00000000000000000000.json").write_text('{"commitInfo": garbage\n')
    try:
        yield {"good": good, "newline": newline, "no_log": no_log, "corrupt": corrupt, "suffix": suffix}
    finally:
        # Names first (a placeholder view, or an external table once repaired: no data is deleted), then folders.
        for name in (f"no_log_{suffix}", f"corrupt_{suffix}", f"good_{suffix}", f"unrelated_{suffix}"):
            try:
                spark.sql(f"DROP VIEW IF EXISTS testing.{name}")
            except AnalysisException:
                spark.sql(f"DROP TABLE IF EXISTS testing.{name}")
        for folder in (newline, no_log, corrupt, Path(good.location), no_log.parent / f"unrelated_{suffix}"):
            shutil.rmtree(folder, ignore_errors=True)


def test_scan_sorts_tables_from_folders_that_cannot_be_one(tmp_path):
    (tmp_path / "bronze" / "ok" / "_delta_log").mkdir(parents=True)
    (tmp_path / "bronze" / "bad name").mkdir()
    (tmp_path / "bronze" / "no_log").mkdir()
    (tmp_path / "bronze" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "bronze" / "a_file").write_text("x")
    tables, unusable = scan_warehouse(tmp_path)
    assert [t.name for t in tables] == ["bronze.ok"]
    assert {u.folder.name: u.ref is not None for u in unusable} == {"bad name": False, "no_log": True}
    assert not any(u.held for u in unusable)  # only a log that cannot be read is held, at registration
    assert all(repr(str(u.folder)) in u.message for u in unusable)


def test_bad_folders_are_warnings_and_every_other_table_stays_usable(spark, spark_resource, resources, instance,
                                                                     data_root, planted, caplog):
    warehouse = Path(spark_resource.warehouse)
    with caplog.at_level(logging.WARNING, logger="lakehouse.resources.path_catalog"):
        register_path_catalog(spark, warehouse)  # a notebook asking for every table
    warnings = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    for kind, reason in [("newline", "not a valid <schema>/<table>"), ("no_log", "no _delta_log"),
                         ("corrupt", "Delta log cannot be read")]:
        line = next((w for w in warnings.splitlines() if repr(str(planted[kind])) in w), "")
        assert reason in line, (kind, warnings)

    assert spark.table(planted["good"].name).count() == 4
    # Using a broken table is an error naming its folder, whatever the query selects.
    with pytest.raises(Exception, match=f"{planted['corrupt'].name}.*is not usable"):
        spark.sql(f"SELECT count(*) FROM testing.{planted['corrupt'].name}").collect()
    # A folder with no log may be another process's first write: its name is not held, so it is not found.
    with pytest.raises(AnalysisException, match="TABLE_OR_VIEW_NOT_FOUND"):
        spark.sql(f"SELECT count(*) FROM testing.{planted['no_log'].name}").collect()

    # An unrelated materialisation through the IO manager works beside them.
    @asset(key=["card_fraud", "testing", f"unrelated_{planted['suffix']}"])
    def unrelated(spark: SparkResource):
        return spark.spark_session.range(3)

    assert materialize([unrelated], resources=resources, instance=instance).success
    assert spark.table(f"testing.unrelated_{planted['suffix']}").count() == 3

    # A new session in another process, as `python -m lakehouse_tools.query` builds it: it registers only
    # the tables its query names (the lazy catalog), so it answers and never reads a bad folder at all;
    # naming the corrupt table gets the message naming its folder.
    env = {**os.environ, "LAKEHOUSE_DATA_ROOT": str(data_root)}
    sql = (f"SELECT count(*) AS n FROM {planted['good'].name} UNION ALL "
           f"SELECT count(*) FROM testing.{planted['corrupt'].name}")
    for query, ok in ((f"SELECT count(*) AS n FROM {planted['good'].name}", True), (sql, False)):
        out = subprocess.run([sys.executable, "-m", "lakehouse_tools.query", query], env=env, capture_output=True,
                             text=True, timeout=300)
        assert (out.returncode == 0) == ok, out.stderr[-3000:]
        if ok:
            assert "|4|" in out.stdout.replace(" ", ""), out.stdout
            assert "is not usable" not in out.stderr, out.stderr[-3000:]  # no bad folder was looked at
        else:
            assert planted["corrupt"].name in out.stderr and "is not usable" in out.stderr, out.stderr[-3000:]

    # A repaired folder replaces its placeholder on the next registration, here by its writer in another
    # session sharing the catalog (as every client of a Spark Connect server does): the placeholder is
    # found in the catalog, not in the session that made it.
    shutil.rmtree(planted["corrupt"])
    spark.range(2).write.format("delta").save(str(planted["corrupt"]))
    other = spark.newSession()
    assert is_placeholder(other, spark_resource.table("testing", planted["corrupt"].name))
    register(other, spark_resource.table("testing", planted["corrupt"].name))
    assert spark.table(f"testing.{planted['corrupt'].name}").count() == 2
    # The first write of the folder with no log finishes: its writer registers it.
    shutil.rmtree(planted["no_log"])
    spark.range(3).write.format("delta").save(str(planted["no_log"]))
    spark_resource.register(spark_resource.table("testing", planted["no_log"].name))
    assert spark.table(f"testing.{planted['no_log'].name}").count() == 3
