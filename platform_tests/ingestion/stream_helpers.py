"""Helpers for the streaming-source tests: one isolated stream folder, checkpoint and table per test."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import AssetsDefinition, DagsterInstance, materialize

from lakehouse.config.dataset import load_dataset
from lakehouse.config.sources import SourceConfig, load_sources
from lakehouse.ingestion.stream_assets import build_stream_asset
from lakehouse.partitions import build_calendar

SOURCE = load_sources("card_fraud")["chargebacks"]
OP = f"ingest_{SOURCE.name}"


def stream_asset(source: SourceConfig = SOURCE) -> AssetsDefinition:
    dataset = load_dataset("card_fraud")
    return build_stream_asset(source, dataset, build_calendar(dataset.partitions))


def event(cb: str, reported_at: str, reason: str = "fraud", tid: str | None = None) -> str:
    """One chargeback event as a JSON line, in the generator's shape."""
    row = {"chargeback_id": cb, "transaction_id": tid or f"tx-{cb}", "reported_at": reported_at, "reason": reason}
    return json.dumps(row)


@dataclass
class StreamCase:
    """A stream folder, checkpoint and table of its own under the session's data root. The case is its own
    source (`source`, chargebacks renamed cb_<name>): a different asset, whose key names its table."""

    data_root: Path
    name: str = field(default_factory=lambda: uuid.uuid4().hex[:10])

    @property
    def rel(self) -> str:
        return f"stream_tests/{self.name}"

    @property
    def folder(self) -> Path:
        return self.data_root / self.rel / "chargebacks"

    @property
    def checkpoint(self) -> Path:
        return self.data_root / self.rel / "checkpoint"

    @property
    def source(self) -> SourceConfig:
        return SOURCE.model_copy(update={"name": f"cb_{self.name}"})

    @property
    def op(self) -> str:
        return f"ingest_{self.source.name}"

    @property
    def table(self) -> str:
        return f"bronze.{self.source.name}"

    @property
    def quarantine(self) -> str:
        return f"{self.table}_quarantine"

    def write(self, day: str, n: int, lines: list[str]) -> Path:
        path = self.folder / day / f"chargebacks_{day}_{n:02d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        return path

    def config(self, **overrides: str) -> dict[str, Any]:
        values = {
            "data_source": f"{self.rel}/chargebacks",
            "checkpoint_path": f"{self.rel}/checkpoint",
            **overrides,
        }
        return {"ops": {self.op: {"config": values}}}

    def run(
        self, resources: dict, instance: DagsterInstance, asset: AssetsDefinition | None = None, **overrides: str
    ) -> dict[str, Any]:
        """Materialise; returns the metadata values of `table` and `quarantine`, and the `run_id`."""
        config = self.config(**overrides)
        result = materialize([asset or stream_asset(self.source)], resources=resources, instance=instance,
                             run_config=config)
        by_key = {
            m.asset_key.path[-1]: {k: v.value for k, v in m.metadata.items()}
            for m in result.asset_materializations_for_node(self.op)
        }
        quarantine = by_key[f"{self.source.name}_quarantine"]
        return {"table": by_key[self.source.name], "quarantine": quarantine, "run_id": result.run_id}

    def crash_before_checkpoint_commit(self) -> int:
        """Simulate a crash after the Delta commits of the last batch but before Spark's commit log entry:
        delete the newest commit file (and its checksum, which Hadoop's local file system keeps beside it)."""
        commits = self.checkpoint / "commits"
        newest = max(int(p.name) for p in commits.iterdir() if p.name.isdigit())
        (commits / str(newest)).unlink()
        (commits / f".{newest}.crc").unlink(missing_ok=True)
        return newest
