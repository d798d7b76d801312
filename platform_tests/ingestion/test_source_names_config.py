"""Contract columns named from the real world (issue 18, item 7): `source_name` declarations, their
validation when contracts.yaml loads, the description that keeps the original name, and the header hint.
Pure Python: no Spark session (test_source_names.py ingests files with one)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster import AssetKey
from pydantic import ValidationError

from lakehouse.config.contracts import ColumnSpec, Contract, load_contracts
from lakehouse.config.dataset import load_dataset
from lakehouse.config.identifiers import dataset_key
from lakehouse.config.project import DEFAULT_PROJECT_DIR, PROJECT_ENV_VAR
from lakehouse.config.sources import load_sources
from lakehouse.ingestion import assets as ingestion_assets
from lakehouse.ingestion.source_names import header_hint
from lakehouse.partitions import build_calendar

TRIPS: list[dict[str, Any]] = [
    {"name": "trip_id", "source_name": "Trip ID", "type": "string", "required": True, "description": "Trip."},
    {"name": "arrival_delay_minutes", "source_name": "Arrival Delay ($min)", "type": "int",
     "description": "Minutes late on arrival."},
    {"name": "second_stop", "source_name": "2nd.Stop", "type": "string", "description": "Second stop."},
    {"name": "mixed_case", "source_name": "MixedCase", "type": "string", "description": "A mixed-case header."},
    {"name": "amount", "type": "decimal(18,2)", "description": "Header `amount`."},
    {"name": "amount_eur", "source_name": "Amount", "type": "decimal(18,2)", "description": "Header `Amount`."},
]


def _write_contract(toy_dataset: Path, columns: list[dict[str, Any]]) -> Path:
    path = toy_dataset / "contracts.yaml"
    path.write_text(yaml.safe_dump({"trips": {"description": "One trip.", "columns": columns}}))
    return path


def test_declared_source_names_load_and_keep_the_safe_names(toy_dataset: Path) -> None:
    _write_contract(toy_dataset, TRIPS)
    contract = load_contracts("toy")["trips"]
    assert [c.name for c in contract.columns] == [c["name"] for c in TRIPS]  # what every table uses
    assert [c.landed_name for c in contract.columns] == [
        "Trip ID", "Arrival Delay ($min)", "2nd.Stop", "MixedCase", "amount", "Amount"]
    assert [c.name for c in contract.source_named] == ["trip_id", "arrival_delay_minutes", "second_stop",
                                                       "mixed_case", "amount_eur"]
    assert contract.column("arrival_delay_minutes").display_name == (
        "arrival_delay_minutes (source column 'Arrival Delay ($min)')")
    assert contract.column("amount").display_name == "amount"


def test_the_description_keeps_the_original_name(toy_dataset: Path) -> None:
    _write_contract(toy_dataset, TRIPS)
    described = load_contracts("toy")["trips"].descriptions()
    assert described["arrival_delay_minutes"] == "Minutes late on arrival. Source column: `Arrival Delay ($min)`."
    assert described["amount"] == "Header `amount`."  # no source_name: the description as written


def _column(**fields: Any) -> dict[str, Any]:
    return {"type": "string", "description": "d", **fields}


INVALID = {
    "a name that is not an identifier": (
        [_column(name="Arrival Delay ($min)")], "Invalid column name 'Arrival Delay"),
    "an empty source_name": ([_column(name="a", source_name="")], "Invalid source_name ''"),
    "a source_name on two lines": ([_column(name="a", source_name="Trip\nID")], "Invalid source_name"),
    "a source_name equal to its name": ([_column(name="a", source_name="a")], "`source_name` is the column's name"),
    "a source_name read twice": (
        [_column(name="a", source_name="Trip ID"), _column(name="b", source_name="Trip ID")],
        "two columns read the file column 'Trip ID'"),
    "a source_name that is another column's name": (
        [_column(name="a", source_name="b"), _column(name="b")],
        "column 'a' reads the file column 'b', which is another column's name"),
    "a name declared twice": ([_column(name="amount"), _column(name="amount")], "column 'amount' is declared twice"),
    "names differing only in case": (
        [_column(name="amount"), _column(name="Amount")], "columns 'amount' and 'Amount' differ only in case"),
}


@pytest.mark.parametrize("columns, message", INVALID.values(), ids=INVALID.keys())
def test_invalid_declarations_fail_naming_the_file(toy_dataset: Path, columns: list[dict[str, Any]], message: str) -> None:
    path = _write_contract(toy_dataset, columns)
    with pytest.raises(ValidationError) as raised:
        load_contracts("toy")
    text = str(raised.value)
    assert str(path) in text and "entry 'trips'" in text
    assert message in text


def test_source_names_differing_only_in_case_from_other_names_are_exact_and_allowed() -> None:
    # `Amount` and `amount` are two headers of one file; each is read exactly by its own column.
    contract = Contract(name="t", description="d", columns=[ColumnSpec(**c) for c in TRIPS])
    assert contract.column("amount").landed_name == "amount"
    assert contract.column("amount_eur").landed_name == "Amount"


def test_existing_contracts_are_unchanged() -> None:
    for dataset in ("card_fraud", "subscription_churn"):
        for contract in load_contracts(dataset).values():
            assert contract.source_named == []
            assert contract.descriptions() == {c.name: c.description for c in contract.columns}
            assert all(c.landed_name == c.name == c.display_name for c in contract.columns)
            assert header_hint([c.name for c in contract.columns], contract.columns) is None


COLUMNS = [ColumnSpec(**c) for c in TRIPS]
HEADER = ["Trip ID", "Arrival Delay ($min)", "2nd.Stop", "MixedCase", "amount", "Amount"]


def test_a_header_that_matches_needs_no_hint() -> None:
    assert header_hint(HEADER, COLUMNS) is None
    assert header_hint([*HEADER, "Notes (free text)"], COLUMNS) is None  # an extra column lacks nothing


def test_a_header_that_does_not_match_suggests_source_name() -> None:
    # Listed: names that are not valid column names, and a missing column's source_name or name but for
    # case (`mixedcase`, `Trip_ID`); not `extra_flag`, a valid name that looks like no missing column.
    header = ["Trip_ID", "Arrival Delay (min)", "2nd.Stop", "mixedcase", "amount", "Amount", "extra_flag"]
    assert header_hint(header, COLUMNS) == (
        "file header lacks 'Trip ID', 'Arrival Delay ($min)', 'MixedCase' and has 'Trip_ID', 'Arrival Delay (min)', "
        "'mixedcase', which no contract column reads: declare each as `source_name` of its contract column "
        "(matched exactly, case included)")


def test_a_hint_lists_five_names_at_most() -> None:
    header = [f"Column {i}" for i in range(8)]
    hint = header_hint(header, COLUMNS)
    assert hint is not None and "'Column 4' (+3 more)" in hint and "'Column 5'" not in hint
    assert "'amount' (+1 more) and has" in hint  # six contract columns are absent


@pytest.fixture
def fraud_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project holding a copy of card_fraud (LAKEHOUSE_PROJECT_DIR points at it): a test edits its
    contracts.yaml, and the platform loads it as it loads any project."""
    folder = tmp_path / "datasets" / "card_fraud"
    shutil.copytree(DEFAULT_PROJECT_DIR / "datasets" / "card_fraud", folder)
    monkeypatch.setenv(PROJECT_ENV_VAR, str(tmp_path))
    return folder


