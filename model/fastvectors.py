"""Numpy closed form of a sample's LP vectors, for the fast path.

:meth:`model.fastpath.ParametricLP.vectors` computes a sample's vectors the readable way: apply
the parameters to the xarray data (:func:`model.parameters.apply_parameters`), recompute the
objective (:func:`model.equations.objective_coefficients`) and the moved right-hand sides. That
costs tens of milliseconds of xarray bookkeeping. :class:`CompiledVectors` computes the same
numbers with index arrays prepared once per worker, in well under a millisecond; a test checks
that both give identical vectors on random samples, for every target.
"""

from __future__ import annotations

import numpy as np

from model import equations as eq
from model.build import resolve_settings, sink_path
from model.demand import Derivation
from model.equations import GW_YEAR_PJ, variable_cost
from model.load import series_over_years
from model.outputs import carbon_prices
from model.parameters import (
    DEMAND_TARGETS,
    RATE_PARAMETERS,
    demand_overrides,
    members,
    observed_until,
    rate_members,
)

INF = float("inf")


def _np(arr, *dims) -> np.ndarray:
    return np.asarray(arr.transpose(*dims).values, dtype=float)


class CompiledVectors:
    """Per-sample cost vector, row bounds and moved coefficients from numpy index maps.

    Parameters
    ----------
    lp : model.fastpath.ParametricLP
        A built parametric LP (its label maps and base data are read once).
    """

    def __init__(self, lp):
        inp, st = lp.inputs, lp.settings
        values = resolve_settings(inp, st)
        p = inp.tech_param
        self.lp, self.years = lp, inp.years
        self.techs, self.comms = list(inp.techs.index), list(inp.commodities.index)
        self.base = {
            "capex": _np(p["capex"], "tech", "year"),
            "fixed_om": _np(p["fixed_om"], "tech", "year"),
            "var": _np(variable_cost(inp), "tech", "year"),
            "price": _np(inp.commodity_param["price"], "commodity", "year"),
            "max_build": _np(p["max_build"].fillna(0), "tech", "year"),
            "seed": _np(p["max_build_seed"], "tech", "year"),
            "ets": _np(p["ets_coverage"] * eq.emitted_factor(inp), "tech", "year"),
        }
        self.moved = {
            name: np.asarray(arr.transpose("tech", "year").values, float)
            for name, (_, _, arr) in lp.ctx.arrays["moved"].items()
        }
        self.rates = {
            kind: _np(p[param], "tech", "year") for kind, param in RATE_PARAMETERS.items()
        }
        self.vre_share = (
            np.asarray(inp.series["max_vre_share"].values, float)
            if "max_vre_share" in inp.series
            else None
        )
        if self.vre_share is not None:
            self.gen = _np(inp.flow_out.sel(commodity="electricity", drop=True), "tech", "year")
            self.vre_member = inp.techs.index.isin(inp.groups.get("wind_solar", [])).astype(float)
        self.life = lp.ctx.arrays["lifetime"].values.astype(float)
        self.demand = {
            s: _np(inp.demand.sel(scenario=s), "commodity", "year")
            for s in inp.demand.scenario.values
        }
        self.values, self.scenario = values, st.scenario
        self.derivation = None  # built on the first sample that moves a demand family
        self.policy = st.carbon_policy
        self.observed = observed_until(inp, st)
        self.base_sink = self._base_sink(inp)
        self.sink = sink_path(self.years, self.base_sink, inp.settings, st.natural_sink)
        self.k_adequacy = (1 + values["reserve_margin"]) / (GW_YEAR_PJ * values["load_factor"])
        self.elec = self.comms.index("electricity") if "electricity" in self.comms else None
        self.cols = {n: self._unravel(lp._cols[n], v.labels) for n, v in lp.ctx.var.items()}
        self.rows = {
            n: self._unravel(lp._rows[n], lp.model.constraints[n].labels) for n in lp._rows
        }
        self.potentials = {name: self._potential(inp, name) for name in lp.potential_families}
        self.index = {
            "tech": {t: i for i, t in enumerate(self.techs)},
            "commodity": {c: i for i, c in enumerate(self.comms)},
        }

    def _base_sink(self, inp) -> np.ndarray:
        if "natural_sink" in inp.series:
            return np.asarray(inp.series["natural_sink"].values, float)
        return np.full(len(self.years), inp.settings.get("natural_sink", 0.0))

    def _potential(self, inp, name: str) -> np.ndarray:
        group = name.removeprefix("potential_max_new_capacity_")
        pot = inp.potentials
        rows = pot[(pot.name == group) & (pot.parameter == "max_new_capacity")]
        return series_over_years(rows, self.years)

    @staticmethod
    def _unravel(keep_idx, labels):
        """Positions as index arrays in canonical dimension order (first dim tech/commodity)."""
        keep, idx = keep_idx
        if labels.ndim == 0:  # a single row (the carbon budget)
            return idx, (np.zeros(len(keep), dtype=int),)
        by_dim = dict(zip(labels.dims, np.unravel_index(keep, labels.shape), strict=True))
        order = [d for d in ("tech", "commodity", "year") if d in by_dim]
        return idx, tuple(by_dim[d] for d in order)

    def sample(self, params: dict) -> dict:
        """Scales and settings of one sample (the numpy meaning of every target)."""
        n_t, n_c = len(self.techs), len(self.comms)
        s = {
            "capex": np.ones(n_t),
            "build": np.ones((n_t, len(self.years))),
            "price": np.ones(n_c),
            "rate": self.values["discount_rate"],
            "ny": self.values["neutrality_year"],
            "sink": self.sink,
            "storage": self.values.get("co2_storage_max", INF),
            "demand": self.demand[self.scenario],
            "policy": self.policy,
            "values": dict(self.values),
            "rates": {k: v.copy() for k, v in self.rates.items()},
            "vre_scale": 1.0,
            "new_capacity": {},
        }
        family_values, conv = demand_overrides(params, self.lp.targets)
        if family_values or conv is not None:
            self._derived_demand(s, family_values, conv)
        for name, target in self.lp.targets.items():
            if target.kind not in DEMAND_TARGETS:
                self._apply(s, target, params[name])
        return s

    def _derived_demand(self, s: dict, family_values: dict, conv) -> None:
        """Demand of every scenario with the sample's family elasticities and drifts."""
        if self.derivation is None:
            self.derivation = Derivation(self.lp.inputs)
        arr = self.derivation.array(family_values, conv)
        scen = list(self.lp.inputs.demand.scenario.values)
        s["by_scenario"] = {sc: arr[i] for i, sc in enumerate(scen)}
        s["demand"] = s["by_scenario"][self.scenario]

    def _apply(self, s: dict, target, raw) -> None:
        kind, arg = target.kind, target.arg
        if kind == "carbon_policy":
            s["policy"] = str(raw)
            return
        v = float(raw)
        simple = {
            "discount_rate": ("rate", v),
            "neutrality_year": ("ny", int(round(v))),
            "co2_storage_limit": ("storage", v * 1000.0),
            "max_vre_share_scale": ("vre_scale", v),
        }
        if kind in simple:
            key, value = simple[kind]
            s[key] = value
            if kind == "discount_rate":
                s["values"]["discount_rate"] = v
        elif kind in ("carbon_budget", "ets_price_growth"):
            s["values"][kind] = v * 1000.0 if kind == "carbon_budget" else v
        elif kind == "new_capacity_scale":
            s["new_capacity"][arg] = v
        elif kind == "natural_sink":
            s["sink"] = sink_path(self.years, self.base_sink, self.lp.inputs.settings, v * 1000.0)
        elif kind == "growth":
            g = float(np.clip(v, 0.0, 2.0))
            lo, hi, w = ("low", "medium", g) if g <= 1 else ("medium", "high", g - 1)
            dem = s.get("by_scenario", self.demand)
            s["demand"] = (1 - w) * dem[lo] + w * dem[hi]
        else:
            self._apply_scale(s, kind, arg, v)

    def _apply_scale(self, s: dict, kind: str, arg, v: float) -> None:
        """Targets that scale or set data of technologies or commodities."""
        later = self.years > self.observed
        if kind in ("capex_scale", "build_rate_scale"):
            idx = [self.index["tech"][t] for t in members(self.lp.inputs, arg)]
            if kind == "capex_scale":
                s["capex"][idx] *= v
            else:  # build limits move only after the observed years
                s["build"][np.ix_(idx, later)] *= v
        elif kind in RATE_PARAMETERS:
            idx = [self.index["tech"][t] for t in rate_members(self.lp.inputs, kind, arg)]
            s["rates"][kind][np.ix_(idx, later)] = v
        elif kind == "fuel_price_scale":
            s["price"][self.index["commodity"][arg]] *= v

    def carbon(self, s: dict) -> dict:
        """The carbon policy's prices of a sample (:func:`model.outputs.carbon_prices`)."""
        return carbon_prices(self.years, s["values"], self.lp.inputs.series, s["policy"])

    def vectors(self, s: dict) -> dict:
        """Cost vector, row bounds and moved coefficients for a sample from :meth:`sample`."""
        b = self.base
        df = (1 + s["rate"]) ** -(self.years - self.years[0]).astype(float)
        share = eq.annuity_share(self.years, self.life, s["rate"])
        ets = self.carbon(s)["ets_price"]
        c = np.zeros(self.lp.n_cols)
        cost = {
            "new": b["capex"] * s["capex"][:, None] * df * share,
            "cap": df * b["fixed_om"],
            "act": df * (b["var"] + b["ets"] * ets),
            "supply": df * b["price"] * s["price"][:, None],
            "backstop": df * self.values["backstop_cost"],
            "hold_slack": df * self.values["backstop_cost"],
        }
        for name, (cols, where) in self.cols.items():
            c[cols] = np.nan_to_num(cost[name][where])
        coefs = self.lp.coefficient_updates(self._moved(s))
        return {"c": c, "rows": self._rows(s), "coefs": coefs, "df": df}

    def _moved(self, s: dict) -> dict:
        """Moved coefficient arrays (tech x year) of :func:`model.equations.moved_coefficients`."""
        out = dict(self.moved)
        out["max_growth"] = self.moved["max_growth"] * s["build"]
        out["max_activity_decline"] = -(1 - s["rates"]["activity_decline"])
        out["max_activity_growth"] = -(1 + np.nan_to_num(s["rates"]["activity_growth"]))
        if "vre_share" in out and s["vre_scale"] != 1.0:
            later = self.years > self.observed
            scaled = np.minimum(self.vre_share * s["vre_scale"], 1.0)
            share = np.where(later, scaled, self.vre_share)
            out["vre_share"] = self.gen * (self.vre_member[:, None] - share[None, :])
        return {k: np.nan_to_num(v) for k, v in out.items()}

    def _rows(self, s: dict) -> list:
        b, out = self.base, []
        active = np.where(self.years >= s["ny"], s["sink"], INF)
        budget = INF
        if s["policy"] == "budget":
            budget = eq.budget_rhs(self.years, s["values"], s["sink"])
        family = {
            "balance": (s["demand"], None),
            "adequacy": (
                self.k_adequacy * s["demand"][self.elec] if self.elec is not None else None,
                None,
            ),
            "neutrality": (None, active),
            "max_build": (None, b["max_build"] * s["build"]),
            "max_growth": (None, b["seed"] * s["build"]),
            "co2_storage_limit": (None, np.full(len(self.years), s["storage"])),
            "carbon_budget": (None, np.array([budget])),
        }
        for name, limit in self.potentials.items():
            group = name.removeprefix("potential_max_new_capacity_")
            scale = np.where(self.years > self.observed, s["new_capacity"].get(group, 1.0), 1.0)
            family[name] = (None, limit * scale)
        for name, (rows, where) in self.rows.items():
            lower, upper = family[name]
            lo = np.full(len(rows), -INF) if lower is None else lower[where]
            up = np.full(len(rows), INF) if upper is None else upper[where]
            out.append((rows.astype(np.int32), lo, up))
        return out
