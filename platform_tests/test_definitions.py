"""The code location loads within a CPU budget, starts no JVM and is valid for Dagster's own loaders.
(Wall-clock load time is a target of `make bench`, not of tests: a loaded machine fails such asserts.)"""

import json
import os
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey, Definitions

REPO = Path(__file__).resolve().parents[1]

_PROBE = """
import json, time
started = time.process_time()
from lakehouse.definitions import defs
elapsed = time.process_time() - started  # CPU seconds of this process: independent of other load
from pyspark import SparkContext
print(json.dumps({"cpu_seconds": elapsed, "spark_context": SparkContext._active_spark_context is not None}))
"""


def _load_in_fresh_process() -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE], check=True, capture_output=True, text=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_loading_definitions_starts_no_spark_within_a_cpu_budget():
    probe = _load_in_fresh_process()
    assert not probe["spark_context"]
    # Generous: ~2 CPU s measured; a regression that does real work at import (listing the warehouse,
    # building Spark plans, reading data) costs far more.
    assert probe["cpu_seconds"] < 8, probe  # CPU time of the loading process, not wall time


def test_definitions_are_loadable():
    from lakehouse.definitions import defs

    Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"card_fraud/bronze/transactions_pos", "card_fraud/bronze/transactions_pos_quarantine"} <= keys


def test_dg_check_defs_passes():
    dg = Path(sys.executable).parent / "dg"
    result = subprocess.run([str(dg), "check", "defs"], cwd=REPO / "platform", capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_profile_builds_the_same_graph():
    """Switching the profile changes where things run, never which assets exist (e.g. the databricks
    profile runs processing through Pipes with the same keys and checks): every profile of a dataset
    builds that dataset's graph."""
    from lakehouse.config.profile import known_profiles, load_profile
    from lakehouse.definitions import build_definitions

    graphs: dict[str, dict[str, dict]] = {}  # dataset -> profile -> graph
    for name in known_profiles():
        profile = load_profile(name)
        defs = build_definitions(profile)
        defs.resolve_job_def("daily_pipeline")  # jobs resolve against the profile's resources
        graph = defs.resolve_asset_graph()
        graphs.setdefault(profile.dataset, {})[name] = {k: graph.get(k).parent_keys for k in graph.get_all_asset_keys()}
    assert len(graphs["card_fraud"]) >= 5 and "subscription_churn_local" in graphs["subscription_churn"]
    for dataset, by_profile in graphs.items():
        first = next(iter(by_profile.values()))
        assert all(g == first for g in by_profile.values()), dataset
    assert graphs["card_fraud"]["local"] != graphs["subscription_churn"]["subscription_churn_local"]


def test_scoring_lineage_and_export_job_follow_the_dataset_configuration():
    """Scoring reads the input table scoring.yaml names (not card_fraud's), and the seed's "Exporting
    Results" job is in the code location with its Launchpad config."""
    from lakehouse.config.dataset import load_dataset
    from lakehouse.config.profile import load_profile
    from lakehouse.definitions import build_definitions
    from lakehouse.partitions import build_calendar
    from lakehouse.scoring.assets import build_scoring_assets

    for name, features in (("card_fraud", "card_fraud/gold/transaction_features"),
                           ("subscription_churn", "subscription_churn/gold/account_features")):
        dataset = load_dataset(name)
        [scoring] = build_scoring_assets(dataset, build_calendar(dataset.partitions))
        predictions = AssetKey([name, "scoring", "predictions"])
        assert {k.to_user_string() for k in scoring.asset_deps[predictions]} == {features}, name
    export = build_definitions(load_profile("local")).resolve_job_def("export_predictions")
    op_config = export.run_config_schema.config_type.fields["ops"].config_type.fields["export_predictions_op"]
    assert {"start", "end", "format", "path"} <= set(op_config.config_type.fields["config"].config_type.fields)


_ISOLATION_PROBE = """
import json
import os
import lakehouse.definitions as module  # builds nothing: each location is built on first access
churn = {k.path[0] for k in module.subscription_churn_local.resolve_asset_graph().get_all_asset_keys()}
try:
    module.defs
    error = ""
except ValueError as err:
    error = str(err)
print(json.dumps({"churn": sorted(churn), "defs_error": error}))
"""


def test_one_profiles_location_neither_builds_nor_fails_on_another():
    # A workspace of several datasets loads the module once per location: a broken LAKEHOUSE_PROFILE (here
    # unknown) fails `defs` only, and the churn location still builds (workspace.demos.yaml).
    env = {**os.environ, "LAKEHOUSE_PROFILE": "no_such_profile"}
    out = subprocess.run([sys.executable, "-c", _ISOLATION_PROBE], check=True, capture_output=True, text=True,
                         cwd=REPO, env=env)
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["churn"] == ["subscription_churn"]
    assert "Unknown profile 'no_such_profile'" in probe["defs_error"]
