"""Merchants: a full snapshot per daily partition from real MariaDB; atomic, idempotent, history kept."""

import pytest
import sqlalchemy as sa
from delta.tables import DeltaTable

from lakehouse.resources.jdbc import JdbcConnection
from platform_tests.ingestion.jdbc_fixtures import (
    TINY,
    checks_passed,
    metadata,
    run,
    unique_table,
)

pytestmark = pytest.mark.databases


def _tiers(spark, target: str, day: str) -> dict[str, str]:
    rows = spark.table(target).where(f"landing_date = DATE'{day}'").collect()
    return {r["merchant_id"]: r["risk_tier"] for r in rows}


@pytest.mark.parametrize("source_db", ["LAKEHOUSE_TEST_MYSQL_URL"], indirect=True)
def test_snapshot_partitions_are_atomic_idempotent_and_keep_history(spark, resources, instance, source_db):
    target = unique_table("merchants")
    res = {**resources, "merchants_db": source_db.connection}
    config = {"data_source": f"{source_db.prefix}merchants", "target_table": target}

    first = run("merchants", res, instance, "2026-01-02", config)
    meta = metadata(first, "bronze", "merchants")
    assert (meta["rows_read"], meta["rows_loaded"], meta["rows_quarantined"]) == (TINY.merchants, TINY.merchants, 0)
    assert checks_passed(first) == {"contract": True, "reconciliation": True}
    day_one = _tiers(spark, target, "2026-01-02")
    assert len(day_one) == TINY.merchants

    # Re-running the day replaces exactly that partition, in one commit per table.
    table = DeltaTable.forName(spark, target)
    version = table.history(1).first()["version"]
    run("merchants", res, instance, "2026-01-02", config)
    commits = table.history().where(f"version > {version}").collect()
    assert len(commits) == 1 and commits[0]["operation"] == "WRITE"
    assert "landing_date" in commits[0]["operationParameters"]["predicate"]  # replaceWhere on the day
    assert _tiers(spark, target, "2026-01-02") == day_one

    # The next day's snapshot sees the change and a bad row; the first day keeps its snapshot.
    merchants = source_db.merchants
    changed = sorted(day_one)[0]
    new_tier = "high" if day_one[changed] != "high" else "low"
    source_db.execute(sa.update(merchants).where(merchants.c.merchant_id == changed).values(risk_tier=new_tier))
    source_db.execute(sa.insert(merchants).values(
        merchant_id="M99999", name="Odd Shop", category="gaming", country="DE", risk_tier="extreme",
        updated_at=sa.func.now(),
    ))
    second = run("merchants", res, instance, "2026-01-03", config)
    meta = metadata(second, "bronze", "merchants")
    assert (meta["rows_read"], meta["rows_loaded"], meta["rows_quarantined"]) == (TINY.merchants + 1, TINY.merchants, 1)
    assert checks_passed(second)["reconciliation"] is True
    assert _tiers(spark, target, "2026-01-03")[changed] == new_tier
    assert _tiers(spark, target, "2026-01-02")[changed] == day_one[changed]
    (bad,) = spark.table(f"{target}_quarantine").collect()
    assert bad["reason"].startswith("risk_tier: not one of") and '"M99999"' in bad["raw_record"]
    assert bad["source_table"] == f"merchants_db.{source_db.prefix}merchants"


@pytest.mark.parametrize("source_db", ["LAKEHOUSE_TEST_MYSQL_URL"], indirect=True)
def test_wrong_password_names_the_source_and_keeps_the_snapshot(spark, resources, instance, source_db):
    target = unique_table("merchants")
    config = {"data_source": f"{source_db.prefix}merchants", "target_table": target}
    run("merchants", {**resources, "merchants_db": source_db.connection}, instance, "2026-01-02", config)
    version = DeltaTable.forName(spark, target).history(1).first()["version"]

    good = source_db.connection
    wrong = JdbcConnection(url=good.url, driver=good.driver, user=good.user, password="not-the-password")
    with pytest.raises(Exception, match=r"Source 'merchants_[0-9a-f]{8}'.*connection 'merchants_db'.*Access denied") as failure:
        run("merchants", {**resources, "merchants_db": wrong}, instance, "2026-01-02", config)
    assert "not-the-password" not in str(failure.value)
    assert DeltaTable.forName(spark, target).history(1).first()["version"] == version  # nothing committed
    assert len(_tiers(spark, target, "2026-01-02")) == TINY.merchants
