"""Demand against published outlooks, the prior's range, electrification and final energy.

Run after ``netua study studies/demand/prior.toml --out results/demand/prior``::

    python studies/demand/outlooks.py

It solves the low, medium and high scenarios (history on, no carbon policy before 2060), reads the
prior study's store, and writes ``results/demand/`` tables (``scenarios.csv``, ``prior_ranges.csv``,
``electrification.csv``, ``final_energy_2060.csv``, ``fuel_shares.csv``) and ``docs/demand.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from model.build import Settings, build_model
from model.demand import Derivation
from model.load import CHINA_DATA, load_inputs
from model.outputs import NON_END_USE, extract_outputs, prepare_extraction, solution_arrays
from model.solve import solve_model
from model.units import UnitRegistry

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
OUT = REPO / "results" / "demand"
DOC = REPO / "docs" / "demand.md"
YEARS = [2020, 2024, 2025, 2030, 2035, 2040]
ACTIVITY = {
    "steel": "steel",
    "cement": "cement",
    "olefins": "olefins",
    "ammonia": "ammonia",
    "methanol": "methanol",
    "passenger_km": ["passenger_car", "passenger_bus", "passenger_rail", "aviation"],
    "freight_tkm": ["freight_road", "freight_rail", "shipping"],
}
PJ_PER_TWH = 3.6


def solve(inputs, scenario: str):
    """Solve one scenario; return outputs and the built context."""
    m, ctx = build_model(inputs, Settings(scenario=scenario))
    solve_model(m)
    out = extract_outputs(prepare_extraction(ctx), solution_arrays(ctx), {}, 0.0)
    return out, ctx


def final_energy(ctx, sol: dict) -> xr.DataArray:
    """Final energy (PJ) by sector, commodity and year: end-use inputs plus final demands."""
    inp = ctx.inputs
    units = UnitRegistry()
    energy = np.array([units.unit_dims(u) == {"energy": 1} for u in inp.commodities.unit])
    act = xr.DataArray(np.nan_to_num(sol["act"]), coords=inp.tech_param["capex"].coords)
    use = inp.flow_in * act
    end = ~inp.techs.sector.isin(NON_END_USE)
    use = use.sel(tech=inp.techs.index[end.to_numpy()], commodity=inp.commodities.index[energy])
    sectors = inp.techs.sector.reindex(use.tech.values).to_numpy()
    by_sector = use.groupby(xr.DataArray(sectors, dims="tech", name="sector")).sum("tech")
    demand = inp.demand.sel(scenario=ctx.settings.scenario, drop=True)
    direct = demand.sel(commodity=inp.commodities.index[energy])
    direct = direct.expand_dims(sector=["final demand"])
    return xr.concat([by_sector, direct], dim="sector")


def scenario_table(inputs) -> tuple[pd.DataFrame, dict]:
    """Primary energy, generation, shares and activity in the three growth scenarios."""
    rows, keep = [], {}
    for scenario in ("low", "medium", "high"):
        out, ctx = solve(inputs, scenario)
        sol = solution_arrays(ctx)
        keep[scenario] = (out, ctx, sol)
        pe = out.primary_energy.sum("fuel")
        gen = out.generation.sum("tech")
        dem = inputs.demand.sel(scenario=scenario)
        for year in YEARS:
            row = {"scenario": scenario, "year": year}
            row["primary_energy_Gtce"] = float(pe.sel(year=year))
            row["generation_TWh"] = float(gen.sel(year=year))
            for fuel in ("coal", "oil", "gas", "nonfossil"):
                share = out.primary_energy.sel(fuel=fuel, year=year) / pe.sel(year=year)
                row[f"{fuel}_share"] = float(share)
            row["electrification"] = float(out.electrification.sel(year=year))
            for name, com in ACTIVITY.items():
                row[name] = float(dem.sel(commodity=com, year=year).sum())
            rows.append(row)
    return pd.DataFrame(rows), keep


def cagr(a: float, b: float, years: int) -> float:
    return (b / a) ** (1 / years) - 1


def physical_content(ds: xr.Dataset, inputs) -> xr.DataArray:
    """Primary energy in the IEA's physical-content accounting (PJ), sample x year.

    NBS counts non-fossil electricity at the coal heat rate (``coal_equivalent_factor``); the IEA
    counts wind, solar and hydro at 3.6 PJ/TWh and nuclear at 3.6 / 0.33 PJ/TWh. Fossil fuels and
    biomass supply are the same in both.
    """
    ce_tech = inputs.tech_param["coal_equivalent"].isel(year=0).to_series()
    nonfossil = [t for t in ds.tech.values if ce_tech.get(t, 0) > 0]
    nuclear = set(inputs.groups.get("nuclear", []))
    ce = inputs.series["coal_equivalent_factor"].sel(year=ds.year)
    gen = ds.generation.sel(tech=nonfossil) * PJ_PER_TWH  # PJ of electricity
    physical = xr.DataArray(
        [1 / 0.33 if t in nuclear else 1.0 for t in nonfossil],
        dims="tech",
        coords={"tech": nonfossil},
    )
    pe = ds.primary_energy.sum("fuel") * 29307.6  # Gtce -> PJ
    return pe - (gen * ce).sum("tech") + (gen * physical).sum("tech")


def prior_ranges(store: Path, inputs) -> tuple[pd.DataFrame, int]:
    """5/50/95 % of the prior study's primary energy growth and levels, generation, shares."""
    ds = xr.open_zarr(store)
    tes = physical_content(ds, inputs).values[ds.status.values == 1]
    ok = ds.status.values == 1
    pe = ds.primary_energy.sum("fuel").values[ok]
    years = list(ds.year.values)
    i = {y: years.index(y) for y in (2022, 2024, 2025, 2030, 2035, 2040)}
    gen = ds.generation.sum("tech").values[ok]
    share = ds.primary_energy.values[ok] / ds.primary_energy.sum("fuel").values[ok][:, None, :]
    fuels = list(ds.fuel.values)
    stats = {
        "primary_energy_growth_2025_2030": (pe[:, i[2030]] / pe[:, i[2025]]) ** (1 / 5) - 1,
        "primary_energy_growth_2024_2030": (pe[:, i[2030]] / pe[:, i[2024]]) ** (1 / 6) - 1,
        "primary_energy_growth_2024_2035": (pe[:, i[2035]] / pe[:, i[2024]]) ** (1 / 11) - 1,
        "physical_content_growth_2022_2030": (tes[:, i[2030]] / tes[:, i[2022]]) ** (1 / 8) - 1,
        "primary_energy_2030_Gtce": pe[:, i[2030]],
        "primary_energy_2035_Gtce": pe[:, i[2035]],
        "generation_2030_TWh": gen[:, i[2030]],
        "generation_2035_TWh": gen[:, i[2035]],
        "generation_growth_2025_2030": (gen[:, i[2030]] / gen[:, i[2025]]) ** (1 / 5) - 1,
    }
    for fuel in ("gas", "oil"):
        for year in (2025, 2030, 2035, 2040):
            stats[f"{fuel}_share_{year}"] = share[:, fuels.index(fuel), i[year]]
    rows = [
        {
            "statistic": k,
            "p05": np.quantile(v, 0.05),
            "p50": np.quantile(v, 0.5),
            "p95": np.quantile(v, 0.95),
            "min": v.min(),
            "max": v.max(),
        }
        for k, v in stats.items()
    ]
    return pd.DataFrame(rows), int(ok.sum())


