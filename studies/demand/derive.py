"""Regenerate the derived rows of ``model/data/china/demand.csv`` from the demand drivers.

Run ``python studies/demand/derive.py`` (``--check`` only compares). Rows up to
``demand_base_year`` (observed) are kept; every row after it of a commodity listed in
``demand_families.csv`` is derived by :class:`model.demand.Derivation` from ``drivers.csv`` and
``demand_elasticities.csv``, annually to the last driver year. The script also writes
``results/demand/growth_check.csv``: per commodity and scenario the observed growth 2021-2024,
the growth 2024->2025 and 2025-2030 (%/yr), and whether 2024->2025 lies between the other two.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from model.demand import Derivation
from model.load import CHINA_DATA, load_inputs

REPO = Path(__file__).resolve().parents[2]
COLUMNS = ["commodity", "scenario", "year", "value", "unit", "source", "note"]


def derived_table(path: Path = CHINA_DATA) -> pd.DataFrame:
    """demand.csv as it should be: observed rows kept, derived rows regenerated (strings)."""
    inputs = load_inputs(path, check_derived=False)
    der = Derivation(inputs)
    current = pd.read_csv(path / "demand.csv", dtype=str, keep_default_na=False)
    years = current.year.astype(int)
    keep = current[(years <= der.base) | ~current.commodity.isin(der.members)]
    rows = der.rows().astype(str)
    table = pd.concat([keep[COLUMNS], rows[COLUMNS]], ignore_index=True)
    order = {c: i for i, c in enumerate(dict.fromkeys(current.commodity))}
    scen = {s: i for i, s in enumerate(dict.fromkeys(current.scenario))}
    key = pd.DataFrame(
        {
            "c": table.commodity.map(order),
            "s": table.scenario.map(scen),
            "y": table.year.astype(int),
        }
    )
    return table.loc[key.sort_values(["c", "s", "y"], kind="stable").index].reset_index(drop=True)


def growth_check(table: pd.DataFrame, base: int = 2024, notes: dict | None = None) -> pd.DataFrame:
    """Observed 2021-2024, 2024->2025 and 2025-2030 growth (%/yr) per commodity and scenario."""
    t = table.assign(year=table.year.astype(int), value=table.value.astype(float))
    out = []
    for (com, sc), sub in t.groupby(["commodity", "scenario"], sort=False):
        v = sub.set_index("year").value
        first = base - 4
        if not {first, base, base + 1, base + 6} <= set(v.index):
            continue
        hist = (v[base] / v[first]) ** (1 / 4) - 1
        step = v[base + 1] / v[base] - 1
        ahead = (v[base + 6] / v[base + 1]) ** (1 / 5) - 1
        lo, hi = min(hist, ahead), max(hist, ahead)
        out.append(
            {
                "commodity": com,
                "scenario": sc,
                f"growth_{first + 1}_{base}": round(100 * hist, 2),
                f"growth_{base}_{base + 1}": round(100 * step, 2),
                f"growth_{base + 1}_{base + 6}": round(100 * ahead, 2),
                "within": bool(lo - 1e-9 <= step <= hi + 1e-9),
                "explanation": (notes or {}).get(com, ""),
            }
        )
    return pd.DataFrame(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a change")
    args = parser.parse_args(argv)
    table = derived_table()
    path = CHINA_DATA / "demand.csv"
    current = pd.read_csv(path, dtype=str, keep_default_na=False)
    same = current[COLUMNS].equals(table)
    if args.check:
        print("demand.csv is up to date" if same else "demand.csv differs from its derivation")
        return 0 if same else 1
    table.to_csv(path, index=False)
    families = pd.read_csv(CHINA_DATA / "demand_families.csv", keep_default_na=False)
    check = growth_check(table, notes=dict(zip(families.commodity, families.break_note)))
    out = REPO / "results" / "demand"
    out.mkdir(parents=True, exist_ok=True)
    check.to_csv(out / "growth_check.csv", index=False)
    bad = check[~check.within & (check.explanation == "")]
    n_bad = len(bad)
    print(
        f"wrote {path} ({len(table)} rows); growth check: {int((~check.within).sum())} rows "
        f"outside their range, {n_bad} without an explanation"
    )
    if n_bad:
        print(bad.to_string(index=False))
    return 1 if n_bad else 0


if __name__ == "__main__":
    np.seterr(all="raise")
    sys.exit(main())
