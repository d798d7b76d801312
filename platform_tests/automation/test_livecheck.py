"""The live-run helper: `land` reports what a sensor reads; `wait` follows tagged runs to their end."""

from __future__ import annotations

import io

from dagster import AssetKey, DagsterInstance, materialize

from lakehouse.automation.livecheck import land, wait
from platform_tests.automation.stubs import LABELS, stub_assets


def test_land_reports_a_runless_materialisation_with_metadata(instance: DagsterInstance) -> None:
    land(instance, "monitoring/model_performance", "2026-03-02", {"pr_auc": 0.05})
    record = instance.fetch_materializations(AssetKey(["monitoring", "model_performance"]), limit=1).records[0]
    assert record.partition_key == "2026-03-02" and record.asset_materialization.metadata["pr_auc"].value == 0.05


def test_wait_reports_tagged_runs_and_times_out_without_them(instance: DagsterInstance) -> None:
    out = io.StringIO()
    assert not wait(instance, "lakehouse/automation_rule=x", 1, "success", timeout=0, out=out)
    assert "timeout: 0 runs" in out.getvalue()
    materialize(stub_assets(), instance=instance, selection=[LABELS], partition_key="2026-01-05",
                tags={"lakehouse/automation_rule": "x"})
    assert wait(instance, "lakehouse/automation_rule=x", 1, "success", timeout=0, out=out)
    assert "SUCCESS" in out.getvalue() and "2026-01-05" in out.getvalue()
    assert not wait(instance, "lakehouse/automation_rule", 2, "finished", timeout=0, out=io.StringIO())
