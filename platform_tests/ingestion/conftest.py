"""The JDBC tests' source_db fixture, registered here so the test modules need not import it (an imported
fixture that a test then takes as a parameter reads to linters as an unused, redefined name)."""

from platform_tests.ingestion.jdbc_fixtures import source_db  # noqa: F401  (fixture: pytest finds it by name)
