"""A database decimal with more places than the contract's scale is quarantined, not rounded on the way
in (the JDBC path's sibling of the file rule; issue 16). Real Spark; the rows are the typed rows a JDBC
read hands over."""

from decimal import Decimal

from lakehouse.config.contracts import ColumnSpec, Contract
from lakehouse.ingestion.typed import split_typed


def _contract(round_values: bool) -> Contract:
    return Contract(name="t", description="test rows", columns=[
        ColumnSpec(name="id", type="string", description="key", required=True, unique=True),
        ColumnSpec(name="amount", type="decimal(18,2)", description="money", round=round_values),
    ])


def test_a_value_that_would_be_rounded_is_quarantined_unless_the_contract_rounds(spark) -> None:
    rows = spark.createDataFrame([("a", Decimal("12.3400")), ("b", Decimal("12.3450")), ("c", None)],
                                 "id string, amount decimal(18,4)")
    split = split_typed(rows, _contract(round_values=False))
    assert sorted((r["id"], r["amount"]) for r in split.loaded.collect()) == [("a", Decimal("12.34")), ("c", None)]
    assert [(r["raw_record"], r["reason"]) for r in split.quarantined.collect()] == [
        ('{"id":"b","amount":12.3450}', "amount: 12.3450 does not fit decimal(18,2) without rounding")]
    rounded = split_typed(rows, _contract(round_values=True))
    assert sorted(r["amount"] for r in rounded.loaded.collect() if r["amount"] is not None) == [
        Decimal("12.34"), Decimal("12.35")]
