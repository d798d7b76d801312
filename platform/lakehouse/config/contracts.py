"""Data contracts: the declared columns of a table, their types, rules and descriptions.

A contract drives the explicit read schema of a source, the casts that turn raw text into typed
columns (failures are quarantined with a reason), the `contract` checks, and the column descriptions in
the Dagster UI. Contracts live in config/datasets/<dataset>/contracts.yaml.

A column's `name` is the one name every table and stage uses, so it must be an identifier. Files from
the real world name columns `Arrival Delay ($min)` or `2nd.Stop`: such a column declares that header (or
JSON key) as its `source_name`, and file ingestion reads it from there under `name`. Matching is exact,
case included (see `ColumnSpec.source_name`).
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from lakehouse.config.base import StrictModel, load_dataset_entries
from lakehouse.config.identifiers import validate_identifier
from lakehouse.config.project import project_cache

# Matched with fullmatch: `^...$` with re.match would accept a final newline.
_TYPE = re.compile(r"(string|boolean|int|bigint|double|date|timestamp|decimal\(\d+, *\d+\))")
# Pattern letters that read a zone or an offset from the text itself (Spark datetime patterns); text in
# '...' quotes is literal. A pattern with one of them must not also get a `timezone`.
_ZONE_LETTERS = re.compile(r"[VzOXxZ]")


class ColumnSpec(StrictModel):
    name: str = Field(description="Column name (letters, digits, underscore).")
    source_name: str | None = Field(
        default=None,
        description="Files (csv, json): the column's name in the landed files when it is not `name` — a CSV "
        "header or JSON key such as `Arrival Delay ($min)`, `2nd.Stop` or `MixedCase`. Matched exactly, case, "
        "spaces and punctuation included; the column is read from it and loaded under `name`, and its "
        "description shows it. Default: the files use `name`.",
    )
    type: str = Field(description="Spark SQL type: string, boolean, int, bigint, double, date, timestamp, decimal(p,s).")
    description: str = Field(description="What the column means; shown in the UI's column schema.")
    required: bool = Field(default=False, description="Null or missing values are rejected (quarantined).")
    unique: bool = Field(default=False, description="Values must be unique within the table (a key).")
    min: float | None = Field(default=None, description="Smallest allowed value (inclusive), numeric columns.")
    max: float | None = Field(default=None, description="Largest allowed value (inclusive), numeric columns.")
    allowed: list[str] | None = Field(default=None, description="Allowed values, for categorical columns.")
    soft_max: float | None = Field(default=None, description="Values above it are suspicious (WARN check), not rejected.")
    earliest: str | None = Field(
        default=None, description="Timestamps/dates: earliest plausible value (ISO date); older ones are rejected."
    )
    max_after_landing_hours: float | None = Field(
        default=None,
        description="Timestamps of landed files: at most this many hours after the end of the landing day "
        "(an event cannot land before it happens; the slack absorbs clock skew).",
    )
    format: str | None = Field(
        default=None,
        description="Timestamps/dates of landed files: the Spark datetime pattern of the source text, e.g. "
        "`yyyy/MM/dd HH:mm`; a value that does not match is quarantined naming the pattern. Default: ISO 8601.",
    )
    timezone: str | None = Field(
        default=None,
        description="Timestamps with a `format` that holds no zone or offset: the IANA zone the wall-clock "
        "values are in (e.g. Europe/Paris), whatever the Spark session's zone. Default: UTC.",
    )
    round: bool = Field(
        default=False,
        description="Decimals: round a value with more decimal places than the type's scale (half up). By "
        "default such a value is quarantined, since loading it would change it.",
    )
    missing_values: list[str] = Field(
        default_factory=list,
        description="Texts that mean a missing value in this column's files besides the empty value (`NA`, "
        "`NULL`, `\\N`), compared after trimming spaces: such a value loads as null (quarantined if the column "
        "is `required`). Per column, so a string column keeps a real `NA` (Namibia); the file keeps the text.",
    )

    @field_validator("missing_values")
    @classmethod
    def _markers(cls, value: list[str]) -> list[str]:
        # Compared with the trimmed text: a marker with surrounding spaces, or an empty one, never matches.
        for marker in value:
            if not marker or marker != marker.strip():
                raise ValueError(f"Invalid missing value marker {marker!r}: non-empty, no surrounding spaces")
        return value

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if not _TYPE.fullmatch(value):
            raise ValueError(f"Unsupported column type {value!r}")
        return value.replace(" ", "")

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        return validate_identifier(value, "column name")  # reaches SQL text (casts, JDBC queries, checks)

    @field_validator("source_name")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        # A CSV header is one line (file_shape.header_line); a name with a line break could never match.
        if value is not None and (value == "" or "\n" in value or "\r" in value):
            raise ValueError(f"Invalid source_name {value!r}: a non-empty name on one line")
        return value

    @property
    def landed_name(self) -> str:
        """The column's name in the landed files: its CSV header, its JSON key."""
        return self.name if self.source_name is None else self.source_name

    @property
    def display_name(self) -> str:
        """How quarantine reasons name the column: `name`, with the files' name when it differs, so the
        reason leads both to the table's column and to the file's."""
        return self.name if self.source_name is None else f"{self.name} (source column '{self.source_name}')"

    @property
    def reads_zone(self) -> bool:
        """The `format` reads a zone or offset from the text (letters outside '...' literals)."""
        return self.format is not None and bool(_ZONE_LETTERS.search(re.sub(r"'[^']*'", "", self.format)))

    @model_validator(mode="after")
    def _parsing_options(self) -> ColumnSpec:
        """Options that cannot apply to the column's type are mistakes, not no-ops."""
        where = f"Column {self.name!r}"
        if self.format is not None and self.type not in ("timestamp", "date"):
            raise ValueError(f"{where}: `format` applies to timestamp and date columns, not {self.type}")
        if self.timezone is not None:
            if self.type != "timestamp" or self.format is None:
                raise ValueError(f"{where}: `timezone` needs a timestamp column with a `format`")
            if self.reads_zone:
                raise ValueError(f"{where}: format {self.format!r} reads the zone from the text; drop `timezone`")
            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"{where}: unknown timezone {self.timezone!r}") from exc
        if self.round and not self.type.startswith("decimal("):
            raise ValueError(f"{where}: `round` applies to decimal columns, not {self.type}")
        if self.source_name == self.name:
            raise ValueError(f"{where}: `source_name` is the column's name; drop it")
        return self


