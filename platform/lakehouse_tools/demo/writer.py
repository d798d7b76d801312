"""Writes one landing day's transaction files: clean chunk -> dirt -> text -> bytes, chunk by chunk."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lakehouse_tools.demo import chargebacks
from lakehouse_tools.demo.catalog import TRANSACTION_COLUMNS
from lakehouse_tools.demo.dirty import (
    ID_DAMAGING,
    LINE_KINDS,
    ROW_KINDS,
    FilePlan,
    corrupt_line,
    extra_values,
    field_overrides,
    kind_name,
    plan_file,
    plan_rows,
)
from lakehouse_tools.demo.files import AtomicFile, atomic_write, file_record, remove_files
from lakehouse_tools.demo.render import Layout, Values, render_fast, render_row
from lakehouse_tools.demo.streams import FORMAT_CODE, Stream, rng
from lakehouse_tools.demo.transactions import CHUNK_ROWS, Chunk, DayContext, generate_chunk

LANDING = {"csv": Path("landing/transactions_csv"), "jsonl": Path("landing/transactions_json")}
SOURCE = {"csv": "transactions_csv", "jsonl": "transactions_json"}
_PREFIX = {"csv": "pos", "jsonl": "online"}
_DAMAGING_CODES = np.array([ROW_KINDS.index(k) + 1 for k in ID_DAMAGING])
POOL_SAMPLE = 64  # clean rows per chunk kept as duplicate sources for later chunks and files


@dataclass
class DupPool:
    """Clean rows written earlier on the same day and format: sources of cross-file duplicates."""

    rows: list[dict[str, str]] = field(default_factory=list)
    cap: int = 2048

    def add(self, rows: list[dict[str, str]]) -> None:
        self.rows.extend(rows)
        del self.rows[: -self.cap]


@dataclass
class FileOutput:
    record: dict  # the file's manifest entry
    chargebacks: list[tuple[int, str]] = field(default_factory=list)
    fraud_ids: list[tuple[str, str]] = field(default_factory=list)  # (transaction_id, dirty kind or "")


def file_rel(ctx: DayContext, fmt: str, file_no: int) -> Path:
    day = ctx.day.isoformat()
    return LANDING[fmt] / day / f"{_PREFIX[fmt]}_{day}_{file_no:02d}.{fmt}"


def write_format(ctx: DayContext, root: Path, fmt: str, n_rows: int, n_files: int) -> list[FileOutput]:
    """All files of one format for the day, replacing whatever an earlier landing left there."""
    remove_files(root / LANDING[fmt] / ctx.day.isoformat(), "*")
    pool = DupPool()
    outputs, empties = [], []
    for file_no in range(1, n_files + 1):
        size = n_rows // n_files + (file_no <= n_rows % n_files)
        if size == 0:
            continue
        plan = plan_file(ctx.settings, ctx.key, fmt, file_no)
        outputs.append(_write_file(ctx, root, fmt, file_no, size, plan, pool))
        if plan.empty_companion:
            empties.append(plan.empty_companion)
    for k, variant in enumerate(empties):  # empty files come on top: they never replace data
        rel = file_rel(ctx, fmt, n_files + 1 + k)
        data = (Layout.build(fmt).header() + "\n").encode() if variant == "header_only" else b""
        atomic_write(root / rel, data)
        record = file_record(rel, data, rows=0) | {"source": SOURCE[fmt], "fraud": 0, "dirty_rows": {}}
        outputs.append(FileOutput(record | {"file_issues": {"empty_file": variant}}))
    return outputs


def _splice(lines: list[str], inserts: list[tuple[int, str]]) -> list[str]:
    """Insert each (after_index, line) after that original line, in order."""
    if not inserts:
        return lines
    out: list[str] = []
    prev = 0
    for pos, line in inserts:
        out.extend(lines[prev : pos + 1])
        out.append(line)
        prev = pos + 1
    out.extend(lines[prev:])
    return out


def _write_lines(out: AtomicFile, lines: list[str], end: str, piece: int = 20_000) -> None:
    """Encode and write in pieces, so no chunk-sized string and bytes copy exist at once."""
    for start in range(0, len(lines), piece):
        tail = end if start + piece >= len(lines) else "\n"
        out.write(("\n".join(lines[start : start + piece]) + tail).encode("utf-8", "surrogateescape"))


def _render(r: np.random.Generator, layout: Layout, chunk: Chunk, codes: np.ndarray) -> list[str]:
    """Text lines of a chunk with its row-level dirt applied (fast path for clean rows)."""
    cols = chunk.columns
    if layout.extra:
        cols = {**cols, layout.extra: extra_values(r, layout.extra, len(codes))}
    lines = render_fast(layout, cols)
    for i, values in field_overrides(r, codes, chunk).items():
        clean: Values = {c: cols[c][i] for c in layout.columns}
        lines[i] = render_row(layout, clean | values)
    for i in np.flatnonzero(codes).tolist():
        if kind_name(codes[i]) in LINE_KINDS:
            lines[i] = corrupt_line(r, kind_name(codes[i]), lines[i])
    return lines


def _duplicates(
    r: np.random.Generator, rate: float, lines: list[str], clean: np.ndarray, pool: DupPool, layout: Layout
) -> list[tuple[int, str]]:
    """(insert after index, line) copies of clean rows of this chunk or of earlier chunks and files."""
    m = len(lines)
    inserts = []
    for _ in range(int(r.binomial(m, rate))):
        if pool.rows and (len(clean) == 0 or r.random() < 0.5):
            row = dict(pool.rows[int(r.integers(len(pool.rows)))])
            if layout.extra:
                row[layout.extra] = extra_values(r, layout.extra, 1)[0]
            inserts.append((int(r.integers(0, m)), render_row(layout, row)))
        elif len(clean):
            src = int(clean[int(r.integers(len(clean)))])
            inserts.append((int(r.integers(src, m)), lines[src]))  # after its original
    return sorted(inserts, key=lambda t: t[0])


def _write_file(
    ctx: DayContext, root: Path, fmt: str, file_no: int, n_rows: int, plan: FilePlan, pool: DupPool
) -> FileOutput:
    s = ctx.settings
    layout = Layout.build(fmt, plan.missing_column, plan.extra_column, plan.extra_position)
    rel = file_rel(ctx, fmt, file_no)
    result = FileOutput(record={})
    counts: Counter[str] = Counter()
    rows = fraud = 0
    n_chunks = -(-n_rows // CHUNK_ROWS)
    with AtomicFile(root / rel) as out:
        if fmt == "csv":
            out.write((layout.header() + "\n").encode())
        for j in range(n_chunks):
            m = min(CHUNK_ROWS, n_rows - j * CHUNK_ROWS)
            last = j == n_chunks - 1
            chunk = generate_chunk(ctx, fmt, file_no, j, m, j * CHUNK_ROWS)
            r = rng(s.seed, Stream.ROW_DIRT, ctx.key, FORMAT_CODE[fmt], file_no, j)
            codes = plan_rows(r, s.dirty, fmt, m)
            lines = _render(r, layout, chunk, codes)
            # Duplicates copy clean rows; never the file's last row, which truncation may cut.
            clean = np.flatnonzero(codes == 0)
            if last:
                clean = clean[clean < m - 1]
            inserts = _duplicates(r, s.dirty.duplicate_transaction_id, lines, clean, pool, layout)
            sample = np.sort(r.choice(clean, min(POOL_SAMPLE, len(clean)), replace=False)) if len(clean) else clean
            pool.add([{c: chunk.columns[c][i] for c in TRANSACTION_COLUMNS} for i in sample.tolist()])

            ok = ~np.isin(codes, _DAMAGING_CODES)  # rows whose id stays readable: chargeback candidates
            kinds = {i: kind_name(codes[i]) for i in np.flatnonzero(codes).tolist()}
            counts.update(kinds.values())
            counts["duplicate_transaction_id"] += len(inserts)
            out_lines = _splice(lines, inserts)
            end = "\n"
            if last and plan.truncated:
                tail = out_lines[-1]
                out_lines[-1] = tail[: int(r.integers(max(1, len(tail) // 5), max(2, len(tail) * 3 // 5)))]
                end = ""
                counts["truncated_file"] += 1
                if inserts and inserts[-1][0] == m - 1:  # the cut line is a duplicate copy
                    counts["duplicate_transaction_id"] -= 1
                else:
                    if m - 1 in kinds:
                        counts[kinds[m - 1]] -= 1
                    kinds[m - 1], ok[m - 1] = "truncated_file", False
            tids = chunk.columns["transaction_id"]
            fraud_idx = np.flatnonzero(chunk.is_fraud).tolist()
            fraud += len(fraud_idx)
            result.fraud_ids += [(tids[i], kinds.get(i, "")) for i in fraud_idx]
            result.chargebacks += chargebacks.select(ctx, fmt, file_no, j, tids, chunk.is_fraud, ok)
            rows += len(out_lines)
            del chunk, lines, tids  # keep only one chunk's text alive at a time
            _write_lines(out, out_lines, end)
            del out_lines
        record = out.record(rel, rows)

    issues: dict[str, object] = {}
    if plan.missing_column:
        issues["missing_column"] = plan.missing_column
    if plan.extra_column:
        issues["extra_column"] = {"name": plan.extra_column, "position": layout.columns.index(plan.extra_column)}
    if plan.truncated:
        issues["truncated_file"] = True
    result.record = record | {
        "source": SOURCE[fmt],
        "fraud": fraud,
        "dirty_rows": {k: v for k, v in sorted(counts.items()) if v},
        "file_issues": issues,
    }
    return result
