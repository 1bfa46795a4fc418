"""What it would take to move the peak: experiments on the replication case, not part of the data.

Medium growth, sink 2 Gt, history off. Each experiment edits a temporary copy of the China dataset
and solves it; the data in model/data/china are not touched. Writes
``results/seed_roadmap/experiments.csv`` (quoted in docs/pathways.md and docs/validation.md).

    python studies/seed_roadmap/experiments.py

- ``demand +x %/yr``: every service demand after 2025 multiplied by (1 + x)^(min(y, 2035) - 2025);
- ``2020 outlook for wind and solar``: additions at most 120 GW/yr in 2021-2025 rising linearly to
  400 GW/yr in 2030, and at most 15 % (2024) and 25 % (2030) of generation - what a modeller in
  2020 expected (the 1,200 GW pledge for 2030 of December 2020) instead of the observed boom.
"""

from __future__ import annotations

import csv
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

from model.load import CHINA_DATA
from model.peak import year_value
from model.scenario import solve_scenario

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "results" / "seed_roadmap"


def _rewrite(path: Path, edit) -> None:
    rows = list(csv.reader(path.open()))
    for row in rows[1:]:
        edit(row)
    with path.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def extra_demand(folder: Path, rate: float) -> None:
    """Every demand row after 2025 x (1 + rate)^(min(y, 2035) - 2025)."""

    def edit(row):
        year = int(row[2])
        if year > 2025:
            row[3] = repr(float(row[3]) * (1 + rate) ** (min(year, 2035) - 2025))

    _rewrite(folder / "demand.csv", edit)


def outlook_2020(folder: Path) -> None:
    """Wind+solar additions and integration limit as expected in 2020."""

    def potentials(row):
        if row[0] == "wind_solar" and row[2] == "max_new_capacity" and 2021 <= int(row[1]) <= 2030:
            year = int(row[1])
            row[3] = str(120 if year <= 2025 else 120 + (year - 2025) * 56)

    def settings(row):
        if row[0] == "max_vre_share" and row[1] in ("2024", "2030"):
            row[2] = "0.15" if row[1] == "2024" else "0.25"

    _rewrite(folder / "potentials.csv", potentials)
    _rewrite(folder / "settings.csv", settings)


EXPERIMENTS = {
    "reference": lambda folder: None,
    "demand +0.5 %/yr 2025-2035": lambda folder: extra_demand(folder, 0.005),
    "demand +1.0 %/yr 2025-2035": lambda folder: extra_demand(folder, 0.010),
    "demand +1.5 %/yr 2025-2035": lambda folder: extra_demand(folder, 0.015),
    "2020 outlook for wind and solar": outlook_2020,
}


def run() -> pd.DataFrame:
    rows = []
    for name, edit in EXPERIMENTS.items():
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "china"
            shutil.copytree(CHINA_DATA, folder)
            edit(folder)
            out = solve_scenario("medium", 2.0, history=False, data=folder)
        pe = out.primary_energy.sum("fuel")
        growth = (float(pe.sel(year=2030)) / float(pe.sel(year=2025))) ** 0.2 - 1
        rows.append(
            {
                "experiment": name,
                "peak_year": year_value(out.peak_year),
                "peak_year_max": int(out.peak_year_max),
                "peak_co2_gt": float(out.peak_co2),
                "pe_growth_2025_2030": growth,
                "coal_share_2030": float(out.coal_share.sel(year=2030)),
                "nonfossil_share_2030": float(out.nonfossil_share.sel(year=2030)),
                **{f"co2_{y}_gt": float(out.co2.sel(year=y)) for y in range(2024, 2031)},
            }
        )
        print(
            f"{name}: peak {rows[-1]['peak_year']} at {rows[-1]['peak_co2_gt']:.2f} Gt",
            file=sys.stderr,
        )
    return pd.DataFrame(rows)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    frame = run()
    frame.to_csv(OUT / "experiments.csv", index=False, float_format="%.4g")
    print(frame.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
