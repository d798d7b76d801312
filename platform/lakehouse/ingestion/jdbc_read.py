"""Reading a JDBC source exactly once, in parallel, with errors that name the source.

The database is read once per run: the DataFrame is checkpointed right after the read, so counting,
contract checks and every Delta write see the same rows (a lazy JDBC DataFrame would query the
database again for each action, and the table may change in between). Nothing is written to Delta
before the read succeeded, so a failed read commits nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from pyspark.sql import DataFrame, SparkSession

from lakehouse.ingestion.jdbc import ReadPlan, parallel_read_options
from lakehouse.resources.jdbc import JdbcConnection

# Rows per round trip; PostgreSQL's driver would otherwise buffer the whole result in memory.
FETCH_SIZE = "10000"


class JdbcReadError(RuntimeError):
    """A source database could not be read (unreachable, refused credentials, missing table, ...)."""


@dataclass(frozen=True)
class Bounds:
    lo: str | None
    hi: str | None
    cut: str | None
    rows: int


@dataclass
class JdbcRead:
    df: DataFrame  # checkpointed: later actions never go back to the database
    plan: ReadPlan  # with `until` set to the newest change seen by the bounds query
    rows: int
    options: dict[str, str]  # the parallel-read options (no credentials)

    @property
    def partitions(self) -> int:
        return int(self.options.get("numPartitions", 1))


def check_jvm_timezone(spark: SparkSession) -> None:
    """JDBC drivers turn zone-less TIMESTAMP/DATETIME values into instants in the JVM's default zone,
    while Spark renders them (and our high-water-mark literals) in the session zone. If the two
    differ every change timestamp shifts and a CDC read can skip changes, so refuse to run."""
    jvm = getattr(spark, "_jvm", None)
    if jvm is None:  # Spark Connect: the JVM is the server's; configure it there
        return
    session_tz = spark.conf.get("spark.sql.session.timeZone")
    default = jvm.java.util.TimeZone.getDefault()
    if not default.hasSameRules(jvm.java.util.TimeZone.getTimeZone(session_tz)):
        raise JdbcReadError(
            f"The Spark JVM runs in time zone {default.getID()} but spark.sql.session.timeZone is {session_tz}: "
            "JDBC timestamps would be shifted. Set spark.driver.extraJavaOptions and "
            f"spark.executor.extraJavaOptions to -Duser.timezone={session_tz} in the profile."
        )


def _jdbc(spark: SparkSession, conn: JdbcConnection, dbtable: str, **options: str) -> DataFrame:
    reader = spark.read.format("jdbc").options(**conn.spark_options())
    return reader.options(dbtable=dbtable, fetchsize=FETCH_SIZE, **options).load()


def read_bounds(spark: SparkSession, conn: JdbcConnection, plan: ReadPlan) -> Bounds:
    """One aggregate query run by the database. Values come back as text (`customSchema`): SQLite
    reports an aggregate of a TIMESTAMP column as NUMERIC, and text is what Spark's bounds take."""
    row = _jdbc(spark, conn, plan.bounds_query(), customSchema="lo STRING, hi STRING, cut STRING, n BIGINT").first()
    if row is None:
        raise JdbcReadError(f"Bounds query on {plan.table} returned no row")
    return Bounds(row["lo"], row["hi"], row["cut"], int(row["n"] or 0))


def read_source(spark: SparkSession, conn: JdbcConnection, plan: ReadPlan, source: str, connection: str) -> JdbcRead:
    """Read `plan` over `conn`; any failure becomes a JdbcReadError naming source, table and connection."""
    check_jvm_timezone(spark)
    try:
        options: dict[str, str] = {}
        if plan.needs_bounds:
            bounds = read_bounds(spark, conn, plan)
            if plan.cdc_column and bounds.cut is not None:
                # Cap the read at the newest change seen now: a row changed while the partitions are
                # being read gets a later timestamp and is left for the next run, never half-read.
                plan = replace(plan, until=datetime.fromisoformat(bounds.cut))
            options = parallel_read_options(plan.split_column, bounds.lo, bounds.hi, plan.partitions)
        df = _jdbc(spark, conn, plan.query(), **options).localCheckpoint(eager=True)
        rows = df.count()
    except JdbcReadError:
        raise
    except Exception as exc:  # re-raised with the source's name; the cause stays chained
        detail = conn.redact(_first_line(exc))
        raise JdbcReadError(
            f"Source {source!r}: reading table {plan.table!r} over connection {connection!r} "
            f"({conn.describe()}) failed: {detail}"
        ) from exc
    return JdbcRead(df=df, plan=plan, rows=rows, options=options)


def _first_line(exc: BaseException) -> str:
    """Spark's summary plus the driver's root cause (e.g. 'Connection ... refused', 'password
    authentication failed'), without the JVM stack trace."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    summary = lines[0] if lines else type(exc).__name__
    java = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)  # py4j / captured errors
    root = None
    while java is not None:
        root, java = java, java.getCause()
    detail = f"{summary} ({root.toString()})" if root is not None else summary
    return detail[:800]
