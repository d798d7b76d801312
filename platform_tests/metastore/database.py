"""A fresh Hive metastore for one test session: the database `<test database>_metastore` on the PostgreSQL
server that `make test` starts (scripts/test_databases.sh creates it; LAKEHOUSE_TEST_METASTORE_URL names
another), emptied at the start and its Hive tables created by the platform's own code
(lakehouse.resources.metastore). Tables by name in it are real shared metastore tables: every process
given these settings sees them. One metastore suite at a time per test server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg2

from lakehouse.config.profile import MetastoreSettings
from lakehouse.resources.metastore import create_schema, ivy_jar

TEST_CATALOG_ENV = "LAKEHOUSE_TEST_CATALOG"  # `metastore`: the suite's tables by name in a fresh metastore
PG_URL_ENV = "LAKEHOUSE_TEST_PG_URL"
METASTORE_URL_ENV = "LAKEHOUSE_TEST_METASTORE_URL"  # postgresql://user:password@host:port/database
USER_ENV, PASSWORD_ENV = "LAKEHOUSE_TEST_METASTORE_USER", "LAKEHOUSE_TEST_METASTORE_PASSWORD"


def wanted() -> bool:
    return os.environ.get(TEST_CATALOG_ENV) == "metastore"


def database_url() -> str:
    """The metastore database's libpq URL: LAKEHOUSE_TEST_METASTORE_URL, or the test database's + `_metastore`."""
    explicit = os.environ.get(METASTORE_URL_ENV)
    if explicit:
        return explicit
    url = os.environ.get(PG_URL_ENV)
    if not url:
        raise RuntimeError(f"{TEST_CATALOG_ENV}=metastore needs {PG_URL_ENV} (or {METASTORE_URL_ENV}): run "
                           "`bash scripts/test_databases.sh` and source .test-databases.env (make test does both)")
    return urlunsplit(urlsplit(url)._replace(path=urlsplit(url).path + "_metastore"))


@contextmanager
def fresh_metastore(ivy_home: str) -> Iterator[MetastoreSettings]:
    """Profile settings of the test metastore, emptied first (its `public` schema dropped and re-created)."""
    url = database_url()
    parts = urlsplit(url)
    os.environ[USER_ENV], os.environ[PASSWORD_ENV] = parts.username or "", parts.password or ""
    settings = MetastoreSettings(url=f"jdbc:postgresql://{parts.hostname}:{parts.port or 5432}{parts.path}",
                                 user_env=USER_ENV, password_env=PASSWORD_ENV)
    _execute(url, "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    create_schema(str(settings.url), parts.username, parts.password, settings.driver,
                  ivy_jar(ivy_home, settings.driver_package))
    yield settings


def metastore_tables() -> set[str]:
    """`<database>.<table>` of every table the test metastore holds (its TBLS and DBS rows)."""
    connection = psycopg2.connect(database_url())
    try:
        with connection.cursor() as cursor:
            cursor.execute('SELECT d."NAME", t."TBL_NAME" FROM "TBLS" t JOIN "DBS" d ON t."DB_ID" = d."DB_ID"')
            return {f"{database}.{table}" for database, table in cursor.fetchall()}
    finally:
        connection.close()


def _execute(url: str, statement: str) -> None:
    connection = psycopg2.connect(url)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()
