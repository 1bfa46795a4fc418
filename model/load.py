"""Load a dataset folder of tidy CSV tables into validated, unit-converted model inputs.

``load_inputs(path)`` reads every table, checks it against the schema (columns, types, references,
units, parameter ranges, duplicate keys, distinct technologies), raises one :class:`InputError`
listing every problem with file, line, column, what was expected and the fix, and otherwise returns
an :class:`Inputs` whose numbers are all in the model's base units (see :mod:`model.units`).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from model.checks import (
    check_demand_tables,
    check_distinct_techs,
    check_values,
    check_year_mixing,
    reference_sets,
)
from model.demand import Derivation
from model.errors import InputError
from model.schema import (
    DATA_DIR,
    REQUIRED_TABLES,
    TABLE_KEYS,
    Problems,
    check_table,
    load_schema,
    load_source_keys,
    parse_year,
)
from model.units import UnitRegistry

logger = logging.getLogger(__name__)

EXAMPLE_DATA = DATA_DIR / "example"
CHINA_DATA = DATA_DIR / "china"


@dataclass(frozen=True)
class Inputs:
    """Validated model inputs in base units (PJ, GW, Mt, MtCO2, bnCNY2020, bn pkm/tkm).

    Attributes
    ----------
    years : numpy.ndarray
        Model years, base year to end year, annual.
    techs, commodities : pandas.DataFrame
        Attribute tables indexed by name.
    tech_param : xarray.Dataset
        One variable per technology parameter over (tech, year); NaN where not given and the schema
        has no default.
    flow_in, flow_out : xarray.DataArray
        Input and output ratios over (tech, commodity, year): commodity base unit per unit of
        activity.
    commodity_param : xarray.Dataset
        Commodity parameters over (commodity, year).
    stock : xarray.DataArray
        Operable base-year stock surviving in each year over (tech, year).
    demand : xarray.DataArray
        Demands over (scenario, commodity, year).
    settings : dict
        Scalar settings in base units.
    series : xarray.Dataset
        Time-series settings over (year).
    activity, potentials, history : pandas.DataFrame
        Rows in base units (column ``value``).
    groups : dict
        Technology group name -> list of member technologies.
    drivers, demand_families, demand_elasticities : pandas.DataFrame or None
        Demand drivers (base units in ``base``), the derived commodities' families and the
        families' elasticities and drifts (:mod:`model.demand`); None when the dataset has none.
    demand_units : dict
        Commodity -> (unit, factor to base units) of its demand rows.
    """

    path: Path
    years: np.ndarray
    techs: pd.DataFrame
    commodities: pd.DataFrame
    tech_param: xr.Dataset
    flow_in: xr.DataArray
    flow_out: xr.DataArray
    commodity_param: xr.Dataset
    stock: xr.DataArray
    demand: xr.DataArray
    settings: dict
    series: xr.Dataset
    activity: pd.DataFrame
    potentials: pd.DataFrame
    history: pd.DataFrame
    groups: dict = field(default_factory=dict)
    data_hash: str = ""
    drivers: pd.DataFrame | None = None
    demand_families: pd.DataFrame | None = None
    demand_elasticities: pd.DataFrame | None = None
    demand_units: dict = field(default_factory=dict)


def read_tables(path: Path, problems: Problems) -> dict[str, pd.DataFrame]:
    """Read every CSV table of a dataset folder as strings."""
    tables = {}
    for table in TABLE_KEYS:
        file = path / f"{table}.csv"
        if not file.exists():
            if table in REQUIRED_TABLES:
                problems.add(f"{table}.csv", None, None, f"file missing in {path}; create it")
            continue
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, skipinitialspace=True)
        frame.columns = [c.strip() for c in frame.columns]
        frame = frame.map(str.strip) if len(frame) else frame
        for col in ("year", "vintage"):  # "2030.0" (a spreadsheet export) is the year 2030
            if col in frame:
                frame[col] = [_canonical_year(v) for v in frame[col]]
        tables[table] = frame
    return tables


def _canonical_year(text: str) -> str:
    """'2030.0' -> '2030'; blanks and non-years are kept for the cell checks to report."""
    year = parse_year(text) if text != "" else None
    return text if year is None else str(year)


def dataset_hash(path: Path) -> str:
    """SHA-256 over the dataset's CSV files (names and bytes) and the shared schema files."""
    digest = hashlib.sha256()
    files = sorted(path.glob("*.csv")) + sorted(DATA_DIR.glob("*.csv"))
    for file in files:
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def series_over_years(rows: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """Interpolate rows with a ``year`` column (blank = constant) over ``years``, flat outside."""
    given = rows[rows.year != ""]
    if len(given) == 0:
        return np.full(len(years), rows.base.iloc[-1])
    x = given.year.astype(int).to_numpy()
    order = np.argsort(x)
    return np.interp(years, x[order], given.base.to_numpy()[order])


def settings_from(frame: pd.DataFrame, params: pd.DataFrame, years=None):
    """Scalar settings (defaults from the schema) and time-series settings."""
    spec = params[params.table == "settings"]
    scalars = {s.parameter: float(s.default) for s in spec.itertuples() if s.default != ""}
    series = {}
    for name, rows in frame.groupby("parameter"):
        if (rows.year == "").all():
            scalars[name] = float(rows.base.iloc[-1])
        elif years is not None:
            series[name] = series_over_years(rows, years)
    return scalars, series


def param_dataset(frame, key, names, params_table, params, years) -> xr.Dataset:
    """A (key, year) variable per parameter: schema default where not given."""
    spec = params[params.table == params_table].set_index("parameter")
    data = {}
    for param, s in spec.iterrows():
        default = float(s.default) if s.default != "" else np.nan
        arr = np.full((len(names), len(years)), default)
        rows = frame[frame.parameter == param] if frame is not None else frame
        if rows is not None:
            index = {n: i for i, n in enumerate(names)}
            for name, sub in rows.groupby(key):
                arr[index[name]] = series_over_years(sub, years)
        data[param] = ((key, "year"), arr)
    return xr.Dataset(data, coords={key: list(names), "year": years})


def flow_arrays(tables, techs, comms, years) -> tuple[xr.DataArray, xr.DataArray]:
    """Input and output ratios over (tech, commodity, year); main output defaults to 1."""
    shape = (len(techs), len(comms), len(years))
    arrays = {"in": np.zeros(shape), "out": np.zeros(shape)}
    t_index = {t: i for i, t in enumerate(techs.index)}
    c_index = {c: i for i, c in enumerate(comms.index)}
    for tech, output in techs.output.items():
        arrays["out"][t_index[tech], c_index[output]] = 1.0
    for (tech, com, direction), sub in tables["flows"].groupby(["tech", "commodity", "direction"]):
        arrays[direction][t_index[tech], c_index[com]] = series_over_years(sub, years)
    coords = {"tech": list(techs.index), "commodity": list(comms.index), "year": years}
    dims = ("tech", "commodity", "year")
    return (
        xr.DataArray(arrays["in"], coords, dims, name="flow_in"),
        xr.DataArray(arrays["out"], coords, dims, name="flow_out"),
    )


def surviving_stock(frame, lifetime: xr.DataArray, years) -> xr.DataArray:
    """Base-year stock still within its lifetime in each year, over (tech, year)."""
    out = xr.zeros_like(lifetime)
    if frame is None:
        return out.rename("stock")
    for row in frame.itertuples():
        life = float(lifetime.sel(tech=row.tech).isel(year=0))
        alive = (years < int(row.vintage) + life).astype(float)
        out.loc[row.tech] = out.sel(tech=row.tech) + row.base * alive
    return out.rename("stock")


def demand_array(frame, comms, years) -> xr.DataArray:
    """Demand over (scenario, commodity, year), interpolated between given years."""
    scenarios = sorted(frame.scenario.unique()) if frame is not None and len(frame) else ["none"]
    arr = np.zeros((len(scenarios), len(comms), len(years)))
    if frame is not None:
        c_index = {c: i for i, c in enumerate(comms.index)}
        for (scen, com), sub in frame.groupby(["scenario", "commodity"]):
            arr[scenarios.index(scen), c_index[com]] = series_over_years(sub, years)
    return xr.DataArray(
        arr,
        {"scenario": scenarios, "commodity": list(comms.index), "year": years},
        ("scenario", "commodity", "year"),
        name="demand",
    )


def load_inputs(path: str | Path = EXAMPLE_DATA, *, check_derived: bool = True) -> Inputs:
    """Load and validate a dataset folder; raise one InputError listing every problem.

    Parameters
    ----------
    path : str or Path
        Folder holding the dataset's CSV tables (``commodities.csv``, ``technologies.csv``, ...).

    check_derived : bool
        Refuse a dataset whose derived demand rows (after ``demand_base_year``) differ from what
        its drivers and elasticities give (a stale ``demand.csv``); ``studies/demand/derive.py``
        loads with False to regenerate them.

    Returns
    -------
    Inputs
        Validated inputs in base units.
    """
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"dataset folder {path} does not exist; pass a folder of CSV tables")
    problems = Problems()
    tables = read_tables(path, problems)
    if problems:
        raise InputError(_report(path, problems))
    schema, params = load_schema()
    units, sources = UnitRegistry(), load_source_keys(path / "SOURCES.md") | load_source_keys()
    refs = reference_sets(tables, params)
    for table, frame in tables.items():
        check_table(table, frame, schema, refs, units, sources, problems)
    check_values(tables, params, units, problems)
    if not problems:
        check_year_mixing(tables, problems)
        check_distinct_techs(tables, problems)
        check_demand_tables(tables, problems)
    if problems:
        raise InputError(_report(path, problems))
    inputs = assemble(path, tables, params)
    if check_derived and inputs.demand_families is not None:
        check_derived_demand(inputs)
    return inputs