def _edit_contracts(folder: Path, edit: Any) -> None:
    path = folder / "contracts.yaml"
    contracts = yaml.safe_load(path.read_text())
    edit(contracts)
    path.write_text(yaml.safe_dump(contracts, sort_keys=False))


def test_the_asset_metadata_shows_the_original_names(fraud_project: Path) -> None:
    _edit_contracts(fraud_project, lambda c: c.update(trips={"description": "d", "columns": TRIPS}))
    dataset = load_dataset("card_fraud")
    source = load_sources("card_fraud")["transactions_pos"].model_copy(
        update={"contract": "trips", "keys": ["trip_id"], "event_time_column": None})
    asset = ingestion_assets.BUILDERS["csv"](source, dataset, build_calendar(dataset.partitions))
    described = asset.metadata_by_key[AssetKey(dataset_key(dataset.name, source.key))]["column_descriptions"]
    assert described["second_stop"] == "Second stop. Source column: `2nd.Stop`."


def test_a_source_that_cannot_map_source_names_is_refused(fraud_project: Path) -> None:
    def birth_year_from_the_files(contracts: dict[str, Any]) -> None:
        column = next(c for c in contracts["customers"]["columns"] if c["name"] == "birth_year")
        column["source_name"] = "Birth Year"

    _edit_contracts(fraud_project, birth_year_from_the_files)
    dataset = load_dataset("card_fraud")
    with pytest.raises(ValueError, match=r"Source 'customers' \(jdbc\): contract 'customers' declares "
                                         r"`source_name` for \['birth_year'\]; only \['csv', 'json'\]"):
        ingestion_assets.build_ingestion_assets(dataset, build_calendar(dataset.partitions))
