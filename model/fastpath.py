"""The fast path: build the LP once, then per sample update it in place and warm-start HiGHS.

:class:`ParametricLP` builds the linopy model once for a set of targets, hands its matrices to a
``highspy.Highs`` object it keeps, and for every sample

1. applies the parameters to the data (:func:`model.parameters.apply_parameters`, the same
   function the reference rebuild uses),
2. recomputes the full objective vector (:func:`model.equations.objective_coefficients`) and the
   right-hand sides and coefficients of the families targets can move, and pushes them to HiGHS,
3. resets the basis to a start that depends on the sample alone - the reference basis, the
   optimum of the sample's nearest warm-start anchor, or (a Sobol AB row) the optimum of its
   design parent - so the result does not depend on which samples ran before, and re-solves
   warm, falling back to a cold solve (interior point + crossover, :func:`model.solve.cold_run`)
   on failure or when the warm solve exceeds an iteration limit,
4. extracts outputs with :func:`model.outputs.extract_outputs`, the one definition of every output.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import highspy
import numpy as np
import xarray as xr

from model import equations as eq
from model.build import Settings, build_model, resolve_settings, sink_series
from model.fastvectors import CompiledVectors
from model.highs_lp import LabelMap, SingletonRows, highs_from_matrices
from model.latest_peak import LatestPeakSearch
from model.load import Inputs, series_over_years
from model.outputs import extract_outputs, prepare_extraction, update_extraction
from model.parameters import apply_parameters, parse_targets
from model.solve import HIGHS_OPTIONS, SolveError, cold_run, set_start
from model.starts import StartCache, WarmStarts, start_key

logger = logging.getLogger(__name__)

INF = highspy.kHighsInf


def _structure_settings(settings: Settings, targets) -> Settings:
    """Settings of the one build: rows for every year a sample's target may switch on."""
    kinds = {t.kind for t in targets.values()}
    changes = {}
    if "neutrality_year" in kinds:
        changes["neutrality_year"] = -1  # rows for every year; relaxed per sample
    overrides = dict(settings.overrides)
    if "co2_storage_limit" in kinds:
        overrides["co2_storage_max"] = 1e12  # placeholder, set per sample
    if kinds & {"carbon_policy", "carbon_budget"} or settings.carbon_policy == "budget":
        overrides["budget_row"] = 1.0  # the budget row exists; relaxed when a sample has no budget
    return replace(settings, overrides=overrides, **changes)


