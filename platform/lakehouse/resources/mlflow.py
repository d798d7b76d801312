"""MLflow as a typed resource: tracking and registry URIs from the profile, resolved at run time.

Why not dagster-mlflow's `mlflow_tracking`: it is a legacy function `@resource` that starts an MLflow
run in the resource's set-up and relies on the beta `end_mlflow_on_run_finished` hook to end it, which
can end the run early when steps run in parallel. Here the asset owns its runs (one parent run per
training, a child per candidate, each closed by a `with` block), and the resource only says where
MLflow is. See docs/ml.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from dagster import ConfigurableResource
from pydantic import Field

from lakehouse.config.profile import Profile, resolve_data_root

if TYPE_CHECKING:
    from mlflow import MlflowClient


class MlflowResource(ConfigurableResource):
    """Where MLflow tracking and the model registry live, and the experiment the platform logs to."""

    data_root: str = Field(description="Profile data root; the default sqlite store and artifacts live under it.")
    tracking_uri: str | None = Field(
        default=None,
        description="Tracking URI (http://..., databricks, sqlite:///...). `{data_root}` is replaced at run "
        "time. Default: sqlite:///<data_root>/mlflow/mlflow.db.",
    )
    registry_uri: str | None = Field(default=None, description="Registry URI; default: the tracking URI.")
    experiment: str = Field(
        description="Experiment name; from the profile: mlflow.experiment, default /lakehouse/<dataset>."
    )
    artifact_location: str | None = Field(
        default=None,
        description="Artifact root for a new experiment. Default: <data_root>/mlflow/artifacts for the "
        "local sqlite store; the server's default otherwise.",
    )
    ui_url: str | None = Field(
        default=None,
        description="Browser address of an MLflow UI over this store (local: `make mlflow`, "
        "http://127.0.0.1:5000); runs and model versions are linked under it. Default: the tracking URI "
        "when it is http(s); no links otherwise.",
    )

    def _root(self) -> Path:
        return resolve_data_root(self.data_root) / "mlflow"

    def resolved_tracking_uri(self) -> str:
        if self.tracking_uri:
            return self.tracking_uri.replace("{data_root}", str(resolve_data_root(self.data_root)))
        self._root().mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self._root() / 'mlflow.db'}"

    def resolved_registry_uri(self) -> str:
        if self.registry_uri:
            return self.registry_uri.replace("{data_root}", str(resolve_data_root(self.data_root)))
        return self.resolved_tracking_uri()

    def client(self) -> MlflowClient:
        from mlflow import MlflowClient  # imported on use: loading definitions stays light

        return MlflowClient(tracking_uri=self.resolved_tracking_uri(), registry_uri=self.resolved_registry_uri())

    def experiment_id(self) -> str:
        """The experiment's id, created on first use (with the local artifact root for the default store)."""
        client = self.client()
        found = client.get_experiment_by_name(self.experiment)
        if found is not None:
            return str(found.experiment_id)
        location = self.artifact_location
        if location is None and not self.tracking_uri:
            location = (self._root() / "artifacts").as_uri()
        return str(client.create_experiment(self.experiment, artifact_location=location))

    @contextmanager
    def activate(self) -> Iterator[str]:
        """Point MLflow's fluent API (needed by mlflow.spark.log_model) at this store for the block, and
        yield the experiment id; the previous URIs are restored afterwards."""
        import mlflow

        previous = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())
        mlflow.set_tracking_uri(self.resolved_tracking_uri())
        mlflow.set_registry_uri(self.resolved_registry_uri())
        try:
            yield self.experiment_id()
        finally:
            mlflow.set_tracking_uri(previous[0])
            mlflow.set_registry_uri(previous[1])

    def ui_base(self) -> str | None:
        """Where a browser reaches this store's UI. A sqlite or `databricks` tracking URI is no web
        address, so without `ui_url` there is nothing to link to."""
        if self.ui_url:
            return self.ui_url.rstrip("/")
        uri = self.tracking_uri or ""  # unset: the local sqlite store
        return uri.rstrip("/") if uri.startswith(("http://", "https://")) else None

    def run_url(self, experiment_id: str, run_id: str) -> str | None:
        """A browser link to a run (MLflow UI route `#/experiments/<id>/runs/<id>`), None without a UI."""
        base = self.ui_base()
        return f"{base}/#/experiments/{experiment_id}/runs/{run_id}" if base else None

    def model_version_url(self, name: str, version: str | int) -> str | None:
        """A browser link to a registered model version (UI route `#/models/<name>/versions/<v>`; the UI
        URL-encodes the name, e.g. the dots of a Unity Catalog name stay, a space does not)."""
        base = self.ui_base()
        return f"{base}/#/models/{quote(name, safe='')}/versions/{version}" if base else None


def mlflow_resource_for(profile: Profile, data_root: str | None = None) -> MlflowResource:
    settings = profile.mlflow
    return MlflowResource(
        data_root=data_root or profile.storage.data_root,
        tracking_uri=settings.tracking_uri,
        registry_uri=settings.registry_uri,
        experiment=settings.experiment_for(profile.dataset),
        ui_url=settings.ui_url,
    )
