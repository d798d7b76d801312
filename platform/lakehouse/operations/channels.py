"""Alert delivery: local store, generic JSON webhooks, Slack incoming webhook, SMTP.

Every configured channel is tried, then one `AlertDeliveryError` names every channel that failed: a
Slack outage must not stop the e-mail, and no failure is hidden. The local store is written first, so
an alert survives every remote channel being down. Secrets (webhook URLs carry their token, SMTP
passwords) are read from the environment through dagster.EnvVar at send time and never appear in a
message or log line: errors name the channel and the variable, not the value.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any

from dagster import EnvVar

from lakehouse.config.operations import AlertSettings, EmailChannel, SlackChannel, WebhookChannel
from lakehouse.config.profile import resolve_data_root

log = logging.getLogger(__name__)
ALERTS_FILE = Path("alerts") / "alerts.jsonl"


class AlertDeliveryError(RuntimeError):
    """One or more channels could not deliver an alert (the others did)."""


def env_value(name: str, what: str) -> str:
    value = EnvVar(name).get_value()
    if not value:
        raise AlertDeliveryError(f"{what}: environment variable {name} is not set")
    return value


def alerts_file(data_root: str) -> Path:
    return resolve_data_root(data_root) / ALERTS_FILE


def append_local(payload: dict[str, Any], data_root: str) -> Path:
    """One JSON line per alert; an append of one short line is atomic enough for a daemon's ticks."""
    path = alerts_file(data_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(payload, sort_keys=True) + "\n")
    return path


def _post_json(url: str, body: dict[str, Any], timeout: float, headers: dict[str, str] | None = None) -> int:
    try:
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json", **(headers or {})},
            method="POST",
        )
    except ValueError:
        # urllib's message quotes the URL, and the URL is the credential.
        raise AlertDeliveryError("the URL in the environment variable is not a valid http(s) URL") from None
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) from config)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        # str(HTTPError) holds no URL; re-raise without the request so the token never reaches a log.
        raise AlertDeliveryError(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise AlertDeliveryError(f"not reachable: {exc.reason}") from None


def send_webhook(channel: WebhookChannel, payload: dict[str, Any], timeout: float) -> None:
    headers = {}
    if channel.authorization_env:
        headers["Authorization"] = env_value(channel.authorization_env, f"webhook {channel.name}")
    _post_json(env_value(channel.url_env, f"webhook {channel.name}"), payload, timeout, headers)


def slack_message(payload: dict[str, Any]) -> dict[str, Any]:
    """Slack's `text` with mrkdwn: a linked headline and the error in a code block."""
    headline = f":rotating_light: *{payload['job_name']}* failed ({payload['profile']})"
    if payload.get("partition"):
        headline += f", partition `{payload['partition']}`"
    error = payload["error"][:2500].replace("```", "'''")
    return {"text": f"{headline}\n<{payload['run_url']}|Run {payload['run_id']}>\n```{error}```"}


def send_slack(channel: SlackChannel, payload: dict[str, Any], timeout: float) -> None:
    _post_json(env_value(channel.webhook_url_env, "slack"), slack_message(payload), timeout)


def email_message(channel: EmailChannel, payload: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"[lakehouse {payload['profile']}] run failed: {payload['job_name']}"
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.recipients)
    lines = [
        f"Job: {payload['job_name']}",
        f"Run: {payload['run_url']}",
        f"Partition: {payload.get('partition') or '-'}",
        f"Detected at: {payload['detected_at']}",
        "",
        payload["error"],
    ]
    message.set_content("\n".join(lines))
    return message


def send_email(channel: EmailChannel, payload: dict[str, Any], timeout: float) -> None:
    host = env_value(channel.host_env, "email")
    context = ssl.create_default_context()
    smtp_class = smtplib.SMTP_SSL if channel.security == "ssl" else smtplib.SMTP
    kwargs: dict[str, Any] = {"context": context} if channel.security == "ssl" else {}
    with smtp_class(host, channel.port, timeout=timeout, **kwargs) as smtp:
        if channel.security == "starttls":
            smtp.starttls(context=context)
        if channel.user_env:
            password = env_value(channel.password_env, "email") if channel.password_env else ""
            smtp.login(env_value(channel.user_env, "email"), password)
        smtp.send_message(email_message(channel, payload))


def deliver(payload: dict[str, Any], settings: AlertSettings, data_root: str) -> list[str]:
    """Send one alert to every configured channel; returns the channels that delivered it."""
    senders: list[tuple[str, Callable[[], object]]] = []
    if settings.local_store:
        senders.append(("local_store", lambda: append_local(payload, data_root)))
    for hook in settings.webhooks:
        senders.append((f"webhook:{hook.name}", partial(send_webhook, hook, payload, settings.timeout_seconds)))
    if settings.slack:
        slack = settings.slack
        senders.append(("slack", lambda: send_slack(slack, payload, settings.timeout_seconds)))
    if settings.email:
        email = settings.email
        senders.append(("email", lambda: send_email(email, payload, settings.timeout_seconds)))

    delivered: list[str] = []
    failures: list[tuple[str, BaseException]] = []
    for name, send in senders:
        try:
            send()
        except (AlertDeliveryError, OSError, ValueError, smtplib.SMTPException) as exc:
            # Collected, not swallowed: raised below once every other channel had its chance.
            failures.append((name, exc))
            log.error("Alert for run %s not delivered to %s: %s", payload["run_id"], name, exc)
        else:
            delivered.append(name)
    if failures:
        details = "; ".join(f"{name}: {type(exc).__name__}: {exc}" for name, exc in failures)
        raise AlertDeliveryError(
            f"Alert for run {payload['run_id']} failed on {len(failures)} channel(s) ({details}); "
            f"delivered to {delivered or 'none'}"
        ) from failures[0][1]
    return delivered
