"""Environment profiles: complete, consistent, and free of secrets (the scanner is proven on plants)."""

from __future__ import annotations

import pytest

from lakehouse.config.profile import REPO_ROOT, known_profiles, load_profile
from lakehouse.operations.secret_scan import config_files, scan, scan_text

PROFILES = known_profiles()
DEPLOYED = ("dev", "staging", "prod")


def test_no_secret_in_any_profile_template_or_workflow() -> None:
    files = config_files()
    names = {p.name for p in files}
    assert {"prod.yaml", "local.yaml", "dagster.prod.yaml", "dagster.yaml", "ci.yml"} <= names
    findings = scan(files)
    assert not findings, "\n".join(str(f) for f in findings)


@pytest.mark.parametrize(
    ("planted", "rule"),
    [
        ("slack:\n  webhook_url: https://hooks.slack.com/services/T0001/B0001/abcdefXYZ\n", "slack webhook"),
        ("mlflow:\n  tracking_uri: https://ml:Sup3rS3cret@mlflow.internal\n", "credentials in a URL"),
        ("connections:\n  db:\n    password: hunter2\n", "secret-like key 'password'"),
        ("databricks:\n  token: dapi0123456789abcdef0123456789abcdef\n", "databricks token"),
        ("storage:\n  postgres:\n    postgres_db:\n      password: s3cr3t-pg\n", "secret-like key 'password'"),
        ("env:\n  SLACK_TOKEN: xoxb-1234567890-abcdefghij\n", "slack token"),
    ],
)
def test_the_scanner_finds_planted_secrets(planted: str, rule: str) -> None:
    findings = scan_text(planted, "planted.yaml")
    assert any(rule in f.rule for f in findings), findings
    assert all("hunter2" not in str(f) and "s3cr3t" not in str(f) for f in findings)  # never echoes a value


def test_the_scanner_accepts_references_to_the_environment() -> None:
    clean = (
        "email:\n  password_env: LAKEHOUSE_SMTP_PASSWORD\n"
        "storage:\n  postgres:\n    postgres_db:\n      password: {env: DAGSTER_PG_PASSWORD}\n"
        "steps:\n  - env:\n      TOKEN: ${{ secrets.DATABRICKS_TOKEN }}\n"
    )
    assert scan_text(clean) == []


@pytest.mark.parametrize("name", PROFILES)
def test_every_profile_loads_with_alerts_and_maintenance(name: str) -> None:
    profile = load_profile(name)
    assert profile.maintenance.vacuum_retention_hours >= 168
    assert (REPO_ROOT / profile.dagster.instance_template).is_file()
    assert profile.alerts.local_store  # an audit trail in every environment


@pytest.mark.parametrize("name", DEPLOYED)
def test_deployed_profiles_link_to_their_webserver_and_alert_a_person(name: str) -> None:
    profile = load_profile(name)
    assert profile.alerts.webserver_url_env == "DAGSTER_WEBSERVER_URL"
    assert profile.alerts.slack is not None or profile.alerts.webhooks or profile.alerts.email is not None
    assert not profile.maintenance.dry_run and profile.maintenance.schedule_running
    assert profile.mlflow.tracking_uri == "databricks"  # remote: the server comes from DATABRICKS_HOST


def test_environment_differences_that_matter() -> None:
    local, staging, prod = (load_profile(n) for n in ("local", "staging", "prod"))
    assert local.maintenance.dry_run and not local.maintenance.schedule_running
    assert local.dagster.instance_template.endswith("dagster.yaml")
    assert staging.dagster.instance_template.endswith("dagster.prod.yaml")
    assert prod.dagster.instance_template.endswith("dagster.prod.yaml")
    assert prod.maintenance.vacuum_retention_hours > staging.maintenance.vacuum_retention_hours
    assert prod.alerts.email is not None and prod.alerts.webhooks
    assert len({p.storage.catalog_name for p in (load_profile("dev"), staging, prod)}) == 3
