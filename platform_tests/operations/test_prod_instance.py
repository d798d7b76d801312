"""The prod Dagster instance template on a real PostgreSQL server (the test server from
.test-databases.env), in a schema of its own that is dropped afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse
from uuid import uuid4

import psycopg2
import pytest
import yaml
from dagster import AssetKey, DagsterInstance, asset, materialize
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from lakehouse.config.profile import REPO_ROOT, load_profile

pytestmark = pytest.mark.databases
TEMPLATE = REPO_ROOT / "scripts" / "templates" / "dagster.prod.yaml"


@asset
def heartbeat() -> int:
    return 42


@pytest.fixture
def pg_schema() -> Iterator[tuple[dict[str, str], str]]:
    url = os.environ.get("LAKEHOUSE_TEST_PG_URL")
    if not url:
        pytest.fail("LAKEHOUSE_TEST_PG_URL is not set: run scripts/test_databases.sh (make test does)")
    parsed = urlparse(url)
    dsn = {
        "host": parsed.hostname or "127.0.0.1",
        "port": str(parsed.port or 5432),
        "dbname": parsed.path.lstrip("/"),
        "user": unquote(parsed.username or ""),
        "password": unquote(parsed.password or ""),
    }
    # The test role may not create databases: a schema of its own isolates the instance just as well.
    schema = f"dagster_instance_{uuid4().hex[:8]}"
    with psycopg2.connect(**dsn) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {schema}")
    try:
        yield dsn, schema
    finally:
        conn = psycopg2.connect(**dsn)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(f"DROP SCHEMA {schema} CASCADE")
        finally:
            conn.close()


def test_prod_template_takes_every_connection_setting_from_the_environment() -> None:
    config = yaml.safe_load(TEMPLATE.read_text())
    db = config["storage"]["postgres"]["postgres_db"]
    settings = {k: v for k, v in db.items() if k not in ("params", "scheme")}
    assert set(settings) == {"hostname", "port", "db_name", "username", "password"}
    assert all(isinstance(v, dict) and set(v) == {"env"} for v in settings.values()), settings
    assert db["params"] == {"sslmode": "require"}
    for name in ("staging", "prod"):
        assert load_profile(name).dagster.instance_template == "scripts/templates/dagster.prod.yaml"
    assert (REPO_ROOT / load_profile("local").dagster.instance_template).exists()


def test_instance_from_the_prod_template_runs_a_materialisation_in_postgres(
    pg_schema: tuple[dict[str, str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn, schema = pg_schema
    config = yaml.safe_load(TEMPLATE.read_text())
    # Only the parameters differ from production: this schema first on the search path, and no TLS
    # (the local test server has no certificate).
    params = {"options": f"-csearch_path={schema}", "sslmode": "disable"}
    config["storage"]["postgres"]["postgres_db"]["params"] = params
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    for var, key in {"HOST": "host", "PORT": "port", "DB": "dbname", "USER": "user", "PASSWORD": "password"}.items():
        monkeypatch.setenv(f"DAGSTER_PG_{var}", dsn[key])

    with DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        result = materialize([heartbeat], instance=instance)
        assert result.success
        event = instance.get_latest_materialization_event(AssetKey("heartbeat"))
        assert event is not None and event.run_id == result.run_id

    # Read back over a plain connection: the run and its events are rows in this schema.
    with psycopg2.connect(**dsn) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {schema}.runs WHERE run_id = %s AND status = 'SUCCESS'", (result.run_id,))
        assert cur.fetchone()[0] == 1
        cur.execute(
            f"SELECT count(*) FROM {schema}.event_logs WHERE run_id = %s AND dagster_event_type = %s",
            (result.run_id, "ASSET_MATERIALIZATION"),
        )
        assert cur.fetchone()[0] == 1
