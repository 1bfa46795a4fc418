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
    parse_float,
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


def reference_sets(tables: dict[str, pd.DataFrame], params: pd.DataFrame) -> dict[str, set]:
    """Names that ``ref:`` and ``param:`` columns may refer to."""

    def col(table, column):
        frame = tables.get(table)
        return set(frame[column]) if frame is not None and column in frame else set()

    refs = {
        "commodities": col("commodities", "commodity"),
        "technologies": col("technologies", "tech"),
        "groups": col("groups", "group"),
    }
    for table in params.table.unique():
        refs["param:" + table] = set(params[params.table == table].parameter)
    return refs


def expected_dims(table, row, tables, params, units: UnitRegistry) -> dict[str, int] | None:
    """Dimension a parameter row's unit must have, resolving capacity/activity/unit per row."""
    techs = tables["technologies"].set_index("tech")
    comms = tables["commodities"].set_index("commodity")

    def tech_dims(tech):
        cap = units.unit_dims(techs.at[tech, "capacity_unit"])
        act = units.unit_dims(comms.at[techs.at[tech, "output"], "unit"])
        return cap, act

    if table == "flows":
        cap, act = tech_dims(row["tech"])
        com = units.unit_dims(comms.at[row["commodity"], "unit"])
        return _combine(com, act, -1)
    if table == "stock":
        return tech_dims(row["tech"])[0]
    if table == "activity":
        return tech_dims(row["tech"])[1]
    if table == "demand":
        return units.unit_dims(comms.at[row["commodity"], "unit"])
    spec = params[(params.table == table) & (params.parameter == parameter_of(row))].iloc[0]
    expr = spec.dimension
    subs = {}
    if (
        table in ("tech_parameters", "potentials")
        and row.get("tech", row.get("name")) in techs.index
    ):
        subs["capacity"], subs["activity"] = tech_dims(row.get("tech", row.get("name")))
    elif table in ("commodity_parameters", "potentials"):
        name = row.get("commodity", row.get("name"))
        if name in comms.index:
            subs["unit"] = units.unit_dims(comms.at[name, "unit"])
    if table == "potentials" and row["name"] not in techs.index and row["name"] not in comms.index:
        return None  # a group: its members' units are checked when the constraint is built
    return _resolve(expr, subs, units)


def parameter_of(row) -> str | None:
    """The parameter a value row sets: ``parameter`` (or ``quantity`` in history.csv)."""
    for key in ("parameter", "quantity", "driver"):
        if key in row:
            return row[key]
    return None


def _combine(a: dict, b: dict, sign: int) -> dict:
    out = dict(a)
    for d, e in b.items():
        out[d] = out.get(d, 0) + sign * e
    return {d: e for d, e in out.items() if e != 0}


def _resolve(expr: str, subs: dict, units: UnitRegistry) -> dict[str, int] | None:
    dims: dict[str, int] = {}
    for position, part in enumerate(expr.split("/")):
        for atom in part.split("*"):
            sign = 1 if position == 0 else -1
            if atom in subs:
                dims = _combine(dims, subs[atom], sign)
            elif atom in ("capacity", "activity", "unit"):
                return None
            elif atom not in ("1", "fraction"):
                dims = _combine(dims, {atom: 1}, sign)
    return dims


VALUE_TABLES = (
    "commodity_parameters",
    "tech_parameters",
    "flows",
    "stock",
    "activity",
    "demand",
    "potentials",
    "history",
    "settings",
    "drivers",
    "demand_elasticities",
)


