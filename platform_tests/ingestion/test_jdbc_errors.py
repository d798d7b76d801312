"""A source that cannot be read fails the run with an error naming it, and commits nothing."""

import pytest
from delta.tables import DeltaTable

from lakehouse.resources.delta_write import table_exists
from lakehouse.resources.jdbc import JdbcConnection
from platform_tests.ingestion.jdbc_fixtures import run, unique_table


def _versions(spark, target: str) -> list[int]:
    names = (target, f"{target}_history", f"{target}_quarantine")
    return [DeltaTable.forName(spark, name).history(1).first()["version"] for name in names]


def test_unreachable_database_names_the_source_and_creates_no_table(spark, spark_resource, resources, instance):
    target = unique_table("customers")
    closed_port = JdbcConnection(url="jdbc:postgresql://127.0.0.1:1/lakehouse_test", driver="org.postgresql.Driver",
                                 user="reader", password="secret-value")
    res = {**resources, "customers_db": closed_port}
    pattern = r"Source 'customers_[0-9a-f]{8}': reading table 'customers' over connection 'customers_db' .*refused"
    with pytest.raises(Exception, match=pattern) as failure:
        run("customers", res, instance, "2026-01-02", {"target_table": target})
    assert "secret-value" not in str(failure.value)
    schema, _, table = target.partition(".")
    for suffix in ("", "_history", "_quarantine"):
        assert not table_exists(spark, spark_resource.table(schema, table + suffix))


@pytest.mark.databases
@pytest.mark.parametrize("source_db", ["LAKEHOUSE_TEST_PG_URL"], indirect=True)
def test_wrong_password_names_the_source_and_commits_nothing(spark, resources, instance, source_db):
    target = unique_table("customers")
    config = {"data_source": f"{source_db.prefix}customers", "target_table": target}
    run("customers", {**resources, "customers_db": source_db.connection}, instance, "2026-01-02", config)
    before = _versions(spark, target)

    good = source_db.connection
    wrong = JdbcConnection(url=good.url, driver=good.driver, user=good.user, password="not-the-password")
    pattern = r"Source 'customers_[0-9a-f]{8}'.*connection 'customers_db'.*password authentication failed"
    with pytest.raises(Exception, match=pattern) as failure:
        run("customers", {**resources, "customers_db": wrong}, instance, "2026-01-03", config)
    assert "not-the-password" not in str(failure.value)
    assert _versions(spark, target) == before
