"""Run-failure alerts end to end: real failed runs on a real (persistent, temp) DagsterInstance, the
sensor evaluated through Dagster's own run-status machinery (cursor included), real local receivers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, build_sensor_context, job, op

from lakehouse.config.operations import AlertSettings, EmailChannel, SlackChannel, WebhookChannel
from lakehouse.config.profile import DATA_ROOT_ENV_VAR, load_profile
from lakehouse.operations.alerts import build_failure_alert_sensor
from lakehouse.operations.channels import ALERTS_FILE, email_message
from platform_tests.operations.receivers import HttpReceiver, SmtpSink, http_receiver, smtp_sink

SECRET_TOKEN = "T0KEN-never-logged-42"


@op
def post_ledger() -> None:
    raise ValueError("boom 42: ledger out of balance")


@job
def nightly_ledger() -> None:
    post_ledger()


@op
def noop() -> None:
    return None


@job
def healthy() -> None:
    noop()


@pytest.fixture(autouse=True)
def _own_data_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests give the sensor their own data root; the suite's LAKEHOUSE_DATA_ROOT (set by the session
    fixture, and winning over the configured root at run time) must not redirect the local alert store."""
    monkeypatch.delenv(DATA_ROOT_ENV_VAR, raising=False)


@pytest.fixture
def receivers() -> Iterator[tuple[HttpReceiver, SmtpSink]]:
    with http_receiver() as http, smtp_sink() as smtp:
        yield http, smtp


@pytest.fixture
def settings(receivers: tuple[HttpReceiver, SmtpSink], monkeypatch: pytest.MonkeyPatch) -> AlertSettings:
    http, smtp = receivers
    # Secrets only through the environment, as in a deployment.
    monkeypatch.setenv("TEST_ALERT_HOOK_URL", http.url("/hook"))
    monkeypatch.setenv("TEST_ALERT_HOOK_AUTH", f"Bearer {SECRET_TOKEN}")
    monkeypatch.setenv("TEST_SLACK_URL", http.url("/slack"))
    monkeypatch.setenv("TEST_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TEST_SMTP_USER", "alerts")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SECRET_TOKEN)
    monkeypatch.setenv("TEST_WEBSERVER_URL", "https://dagster.test.internal/")
    return AlertSettings(
        webserver_url_env="TEST_WEBSERVER_URL",
        webhooks=[
            WebhookChannel(name="incident", url_env="TEST_ALERT_HOOK_URL", authorization_env="TEST_ALERT_HOOK_AUTH")
        ],
        slack=SlackChannel(webhook_url_env="TEST_SLACK_URL"),
        email=EmailChannel(
            host_env="TEST_SMTP_HOST", port=smtp.port, security="none", sender="lakehouse@test.internal",
            recipients=["oncall@test.internal"], user_env="TEST_SMTP_USER", password_env="TEST_SMTP_PASSWORD",
        ),
        timeout_seconds=5,
    )


def _instance(tmp_path: Path) -> DagsterInstance:
    home = tmp_path / "home"
    home.mkdir()
    return DagsterInstance.local_temp(str(home))


def _tick(sensor, instance: DagsterInstance, cursor: str | None):
    # No repository on the context: runs executed in process have no code-location origin either,
    # which Dagster's run-status sensor matches as "same location" (its documented testing path).
    return sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=cursor))


def _failed_run_after_first_tick(sensor, instance: DagsterInstance):
    first = _tick(sensor, instance, None)  # initialises the cursor: older failures are not re-alerted
    healthy.execute_in_process(instance=instance)
    failed = nightly_ledger.execute_in_process(
        instance=instance, raise_on_error=False, tags={"dagster/partition": "2026-11-20"}
    )
    assert failed.dagster_run.status == DagsterRunStatus.FAILURE
    return first.cursor, failed.dagster_run.run_id


