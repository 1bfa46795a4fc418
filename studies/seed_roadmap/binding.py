"""Which constraints bind around the peak year, with their duals (medium growth, sink 2 Gt).

Solves the replication setting (history off) and lists every deployment/integration/turnover row
with a non-zero dual in the years peak-2 .. peak+2, aggregated by family and technology (or group).
Duals are undiscounted to the year they apply (bnCNY2020 per unit of the row = million CNY2020 per
GW, per PJ or per Mt). Writes ``results/seed_roadmap/binding.csv`` and the table between the markers
in ``docs/pathways.md``.

    python studies/seed_roadmap/binding.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from tables import replace_between  # this folder (scripts run from it have it on sys.path)

from model.build import Settings, build_model
from model.load import CHINA_DATA, load_inputs
from model.outputs import extract_outputs, prepare_extraction, solution_arrays
from model.solve import solve_model

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "results" / "seed_roadmap"
DOC = ROOT / "docs" / "pathways.md"
#: families that express deployment, integration, turnover or resource limits
FAMILIES = (
    "max_build",
    "max_growth",
    "max_retirement",
    "min_utilisation",
    "max_activity_decline",
    "vre_share",
    "flexibility",
    "adequacy",
    "stock",
    "availability",
    "co2_storage_limit",
)
TOL = 1e-6
#: rows shown in the doc table (all are in binding.csv)
TOP = 30


def binding_rows(m, years_window, df) -> pd.DataFrame:
    """Non-zero duals of the deployment families and potentials in ``years_window``."""
    rows = []
    for name in m.constraints:
        if not (name in FAMILIES or name.startswith("potential_")):
            continue
        dual = m.constraints[name].dual
        if "year" not in dual.dims:
            continue
        dual = dual.sel(year=[y for y in years_window if y in dual.year.values])
        frame = dual.to_dataframe("dual").reset_index()
        frame = frame[np.abs(frame.dual) > TOL]
        for row in frame.itertuples():
            undiscounted = float(row.dual) / float(df.sel(year=row.year))
            rows.append(
                {
                    "family": name,
                    "tech": getattr(row, "tech", "") or "",
                    "year": int(row.year),
                    "dual": undiscounted,
                }
            )
    return pd.DataFrame(rows, columns=["family", "tech", "year", "dual"])


def table(frame: pd.DataFrame, peak: int) -> str:
    """Markdown table: one line per (family, tech), duals by year, the TOP largest."""
    if frame.empty:
        return "(no deployment constraint binds around the peak)\n"
    wide = frame.pivot_table(index=["family", "tech"], columns="year", values="dual", aggfunc="sum")
    wide = wide.reindex(wide.abs().max(axis=1).sort_values(ascending=False).index)[:TOP]
    years = list(wide.columns)
    head = (
        "| family | technology / group | "
        + " | ".join(f"{y}{' (peak)' if y == peak else ''}" for y in years)
        + " |"
    )
    lines = [head, "|" + " --- |" * (len(years) + 2)]
    for (family, tech), values in wide.iterrows():
        cells = ["" if np.isnan(v) else f"{v:,.3g}" for v in values]
        lines.append(f"| {family} | {tech or '-'} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Solve, collect the duals, write the CSV and the doc table."""
    inputs = load_inputs(CHINA_DATA)
    m, ctx = build_model(inputs, Settings(scenario="medium", natural_sink=2000.0, history=False))
    solve_model(m)
    out = extract_outputs(prepare_extraction(ctx), solution_arrays(ctx), {}, 0.0)
    if not np.isfinite(float(out.peak_year)):
        raise SystemExit("the medium scenario does not peak within the horizon: no window")
    peak = int(out.peak_year)
    window = range(peak - 2, peak + 3)
    frame = binding_rows(m, window, ctx.arrays["df"])
    OUT.mkdir(parents=True, exist_ok=True)
    frame.to_csv(OUT / "binding.csv", index=False, float_format="%.6g")
    note = (
        f"Medium growth, sink 2 Gt, history off; peak year {peak}. Duals undiscounted to their "
        "year, in million CNY2020 per unit of the row (GW for capacity rows, PJ or Mt for activity "
        "rows, share-weighted PJ for vre_share). Sign: linopy's convention (a <= row that binds "
        "has a dual <= 0 in a minimisation).\n\n"
    )
    replace_between(DOC, "binding", note + table(frame, peak))
    print(f"peak {peak}; {len(frame)} binding rows written to {OUT / 'binding.csv'} and {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
