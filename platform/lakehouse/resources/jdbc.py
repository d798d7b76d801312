"""JDBC connections: one Dagster resource per entry of the profile's `connections:` section.

Credentials never live in the repository or in run config. A profile names the environment variables
that hold them (`url_env`, `user_env`, `password_env`) and they become `dagster.EnvVar` fields, which
Dagster resolves when a run starts, so loading definitions reads no secret and the UI shows only the
variable names. The password is excluded from repr and never put into logs, errors or metadata.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from lakehouse.config.profile import Profile, resolve_data_root

DRIVERS = {
    "postgresql": "org.postgresql.Driver",
    "mysql": "org.mariadb.jdbc.Driver",
    "sqlite": "org.sqlite.JDBC",
}
# Keys build_resources already uses: a connection must not shadow them.
_RESERVED = {"spark", "io_manager"}


class JdbcConnection(ConfigurableResource):
    """A JDBC database that sources read from (read-only use: ingestion never writes to sources)."""

    url: str = Field(
        repr=False,  # meant to hold no credentials, but some drivers accept them in the URL
        description="JDBC URL without credentials; `{data_root}` becomes the data root at run time.",
    )
    driver: str = Field(description="JDBC driver class, e.g. org.postgresql.Driver.")
    user: str | None = Field(default=None, description="User name (usually an EnvVar).")
    password: str | None = Field(default=None, repr=False, description="Password (always an EnvVar outside tests).")
    data_root: str = Field(default=".lakehouse", description="Profile data root, for `{data_root}` in the URL.")

    def jdbc_url(self) -> str:
        """The URL Spark should use, resolved at run time (never at import)."""
        url = self.url.replace("{data_root}", str(resolve_data_root(self.data_root)))
        return spark_dialect_url(url, self.driver)

    def spark_options(self) -> dict[str, str]:
        """Options for spark.read.format('jdbc'): holds the password, so never log or return it."""
        require_database_file(self.jdbc_url())
        options = {"url": self.jdbc_url(), "driver": self.driver}
        if self.user is not None:
            options["user"] = self.user
        if self.password is not None:
            options["password"] = self.password
        return options

    def describe(self) -> str:
        """A loggable description: URL without user info or query parameters (which may hold secrets)."""
        url = re.sub(r"//[^/@]*@", "//", self.jdbc_url())
        return url.split("?", 1)[0]

    def redact(self, text: str) -> str:
        """Remove the password from a (driver) message before it reaches an error or a log."""
        # Below 4 characters every occurrence of e.g. "a" would be masked, which only garbles the message.
        return text.replace(self.password, "***") if self.password and len(self.password) >= 4 else text

    @classmethod
    def from_sqlalchemy_url(cls, url: str, data_root: str = ".lakehouse") -> JdbcConnection:
        """The demo generator and the test servers speak SQLAlchemy URLs; Spark needs JDBC ones."""
        import sqlalchemy as sa  # only tests and the demo need it; keeps definition loading fast

        parsed = sa.engine.make_url(url)
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            return cls(url=f"jdbc:sqlite:{parsed.database}", driver=DRIVERS["sqlite"], data_root=data_root)
        kind = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql"}.get(backend)
        if kind is None:
            raise ValueError(f"No JDBC mapping for SQLAlchemy backend {backend!r}")
        port = f":{parsed.port}" if parsed.port else ""
        # Query parameters are not carried over: they belong to the Python driver, not to the JDBC one.
        jdbc = f"jdbc:{kind}://{parsed.host}{port}/{parsed.database or ''}"
        return cls(
            url=jdbc,
            driver=DRIVERS[kind],
            user=parsed.username,
            password=parsed.password,
            data_root=data_root,
        )


def sqlite_database_file(url: str) -> Path | None:
    """The file a `jdbc:sqlite:` URL names (None for other databases and in-memory SQLite)."""
    if not url.startswith("jdbc:sqlite:"):
        return None
    target = url[len("jdbc:sqlite:"):].split("?", 1)[0]
    if target.startswith("file:"):  # URI form: file:/path, file:///path or file:relative
        rest = target[len("file:"):]
        target = "/" + rest.lstrip("/") if rest.startswith("/") else rest
    if target in ("", ":memory:") or target.startswith(":resource:"):
        return None
    return Path(target)


def require_database_file(url: str) -> None:
    """Refuse a missing SQLite file before any driver opens it: the SQLite driver would create an empty
    database there, and the run would fail later with a misleading "no such table" (issue 16)."""
    path = sqlite_database_file(url)
    if path is not None and not path.is_file():
        raise FileNotFoundError(
            f"source database file {path} not found (nothing was created); generate the demo sources "
            "(`make run`, or `python -m lakehouse_tools.demo generate --root <data root>`) or point the "
            "connection's URL at an existing file"
        )


def spark_dialect_url(url: str, driver: str) -> str:
    """Spark picks its SQL dialect from the URL prefix and knows `jdbc:mysql` only. With a
    `jdbc:mariadb:` URL it would quote identifiers with double quotes, which MySQL/MariaDB read as
    string literals. So MariaDB Connector/J gets the mysql scheme, which it accepts with
    `permitMysqlScheme`."""
    if driver != DRIVERS["mysql"]:
        return url
    if url.startswith("jdbc:mariadb:"):
        url = "jdbc:mysql:" + url[len("jdbc:mariadb:") :]
    if url.startswith("jdbc:mysql:") and "permitMysqlScheme" not in url:
        url += ("&" if "?" in url else "?") + "permitMysqlScheme"
    return url


def jdbc_connections(profile: Profile, data_root: str | None = None) -> dict[str, JdbcConnection]:
    """One resource per named connection; env-backed fields are EnvVar, resolved when a run starts."""
    resources: dict[str, JdbcConnection] = {}
    for name, settings in profile.connections.items():
        if name in _RESERVED:
            raise ValueError(f"Connection name {name!r} is reserved for another resource; rename it")
        if (settings.url is None) == (settings.url_env is None):
            raise ValueError(f"Connection {name!r}: set exactly one of `url` and `url_env` in profile {profile.name!r}")
        fields: dict[str, Any] = {
            "url": settings.url if settings.url is not None else EnvVar(settings.url_env or ""),
            "driver": settings.driver,
            "data_root": data_root or profile.storage.data_root,
        }
        if settings.user_env:
            fields["user"] = EnvVar(settings.user_env)
        if settings.password_env:
            fields["password"] = EnvVar(settings.password_env)
        resources[name] = JdbcConnection(**fields)
    return resources
