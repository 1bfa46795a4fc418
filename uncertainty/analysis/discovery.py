"""Scenario discovery: under which combinations of inputs does an outcome happen?

``discover(ds, "peak_year > 2025")`` marks every independent successful row (Sobol A and B rows,
every LHS/MC row; failed rows excluded and counted) as meeting the condition or not, and asks:

- **PRIM** (patient rule induction, Friedman & Fisher 1999, as in the EMA Workbench; the
  maintained implementation ``ema_workbench.analysis.prim`` does the peeling and pasting): a
  sequence of ever smaller boxes in the input space, each with its coverage (share of the rows
  meeting the condition that lie in the box), density (share of the box's rows that meet it) and
  mass (share of all rows in the box). The chosen box balances coverage and density best (their
  harmonic mean) among those with density >= ``threshold`` (else the densest); for each
  restricted input its limits, the
  quasi-p-value of the restriction (``ema_workbench``'s one-sided binomial test) and its
  bootstrap reproducibility (``PrimBox.resample``: % of resampled PRIM runs that restrict it).
- **CART** as the alternative (``ema_workbench.analysis.cart``, on scikit-learn's decision tree):
  the leaf boxes, the chosen one by the same rule.
- **Regional sensitivity (Monte Carlo filtering**, Hornberger & Spear 1981): per input the
  distance between its distribution in the rows that meet the condition and in those that do not,
  with a p-value - the two-sample Kolmogorov-Smirnov test for a number, the chi-square test of the
  contingency table (statistic: Cramér's V) for a choice (``scipy.stats``).

A ``choice`` parameter (e.g. ``carbon_policy``) enters as a category, never as a number.

The condition language: ``OUTPUT[YEAR] OP VALUE`` joined by ``and``, with OP one of ``<``, ``<=``,
``>``, ``>=``; OUTPUT a scalar output (``peak_year``, ``latest_peak_year``), a trajectory with a
year (``coal_share[2030]``) or an event of the study's ``[analysis] events``. A censored event
time (``+inf``, not by the horizon) compares as later than every year.

References
----------
Friedman, J. H. & Fisher, N. I. (1999). Bump hunting in high-dimensional data. Statistics and
Computing, 9(2), 123-143.
Bryant, B. P. & Lempert, R. J. (2010). Thinking inside the box: a participatory,
computer-assisted approach to scenario discovery. Technological Forecasting and Social Change,
77(1), 34-49.
Hornberger, G. M. & Spear, R. C. (1981). An approach to the preliminary analysis of environmental
systems. Journal of Environmental Management, 12, 7-18.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from uncertainty.analysis.design import design_of, independent_rows
from uncertainty.analysis.events import compare
from uncertainty.analysis.spec import AnalysisSpec, ProbabilitySpec
from uncertainty.analysis.summaries import event_times
from uncertainty.errors import AnalysisError
from uncertainty.store import Status

CONDITION = re.compile(r"\s*(\w+)\s*(?:\[\s*(\d{4})\s*\])?\s*(<=|>=|<|>)\s*([-+\d.eE]+)\s*")
METHODS = ("prim", "cart")
INSTALL = "pip install 'netua[discover]'"
#: quasi-p-value below which a PRIM restriction counts as significant in the summary
SIGNIFICANT = 0.05


class NoContrastError(AnalysisError):
    """No row, or every row, meets the condition: nothing to discover."""


@dataclass
class Discovery:
    """What :func:`discover` found, as tables (``docs/analysis.md``, "Scenario discovery")."""

    where: str
    name: str
    method: str
    trajectory: pd.DataFrame
    box: pd.DataFrame
    rsa: pd.DataFrame
    chosen: int
    inputs: pd.DataFrame = field(repr=False)
    outcome: np.ndarray = field(repr=False)
    n_excluded: int = 0

    @property
    def summary(self) -> str:
        """The box in one plain sentence: its significant restrictions (quasi-p < 0.05; CART
        restrictions have none and are all listed), then how many weaker ones it has."""
        row = self.trajectory.loc[self.chosen]
        strong = self.box[~(self.box.qp_value >= SIGNIFICANT)]
        limits = "; ".join(_limit_text(r) for r in strong.itertuples()) or "no significant limit"
        weak = len(self.box) - len(strong)
        more = f"; +{weak} weaker restriction(s), quasi-p >= {SIGNIFICANT}" if weak else ""
        return (
            f"{self.where}: {limits}{more} (coverage {row.coverage:.2f}, density "
            f"{row.density:.2f}, {int(self.outcome.sum())} of {len(self.outcome)} samples meet it)"
        )


def parse_where(text: str) -> list[ProbabilitySpec]:
    """Parse ``OUTPUT[YEAR] OP VALUE [and ...]``; raise AnalysisError saying what is wrong."""
    parts = [p for p in re.split(r"\band\b", text) if p.strip()]
    if not parts:
        raise AnalysisError(f"--where {text!r}: empty; e.g. 'peak_year > 2025'")
    conditions = []
    for part in parts:
        match = CONDITION.fullmatch(part)
        if match is None:
            raise AnalysisError(
                f"--where {text!r}: cannot read {part.strip()!r}; expected OUTPUT[YEAR] OP VALUE "
                "with OP one of <, <=, >, >= (e.g. 'coal_share[2030] >= 0.44'), joined by 'and'"
            )
        output, year, op, value = match.groups()
        conditions.append(
            ProbabilitySpec(output, op, float(value), None if year is None else int(year))
        )
    return conditions


def default_name(text: str) -> str:
    """A file-name-safe name for a condition (``peak_year > 2025`` -> ``peak_year_gt_2025``)."""
    words = {"<=": " le ", ">=": " ge ", "<": " lt ", ">": " gt ", "[": " ", "]": " "}
    for sym, word in words.items():
        text = text.replace(sym, word)
    return re.sub(r"[^A-Za-z0-9.]+", "_", text).strip("_").replace(".", "p")


def outcome(
    ds: xr.Dataset, conditions: list[ProbabilitySpec], spec: AnalysisSpec
) -> tuple[np.ndarray, np.ndarray]:
    """``(meets, usable)`` over all rows: whether each row meets every condition, and whether it
    is an independent successful row with a value for each (failed rows are not usable)."""
    design = design_of(ds)
    usable = independent_rows(design) & (np.asarray(ds["status"].values) == Status.OK)
    meets = np.ones(ds.sizes["sample"], dtype=bool)
    events = None
    for cond in conditions:
        if cond.output in ds.data_vars:
            da = ds[cond.output]
        else:
            events = events if events is not None else event_times(ds, spec)
            if cond.output not in events:
                known = sorted(
                    [str(v) for v in ds.data_vars if "sample" in ds[v].dims]
                    + [str(e) for e in events.data_vars]
                )
                raise AnalysisError(f"--where: unknown output {cond.output!r}; known: {known}")
            da = events[cond.output]
        values = _values(da, cond)
        usable &= ~np.isnan(values)
        meets &= compare(np.nan_to_num(values, nan=0.0), cond.op, cond.value)
    return meets & usable, usable


def _values(da: xr.DataArray, cond: ProbabilitySpec) -> np.ndarray:
    has_year = "year" in da.dims
    if has_year != (cond.year is not None):
        need = "give its year, e.g. name[2030]" if has_year else "it has no year"
        raise AnalysisError(f"--where {cond.condition}: {cond.output!r} {need}")
    if has_year:
        if cond.year not in da["year"].values:
            raise AnalysisError(f"--where {cond.condition}: year {cond.year} not in the horizon")
        da = da.sel(year=cond.year)
    if da.dims != ("sample",):
        raise AnalysisError(
            f"--where {cond.condition}: {cond.output!r} is not one number per sample"
        )
    return np.asarray(da.values, dtype=float)


def input_frame(ds: xr.Dataset) -> pd.DataFrame:
    """The inputs of every row; a ``choice`` parameter as a categorical of its choices."""
    specs = {s.get("name"): s for s in json.loads(ds.attrs.get("parameters", "[]") or "[]")}
    frame = pd.DataFrame(
        np.asarray(ds["inputs"].transpose("sample", "parameter").values, dtype=float),
        columns=[str(p) for p in ds["parameter"].values],
    )
    for name in frame.columns:
        spec = specs.get(name, {})
        if spec.get("distribution") != "choice":
            continue
        choices = [str(c) for c in spec["choices"]]
        numeric = all(isinstance(c, int | float) for c in spec["choices"])
        if numeric:
            labels = frame[name].map(lambda v, c=spec["choices"]: str(c[list(c).index(v)]))
        else:
            labels = frame[name].map(lambda v, c=choices: c[int(v)])
        frame[name] = pd.Categorical(labels, categories=choices)
    return frame


def discover(
    ds: xr.Dataset,
    where: str,
    spec: AnalysisSpec,
    *,
    name: str | None = None,
    method: str = "prim",
    threshold: float = 0.8,
    seed: int = 0,
    resamples: int = 10,
) -> Discovery:
    """Find the box of inputs where ``where`` holds (see the module docstring).

    Raises
    ------
    NoContrastError
        When no usable row, or every usable row, meets the condition.
    AnalysisError
        For a condition that cannot be read, or an unknown method.
    """
    if method not in METHODS:
        raise AnalysisError(f"--method {method!r}: expected one of {list(METHODS)}")
    if not 0 < threshold <= 1:
        raise AnalysisError(f"--density {threshold}: expected a share in (0, 1]")
    meets, usable = outcome(ds, parse_where(where), spec)
    x = input_frame(ds)[usable].reset_index(drop=True)
    y = meets[usable]
    k, n = int(y.sum()), int(y.size)
    if k == 0 or k == n:
        which = "no" if k == 0 else "every"
        raise NoContrastError(
            f"{where}: {which} sample meets it ({k} of {n} usable samples); nothing to tell "
            "apart - choose another threshold"
        )
    finder = _prim if method == "prim" else _cart
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ema_workbench's notes on optional parts it lacks
        trajectory, box, chosen = finder(x, y, threshold, seed, resamples)
    n_excluded = int((independent_rows(design_of(ds)) & ~usable).sum())
    return Discovery(
        where, name or default_name(where), method, trajectory, box, rsa_table(x, y), chosen,
        x, y, n_excluded,
    )  # fmt: skip


def _workbench(module: str):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import cart, prim
    except ImportError as exc:
        raise AnalysisError(
            f"scenario discovery needs the EMA Workbench ({exc}); install it with {INSTALL}"
        ) from None
    return prim if module == "prim" else cart


def _prim(x: pd.DataFrame, y: np.ndarray, threshold: float, seed: int, resamples: int):
    prim = _workbench("prim")
    finder = prim.Prim(x, y, threshold=threshold)
    box = finder.find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].copy()
    chosen = choose(trajectory, threshold)
    box.select(chosen)
    qp_values = box.qp[chosen]  # restricted input -> [qp of its lower, of its upper limit]
    np.random.seed(seed)  # PrimBox.resample draws with numpy's global generator
    try:
        stable = box.resample(chosen, iterations=resamples)["reproduce coverage"]
    except (AssertionError, ValueError):  # a half-sample with no (or only) rows meeting it
        stable = pd.Series(dtype=float)
    rows = []
    for dim, qp in sorted(qp_values.items(), key=lambda item: min(_valid(item[1]))):
        lims = box.box_lims[chosen][dim]
        rows.append(_box_row(x, dim, lims, min(_valid(qp)), float(stable.get(dim, np.nan))))
    return trajectory, _box_frame(rows, trajectory.loc[chosen]), chosen


def _valid(qp) -> list[float]:
    """The quasi-p-values of a restriction that apply (-1 marks a side not restricted)."""
    values = [float(v) for v in qp if v is not None and float(v) >= 0]
    return values or [float("nan")]


def _cart(x: pd.DataFrame, y: np.ndarray, threshold: float, seed: int, resamples: int):
    cart = _workbench("cart")
    tree = cart.CART(x, y, mass_min=0.05)
    np.random.seed(seed)
    tree.build_tree()
    stats_ = pd.DataFrame(tree.stats)
    trajectory = stats_.rename(columns={"res dim": "res_dim"})[
        ["coverage", "density", "mass", "res_dim"]
    ]
    chosen = choose(trajectory, threshold)
    lims = tree.boxes[chosen]
    rows = []
    for dim in x.columns:
        value = lims[dim]
        full = _full_range(x, dim)
        restricted = (
            set(value.iloc[0]) != set(full)
            if isinstance(x[dim].dtype, pd.CategoricalDtype)
            else (value.iloc[0] > full[0] or value.iloc[1] < full[1])
        )
        if restricted:
            lim = value.iloc[0] if isinstance(x[dim].dtype, pd.CategoricalDtype) else value
            rows.append(_box_row(x, dim, lim, np.nan, np.nan))
    return trajectory, _box_frame(rows, trajectory.loc[chosen]), chosen


def choose(trajectory: pd.DataFrame, threshold: float) -> int:
    """The chosen box: among those with density >= ``threshold``, the best balance of coverage
    and density (their harmonic mean, as the F1 score balances recall and precision; fewer
    restricted inputs on a tie); the densest box if none reaches the threshold."""
    ok = trajectory[trajectory["density"] >= threshold - 1e-12]
    if ok.empty:
        return int(trajectory["density"].idxmax())
    cov, den = ok["coverage"], ok["density"]
    score = (2 * cov * den / (cov + den).where(cov + den > 0)).fillna(0.0).round(12)
    best = ok.assign(score=score).sort_values(["score", "res_dim"], ascending=[False, True])
    return int(best.index[0])


def _full_range(x: pd.DataFrame, dim: str):
    if isinstance(x[dim].dtype, pd.CategoricalDtype):
        return list(x[dim].cat.categories)
    return float(x[dim].min()), float(x[dim].max())


def _box_row(x: pd.DataFrame, dim: str, lims, qp: float, reproduce: float) -> dict:
    row = {"parameter": dim, "lower": np.nan, "upper": np.nan, "categories": ""}
    if isinstance(x[dim].dtype, pd.CategoricalDtype):
        kept = lims.iloc[0] if isinstance(lims, pd.Series) else lims
        chosen = sorted(kept) if isinstance(kept, set | frozenset) else list(kept)
        row["categories"] = "|".join(str(c) for c in chosen)
    else:
        row["lower"], row["upper"] = float(lims.iloc[0]), float(lims.iloc[1])
    low, high = _full_range(x, dim) if not row["categories"] else (np.nan, np.nan)
    row.update(range_lower=low, range_upper=high, qp_value=qp, reproduce_pct=reproduce)
    return row


def _box_frame(rows: list[dict], stats_row: pd.Series) -> pd.DataFrame:
    columns = ["parameter", "lower", "upper", "categories", "range_lower", "range_upper"]
    frame = pd.DataFrame(rows, columns=[*columns, "qp_value", "reproduce_pct"])
    return frame.assign(coverage=float(stats_row["coverage"]), density=float(stats_row["density"]))


def rsa_table(x: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    """Monte Carlo filtering: per input, the distance between its distribution where the
    condition holds and where it does not, with a p-value; largest distance first."""
    rows = []
    for name in x.columns:
        col = x[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            table = pd.crosstab(col, y)
            if table.shape[0] < 2 or table.shape[1] < 2:
                stat, p = 0.0, 1.0
            else:
                chi2, p, _, _ = stats.chi2_contingency(table)
                stat = float(np.sqrt(chi2 / (table.values.sum() * (min(table.shape) - 1))))
            rows.append((name, "chi2 (Cramer's V)", stat, float(p)))
        else:
            res = stats.ks_2samp(col[y], col[~y])
            rows.append((name, "Kolmogorov-Smirnov", float(res.statistic), float(res.pvalue)))
    frame = pd.DataFrame(rows, columns=["parameter", "test", "statistic", "p_value"])
    return frame.sort_values("statistic", ascending=False, ignore_index=True)


def _limit_text(row) -> str:
    if isinstance(row.categories, str) and row.categories:
        return f"{row.parameter} in {{{row.categories.replace('|', ', ')}}}"
    parts = []
    if row.lower > row.range_lower + 1e-12:
        parts.append(f"{row.parameter} >= {row.lower:.3g}")
    if row.upper < row.range_upper - 1e-12:
        parts.append(f"{row.parameter} <= {row.upper:.3g}")
    return " and ".join(parts) or f"{row.parameter} (full range)"


def write_tables(found: Discovery, directory) -> list:
    """Write ``discover_<name>.csv`` (the box sequence), ``box_<name>.csv`` (the chosen box) and
    ``rsa_<name>.csv`` (the filtering table) into ``directory``; return the paths."""
    directory = Path(directory)
    trajectory = found.trajectory.rename_axis("box").reset_index()
    trajectory.insert(1, "chosen", trajectory["box"] == found.chosen)
    paths = [
        directory / f"discover_{found.name}.csv",
        directory / f"box_{found.name}.csv",
        directory / f"rsa_{found.name}.csv",
    ]
    for frame, path in zip((trajectory, found.box, found.rsa), paths, strict=True):
        frame.assign(where=found.where, method=found.method).to_csv(
            path, index=False, float_format="%.6g"
        )
    return paths