def check_values(tables, params, units: UnitRegistry, problems: Problems) -> None:
    """Check each value row's unit dimension and range; add a ``base`` column in base units.

    A row whose value could not be converted although no problem was reported for it is itself
    reported, so that no NaN slips silently into the model.
    """
    unconverted = []
    for table in VALUE_TABLES:
        frame = tables.get(table)
        if frame is None or "value" not in frame or "unit" not in frame:
            continue
        base = np.full(len(frame), np.nan)
        for i, (idx, row) in enumerate(frame.iterrows()):
            base[i] = _check_value_row(table, row, idx + 2, tables, params, units, problems)
            if np.isnan(base[i]):
                unconverted.append((table, idx + 2))
        frame["base"] = base
    if not problems:  # otherwise the unconverted rows are those with reported problems
        for table, line in unconverted:
            problems.add(
                f"{table}.csv",
                line,
                "unit",
                "this row's value could not be converted to base units; check its unit and keys",
            )


def _check_value_row(table, row, line, tables, params, units, problems) -> float:
    file = f"{table}.csv"
    value = parse_float(row["value"])
    try:
        unit = units.parse(row["unit"])
        want = expected_dims(table, row, tables, params, units)
    except (ValueError, KeyError, IndexError):
        return np.nan  # reported by the cell checks
    if value is None:
        return np.nan
    if want is not None and dict(unit.dims) != want:
        from model.units import format_dims

        problems.add(
            file,
            line,
            "unit",
            f"{row['unit']!r} has dimension {unit.dimension}; "
            f"expected {format_dims(want)}; use a unit of that dimension",
        )
        return np.nan
    if parameter_of(row) is not None:
        spec = params[(params.table == table) & (params.parameter == parameter_of(row))]
        if len(spec):
            s = spec.iloc[0]
            base_value = value * unit.factor
            if s.lower != "" and base_value < float(s.lower):
                problems.add(
                    file,
                    line,
                    "value",
                    f"{parameter_of(row)} = {value} is below "
                    f"its lower bound {s.lower}; {s.description}",
                )
            if s.upper != "" and base_value > float(s.upper):
                problems.add(
                    file,
                    line,
                    "value",
                    f"{parameter_of(row)} = {value} is above "
                    f"its upper bound {s.upper}; {s.description}",
                )
    elif value < 0 and table in ("stock", "demand", "flows", "activity"):
        problems.add(file, line, "value", f"negative {table} value {value}; must be >= 0")
    return value * unit.factor


def check_year_mixing(tables, problems: Problems) -> None:
    """Flag keys given both for all years (blank year) and for dated years: ambiguous."""
    for table in ("commodity_parameters", "tech_parameters", "flows", "potentials", "settings"):
        frame = tables.get(table)
        if frame is None or "year" not in frame:
            continue
        keys = [k for k in TABLE_KEYS[table] if k != "year" and k in frame]
        for key, rows in frame.groupby(keys):
            blank = rows.year == ""
            if blank.any() and not blank.all():
                line = int(rows.index[blank][0]) + 2
                problems.add(
                    f"{table}.csv",
                    line,
                    "year",
                    f"{dict(zip(keys, key, strict=True))} "
                    "has a blank-year row and dated rows; the blank row would be ignored: "
                    "give years on every row or remove the dated ones",
                )


def check_distinct_techs(tables, problems: Problems) -> None:
    """Flag technologies that are exact duplicates of each other (same attributes and data)."""
    techs = tables["technologies"]
    signature = {}
    for _, row in techs.iterrows():
        parts = [row["sector"], row["output"], row["capacity_unit"]]
        for table in ("tech_parameters", "flows"):
            frame = tables.get(table)
            if frame is not None and "tech" in frame:
                sub = frame[frame.tech == row["tech"]].drop(
                    columns=[c for c in ("tech", "source", "note", "base") if c in frame]
                )
                parts.append(sub.sort_values(list(sub.columns)).to_csv(index=False))
        signature.setdefault(tuple(parts), []).append(row["tech"])
    for names in signature.values():
        if len(names) > 1:
            problems.add(
                "technologies.csv",
                None,
                "tech",
                f"technologies {names} are exact duplicates (same sector, flows and "
                "parameters); remove one or give each its own sourced data",
            )


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


