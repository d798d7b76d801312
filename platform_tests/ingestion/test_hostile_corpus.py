"""The hostile-file corpus (issue 16, item 10): every file in hostile_corpus/ is landed on 2026-01-02 and
ingested through the real bronze asset. For each file the test asserts, from the file's own bytes (read here
with the csv / json modules, not by the platform's code; see hostile_corpus_checks.py):

- rows read = rows loaded + rows quarantined from the file, with rows read counted here;
- every loaded row's contract values equal the file's values for that transaction_id exactly: strings
  as written, decimals by value (12.50 == Decimal('12.50')), timestamps as the same instant;
- every quarantined row says why and keeps its raw text: a line of the file (base64 decoded when
  `raw_record_encoding` says so), or for multi-line CSV the values of a record of the file;
- the outcome pinned for the file in CASES (the ids loaded, one reason fragment per rejected row);
- its run's `reconciliation` passed, with rows read = the run's files' rows read counted here.

One materialisation per group of files read alike (format and source overrides: CSV, CSV with `multiline`,
JSON), not one per file: 3 runs instead of 35. All files of a group land in one day folder of one case; a
file's rows are picked from the run's tables by `_source_file`. That is sound because the platform reads
each file on its own terms (CSV files grouped by header line, a cut-off last line recognised by file size
and bytes) and ids are unique across files (make_corpus.file_id), so a file's outcome does not depend on the
others — except `quarantine_rate`, judged per day: the group's sources allow any quarantined share, and no
assertion depends on the run's success.

The files are made by hostile_corpus/make_corpus.py; CASES is their sidecar (source overrides such as
`multiline` live here, not in the files).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest
from dagster import AssetCheckEvaluation
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.ingestion.files import SOURCE_FILE
from platform_tests.ingestion.file_cases import ingest
from platform_tests.ingestion.hostile_corpus.make_corpus import corpus, file_id
from platform_tests.ingestion.hostile_corpus_checks import (
    DAY,
    FORMATS,
    TYPES,
    Row,
    assert_group_reconciled,
    assert_loaded_values_exact,
    assert_raw_text_kept,
    assert_reasons,
    record_lines,
    rows_of_file,
    source_records,
)

CORPUS = Path(__file__).parent / "hostile_corpus"
FILES = sorted(p.name for p in CORPUS.iterdir() if p.suffix in FORMATS)
# A deliberately dirty day must not fail the blocking `quarantine_rate` check of a group's run (a day with
# rows read and none loaded still would; no assertion depends on the run's success).
ANY_SHARE = {"quarantine_error_share": 1.0, "quarantine_warn_share": 1.0}


@dataclass(frozen=True)
class Case:
    """A file's pinned outcome. Ids are short: "t1" stands for the file's `<stem>-t1` (make_corpus.file_id)."""

    loaded: tuple[str, ...] | None  # transaction ids that must be loaded (None: not pinned)
    reasons: tuple[str, ...] = ()  # one fragment per quarantined row its reason must contain
    source: dict[str, Any] = field(default_factory=dict)  # source overrides, e.g. {"multiline": True}
    rows: int | None = None  # records in the file, where lines are not records (multi-line CSV)


MALFORMED, TRUNCATED, UTF8 = "malformed record", "truncated file: incomplete last line", "invalid UTF-8"
REQUIRED = "transaction_id: required value missing"
CASES: dict[str, Case] = {
    "cut_off_quoted_last_line.csv": Case(("t1",), (TRUNCATED,)),
    "cut_off_last_line_over_64kb.csv": Case(("t1",), (TRUNCATED,)),
    "utf8_bom.csv": Case(("t1", "t2")),
    "multiline_quoted_value.csv": Case(("t1", "t2"), ("amount: not a decimal",), {"multiline": True}, rows=3),
    "multiline_quoted_value_read_by_line.csv": Case(("t2",), (MALFORMED, MALFORMED, "amount: not a decimal")),
    "invalid_utf8.csv": Case(("t1",), (UTF8,)),
    "decimal_precision.csv": Case(("t2", "t3"), ("amount: 12.345 does not fit decimal(18,2) without rounding",)),
    "wrong_column_count.csv": Case(("t1",), (MALFORMED, MALFORMED)),
    "unclosed_quote_mid_file.csv": Case(("t1", "t3"), (MALFORMED,)),
    "non_numeric_amount.csv": Case(("t1",), ("amount: not a decimal",) * 4),
    "missing_required_values.csv": Case(("t1",), (REQUIRED, "customer_id: required", "amount: required")),
    "duplicate_key.csv": Case(("t1", "t2"), ("duplicate key",) * 2),
    "timestamp_other_format.csv": Case(("t1",), ("event_time: not a timestamp: 2001/01/04 06:03",)),
    "bad_timestamps.csv": Case(("t1", "t4"), ("event_time: before 2000-01-01", "event_time: after its landing day")),
    "absurd_amounts.csv": Case(("t1",), ("amount: below minimum",) * 2 + ("amount: above maximum",)),
    "blank_lines.csv": Case(("t1", "t2")),
    "crlf_line_endings.csv": Case(("t1", "t2")),
    "repeated_header.csv": Case(("t1", "t2")),
    "header_only.csv": Case(()),
    "empty.csv": Case(()),
    "missing_required_column.csv": Case((), ("currency: required value missing",) * 2),
    "extra_column.csv": Case(("t1", "t2")),
    "rfc4180_quoted_values.csv": Case(("t1", "t2")),  # `"say ""hi"""` is `say "hi"` (RFC 4180)
    "json_extra_fields.jsonl": Case(("j1", "j2")),
    "json_missing_optional_field.jsonl": Case(("j1", "j2")),
    "json_missing_required_id.jsonl": Case(("j1",), (REQUIRED,) * 2),
    "json_arrays.jsonl": Case(("j3",), ("JSON array on one line (0 elements)", "JSON array on one line (2 elements)")),
    "json_scalar_lines.jsonl": Case(("j1",), ("",) * 3 + (REQUIRED,)),  # null, 42, "j9"; {}
    "invalid_utf8.jsonl": Case(("j1",), (UTF8,)),
    "invalid_json_lines.jsonl": Case(("j1",), (MALFORMED,) * 5),
    "json_decimal_numbers.jsonl": Case(("j2", "j3", "j4"), ("amount: 12.345 does not fit",)),
    "json_repeated_field.jsonl": Case(("j1",), ("names a field more than once",)),  # no one value to load
    "json_cut_off_last_line.jsonl": Case(("j1",), (TRUNCATED,)),
    "json_crlf_and_blank_lines.jsonl": Case(("j1", "j2")),
    "empty.jsonl": Case(()),
}


@dataclass(frozen=True)
class Group:
    """Files ingested together in one run: same format, same source overrides."""

    fmt: str
    source: tuple[tuple[str, Any], ...]  # the files' Case.source, sorted

    @property
    def case(self) -> str:
        """The case folder and table name: corpus_csv, corpus_csv_multiline_true, corpus_json."""
        return "_".join(["corpus", self.fmt, *(f"{k}_{v}".lower() for k, v in self.source)])


def group_of(name: str) -> Group:
    return Group(FORMATS[Path(name).suffix], tuple(sorted(CASES[name].source.items())))


def rows_read(name: str) -> int:
    """The file's records, counted from its bytes: its lines that are records, or its pinned `rows`."""
    data, pinned = (CORPUS / name).read_bytes(), CASES[name].rows
    return pinned if pinned is not None else len(record_lines(data, FORMATS[Path(name).suffix]))


@dataclass(frozen=True)
class GroupRun:
    """A group's materialisation: every row of its table and quarantine (with `_source_file`), its checks."""

    files: list[str]
    loaded: list[Row]
    quarantined: list[Row]
    checks: dict[str, AssetCheckEvaluation]


def _loaded_rows(table: DataFrame) -> list[Row]:
    columns = [F.unix_micros(c).alias(c) if t == "timestamp" else F.col(c) for c, t in TYPES.items()]
    return [r.asDict() for r in table.select(*columns, SOURCE_FILE).collect()]


def _run_group(spark: SparkSession, resources: dict, data_root: Path, group: Group) -> GroupRun:
    """Land all the group's files in one day folder of one case and materialise the bronze asset once."""
    files = [n for n in FILES if group_of(n) == group]
    landed = {f"{DAY}/{name}": (CORPUS / name).read_bytes() for name in files}
    source = {**ANY_SHARE, **dict(group.source)}
    case = ingest(spark, resources, data_root, group.case, group.fmt, landed, source=source)
    quarantine = case.quarantine.select(SOURCE_FILE, "raw_record", "raw_record_encoding", "reason")
    return GroupRun(files, _loaded_rows(case.table), [r.asDict() for r in quarantine.collect()], case.checks)


@pytest.fixture(scope="module")
def group_run(spark: SparkSession, resources: dict, data_root: Path) -> Callable[[Group], GroupRun]:
    """A group's run, materialised when a test first asks for it and kept for the module (a failed run
    too: its error is raised again rather than the run repeated)."""
    runs: dict[Group, GroupRun | Exception] = {}

    def run(group: Group) -> GroupRun:
        if group not in runs:
            try:
                runs[group] = _run_group(spark, resources, data_root, group)
            except Exception as error:  # kept, to be raised again for the group's other files
                runs[group] = error
        result = runs[group]
        if isinstance(result, Exception):
            raise result
        return result

    return run


def test_the_corpus_has_at_least_20_files_each_with_its_expected_outcome() -> None:
    assert len(FILES) >= 20, FILES
    assert set(FILES) == set(CASES), (sorted(set(FILES) - set(CASES)), sorted(set(CASES) - set(FILES)))
    # The ids pinned in CASES are make_corpus's, unique across a group's files by the file's stem.
    assert corpus() == {n: (CORPUS / n).read_bytes() for n in FILES}, "rewrite the files with make_corpus"
    stems = [(group_of(n), Path(n).stem) for n in FILES]
    assert len(stems) == len(set(stems)), "two files of a group share a stem, so their ids would collide"


@pytest.mark.parametrize("name", FILES)
def test_every_row_of_a_hostile_file_is_loaded_exactly_or_quarantined_with_its_raw_text(
        name: str, group_run: Callable[[Group], GroupRun]) -> None:
    expected, data = CASES[name], (CORPUS / name).read_bytes()
    fmt, multiline = FORMATS[Path(name).suffix], bool(expected.source.get("multiline"))
    run = group_run(group_of(name))
    loaded, quarantined = rows_of_file(run.loaded, name), rows_of_file(run.quarantined, name)

    read = rows_read(name)
    assert len(loaded) + len(quarantined) == read, \
        f"{name}: {read} rows read, {len(loaded)} loaded + {len(quarantined)} quarantined"

    records = source_records(data, fmt, multiline)
    assert_raw_text_kept(name, data, fmt, multiline, quarantined, records)
    assert_loaded_values_exact(name, loaded, records)

    if expected.loaded is not None:
        ids, pinned = sorted(row["transaction_id"] for row in loaded), sorted(file_id(name, i) for i in expected.loaded)
        assert ids == pinned, f"{name}: loaded {ids}, expected {pinned}"
    assert_reasons(name, expected.reasons, [r["reason"] for r in quarantined])

    # Last, so a file whose own rows do not add up fails with its own message first.
    check = run.checks.get("reconciliation")  # None: not evaluated, the run failed before its checks
    # rows_read is an int metadata value; .value is typed as any metadata value.
    passed, rows = (check.passed, cast(int, check.metadata["rows_read"].value)) if check else (None, None)
    assert_group_reconciled(group_of(name).case, passed, rows,
                            {n: rows_read(n) for n in run.files}, run.loaded, run.quarantined)
