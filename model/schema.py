"""The data schema: which tables exist, their columns, keys and parameter definitions.

The schema itself is data (``model/data/schema_columns.csv`` and ``schema_parameters.csv``); this
module reads it and checks tables against it, collecting every problem instead of stopping at the
first (like pandera's lazy validation).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from model.units import UnitRegistry

DATA_DIR = Path(__file__).parent / "data"

#: key columns of every table (a repeated key is a duplicate row)
TABLE_KEYS = {
    "commodities": ("commodity",),
    "commodity_parameters": ("commodity", "year", "parameter"),
    "technologies": ("tech",),
    "tech_parameters": ("tech", "year", "parameter"),
    "flows": ("tech", "commodity", "direction", "year"),
    "stock": ("tech", "vintage"),
    "activity": ("tech", "year", "bound"),
    "demand": ("commodity", "scenario", "year"),
    "potentials": ("name", "year", "parameter"),
    "groups": ("group", "tech"),
    "history": ("quantity", "year", "name"),
    "settings": ("parameter", "year"),
    "drivers": ("driver", "scenario", "year"),
    "demand_families": ("commodity",),
    "demand_elasticities": ("family", "parameter"),
}
#: tables that must exist in a dataset; the others are optional
REQUIRED_TABLES = ("commodities", "technologies", "tech_parameters", "flows", "settings")


@dataclass
class Problems:
    """Every problem found while loading, to be raised together."""

    items: list[str] = field(default_factory=list)

    def add(self, file: str, row: int | None, column: str | None, message: str) -> None:
        """Record a problem at ``file`` line ``row`` (1-based, header is line 1)."""
        where = file if row is None else f"{file} line {row}"
        if column:
            where += f" column {column!r}"
        self.items.append(f"{where}: {message}")

    def __bool__(self) -> bool:
        return bool(self.items)


def load_schema() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the column schema and the parameter schema tables."""
    columns = pd.read_csv(DATA_DIR / "schema_columns.csv", dtype=str, keep_default_na=False)
    params = pd.read_csv(DATA_DIR / "schema_parameters.csv", dtype=str, keep_default_na=False)
    return columns, params


def load_source_keys(path: Path = DATA_DIR / "SOURCES.md") -> set[str]:
    """Source keys defined in SOURCES.md as ``### key`` headings."""
    if not path.exists():
        return set()
    return set(re.findall(r"^###\s+(\S+)", path.read_text(encoding="utf-8"), flags=re.M))


def parse_float(text: str) -> float | None:
    """Parse a finite float; ``None`` if it is not one (NaN and inf are rejected)."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def parse_year(text: str) -> int | None:
    """Parse an integer year; ``None`` if it is not one."""
    value = parse_float(text)
    if value is None or value != int(value):
        return None
    return int(value)


def check_columns(table: str, frame: pd.DataFrame, schema: pd.DataFrame, problems: Problems):
    """Record missing required columns and unknown columns of one table."""
    spec = schema[schema.table == table]
    file = f"{table}.csv"
    for col in spec[spec.required == "yes"].column:
        if col not in frame.columns:
            problems.add(file, 1, col, "required column is missing; add it to the header")
    known = set(spec.column)
    for col in frame.columns:
        if col not in known:
            problems.add(file, 1, col, f"unknown column; expected one of {sorted(known)}")


def _cell_problem(dtype: str, value: str, refs, units: UnitRegistry, sources, col) -> str | None:
    """What is wrong with one non-empty cell of a given dtype, or None."""
    if dtype == "float" and parse_float(value) is None:
        return f"{value!r} is not a finite number; write a number"
    if dtype == "year" and parse_year(value) is None:
        return f"{value!r} is not a year; write an integer year"
    if dtype == "unit":
        try:
            units.parse(value)
        except ValueError as exc:
            return str(exc)
    if dtype == "source":
        unknown = [k.strip() for k in value.split(";") if k.strip() not in sources]
        if unknown:
            return (
                f"source {unknown} not defined in SOURCES.md; add a '### key' entry there "
                "with its licence or terms"
            )
    if dtype.startswith("ref:") or dtype.startswith("param:"):
        kind, names = dtype.split(":")
        if kind == "param":
            options = refs.get("param:" + names, set())
        else:
            options = set().union(*(refs.get(r, set()) for r in names.split("|")))
        if value not in options:
            listed = ", ".join(sorted(options)[:30]) + (" ..." if len(options) > 30 else "")
            return f"unknown {col} {value!r}; known: {listed}"
    return None


def check_cell(ctx, spec, value: str, line: int) -> None:
    """Check one cell against its column spec (type, allowed values, references)."""
    table, problems, refs, units, sources = ctx
    file, col = f"{table}.csv", spec.column
    if value == "":
        if spec.required == "yes":
            problems.add(file, line, col, "empty; a value is required")
        return
    message = _cell_problem(spec.dtype, value, refs, units, sources, col)
    if message:
        problems.add(file, line, col, message)
    if spec.allowed and value not in spec.allowed.split("|"):
        problems.add(file, line, col, f"{value!r} not allowed; expected one of {spec.allowed}")


def check_duplicates(table: str, frame: pd.DataFrame, problems: Problems) -> None:
    """Record rows whose key repeats an earlier row."""
    keys = [k for k in TABLE_KEYS[table] if k in frame.columns]
    if not keys:
        return
    dup = frame.duplicated(subset=keys, keep="first")
    for idx in frame.index[dup]:
        key = ", ".join(f"{k}={frame.at[idx, k]!r}" for k in keys)
        problems.add(
            f"{table}.csv",
            idx + 2,
            None,
            f"duplicate key ({key}) repeats an earlier row; keep one row",
        )


def check_table(table, frame, schema, refs, units: UnitRegistry, sources, problems) -> None:
    """Check columns, every cell, and duplicate keys of one table."""
    check_columns(table, frame, schema, problems)
    spec = schema[(schema.table == table) & schema.column.isin(frame.columns)]
    ctx = (table, problems, refs, units, sources)
    cells = list(spec.itertuples())  # once, not once per row
    for idx, row in zip(frame.index, frame.to_dict("records"), strict=True):
        for s in cells:
            check_cell(ctx, s, row[s.column].strip(), idx + 2)
        if row.get("source", "").strip() == "assumption" and not row.get("note", "").strip():
            problems.add(
                f"{table}.csv",
                idx + 2,
                "note",
                "source is 'assumption' but the note is empty; say what was assumed",
            )
    check_duplicates(table, frame, problems)
