"""`make run`'s replay plan (pure parts; the replay itself is `make run`, and `make run DATASET=` is
platform_tests/second_dataset's replay)."""

import os
from datetime import date, timedelta

import pytest

from lakehouse.config.profile import PROFILE_ENV_VAR
from lakehouse_tools.replay import landed_days, trainable_week
from lakehouse_tools.run import CAPTURE_EVERY_DAYS, DEMO_WEEKS, capture_chunks, profile_for, usable_days


@pytest.mark.parametrize("days", [0, 1, 2, 15, 16, DEMO_WEEKS * 7])
def test_every_demo_day_lands_once_and_the_databases_are_read_after_the_first_day(days):
    chunks = capture_chunks(days)
    if days == 0:  # a root already landed up to the last day
        assert chunks == []
        return
    assert sum(chunks) == days and chunks[0] == 1 and all(0 < c <= CAPTURE_EVERY_DAYS for c in chunks)


def test_the_model_trains_on_the_newest_week_that_has_ended_and_is_covered_and_matured():
    first = date(2026, 1, 1)
    last = first + timedelta(days=DEMO_WEEKS * 7 - 1)  # 2026-03-25, a Wednesday
    assert trainable_week(first, last, "card_fraud", newest_week=date(2026, 11, 23)) == date(2026, 3, 23)
    # The week of 03-23 has not ended yet on 03-26: the one before it.
    assert trainable_week(first, last, "card_fraud", newest_week=date(2026, 3, 16)) == date(2026, 3, 16)
    with pytest.raises(SystemExit, match="cover no training week.*Land more days"):
        trainable_week(first, last - timedelta(weeks=3), "card_fraud", newest_week=date(2026, 11, 23))


def test_a_dataset_runs_on_its_own_profile_and_a_profile_of_another_dataset_is_refused(monkeypatch):
    monkeypatch.delenv(PROFILE_ENV_VAR, raising=False)
    assert profile_for("subscription_churn").name == "subscription_churn_local"
    assert os.environ[PROFILE_ENV_VAR] == "subscription_churn_local"  # for every process the run starts
    monkeypatch.delenv(PROFILE_ENV_VAR)
    assert profile_for("card_fraud").name == "local"
    monkeypatch.setenv(PROFILE_ENV_VAR, "local")
    with pytest.raises(SystemExit, match="LAKEHOUSE_PROFILE=local runs dataset 'card_fraud', not 'subscription_churn'"):
        profile_for("subscription_churn")
    monkeypatch.delenv(PROFILE_ENV_VAR)
    with pytest.raises(SystemExit, match="No profile runs dataset 'flights'.*lakehouse new-dataset"):
        profile_for("flights")


def test_the_landed_days_are_the_day_folders_of_the_file_sources(tmp_path):
    for folder in ("landing/transactions_csv/2026-01-03", "landing/transactions_json/2026-01-01",
                   "landing/transactions_csv/.hidden", "landing/transactions_csv/2026-01-02"):
        (tmp_path / folder).mkdir(parents=True)
    assert landed_days(tmp_path, "card_fraud") == [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)]
    assert usable_days(tmp_path, "card_fraud") == (date(2026, 1, 1), date(2026, 1, 3))
    (tmp_path / "landing/transactions_csv/2025-12-31").mkdir()
    with pytest.raises(SystemExit, match="2025-12-31 .. 2025-12-31 are landed before card_fraud's calendar starts"):
        usable_days(tmp_path, "card_fraud")


def test_nothing_landed_is_refused_with_the_command_that_lands(tmp_path):
    with pytest.raises(SystemExit, match="Nothing is landed for card_fraud.*lakehouse land card_fraud"):
        usable_days(tmp_path, "card_fraud")


def test_the_summary_counts_the_tables_of_the_asset_keys(tmp_path, monkeypatch):
    # make run's summary names each asset's table by the key's rule: [<dataset>, <schema>, <table>] ->
    # <schema>.<table> in the dataset's storage (no Spark: the refs only).
    from lakehouse.config.profile import DATA_ROOT_ENV_VAR, load_profile
    from lakehouse.definitions import build_definitions
    from lakehouse.profile_resources import build_resources
    from lakehouse_tools.summary import asset_tables

    monkeypatch.delenv(DATA_ROOT_ENV_VAR, raising=False)  # the suite's root would override tmp_path
    defs = build_definitions(load_profile("local"), str(tmp_path))
    keys = [tuple(k.path) for k in defs.resolve_asset_graph().get_all_asset_keys()]
    refs = asset_tables(build_resources(load_profile("local"), str(tmp_path))["spark"], keys)
    names = {r.name for r in refs}
    assert {"bronze.transactions_pos", "silver.transactions", "scoring.predictions", "ml.training_set"} <= names
    assert all(r.location.startswith(str(tmp_path)) for r in refs)


def test_setup_in_a_project_of_ones_own_reads_the_shipped_jars_and_the_datasets_profile(monkeypatch, tmp_path):
    # `lakehouse new-dataset` writes profiles/<name>_local.yaml only: `make setup` (the jars) and
    # `make dagster-home` (the instance template) must not ask the project for a `local` profile.
    import shutil

    from lakehouse.config.profile import load_profile
    from lakehouse.config.project import DEFAULT_PROJECT_DIR, PROJECT_ENV_VAR
    from lakehouse_tools.warm_jars import platform_spark

    (tmp_path / "profiles").mkdir()
    shutil.copytree(DEFAULT_PROJECT_DIR / "datasets" / "subscription_churn", tmp_path / "datasets" / "subscription_churn")
    shutil.copy(DEFAULT_PROJECT_DIR / "profiles" / "subscription_churn_local.yaml", tmp_path / "profiles")
    monkeypatch.setenv(PROJECT_ENV_VAR, str(tmp_path))
    monkeypatch.delenv(PROFILE_ENV_VAR, raising=False)
    with pytest.raises(ValueError, match="Unknown profile 'local'"):
        load_profile("local")  # what both read before
    assert platform_spark().packages and any("delta-spark" in p for p in platform_spark().packages)
    assert profile_for("subscription_churn").dagster.instance_template == "scripts/templates/dagster.yaml"
