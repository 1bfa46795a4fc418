"""Service and product demand after the observed years, derived from its drivers.

Each demand commodity listed in ``demand_families.csv`` belongs to a family with a long-run income
elasticity ``e_long`` and a drift ``d`` (``demand_elasticities.csv``). From the last observed year
``b`` (``demand_base_year``) on, per-capita demand follows GDP per capita:

    ln D(y) = ln D(b) + sum_{t=b+1..y} [ s(t) + e(t) * g(t) + ln(1 + d) ]

with ``g(t) = ln(gdppc(t) / gdppc(t-1))`` and ``s(t) = ln(scale(t) / scale(t-1))`` (scale is
population or urban population, ``drivers.csv``). The elasticity ``e(t)`` of a ``fit`` commodity
starts at the value observed over the base year to ``b`` (the ratio of the growth of per-capita
demand to that of GDP per capita, the statistics' "elasticity coefficient") and moves linearly to
``e_long`` by ``demand_convergence_year`` (e(t) = e_fit + (e_long - e_fit) (t - b) / (conv - b),
so the first derived year has already moved 1/(conv - b) of the way); a ``long_run`` commodity
uses ``e_long`` throughout. So the first derived year continues the observed relation (no break
at ``b``), and the long run is the family's literature value. The fit window starts at the model's
base year.

The same code writes the rows of ``demand.csv`` (``studies/demand/derive.py``) and re-derives a
family's demand when a study samples its elasticity or drift (targets ``demand_elasticity:<family>``
and ``demand_drift:<family>``), in both the rebuild and the fast path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.errors import InputError

#: significant digits of derived demand (the rows of demand.csv and their runtime re-derivation)
DIGITS = 6


def round_sig(values: np.ndarray, digits: int = DIGITS) -> np.ndarray:
    """Round to ``digits`` significant digits (as ``'%.{digits}g'`` writes them)."""
    values = np.asarray(values, float)
    return np.array([float(f"{v:.{digits}g}") for v in values.ravel()]).reshape(values.shape)


def driver_paths(drivers: pd.DataFrame, scenario: str, years: np.ndarray) -> dict:
    """Annual paths of the drivers of one scenario over ``years`` (base units).

    Levels are interpolated between given years (population log-linearly, urbanisation linearly)
    and held flat outside; GDP per capita follows its levels and then its growth rows, a growth row
    giving the annual growth in the years after the previous growth row (or the last level).
    """
    rows = drivers[drivers.scenario.isin(["all", scenario])]

    def given(name):
        sub = rows[rows.driver == name]
        x = sub.year.astype(int).to_numpy()
        order = np.argsort(x)
        return x[order], sub.base.to_numpy(float)[order]

    out = {}
    x, v = given("population")
    out["population"] = np.exp(np.interp(years, x, np.log(v)))
    x, v = given("urbanisation")
    out["urbanisation"] = np.interp(years, x, v) if len(x) else np.ones(len(years))
    out["urban_population"] = out["population"] * out["urbanisation"]
    x, v = given("gdp_per_capita")
    gx, gv = given("gdp_per_capita_growth")
    level = np.interp(years, x, v)
    last = x.max()
    for i, year in enumerate(years):
        if year <= last:
            continue
        after = gv[gx >= year]
        rate = after[0] if len(after) else (gv[-1] if len(gv) else 0.0)
        level[i] = level[i - 1] * (1 + rate)
    out["gdp_per_capita"] = level
    return out


@dataclass(frozen=True)
class Family:
    """A demand family's long-run elasticity and drift with their literature ranges."""

    name: str
    elasticity: float
    drift: float
    ranges: dict


def families(inputs) -> dict[str, Family]:
    """Families of ``demand_elasticities.csv``."""
    table = inputs.demand_elasticities
    out = {}
    for name, sub in table.groupby("family"):
        values = dict(zip(sub.parameter, sub.base.astype(float), strict=True))
        ranges = {
            p: (float(lo), float(hi))
            for p, lo, hi in zip(sub.parameter, sub.low, sub.high, strict=True)
        }
        out[name] = Family(name, values["elasticity"], values["drift"], ranges)
    return out