def electrification_table(keep: dict, targets: pd.DataFrame) -> pd.DataFrame:
    """Model electrification 2020-2025 (medium, history on) under two definitions, and CEC's."""
    out, ctx, sol = keep["medium"]
    fe = final_energy(ctx, sol)
    total = fe.sum(["sector", "commodity"])
    elec = fe.sel(commodity="electricity").sum("sector")
    chem = fe.sel(sector="chemicals").sum("commodity") - fe.sel(
        sector="chemicals", commodity="electricity"
    )
    rows = []
    for year in (2020, 2021, 2022, 2023, 2024, 2025, 2030, 2060):
        reported = targets[(targets.statistic == "electrification") & (targets.year == year)]
        rows.append(
            {
                "year": year,
                "model_with_feedstock": float(elec.sel(year=year) / total.sel(year=year)),
                "model_without_chemicals_non_electric": float(
                    elec.sel(year=year) / (total - chem).sel(year=year)
                ),
                "reported": float(reported.target.iloc[0]) if len(reported) else np.nan,
                "reported_source": reported.source.iloc[0] if len(reported) else "",
            }
        )
    return pd.DataFrame(rows)


def composition_2060(keep: dict) -> pd.DataFrame:
    """Final energy in 2060 (medium) by carrier and sector, PJ and share."""
    out, ctx, sol = keep["medium"]
    fe = final_energy(ctx, sol).sel(year=2060)
    frame = fe.to_dataframe(name="PJ").reset_index()
    frame = frame[frame.PJ > 1e-6].drop(columns=["year"], errors="ignore")
    frame["share"] = frame.PJ / frame.PJ.sum()
    return frame.sort_values("PJ", ascending=False).reset_index(drop=True)


def fitted_table(inputs) -> pd.DataFrame:
    der = Derivation(inputs)
    rows = []
    for c in der.members:
        fam = der.families[der.family_of[c]]
        rows.append(
            {
                "commodity": c,
                "family": fam.name,
                "start": der.start_of[c],
                "fitted_2020_2024": der.fitted["medium"][c],
                "long_run": fam.elasticity,
                "range": f"{fam.ranges['elasticity'][0]:g} to {fam.ranges['elasticity'][1]:g}",
                "scale": der.scale_of[c],
            }
        )
    return pd.DataFrame(rows)


def main() -> int:
    inputs = load_inputs(CHINA_DATA)
    OUT.mkdir(parents=True, exist_ok=True)
    scen, keep = scenario_table(inputs)
    scen.to_csv(OUT / "scenarios.csv", index=False, float_format="%.6g")
    store = OUT / "prior" / "store.zarr"
    prior, n_prior = prior_ranges(store, inputs) if store.exists() else (pd.DataFrame(), 0)
    prior.to_csv(OUT / "prior_ranges.csv", index=False, float_format="%.6g")
    targets = pd.read_csv(REPO / "studies" / "calibration" / "targets.csv")
    elec = electrification_table(keep, targets)
    elec.to_csv(OUT / "electrification.csv", index=False, float_format="%.6g")
    comp = composition_2060(keep)
    comp.to_csv(OUT / "final_energy_2060.csv", index=False, float_format="%.6g")
    fitted = fitted_table(inputs)
    fitted.to_csv(OUT / "elasticities.csv", index=False, float_format="%.6g")
    outlooks = pd.read_csv(HERE / "outlooks.csv")
    check = pd.read_csv(OUT / "growth_check.csv")
    from doc import write_doc  # noqa: PLC0415 (the page text lives beside this script)

    write_doc(DOC, scen, prior, n_prior, elec, comp, fitted, outlooks, check)
    print(f"wrote {DOC} and {OUT}/*.csv (prior: {n_prior} samples)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
