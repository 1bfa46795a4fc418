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

from model.build import resolve_settings, sink_series
from model.equations import GW_YEAR_PJ, variable_cost
from model.parameters import members, observed_until

INF = float("inf")


def _np(arr, *dims) -> np.ndarray:
    return np.asarray(arr.transpose(*dims).values, dtype=float)


class CompiledVectors:
    """Per-sample cost vector, row bounds and growth coefficients from numpy index maps.

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
            "growth": _np(p["max_growth"].fillna(0), "tech", "year"),
        }
        life = lp.ctx.arrays["lifetime"].values.astype(float)
        end = self.years[-1]
        self.rem = np.clip((self.years[None, :] + life[:, None] - 1 - end) / life[:, None], 0, 1)
        self.demand = {
            s: _np(inp.demand.sel(scenario=s), "commodity", "year")
            for s in inp.demand.scenario.values
        }
        self.values, self.scenario = values, st.scenario
        self.observed = observed_until(inp, st)
        self.sink = np.asarray(sink_series(inp, st).values, float)
        self.k_adequacy = (1 + values["reserve_margin"]) / (GW_YEAR_PJ * values["load_factor"])
        self.elec = self.comms.index("electricity") if "electricity" in self.comms else None
        self.cols = {n: self._unravel(lp._cols[n], v.labels) for n, v in lp.ctx.var.items()}
        self.rows = {
            n: self._unravel(lp._rows[n], lp.model.constraints[n].labels) for n in lp._rows
        }
        self.growth_rows = None
        if lp._growth is not None:
            labels, keep, row_idx, cols = lp._growth
            self.growth_rows = (row_idx, cols, self._unravel((keep, row_idx), labels)[1])
        self.index = {
            "tech": {t: i for i, t in enumerate(self.techs)},
            "commodity": {c: i for i, c in enumerate(self.comms)},
        }

    @staticmethod
    def _unravel(keep_idx, labels):
        """Positions as index arrays in canonical dimension order (first dim tech/commodity)."""
        keep, idx = keep_idx
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
        }
        for name, target in self.lp.targets.items():
            v = float(params[name])
            self._apply(s, target, v)
        return s

    def _apply(self, s: dict, target, v: float) -> None:
        kind, arg = target.kind, target.arg
        if kind in ("capex_scale", "build_rate_scale"):
            idx = [self.index["tech"][t] for t in members(self.lp.inputs, arg)]
            if kind == "capex_scale":
                s["capex"][idx] *= v
            else:  # build limits move only after the observed years
                s["build"][np.ix_(idx, self.years > self.observed)] *= v
        elif kind == "fuel_price_scale":
            s["price"][self.index["commodity"][arg]] *= v
        elif kind == "growth":
            g = float(np.clip(v, 0.0, 2.0))
            lo, hi, w = ("low", "medium", g) if g <= 1 else ("medium", "high", g - 1)
            s["demand"] = (1 - w) * self.demand[lo] + w * self.demand[hi]
        elif kind == "natural_sink":
            s["sink"] = np.full(len(self.years), v * 1000.0)
        elif kind == "discount_rate":
            s["rate"] = v
        elif kind == "neutrality_year":
            s["ny"] = int(round(v))
        elif kind == "co2_storage_limit":
            s["storage"] = v * 1000.0

    def vectors(self, s: dict) -> dict:
        """Cost vector, row bounds and growth coefficients for a sample from :meth:`sample`."""
        b = self.base
        df = (1 + s["rate"]) ** -(self.years - self.years[0]).astype(float)
        df_end = (1 + s["rate"]) ** -float(self.years[-1] + 1 - self.years[0])
        c = np.zeros(self.lp.n_cols)
        cost = {
            "new": b["capex"] * s["capex"][:, None] * (df - self.rem * df_end),
            "cap": df * b["fixed_om"],
            "act": df * b["var"],
            "supply": df * b["price"] * s["price"][:, None],
            "backstop": df * self.values["backstop_cost"],
        }
        for name, (cols, where) in self.cols.items():
            c[cols] = np.nan_to_num(cost[name][where])
        return {"c": c, "rows": self._rows(s), "growth": self._growth(s), "df": df}

    def _rows(self, s: dict) -> list:
        b, out = self.base, []
        active = np.where(self.years >= s["ny"], s["sink"], INF)
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
        }
        for name, (rows, where) in self.rows.items():
            lower, upper = family[name]
            lo = np.full(len(rows), -INF) if lower is None else lower[where]
            up = np.full(len(rows), INF) if upper is None else upper[where]
            out.append((rows.astype(np.int32), lo, up))
        return out

    def _growth(self, s: dict):
        if self.growth_rows is None:
            return None
        rows, cols, where = self.growth_rows
        return rows, cols, -(self.base["growth"] * s["build"])[where]