class ParametricLP(WarmStarts):
    """The China LP (or any dataset) built once, re-solved per sample.

    Parameters
    ----------
    inputs : Inputs
        Loaded data.
    settings : Settings
        Nominal settings; the reference basis is the optimum at these settings and no parameter
        applied.
    targets : dict
        Parameter name -> target string (see :mod:`model.parameters`).
    warm_iteration_limit : int, optional
        Simplex iterations after which a warm solve is abandoned for a cold one (default: five
        times the number of rows, at least 1000; a cold dual simplex takes about 0.7 times the
        rows on the China LP).
    """

    ROW_FAMILIES = (
        "balance",
        "adequacy",
        "neutrality",
        "max_build",
        "max_growth",
        "co2_storage_limit",
        "carbon_budget",
    )

    def __init__(
        self,
        inputs: Inputs,
        settings: Settings | None,
        targets: dict,
        *,
        warm_iteration_limit: int | None = None,
        peak_guess: bool | str = True,
    ):
        self.inputs, self.settings = inputs, settings or Settings()
        if not (isinstance(peak_guess, bool) or peak_guess == "fit"):
            raise ValueError(f'latest_peak_guess = {peak_guess!r}: use true, false or "fit"')
        #: search a sample's latest peak outward from a guess (:meth:`first_guess`): its anchor's
        #: answer, or with "fit" (:attr:`peak_fit`) the plane through the first anchors' answers
        self.peak_guess, self.peak_fit = peak_guess is not False, peak_guess == "fit"
        self.targets = parse_targets(targets, inputs)
        start = time.perf_counter()
        self.model, self.ctx = build_model(inputs, _structure_settings(self.settings, self.targets))
        self.labels = LabelMap(self.model)
        self.highs = highs_from_matrices(self.model, HIGHS_OPTIONS)
        self.n_cols = len(self.model.matrices.vlabels)
        self._cols = {n: self.labels.columns(v.labels) for n, v in self.ctx.var.items()}
        self.potential_families = sorted(
            f"potential_max_new_capacity_{t.arg}"
            for t in self.targets.values()
            if t.kind == "new_capacity_scale"
        )
        self._rows = {
            n: self.labels.rows(self.model.constraints[n].labels)
            for n in self.ROW_FAMILIES + tuple(self.potential_families)
            if n in self.model.constraints
        }
        self._coefficient_maps()
        self.latest_peak = None
        if self.settings.latest_peak:
            self.latest_peak = LatestPeakSearch.from_model(self.model, self.ctx, self.labels)
        self.singletons = SingletonRows(self.highs, self._protected_rows())
        self.prep = prepare_extraction(self.ctx)
        self.compiled = CompiledVectors(self)
        self.build_seconds = time.perf_counter() - start
        self._push(inputs, self.settings)
        # the dual simplex (not model.solve.cold_run): samples started from its optimal basis
        # took 5,940 warm iterations (median, benchmark samples) against 7,200 from the basis
        # interior point + crossover ends at, although the latter solves the reference faster
        self.highs.run()
        self._check_optimal("reference solve")
        self.ref_basis = self.highs.getBasis()
        self.ref_iterations = int(self.highs.getInfo().simplex_iteration_count)
        rows = self.highs.getNumRow()
        self.warm_limit = warm_iteration_limit or max(1000, 5 * rows)
        if self.latest_peak is not None:
            self.latest_peak.iteration_limit = self.warm_limit
        self.anchors: list[dict] = []
        self._anchor_bases: dict[int, highspy.HighsBasis] = {}
        self._anchor_peaks: dict[int, float] = {}
        self._plane, self._shared = None, ()  # :meth:`anchor_plane`, :meth:`share_anchor_peaks`
        #: optima of rows solved from their anchors: their Sobol children's starts
        self._starts = StartCache()

    def _coefficient_maps(self) -> None:
        """For each family of :func:`model.equations.moved_coefficients` present in the model:
        its (row, column) pairs in HiGHS and their flat positions in the (tech, year) array."""
        self._coefs = {}
        for name, (var, lag, coef) in self.ctx.arrays["moved"].items():
            if name not in self.model.constraints:
                continue
            coef = coef.transpose("tech", "year")
            rows = self.model.constraints[name].labels.broadcast_like(coef).transpose(*coef.dims)
            cols = self.ctx.var[var].labels
            cols = (cols.shift(year=lag, fill_value=-1) if lag else cols).transpose(*coef.dims)
            nonzero = (coef.fillna(0) != 0).any("year").broadcast_like(coef)
            ok = (rows.values >= 0) & (cols.values >= 0) & nonzero.values
            where = np.flatnonzero(ok.ravel())
            row_idx = self.labels.row_of[rows.values.ravel()[where]]
            col_idx = self.labels.col_of[cols.values.ravel()[where]]
            self._coefs[name] = (row_idx.astype(np.int32), col_idx.astype(np.int32), where)

    def _check_optimal(self, what: str) -> None:
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolveError(f"{what}: HiGHS status {self.highs.modelStatusToString(status)}")

    def _push(self, inputs: Inputs, settings: Settings) -> dict:
        """Push the objective, moved right-hand sides and coefficients of one sample to HiGHS."""
        values = resolve_settings(inputs, settings)
        self.apply_vectors(self.vectors(inputs, settings, values))
        return values

    def vectors(self, inputs: Inputs, settings: Settings, values: dict) -> dict:
        """The sample's full cost vector, moved row bounds and coefficients (numpy)."""
        coef = eq.objective_coefficients(
            inputs, values, self.ctx.arrays["lifetime"], settings.carbon_policy
        )
        c = np.zeros(self.n_cols)
        for name, arr in coef.items():
            if name not in self.ctx.var:
                continue
            labels = self.ctx.var[name].labels
            keep, cols = self._cols[name]
            c[cols] = np.nan_to_num(_flat(arr, labels)[keep])
        rows = []
        for name, (lower, upper) in self._row_bounds(inputs, settings, values).items():
            keep, idx = self._rows[name]
            labels = self.model.constraints[name].labels
            rows.append(
                (idx.astype(np.int32), _flat(lower, labels)[keep], _flat(upper, labels)[keep])
            )
        arrays = {
            name: np.nan_to_num(arr.transpose("tech", "year").values.astype(float))
            for name, (_, _, arr) in eq.moved_coefficients(inputs).items()
            if name in self._coefs
        }
        return {"c": c, "rows": rows, "coefs": self.coefficient_updates(arrays)}

    def coefficient_updates(self, arrays: dict) -> list:
        """(rows, columns, values) per moved-coefficient family from (tech, year) arrays."""
        out = []
        for name, (rows, cols, where) in self._coefs.items():
            out.append((rows, cols, arrays[name].ravel()[where]))
        return out

    def _protected_rows(self) -> np.ndarray:
        """Rows never held as column bounds (:class:`model.highs_lp.SingletonRows`): those
        whose duals are read, whose coefficients move, and the latest-peak search's."""
        rows = [self._rows[n][1] for n in ("neutrality", "carbon_budget") if n in self._rows]
        rows += [r for r, _, _ in self._coefs.values()]
        if self.latest_peak is not None:
            rows += [self.latest_peak.rows, self.latest_peak.balance]
        return np.concatenate([np.asarray(r, dtype=np.int64) for r in rows] or [np.empty(0)])

    def apply_vectors(self, vectors: dict) -> None:
        """Send precomputed vectors to HiGHS (the only HiGHS calls of an update; the bounds
        of singleton rows go to their columns, :class:`model.highs_lp.SingletonRows`)."""
        h = self.highs
        h.changeColsCost(self.n_cols, np.arange(self.n_cols, dtype=np.int32), vectors["c"])
        singles = False
        for idx, lo, up in vectors["rows"]:
            idx, lo, up, moved = self.singletons.take(idx, lo, up)
            singles |= moved
            if len(idx):
                h.changeRowsBounds(len(idx), idx, lo, up)
        if singles:
            self.singletons.push(h)
        for rows, cols, values in vectors["coefs"]:
            for r, col, value in zip(rows.tolist(), cols.tolist(), values.tolist(), strict=True):
                h.changeCoeff(r, col, value)
        if self.latest_peak is not None:  # no year held (a search cut off by a time limit may
            self.latest_peak.release(h)  # not have restored them)

    def _row_bounds(self, inputs, settings, values) -> dict:
        """(lower, upper) right-hand sides of the families present, as DataArrays or floats."""
        years = inputs.years
        p = inputs.tech_param
        out = {}
        if "balance" in self._rows:
            out["balance"] = (eq.scenario_demand(inputs, settings), INF)
        if "adequacy" in self._rows:
            out["adequacy"] = (eq.adequacy_rhs(inputs, settings, values), INF)
        if "neutrality" in self._rows:
            active = xr.DataArray(years >= values["neutrality_year"], {"year": years}, ("year",))
            out["neutrality"] = (-INF, sink_series(inputs, settings).where(active, INF))
        if "max_build" in self._rows:
            out["max_build"] = (-INF, p["max_build"].fillna(0))
        if "max_growth" in self._rows:
            out["max_growth"] = (-INF, p["max_build_seed"])
        if "co2_storage_limit" in self._rows:
            out["co2_storage_limit"] = (-INF, values.get("co2_storage_max", INF))
        if "carbon_budget" in self._rows:
            sink = sink_series(inputs, settings).values
            active = settings.carbon_policy == "budget"
            out["carbon_budget"] = (-INF, eq.budget_rhs(years, values, sink) if active else INF)
        for name in self.potential_families:
            group = name.removeprefix("potential_max_new_capacity_")
            rows = inputs.potentials[
                (inputs.potentials.name == group)
                & (inputs.potentials.parameter == "max_new_capacity")
            ]
            limit = xr.DataArray(series_over_years(rows, years), {"year": years}, ("year",))
            scale = eq.potential_scale(years, values, settings.history, group, "max_new_capacity")
            out[name] = (-INF, limit * scale)
        return out

    def solve_sample(
        self,
        params: dict,
        anchor: int | None = None,
        parent: tuple[dict, int | None] | None = None,
    ) -> tuple[xr.Dataset, dict]:
        """Apply ``params``, re-solve warm from the reference basis (or from anchor ``anchor``'s
        basis, :meth:`start_basis`, or from the optimum of ``parent = (params, anchor)``, a design
        row near it - a Sobol AB row's A row, or an LHS row's hub - :meth:`parent_start`),
        extract outputs. With the latest-peak search the parent's answer is the first guess, and
        a parent that kept some numeric parameter (:func:`model.starts.one_factor_move`: a
        Sobol parent) also gives its trial bases (x0.43 of the interior point on
        ``benchmarks/trials.py``; a hub's, ~0.4 away in every factor, took x1.0-1.6 the interior
        point's time on the same trials, measured 2026-12-01).

        Returns
        -------
        outputs : xarray.Dataset
            As :func:`model.outputs.extract_outputs`.
        diagnostics : dict
            ``solve_seconds``, ``iterations``, ``warm`` (1 warm, 0 cold fallback), ``rebuilt`` (0),
            ``anchor`` (its index, -1 for the reference), ``parent_start`` (1 if started from
            the parent's optimum) and, with the latest-peak search, ``latest_peak_seconds`` and
            ``latest_peak_warm_trials`` (trials started from the parent's trial bases).
        """
        basis, guess, starts, from_parent = self.sample_start(params, anchor, parent)
        sample = self.compiled.sample(params)
        vectors = self.compiled.vectors(sample)
        self.apply_vectors(vectors)
        start = time.perf_counter()
        iterations, warm = self._warm_solve(basis)
        seconds = time.perf_counter() - start
        optimum = self.highs.getBasis() if parent is None else None  # its children's start
        out = self._extract(sample, vectors["df"])
        diagnostics = {
            "solve_seconds": seconds,
            "iterations": iterations,
            "warm": float(warm),
            "rebuilt": 0.0,
            "anchor": float(-1 if anchor is None else anchor),
            "parent_start": float(from_parent),
        }
        peak = None
        if self.latest_peak is not None:
            start = time.perf_counter()
            found = self.latest_peak.run(self.highs, float(out.cost), guess, starts)
            out, peak = out.assign(found.as_variables()), found.year
            diagnostics["latest_peak_seconds"] = time.perf_counter() - start
            diagnostics["latest_peak_warm_trials"] = float(self.latest_peak.warm_trials)
        if optimum is not None:
            trials = None if self.latest_peak is None else self.latest_peak.trial_bases
            self._starts.put(start_key(params, anchor), optimum, peak, trials)
        return out, diagnostics

    def _warm_solve(self, basis: highspy.HighsBasis) -> tuple[int, bool]:
        """Solve from ``basis``; on failure or too many iterations, cold with presolve."""
        h = self.highs
        set_start(h, basis)
        h.setOptionValue("simplex_iteration_limit", self.warm_limit)
        h.run()
        iterations = int(h.getInfo().simplex_iteration_count)
        warm = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        if not warm:
            logger.info(
                "warm solve stopped (%s); cold re-solve", h.modelStatusToString(h.getModelStatus())
            )
            h.setOptionValue("simplex_iteration_limit", 2**31 - 1)
            cold_run(h)
            iterations += int(h.getInfo().simplex_iteration_count)
            self._check_optimal("cold fallback")
        return iterations, warm

    def _extract(self, sample: dict, df: np.ndarray) -> xr.Dataset:
        sol = self.highs.getSolution()
        x = np.asarray(sol.col_value)
        solution = {}
        for name in ("act", "cap", "supply", "backstop"):
            labels = self.ctx.var[name].labels
            keep, cols = self._cols[name]
            flat = np.full(labels.size, np.nan)
            flat[keep] = x[cols]
            solution[name] = flat.reshape(labels.shape)
        duals = {}
        if "neutrality" in self._rows:
            keep, rows = self._rows["neutrality"]
            flat = np.full(len(self.inputs.years), np.nan)
            flat[keep] = np.asarray(sol.row_dual)[rows]
            duals["neutrality"] = np.where(self.inputs.years >= sample["ny"], flat, np.nan)
        if "carbon_budget" in self._rows:
            duals["carbon_budget"] = float(
                np.asarray(sol.row_dual)[self._rows["carbon_budget"][1]][0]
            )
        prep = update_extraction(
            self.prep, sample["demand"], sample["sink"], df, self.compiled.carbon(sample)
        )
        objective = float(self.highs.getInfo().objective_function_value)
        return extract_outputs(prep, solution, duals, objective)


def _flat(value, labels: xr.DataArray) -> np.ndarray:
    """``value`` (scalar or DataArray) broadcast to ``labels`` and flattened in its order."""
    if isinstance(value, xr.DataArray):
        return value.broadcast_like(labels).transpose(*labels.dims).values.ravel().astype(float)
    return np.full(labels.size, float(value))


def solve_reference(
    inputs: Inputs, settings: Settings | None, targets: dict, params: dict
) -> xr.Dataset:
    """The reference path: apply the parameters to the data, rebuild the model, cold solve."""
    from model.scenario import solve_inputs

    parsed = parse_targets(targets, inputs)
    inputs2, settings2 = apply_parameters(inputs, settings or Settings(), params, parsed)
    return solve_inputs(inputs2, settings2)
