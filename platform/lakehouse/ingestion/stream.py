"""Streaming sources: a pluggable stream read with Structured Streaming, one `availableNow` run at a time.

A `StreamSource` returns the raw stream: every contract column as text plus `_corrupt_record`,
`_rescued_data`, `_source_file` and `_truncated_line` - the raw shape `ingestion.raw_files.read_raw` gives
batch files, so `split_valid` and the quarantine rules are shared. `JsonFileStream` reads JSON-lines files from the
day sub-folders of a stream folder; Kafka is declared in the source config but not implemented yet.

A run (`run_available_now`) processes every file that is new to the checkpoint, in one or more
micro-batches, then stops. Each micro-batch goes through `stream_batch.BatchWriter`, whose writes are
idempotent per batch, which is what makes the whole exactly-once (see stream_batch's docstring).

Paths: the stream folder and the checkpoint are local (or mounted) folders, like the landing zone of
the file sources; `full` deletes the checkpoint with the local file system.
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, StringType, StructField, StructType

from lakehouse.config.contracts import Contract
from lakehouse.config.sources import SourceConfig
from lakehouse.ingestion.files import CORRUPT, RESCUED, SOURCE_FILE, TRUNCATED, raw_schema

# The file source skips files older than `maxFileAge` relative to the newest file it has seen
# (default 7 days). A late file copied into an old day folder with its original modification time
# must still be read, so the window is effectively unlimited. (Already-seen files are tracked by path
# in the checkpoint, so this does not cause re-reads.)
MAX_FILE_AGE = "36500d"
# Day sub-folders (YYYY-MM-DD) of the stream folder; the glob is re-evaluated at every trigger, so new
# day folders and new files in old day folders are both found. Hidden files (.x.tmp) are never matched.
DAY_GLOB = "*/*.{json,jsonl}"


class UnsupportedStreamFormat(NotImplementedError):
    """The source's `stream_format` has no implementation yet."""


class StreamSource(ABC):
    """A stream that yields the raw columns of a contract (see the module docstring)."""

    # True when a fresh checkpoint re-reads the whole source (files: every file is new to it). Then the
    # first micro-batch of a query holds everything, and may replace the tables instead of merging.
    replays_everything: ClassVar[bool] = False

    @abstractmethod
    def read_stream(self, spark: SparkSession) -> DataFrame:
        """The raw streaming DataFrame in the shape of `raw_stream_schema`."""


@dataclass(frozen=True)
class JsonFileStream(StreamSource):
    """JSON-lines files in `<path>/<YYYY-MM-DD>/*.json`, read with an explicit all-text schema."""

    path: str
    contract: Contract
    replays_everything: ClassVar[bool] = True

    def read_stream(self, spark: SparkSession) -> DataFrame:
        names = [c.name for c in self.contract.columns]
        df = (
            spark.readStream.schema(raw_schema(names))
            .option("mode", "PERMISSIVE")  # a malformed line becomes a `_corrupt_record` row, never dropped
            .option("columnNameOfCorruptRecord", CORRUPT)
            .option("maxFileAge", MAX_FILE_AGE)
            .json(f"{self.path.rstrip('/')}/{DAY_GLOB}")
        )
        # JSON fields outside the contract are not kept by Spark's reader (as for batch JSON files), so
        # `_rescued_data` stays null; it exists so streamed and batch bronze tables share one shape.
        return df.select(
            *names,
            F.col(CORRUPT),
            F.lit(None).cast("string").alias(RESCUED),
            F.col("_metadata.file_path").alias(SOURCE_FILE),
            # A cut-off JSON line does not parse, so it is already a malformed record (as in files.py).
            F.lit(False).alias(TRUNCATED),
        )


def stream_source_for(source: SourceConfig, path: str, contract: Contract) -> StreamSource:
    """The implementation selected by `source.stream_format`."""
    if source.stream_format == "json":
        return JsonFileStream(path=path, contract=contract)
    raise UnsupportedStreamFormat(
        f"Source {source.name!r}: stream_format {source.stream_format!r} is not implemented yet "
        "(only 'json' file streams are). A Kafka source needs a StreamSource implementation in "
        "lakehouse/ingestion/stream.py."
    )


def raw_stream_schema(contract: Contract) -> StructType:
    """The schema every StreamSource yields (used to build an empty batch for a rebuild with no data)."""
    extra = [StructField(n, StringType(), True) for n in (RESCUED, SOURCE_FILE)]
    flag = StructField(TRUNCATED, BooleanType(), True)
    return StructType(raw_schema([c.name for c in contract.columns]).fields + extra + [flag])


def checkpoint_has_commits(checkpoint: Path) -> bool:
    """True when a query already committed batches into this checkpoint."""
    commits = checkpoint / "commits"
    return commits.is_dir() and any(not p.name.startswith(".") for p in commits.iterdir())


def reset_checkpoint(checkpoint: Path) -> None:
    """`full`: forget every file seen; the next query is new (new id, batch ids from 0)."""
    shutil.rmtree(checkpoint, ignore_errors=True)


@dataclass
class StreamRun:
    """What one availableNow run did, from the query's progress reports."""

    query_id: str
    checkpoint: str
    batch_ids: list[int] = field(default_factory=list)
    rows_read: int = 0


def run_available_now(
    spark: SparkSession, source: StreamSource, writer: Callable[[DataFrame, int], None], checkpoint: str
) -> StreamRun:
    """Process everything new to `checkpoint` (one or more micro-batches through `writer`), then stop.

    Counts come from the query's progress reports (`recentProgress` keeps the last 100 by default,
    far more than the batches of one availableNow run, which takes all new files at once)."""
    query = (
        source.read_stream(spark)
        .writeStream.foreachBatch(writer)
        .option("checkpointLocation", checkpoint)
        .trigger(availableNow=True)
        .start()
    )
    # Raises StreamingQueryException when a batch failed; its checkpoint commit is then missing, so the
    # next run replays that batch (idempotently, see stream_batch).
    query.awaitTermination()
    # Attributes, not p["..."]: over Spark Connect the progress' dict view holds None for numInputRows
    # (pyspark 4.2 fills only the attributes from the server's JSON); classic sessions have both.
    executed = [p for p in query.recentProgress if "addBatch" in (p.durationMs or {})]
    # An idle trigger (nothing new) reports progress too, but without an `addBatch` phase.
    return StreamRun(
        query_id=str(query.id),
        checkpoint=checkpoint,
        batch_ids=[int(p.batchId) for p in executed],
        rows_read=sum(int(p.numInputRows) for p in executed),
    )
