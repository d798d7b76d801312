"""The model that scores: a registry version resolved from the seed's `model_version`, loaded once per
run in the Spark flavour (a PipelineModel whose transform stays in the JVM; docs/scoring.md says why).

mlflow and pyspark.ml are imported inside the functions: loading definitions must stay light.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakehouse.resources.mlflow import MlflowResource

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel


TREE_MODELS = ("RandomForestClassificationModel", "GBTClassificationModel", "DecisionTreeClassificationModel")


@dataclass(frozen=True)
class ScoringModel:
    """One registered version, loaded: what scoring needs to transform and to stamp every row."""

    name: str
    version: str
    run_id: str
    experiment_id: str | None
    threshold: float
    pipeline: PipelineModel
    tags: dict[str, str]
    # The classifier's saved node table (tree ensembles only), read from the downloaded artifact
    # while it exists: TreeSHAP needs the trees, and walking them over py4j costs a call per node.
    tree_nodes: Any = field(default=None, repr=False)

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    @property
    def classifier(self) -> Any:
        return self.pipeline.stages[-1]

    @property
    def family(self) -> str:
        return type(self.classifier).__name__


def load_scoring_model(
    resource: MlflowResource, name: str, spec: str, champion_alias: str = "champion"
) -> ScoringModel:
    """Resolve `spec` (production | latest | <number> | <alias>) and load that version.

    Raises ModelVersionNotFound, listing the versions and aliases that exist, for an unknown spec."""
    import mlflow

    from lakehouse.ml.promotion import model_threshold, resolve_model_version

    client = resource.client()
    version = resolve_model_version(client, name, spec, champion_alias)
    if not version.run_id:
        raise ValueError(f"Model {name} v{version.version} has no MLflow run: rows could not name where it came from")
    with resource.activate(), tempfile.TemporaryDirectory(prefix="scoring-model-") as local:
        pipeline = mlflow.spark.load_model(f"models:/{name}/{version.version}", dst_path=local)
        is_tree = type(pipeline.stages[-1]).__name__ in TREE_MODELS
        nodes = _tree_nodes(Path(local), len(pipeline.stages) - 1) if is_tree else None
    return ScoringModel(
        name=name,
        version=str(version.version),
        run_id=version.run_id,
        experiment_id=client.get_run(version.run_id).info.experiment_id,
        threshold=model_threshold(pipeline),
        pipeline=pipeline,
        tags=dict(version.tags),
        tree_nodes=nodes,
    )


def _tree_nodes(local: Path, classifier_index: int) -> Any:
    """The tree classifier's saved node table (Spark's `data` folder of the stage), as a pyarrow Table."""
    import pyarrow.parquet as pq

    stage_dirs = [p for p in local.glob("**/sparkml/stages/*") if p.name.split("_", 1)[0] == str(classifier_index)]
    if len(stage_dirs) != 1:
        raise FileNotFoundError(f"Stage {classifier_index} not found once in the model artifact under {local}")
    return pq.read_table(stage_dirs[0] / "data")


# One entry per (Dagster run, model, version spec). A run resolves a spec once, so every partition it
# scores uses the same version even when the champion alias moves mid-run, and the model is loaded
# once per run, not per partition. Entries of earlier runs are dropped: a process serves one run at a time.
_CACHE: dict[tuple[str, str, str, str], ScoringModel] = {}


def model_for_run(
    run_id: str, resource: MlflowResource, name: str, spec: str, champion_alias: str = "champion"
) -> ScoringModel:
    key = (run_id, resource.resolved_registry_uri(), name, spec)
    if key not in _CACHE:
        for stale in [k for k in _CACHE if k[0] != run_id]:
            del _CACHE[stale]
        _CACHE[key] = load_scoring_model(resource, name, spec, champion_alias)
    return _CACHE[key]