def check_demand_tables(tables, problems: Problems) -> None:
    """The derived-demand tables refer to each other and to demand.csv consistently."""
    fam, ela, drv = (tables.get(t) for t in ("demand_families", "demand_elasticities", "drivers"))
    if fam is None:
        return
    for name, missing in (("demand_elasticities", ela), ("drivers", drv)):
        if missing is None:
            problems.add(f"{name}.csv", None, None, "missing; demand_families.csv needs it")
    settings = tables["settings"]
    if "demand_base_year" not in set(settings.parameter):
        problems.add("settings.csv", None, None, "demand_families.csv needs a demand_base_year row")
    if problems:
        return
    _check_families(fam, ela, problems)
    base = int(float(settings[settings.parameter == "demand_base_year"].value.iloc[0]))
    demand = tables.get("demand")
    given = set() if demand is None else set(zip(demand.commodity, demand.year.astype(int)))
    for idx, row in fam.iterrows():
        if (row.commodity, base) not in given:
            problems.add(
                "demand_families.csv",
                idx + 2,
                "commodity",
                f"{row.commodity!r} has no demand.csv row in demand_base_year {base}; "
                "the derivation starts from it",
            )
    for driver in ("population", "gdp_per_capita", "gdp_per_capita_growth"):
        if driver not in set(drv.driver):
            problems.add(
                "drivers.csv", None, "driver", f"no {driver!r} rows; the derivation needs it"
            )
    if "urban_population" in set(fam.scale) and "urbanisation" not in set(drv.driver):
        problems.add(
            "drivers.csv", None, "driver", "no 'urbanisation' rows; a family uses urban_population"
        )
    _check_driver_scenarios(drv, demand, problems)
    _check_demand_years(settings, base, problems)


def _check_driver_scenarios(drv, demand, problems: Problems) -> None:
    """Every demand scenario has growth rows; every driver scenario is a demand scenario or all."""
    scenarios = set() if demand is None else set(demand.scenario)
    for idx, row in drv.iterrows():
        if row.scenario != "all" and row.scenario not in scenarios:
            problems.add(
                "drivers.csv",
                idx + 2,
                "scenario",
                f"{row.scenario!r} is not a scenario of demand.csv ({', '.join(sorted(scenarios))})"
                " nor 'all'",
            )
    growth = drv[drv.driver == "gdp_per_capita_growth"]
    for scenario in sorted(scenarios):
        if not growth.scenario.isin(["all", scenario]).any():
            problems.add(
                "drivers.csv",
                None,
                "scenario",
                f"no gdp_per_capita_growth rows for scenario {scenario!r} (or 'all'): its GDP per "
                "capita would stay flat after the last level",
            )


def _check_demand_years(settings, base: int, problems: Problems) -> None:
    """The fit window (base year to demand_base_year) and the convergence year are ordered."""

    def year(name):
        rows = settings[settings.parameter == name]
        return int(float(rows.value.iloc[0])) if len(rows) else None

    start, conv = year("base_year"), year("demand_convergence_year")
    if start is not None and start >= base:
        problems.add(
            "settings.csv",
            None,
            "value",
            f"demand_base_year {base} must be after base_year {start}: the elasticities are "
            "fitted between them",
        )
    if conv is not None and conv <= base:
        problems.add(
            "settings.csv",
            None,
            "value",
            f"demand_convergence_year {conv} must be after demand_base_year {base}",
        )


def _check_families(fam, ela, problems: Problems) -> None:
    have = set(zip(ela.family, ela.parameter))
    for idx, row in fam.iterrows():
        for param in ("elasticity", "drift"):
            if (row.family, param) not in have:
                problems.add(
                    "demand_families.csv",
                    idx + 2,
                    "family",
                    f"family {row.family!r} has no {param} row in demand_elasticities.csv; add it",
                )
    for idx, row in ela.iterrows():
        lo, hi, value = float(row.low), float(row.high), float(row.value)
        if not lo <= value <= hi:
            problems.add(
                "demand_elasticities.csv",
                idx + 2,
                "value",
                f"{value} is outside its range [{lo}, {hi}]; widen the range or fix the value",
            )