def test_failed_run_alerts_every_channel_once(settings, receivers, tmp_path: Path, caplog) -> None:
    http, smtp = receivers
    data_root = tmp_path / "data"
    sensor = build_failure_alert_sensor(settings, "test", str(data_root))
    with _instance(tmp_path) as instance:
        cursor, run_id = _failed_run_after_first_tick(sensor, instance)
        second = _tick(sensor, instance, cursor)
        assert [r.error for r in second.dagster_run_reactions] == [None]  # delivered, no tick error
        third = _tick(sensor, instance, second.cursor)  # the cursor moved on: nothing is sent twice
        assert not third.dagster_run_reactions

    run_url = f"https://dagster.test.internal/runs/{run_id}"
    [hook] = http.bodies("/hook")
    assert hook["run_id"] == run_id and hook["job_name"] == "nightly_ledger" and hook["run_url"] == run_url
    assert hook["partition"] == "2026-11-20" and hook["status"] == "FAILURE"
    assert [s["step_key"] for s in hook["step_failures"]] == ["post_ledger"]
    assert "boom 42: ledger out of balance" in hook["error"]
    [hook_request] = [r for r in http.requests if r["path"] == "/hook"]
    assert hook_request["headers"]["Authorization"] == f"Bearer {SECRET_TOKEN}"

    [slack] = http.bodies("/slack")
    assert f"<{run_url}|Run {run_id}>" in slack["text"] and "boom 42" in slack["text"]

    [mail] = smtp.messages
    assert mail["Subject"] == "[lakehouse test] run failed: nightly_ledger"
    assert run_url in mail.get_payload() and "boom 42" in mail.get_payload()
    assert smtp.logins == [("alerts", SECRET_TOKEN)] and smtp.envelopes[0]["rcpt"] == ["<oncall@test.internal>"]

    [stored] = [json.loads(line) for line in (data_root / ALERTS_FILE).read_text().splitlines()]
    assert stored["run_id"] == run_id and stored["run_url"] == run_url
    assert SECRET_TOKEN not in caplog.text


def test_a_failing_channel_fails_the_tick_but_not_the_other_channels(
    settings, receivers, tmp_path: Path, caplog
) -> None:
    http, smtp = receivers
    http.status_by_path["/hook"] = 500
    data_root = tmp_path / "data"
    sensor = build_failure_alert_sensor(settings, "test", str(data_root))
    with _instance(tmp_path) as instance:
        cursor, run_id = _failed_run_after_first_tick(sensor, instance)
        second = _tick(sensor, instance, cursor)
    [reaction] = second.dagster_run_reactions
    assert reaction.error is not None, "a failed channel must surface as a sensor error"
    assert "webhook:incident" in reaction.error.message and "HTTP 500" in reaction.error.message
    assert "delivered to ['local_store', 'slack', 'email']" in reaction.error.message
    # The receiver got the POST (then refused it); Slack, e-mail and the local store still have the alert.
    assert len(http.bodies("/hook")) == 1 and len(http.bodies("/slack")) == 1 and len(smtp.messages) == 1
    assert run_id in (data_root / ALERTS_FILE).read_text()
    assert SECRET_TOKEN not in reaction.error.message and SECRET_TOKEN not in caplog.text
    assert "127.0.0.1" not in reaction.error.message  # the webhook URL (it carries tokens) is never echoed


