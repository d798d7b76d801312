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


def test_sensor_runs_lists_sensor_launched_runs_and_names_repeats(instance: DagsterInstance) -> None:
    from lakehouse.automation.livecheck import sensor_runs

    for _ in range(2):  # the same partition launched twice by a "sensor"
        materialize(stub_assets(), instance=instance, selection=[LABELS], partition_key="2026-01-06",
                    tags={"dagster/sensor_name": "score_on_new_features"})
    materialize(stub_assets(), instance=instance, selection=[LABELS], partition_key="2026-01-07")  # by hand
    out = io.StringIO()
    assert sensor_runs(instance, out=out) == 1
    text = out.getvalue()
    assert "2 sensor runs" in text and "2026-01-06 x2" in text and "2026-01-07" not in text
