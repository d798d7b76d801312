"""Source locations stay inside the data root or an allow-listed root (issue 16, item 7). No Spark."""

from pathlib import Path

import pytest
from dagster import materialize
from pydantic import ValidationError

from lakehouse.config.dataset import load_dataset
from lakehouse.config.locations import LocationRefused, SourceRoots
from lakehouse.config.profile import StorageSettings, load_profile
from lakehouse.config.sources import load_sources
from lakehouse.ingestion.assets import BUILDERS
from lakehouse.partitions import build_calendar
from lakehouse.profile_resources import build_resources

CSV = "transaction_id,customer_id,merchant_id,event_time,amount,currency,channel,category,country,device_id,entry_mode\n"


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    root, outside, allowed = tmp_path / "root", tmp_path / "elsewhere", tmp_path / "mounted"
    for folder in (root / "landing" / "pos", outside, allowed / "feed"):
        folder.mkdir(parents=True)
    (root / "escape").symlink_to(outside)  # a symlink inside the root pointing out of it
    (root / "inside_link").symlink_to(root / "landing")
    (allowed / "escape").symlink_to(outside)
    return {"root": root, "outside": outside, "allowed": allowed}


@pytest.mark.parametrize("value", ["landing/pos", "landing/../landing/pos", "inside_link/pos", "."])
def test_locations_inside_the_data_root_are_accepted(layout, value):
    roots = SourceRoots.of(layout["root"])
    assert roots.resolve(value) == layout["root"] / value  # the path as joined: used strings do not change
    assert roots.resolve(str(layout["root"] / value)) == layout["root"] / value  # absolute, inside


@pytest.mark.parametrize("value", ["../elsewhere", "landing/../../elsewhere", "escape", "escape/sub", "/etc", "OUTSIDE"])
def test_locations_outside_are_refused_with_the_path_and_the_rule(layout, value):
    value = str(layout["outside"]) if value == "OUTSIDE" else value
    with pytest.raises(LocationRefused) as refused:
        SourceRoots.of(layout["root"]).resolve(value, "data_source")
    message = str(refused.value)
    assert repr(value) in message and "storage.allowed_source_roots" in message and "Nothing was read" in message


def test_an_allow_listed_root_is_accepted_but_its_symlinks_do_not_escape(layout):
    roots = SourceRoots.of(layout["root"], [str(layout["allowed"])])
    assert roots.resolve(str(layout["allowed"] / "feed")) == layout["allowed"] / "feed"
    with pytest.raises(LocationRefused):
        roots.resolve(str(layout["allowed"] / "escape"))
    with pytest.raises(LocationRefused, match="must lie inside the data root"):
        roots.resolve(str(layout["allowed"] / "feed"), "checkpoint_path", data_root_only=True)


@pytest.mark.parametrize("value", ["", "  ", "s3://bucket/landing", "dbfs:/Volumes/x"])
def test_empty_values_and_uris_are_refused(layout, value):
    with pytest.raises(LocationRefused):
        SourceRoots.of(layout["root"]).resolve(value)


def test_a_symlinked_file_inside_the_landing_zone_is_refused(layout):
    secret = layout["outside"] / "secret.csv"
    secret.write_text(CSV)
    day = layout["root"] / "landing" / "pos" / "2026-01-02"
    day.mkdir()
    (day / "ok.csv").write_text(CSV)
    (day / "linked.csv").symlink_to(secret)
    roots = SourceRoots.of(layout["root"])
    assert roots.check_all([day / "ok.csv"], "file") == [day / "ok.csv"]
    with pytest.raises(LocationRefused, match="linked.csv"):
        roots.check_all([day / "ok.csv", day / "linked.csv"], "file")


def test_the_profile_field_takes_absolute_paths_only():
    assert StorageSettings().allowed_source_roots == []
    assert StorageSettings(allowed_source_roots=["/mnt/feeds"]).allowed_source_roots == ["/mnt/feeds"]
    with pytest.raises(ValidationError, match="must be absolute"):
        StorageSettings(allowed_source_roots=["feeds"])


def test_the_asset_refuses_a_data_source_outside_the_data_root_before_reading(tmp_path, instance):
    """The issue's case: a folder elsewhere on the machine was accepted and read into bronze."""
    outside = tmp_path / "elsewhere"
    (outside / "2026-01-02").mkdir(parents=True)
    (outside / "2026-01-02" / "pos.csv").write_text(CSV)
    root = tmp_path / "root"
    dataset = load_dataset("card_fraud")
    source = load_sources("card_fraud")["transactions_pos"]
    ingest = BUILDERS[source.format](source, dataset, build_calendar(dataset.partitions))
    resources = build_resources(load_profile("local"), str(root))
    run_config = {"ops": {f"ingest_{source.name}": {"config": {"data_source": str(outside)}}}}
    result = materialize([ingest], resources=resources, instance=instance, partition_key="2026-01-02",
                         run_config=run_config, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    error = str(failure.event_specific_data.error)
    assert "LocationRefused" in error and str(outside) in error and "allowed_source_roots" in error
    assert not (root / "warehouse").exists()  # no Spark session, no table
