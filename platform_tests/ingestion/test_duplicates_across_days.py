"""A key already loaded on an earlier landing day is a duplicate whether the days ran one by one (as the
landing sensor launches them) or as one range: bronze does not depend on how runs were grouped (issue 16)."""

from platform_tests.ingestion.file_cases import HEADER, csv_line, ingest, values

D1, D2, D3 = "2026-01-02", "2026-01-03", "2026-01-04"
FIRST = f"{HEADER}\n{csv_line(values('t1'))}\n{csv_line(values('t2'))}\n"
FILES = {
    f"{D1}/pos_a.csv": FIRST,
    f"{D2}/pos_b.csv": FIRST + csv_line(values("t3")) + "\n",  # the same content re-delivered, plus a new row
    f"{D3}/pos_c.csv": f"{HEADER}\n{csv_line(values('t4'))}\n",
}


def _day_and_file(reason: str) -> str:
    """`... first kept from <path>/<day>/<file>` with the path (the case's landing folder) cut off."""
    text, _, path = reason.rpartition(" ")
    return f"{text} {'/'.join(path.split('/')[-2:])}"


def _outcome(case) -> tuple[list, list]:
    """Loaded (id, landing day); quarantined (id, landing day, reason with the kept file relative to the case)."""
    loaded = sorted((r["transaction_id"], str(r["landing_date"])) for r in case.table.collect())
    quarantined = sorted((r["raw_record"].split(",")[0], str(r["landing_date"]), _day_and_file(r["reason"]))
                         for r in case.quarantine.collect())
    return loaded, quarantined


def test_the_earliest_landing_day_keeps_a_key_however_the_days_were_grouped(spark, resources, data_root):
    for day in (D1, D2, D3):  # one run per day
        one_by_one = ingest(spark, resources, data_root, "dup_days", "csv", FILES, days=[day])
    as_range = ingest(spark, resources, data_root, "dup_range", "csv", FILES)
    assert one_by_one.success and as_range.success
    expected_loaded = [("t1", D1), ("t2", D1), ("t3", D2), ("t4", D3)]
    # The same rows, and the same reason naming the file actually kept.
    kept = f"duplicate key ['transaction_id']: first kept from {D1}/pos_a.csv"
    for case in (one_by_one, as_range):
        assert _outcome(case) == (expected_loaded, [("t1", D2, kept), ("t2", D2, kept)])
        assert case.checks["reconciliation"].passed


def test_re_running_the_earlier_day_keeps_its_rows(spark, resources, data_root):
    ingest(spark, resources, data_root, "dup_rerun", "csv", FILES, days=[D1])
    ingest(spark, resources, data_root, "dup_rerun", "csv", FILES, days=[D2])
    again = ingest(spark, resources, data_root, "dup_rerun", "csv", FILES, days=[D1])  # idempotent
    loaded, quarantined = _outcome(again)
    assert loaded == [("t1", D1), ("t2", D1), ("t3", D2)]
    assert [(t, d) for t, d, _ in quarantined] == [("t1", D2), ("t2", D2)]


def test_a_horizon_of_zero_compares_within_a_load_only(spark, resources, data_root):
    for day in (D1, D2):
        case = ingest(spark, resources, data_root, "dup_nohorizon", "csv", FILES, days=[day],
                      source={"duplicate_horizon_days": 0})
    loaded, quarantined = _outcome(case)
    assert loaded == [("t1", D1), ("t1", D2), ("t2", D1), ("t2", D2), ("t3", D2)] and quarantined == []


def test_a_day_with_no_files_to_read_loads_nothing_and_reconciles(spark, resources, data_root):
    # A landing folder holding no CSV at all: nothing to parse, so no landing day to count rows for.
    case = ingest(spark, resources, data_root, "no_files", "csv", {f"{D1}/readme.txt": "not data\n"})
    assert case.success
    assert case.table.count() == 0 and case.quarantine.count() == 0
    assert case.checks["reconciliation"].passed
    assert case.checks["reconciliation"].metadata["rows_read"].value == 0