class Contract(StrictModel):
    name: str = Field(description="Contract name; sources and tables refer to it.")
    description: str = Field(description="What one row of the table is.")
    columns: list[ColumnSpec] = Field(description="Declared columns, in order.")

    @property
    def keys(self) -> list[str]:
        return [c.name for c in self.columns if c.unique]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"Contract {self.name!r} has no column {name!r}")

    def descriptions(self) -> dict[str, str]:
        """Column descriptions as the UI and the tables' schema metadata show them: the one place a
        column's `source_name` joins its description, so nobody repeats the original name by hand."""
        return {c.name: _described(c) for c in self.columns}

    @property
    def source_named(self) -> list[ColumnSpec]:
        """The columns read from another name in the files (`source_name`)."""
        return [c for c in self.columns if c.source_name is not None]

    @model_validator(mode="after")
    def _distinct_names(self) -> Contract:
        """Every column has its own name in the tables and in the files."""
        where = f"Contract {self.name!r}"
        # Spark and Delta resolve column names ignoring case: `Amount` and `amount` would be one column.
        folded: dict[str, str] = {}
        for col in self.columns:
            other = folded.get(col.name.lower())
            if other == col.name:
                raise ValueError(f"{where}: column {col.name!r} is declared twice")
            if other is not None:
                raise ValueError(f"{where}: columns {other!r} and {col.name!r} differ only in case; tables "
                                 "resolve names ignoring case")
            folded[col.name.lower()] = col.name
        names = {c.name for c in self.columns}
        landed: set[str] = set()
        for col in self.columns:
            if col.source_name in names:
                # A file's `x` would load as another column than the table's `x`: ambiguous to every reader.
                raise ValueError(f"{where}: column {col.name!r} reads the file column {col.source_name!r}, which is "
                                 "another column's name: ambiguous to every reader; rename one of them")
            if col.landed_name in landed:
                raise ValueError(f"{where}: two columns read the file column {col.landed_name!r}")
            landed.add(col.landed_name)
        return self


def _described(col: ColumnSpec) -> str:
    if col.source_name is None:
        return col.description
    return f"{col.description.rstrip()} Source column: `{col.source_name}`."


@project_cache
def load_contracts(dataset: str) -> dict[str, Contract]:
    return load_dataset_entries(dataset, "contracts.yaml", Contract)