def check_derived_demand(inputs: Inputs) -> None:
    """Raise if demand.csv's derived rows are not what the drivers and elasticities give."""
    der = Derivation(inputs)
    arr = der.array({}, convergence_year=der.conv)  # every family, the dataset's own values
    bad = ~np.isclose(arr, inputs.demand.values, rtol=1e-9, atol=1e-12)
    if bad.any():
        s, c, y = (int(v[0]) for v in np.nonzero(bad))
        raise InputError(
            f"demand.csv is stale: {inputs.demand.commodity.values[c]} "
            f"({inputs.demand.scenario.values[s]}, {int(inputs.years[y])}) is "
            f"{inputs.demand.values[s, c, y]:.6g} but drivers.csv and demand_elasticities.csv "
            f"give {arr[s, c, y]:.6g}; regenerate the derived rows with "
            "`python studies/demand/derive.py`"
        )


def _report(path: Path, problems: Problems) -> str:
    lines = "\n  ".join(problems.items)
    return f"{len(problems.items)} problem(s) in dataset {path}:\n  {lines}"


def assemble(path: Path, tables, params) -> Inputs:
    """Turn validated tables (with their ``base`` column) into :class:`Inputs`."""
    scalars, _ = settings_from(tables["settings"], params)
    years = np.arange(int(scalars["base_year"]), int(scalars["end_year"]) + 1)
    scalars, series = settings_from(tables["settings"], params, years)
    techs = tables["technologies"].set_index("tech")
    comms = tables["commodities"].set_index("commodity")
    tech_param = param_dataset(
        tables["tech_parameters"], "tech", techs.index, "tech_parameters", params, years
    )
    com_param = param_dataset(
        tables.get("commodity_parameters"),
        "commodity",
        comms.index,
        "commodity_parameters",
        params,
        years,
    )
    flow_in, flow_out = flow_arrays(tables, techs, comms, years)
    groups = {}
    if "groups" in tables:
        for group, sub in tables["groups"].groupby("group"):
            groups[group] = list(sub.tech)
    empty = pd.DataFrame(columns=["value", "base"])
    return Inputs(
        path=path,
        years=years,
        techs=techs,
        commodities=comms,
        tech_param=tech_param,
        flow_in=flow_in,
        flow_out=flow_out,
        commodity_param=com_param,
        stock=surviving_stock(tables.get("stock"), tech_param["lifetime"], years),
        demand=demand_array(tables.get("demand"), comms, years),
        settings=scalars,
        series=xr.Dataset({k: ("year", v) for k, v in series.items()}, coords={"year": years}),
        activity=tables.get("activity", empty),
        potentials=tables.get("potentials", empty),
        history=tables.get("history", empty),
        groups=groups,
        data_hash=dataset_hash(path),
        drivers=tables.get("drivers"),
        demand_families=tables.get("demand_families"),
        demand_elasticities=tables.get("demand_elasticities"),
        demand_units=demand_units(tables.get("demand")),
    )


def demand_units(frame) -> dict:
    """Commodity -> (unit, factor to base units) of its demand rows (the last row's unit)."""
    if frame is None or len(frame) == 0:
        return {}
    out = {}
    for com, sub in frame.groupby("commodity"):
        row = sub.iloc[-1]
        value = float(row["value"])
        out[com] = (row["unit"], float(row["base"]) / value if value else 1.0)
    return out