class Derivation:
    """The demand of every derived commodity, for any family elasticities and drifts.

    Built once per dataset; :meth:`demand` is cheap (numpy over commodities x years) so that the
    fast path can call it per sample.
    """

    def __init__(self, inputs):
        s = inputs.settings
        self.base = int(s["demand_base_year"])
        self.start = int(inputs.years[0])
        self.conv = int(s.get("demand_convergence_year", self.base + 1))
        self.years = np.asarray(inputs.years)
        self.demand = inputs.demand
        self.scenarios = list(inputs.demand.scenario.values)
        self.comms = list(inputs.demand.commodity.values)
        self.families = families(inputs)
        fam = inputs.demand_families
        self.members = list(fam.commodity)
        self.family_of = dict(zip(fam.commodity, fam.family, strict=True))
        self.start_of = dict(zip(fam.commodity, fam.start, strict=True))
        self.scale_of = dict(zip(fam.commodity, fam.scale, strict=True))
        self.units = dict(inputs.demand_units) if inputs.demand_units else {}
        last = int(inputs.drivers.year.astype(int).max())
        self.out_years = np.arange(self.base + 1, last + 1)
        span = np.arange(self.start, last + 1)
        self.paths = {sc: driver_paths(inputs.drivers, sc, span) for sc in self.scenarios}
        self._span = span
        self.fitted = {sc: self._fit(sc) for sc in self.scenarios}
        self.weight = self._weight(self.conv)

    def _weight(self, conv: float) -> np.ndarray:
        """Share of the way from the fitted to the long-run elasticity in each derived year."""
        t = self.out_years
        return np.clip((t - self.base) / max(conv - self.base, 1.0), 0.0, 1.0)

    def _at(self, scenario, name, years):
        return self.paths[scenario][name][np.searchsorted(self._span, years)]

    def _level(self, scenario, commodity, year) -> float:
        return float(self.demand.sel(scenario=scenario, commodity=commodity, year=year))

    def _fit(self, scenario) -> dict[str, float]:
        """Observed elasticity (base year to demand_base_year) of each ``fit`` commodity."""
        ends = np.array([self.start, self.base])
        gdp = self._at(scenario, "gdp_per_capita", ends)
        out = {}
        for c in self.members:
            scale = self._at(scenario, self.scale_of[c], ends)
            d0, d1 = self._level(scenario, c, self.start), self._level(scenario, c, self.base)
            if d0 <= 0 or d1 <= 0:
                raise InputError(
                    f"demand.csv: {c} ({scenario}) needs positive demand in {self.start} and "
                    f"{self.base} to be derived from drivers (demand_families.csv)"
                )
            out[c] = (np.log(d1 / d0) - np.log(scale[1] / scale[0])) / np.log(gdp[1] / gdp[0])
        return out

    def elasticity_path(self, scenario, commodity, e_long: float, weight=None) -> np.ndarray:
        """Income elasticity in each derived year (``weight``: see :meth:`_weight`)."""
        if self.start_of[commodity] == "long_run":
            return np.full(len(self.out_years), e_long)
        e0 = self.fitted[scenario][commodity]
        return e0 + (e_long - e0) * (self.weight if weight is None else weight)

    def series(self, scenario, commodity, e_long: float, drift: float, weight=None) -> np.ndarray:
        """Derived demand of one commodity over ``out_years`` (rounded as in demand.csv)."""
        t = self.out_years
        prev = t - 1
        gdp = self._at(scenario, "gdp_per_capita", t) / self._at(scenario, "gdp_per_capita", prev)
        g = np.log(gdp)
        scale = self.scale_of[commodity]
        s = np.log(self._at(scenario, scale, t) / self._at(scenario, scale, prev))
        e = self.elasticity_path(scenario, commodity, e_long, weight)
        step = s + e * g + np.log1p(drift)
        level = self._level(scenario, commodity, self.base) * np.exp(np.cumsum(step))
        return round_sig(level)

    def values(self, overrides: dict | None = None) -> dict:
        """``{(family, parameter): value}`` with the dataset's values and ``overrides`` on top."""
        out = {}
        for name, fam in self.families.items():
            out[(name, "elasticity")] = fam.elasticity
            out[(name, "drift")] = fam.drift
        out.update(overrides or {})
        return out

    def array(self, overrides: dict | None = None, convergence_year: float | None = None):
        """Demand over (scenario, commodity, year) of the model with families re-derived.

        ``overrides`` maps ``(family, "elasticity"|"drift")`` to a value (``("all", "drift")``
        sets every family's drift); only the families named there are re-derived, all of them
        when ``convergence_year`` is given (it replaces ``demand_convergence_year``). The other
        families keep the dataset's rows.
        """
        overrides = dict(overrides or {})
        if ("all", "drift") in overrides:
            drift = overrides.pop(("all", "drift"))
            for name in self.families:
                overrides.setdefault((name, "drift"), drift)
        only = None if convergence_year is not None else {f for f, _ in overrides}
        weight = None if convergence_year is None else self._weight(float(convergence_year))
        arr = np.array(self.demand.values, float)
        vals = self.values(overrides)
        cols = {y: i for i, y in enumerate(self.years)}
        idx = [cols[y] for y in self.out_years if y in cols]
        last = len(idx)
        for si, sc in enumerate(self.scenarios):
            for c in self.members:
                fam = self.family_of[c]
                if only is not None and fam not in only:
                    continue
                e_long, drift = vals[(fam, "elasticity")], vals[(fam, "drift")]
                level = self.series(sc, c, e_long, drift, weight)
                ci = self.comms.index(c)
                arr[si, ci, idx] = level[:last]
                after = self.years > self.out_years[-1]
                arr[si, ci, after] = level[-1]  # held flat after the last driver year
        return arr

    def rows(self) -> pd.DataFrame:
        """The derived rows of demand.csv (the dataset's own elasticities and drifts)."""
        records = []
        for sc in self.scenarios:
            for c in self.members:
                fam = self.families[self.family_of[c]]
                level = self.series(sc, c, fam.elasticity, fam.drift)
                note = self._note(sc, c, fam)
                unit, factor = self.units[c]
                for year, value in zip(self.out_years, round_sig(level / factor), strict=True):
                    records.append(
                        (c, sc, int(year), f"{value:.{DIGITS}g}", unit, "demand_derivation", note)
                    )
        return pd.DataFrame(
            records, columns=["commodity", "scenario", "year", "value", "unit", "source", "note"]
        )

    def _note(self, scenario, commodity, fam: Family) -> str:
        if self.start_of[commodity] == "long_run":
            e = f"elasticity {fam.elasticity:g} (family {fam.name}, long-run value throughout)"
        else:
            e = (
                f"elasticity {self.fitted[scenario][commodity]:.3f} fitted on {self.start}-"
                f"{self.base} moving to {fam.elasticity:g} by {self.conv} (family {fam.name})"
            )
        return (
            f"{self.base} level x {self.scale_of[commodity]} x GDP per capita^elasticity "
            f"({scenario} drivers); {e}; drift {fam.drift:g}/yr [D]"
        )
