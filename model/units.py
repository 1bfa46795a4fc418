"""Controlled units and their conversion to the model's base units.

The list of units lives in ``model/data/units.csv`` (unit, dimension, factor to the base unit of
its dimension). A compound unit is written ``a*b/c/d``: atoms multiplied in the numerator, each
``/`` dividing by one atom. A ``time`` atom in a denominator (``CNY2020/kW/yr``) is dropped from the
dimension: every flow in the model is a rate per year.

Base units: PJ (energy), GW (power capacity), Mt (materials), MtCO2, bnCNY2020 (money), billion
pkm and tkm, years.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from model.errors import InputError

UNITS_FILE = Path(__file__).parent / "data" / "units.csv"


@dataclass(frozen=True)
class Unit:
    """A parsed unit: its factor to base units and its dimension signature."""

    text: str
    factor: float
    dims: tuple[tuple[str, int], ...]

    @property
    def dimension(self) -> str:
        """Readable dimension signature, e.g. ``money/power``."""
        return format_dims(dict(self.dims))


def format_dims(dims: dict[str, int]) -> str:
    """Write a dimension signature as ``a*b/c``."""
    num = [d for d, e in sorted(dims.items()) for _ in range(e) if e > 0]
    den = [d for d, e in sorted(dims.items()) for _ in range(-e) if e < 0]
    text = "*".join(num) or "1"
    return text + "".join("/" + d for d in den)


class UnitRegistry:
    """Parse and convert units from the controlled list.

    Parameters
    ----------
    table : pandas.DataFrame, optional
        Columns ``unit, dimension, factor``; defaults to ``model/data/units.csv``.
    """

    def __init__(self, table: pd.DataFrame | None = None):
        table = pd.read_csv(UNITS_FILE) if table is None else table
        self.atoms = {str(r.unit): (str(r.dimension), float(r.factor)) for r in table.itertuples()}

    def parse(self, text: str) -> Unit:
        """Parse ``text`` into a :class:`Unit`; raise ``InputError`` on an unknown atom."""
        text = str(text).strip()
        parts = text.split("/")
        dims: Counter[str] = Counter()
        factor = 1.0
        for position, part in enumerate(parts):
            for atom in part.split("*"):
                if atom not in self.atoms:
                    raise InputError(
                        f"unknown unit {atom!r} in {text!r}; known units: "
                        f"{', '.join(sorted(self.atoms))} (add it to {UNITS_FILE.name})"
                    )
                dim, f = self.atoms[atom]
                if position == 0:
                    factor *= f
                    dims[dim] += 1 if dim != "fraction" else 0
                else:
                    factor /= f
                    if dim != "time" or position == 0:
                        dims[dim] -= 1 if dim != "fraction" else 0
        clean = tuple(sorted((d, e) for d, e in dims.items() if e != 0))
        return Unit(text, factor, clean)

    def dims_of(self, expression: str) -> dict[str, int]:
        """Dimension signature of an expression such as ``money/power`` (dimension names)."""
        dims: Counter[str] = Counter()
        for position, part in enumerate(expression.split("/")):
            for atom in part.split("*"):
                if atom in ("1", "fraction"):
                    continue
                dims[atom] += 1 if position == 0 else -1
        return {d: e for d, e in dims.items() if e != 0}

    def unit_dims(self, unit_text: str) -> dict[str, int]:
        """Dimension signature of a unit."""
        return dict(self.parse(unit_text).dims)
