"""Run-failure alerts: one sensor watches every job of the code location and sends the run's link and
error to the channels the profile configures (operations/channels.py).

The sensor is built from the profile's `alerts:` section; secrets are resolved from the environment
only when an alert is sent. When a channel fails the sensor tick fails (visible in the UI, with every
failed channel named); Dagster still advances the sensor's cursor, so channels that did deliver are
not spammed again on the next tick.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dagster import (
    DefaultSensorStatus,
    EnvVar,
    RunFailureSensorContext,
    SensorDefinition,
    run_failure_sensor,
)

from lakehouse.config.operations import AlertSettings
from lakehouse.operations.channels import AlertDeliveryError, deliver

FAILURE_SENSOR = "run_failure_alerts"
# Run tags worth showing in an alert: what launched the run and what it covered.
_TAGS = {
    "dagster/partition": "partition",
    "dagster/asset_partition_range_start": "partition_range_start",
    "dagster/asset_partition_range_end": "partition_range_end",
    "dagster/schedule_name": "schedule",
    "dagster/sensor_name": "sensor",
    "dagster/backfill": "backfill",
}


def webserver_url(settings: AlertSettings) -> str:
    if settings.webserver_url_env:
        value = EnvVar(settings.webserver_url_env).get_value()
        if not value:
            raise AlertDeliveryError(f"run link: environment variable {settings.webserver_url_env} is not set")
        return value.rstrip("/")
    return settings.webserver_url.rstrip("/")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more characters)"


def failure_payload(
    context: RunFailureSensorContext, settings: AlertSettings, profile: str, base_url: str
) -> dict[str, Any]:
    """Everything an on-call person needs, as one JSON-serialisable dict (the webhook body)."""
    run = context.dagster_run
    steps = []
    for event in context.get_step_failure_events():
        error = getattr(event.event_specific_data, "error", None)
        steps.append(
            {
                "step_key": event.step_key,
                "error": _cut(error.to_string() if error else event.message or "", settings.max_error_chars),
            }
        )
    # A run can fail outside any step (run worker crash, resource init): then only the run event says why.
    run_error = getattr(context.failure_event.event_specific_data, "error", None)
    summary = context.failure_event.message or f"Run {run.run_id} failed"
    parts = [summary]
    parts += [f"[{s['step_key']}] {s['error']}" for s in steps]
    if run_error is not None and not steps:
        parts.append(_cut(run_error.to_string(), settings.max_error_chars))
    payload: dict[str, Any] = {
        "event": "dagster_run_failure",
        "profile": profile,
        "run_id": run.run_id,
        "job_name": run.job_name,
        "status": run.status.value,
        "run_url": f"{base_url}/runs/{run.run_id}",
        "error": "\n\n".join(parts),
        "step_failures": steps,
        "detected_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    payload.update({name: run.tags[tag] for tag, name in _TAGS.items() if tag in run.tags})
    return payload


WILL_RETRY_TAG = "dagster/will_retry"  # set by Dagster on a failed run that run_retries will re-execute


def build_failure_alert_sensor(
    settings: AlertSettings,
    profile: str,
    data_root: str,
    default_status: DefaultSensorStatus = DefaultSensorStatus.RUNNING,
) -> SensorDefinition:
    """A run-failure sensor over every job of this code location (asset jobs, ad-hoc materialisations,
    maintenance), delivering through the configured channels."""

    @run_failure_sensor(
        name=FAILURE_SENSOR,
        default_status=default_status,
        minimum_interval_seconds=30,
        description="Sends every failed run's link and error to the profile's alert channels "
        "(local store, webhooks, Slack, e-mail).",
    )
    def run_failure_alerts(context: RunFailureSensorContext) -> None:
        # A run the instance will retry (run_retries: a lost worker) is not final: its retry alerts if it
        # fails too, so each final failure alerts once. Dagster tags the failed run when it records it.
        if context.dagster_run.tags.get(WILL_RETRY_TAG) == "true":
            context.log.info("Run %s failed and will be retried: no alert", context.dagster_run.run_id)
            return
        # A missing base URL must not cost the alert: send it with a relative link, then fail the tick.
        url_problem: AlertDeliveryError | None = None
        try:
            base_url = webserver_url(settings)
        except AlertDeliveryError as exc:
            base_url, url_problem = "", exc
        payload = failure_payload(context, settings, profile, base_url)
        context.log.error("Run %s of %s failed: %s", payload["run_id"], payload["job_name"], payload["run_url"])
        delivered = deliver(payload, settings, data_root)
        context.log.info("Alert for run %s delivered to %s", payload["run_id"], ", ".join(delivered) or "no channel")
        if url_problem is not None:
            raise url_problem

    return run_failure_alerts