def test_missing_secret_names_the_variable_and_keeps_the_local_record(settings, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TEST_SLACK_URL")
    only_slack = AlertSettings(slack=settings.slack, webserver_url="http://127.0.0.1:3000")
    data_root = tmp_path / "data"
    sensor = build_failure_alert_sensor(only_slack, "test", str(data_root))
    with _instance(tmp_path) as instance:
        cursor, run_id = _failed_run_after_first_tick(sensor, instance)
        [reaction] = _tick(sensor, instance, cursor).dagster_run_reactions
    assert reaction.error is not None and "environment variable TEST_SLACK_URL is not set" in reaction.error.message
    stored = json.loads((data_root / ALERTS_FILE).read_text())
    assert stored["run_url"] == f"http://127.0.0.1:3000/runs/{run_id}"


def test_the_run_link_uses_the_webserver_address_of_the_profile(receivers, tmp_path: Path, monkeypatch) -> None:
    """A profile whose webserver is not on 127.0.0.1:3000 (a literal URL in its YAML, no environment): the
    sensor built from its `alerts` section, as definitions.py builds it, links to that address."""
    http, _ = receivers
    monkeypatch.setenv("TEST_ALERT_HOOK_URL", http.url("/hook"))
    local = load_profile("local")
    alerts = local.alerts.model_copy(update={
        "webserver_url": "http://dagster.lab.internal:8080/",  # trailing slash: no `//runs` in the link
        "webhooks": [WebhookChannel(name="ops", url_env="TEST_ALERT_HOOK_URL")],
    })
    profile = local.model_copy(update={"name": "lab", "alerts": alerts})
    data_root = tmp_path / "data"
    sensor = build_failure_alert_sensor(profile.alerts, profile.name, str(data_root))
    with _instance(tmp_path) as instance:
        cursor, run_id = _failed_run_after_first_tick(sensor, instance)
        [reaction] = _tick(sensor, instance, cursor).dagster_run_reactions
    assert reaction.error is None
    run_url = f"http://dagster.lab.internal:8080/runs/{run_id}"
    [hook] = http.bodies("/hook")
    assert hook["run_url"] == run_url and hook["profile"] == "lab"
    assert json.loads((data_root / ALERTS_FILE).read_text())["run_url"] == run_url


def test_local_profile_links_to_make_dev() -> None:
    # `make dev` serves the UI on 127.0.0.1:3000 (Makefile); the local profile's alert links must match it.
    alerts = load_profile("local").alerts
    assert alerts.webserver_url == "http://127.0.0.1:3000" and alerts.webserver_url_env is None


def test_local_profile_alerts_to_the_store_only() -> None:
    alerts = load_profile("local").alerts
    assert alerts.local_store and not alerts.webhooks and alerts.slack is None and alerts.email is None


def test_email_message_is_built_from_the_payload() -> None:
    channel = EmailChannel(host_env="X", sender="a@test.internal", recipients=["b@test.internal", "c@test.internal"])
    payload = {"profile": "prod", "job_name": "daily_pipeline", "run_url": "https://d/runs/1", "partition": None,
               "detected_at": "2026-11-26T03:00:00+00:00", "error": "it broke", "run_id": "1"}
    message = email_message(channel, payload)
    assert message["To"] == "b@test.internal, c@test.internal"
    assert "Partition: -" in message.get_content() and "https://d/runs/1" in message.get_content()


def test_a_run_that_will_be_retried_is_not_alerted_its_final_failure_is(tmp_path: Path) -> None:
    """run_retries re-executes a failed run: only the failure that is final reaches the channels."""
    settings = AlertSettings()  # the local store only
    data_root = tmp_path / "data"
    sensor = build_failure_alert_sensor(settings, "test", str(data_root))
    home = tmp_path / "home"
    home.mkdir()
    retries = {"run_retries": {"enabled": True, "max_retries": 1}}
    with DagsterInstance.local_temp(str(home), overrides=retries) as instance:
        first = _tick(sensor, instance, None)
        retried = nightly_ledger.execute_in_process(instance=instance, raise_on_error=False,
                                                    tags={"dagster/max_retries": "1"})
        assert instance.get_run_by_id(retried.run_id).tags["dagster/will_retry"] == "true"
        second = _tick(sensor, instance, first.cursor)
        assert not (data_root / ALERTS_FILE).exists()
        final = nightly_ledger.execute_in_process(instance=instance, raise_on_error=False,
                                                  tags={"dagster/max_retries": "0"})  # no retry left: final
        _tick(sensor, instance, second.cursor)
    [stored] = [json.loads(line) for line in (data_root / ALERTS_FILE).read_text().splitlines()]
    assert stored["run_id"] == final.run_id
