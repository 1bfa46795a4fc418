"""The question a study asks of its ensemble: the optional ``[analysis]`` table of a study file.

Example (in the study file, stored in the manifest's study text)::

    [analysis]
    quantiles = [5, 25, 50, 75, 95]
    milestones = [2030, 2040, 2050, 2060]
    probabilities = [
        {output = "peak_year", op = "<=", value = 2030},
        {output = "coal_share", year = 2030, op = ">=", value = 0.44},
    ]
    events = [{name = "coal_below_40pct", output = "coal_share", op = "<", value = 0.40}]
    groups = [{parameter = "sink", edges = [0.5, 1, 2, 3]}]

Defaults when absent: the quantiles above for every scalar output and every trajectory output per
year; ``P(T <= Y)`` for every year Y of the horizon for every event-time output T (always
written); and the ``probabilities`` and ``events`` a model package registers
(:mod:`uncertainty.study.defaults`; the China model's are ``P(peak_year <= 2030)``,
``P(coal_share[2030] >= 0.44)`` and the event ``neutrality_year``), where the outputs exist.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field, replace
from typing import Any

import xarray as xr

from uncertainty.analysis.design import POLICIES, output_names
from uncertainty.analysis.events import OPERATORS
from uncertainty.analysis.probability import DEFAULT_QUANTILES
from uncertainty.errors import AnalysisError
from uncertainty.study.defaults import default_analysis

ANALYSIS_KEYS = {
    "quantiles", "milestones", "probabilities", "events", "groups", "outputs", "policy",
    "discover",
}  # fmt: skip
#: failure policy when neither the command line nor the study's ``[analysis] policy`` gives one
DEFAULT_POLICY = "refuse"
#: manifest keys that may hold the study-file text, first match wins
STUDY_TEXT_KEYS = ("study_text", "study_file_text", "study_toml", "text", "study")


@dataclass(frozen=True)
class ProbabilitySpec:
    """``P(output[year] <op> value)``; ``year`` only for trajectory outputs."""

    output: str
    op: str
    value: float
    year: int | None = None

    @property
    def condition(self) -> str:
        """The condition alone, e.g. ``coal_share[2030] >= 0.44`` (``netua discover --where``)."""
        where = f"[{self.year}]" if self.year is not None else ""
        return f"{self.output}{where} {self.op} {self.value:g}"

    @property
    def label(self) -> str:
        """Readable statement, e.g. ``P(coal_share[2030] >= 0.44)``."""
        return f"P({self.condition})"


@dataclass(frozen=True)
class EventSpec:
    """An event time: the first year ``output <op> value`` holds (censored if never)."""

    name: str
    output: str
    op: str
    value: float


@dataclass(frozen=True)
class GroupSpec:
    """Bins of a parameter within which probabilities are repeated."""

    parameter: str
    edges: tuple[float, ...]


@dataclass(frozen=True)
class AnalysisSpec:
    """Quantiles, milestones, probabilities, events and groups of one analysis."""

    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    milestones: tuple[int, ...] = ()
    probabilities: tuple[ProbabilitySpec, ...] = ()
    events: tuple[EventSpec, ...] = ()
    groups: tuple[GroupSpec, ...] = field(default_factory=tuple)
    outputs: tuple[str, ...] = ()
    policy: str | None = None
    discover: tuple[dict[str, Any], ...] = ()


def study_text(ds: xr.Dataset) -> str:
    """The study-file text recorded in a store's manifest ('' if none)."""
    try:
        manifest = json.loads(ds.attrs.get("manifest", "{}"))
    except json.JSONDecodeError:
        return ""
    for key in STUDY_TEXT_KEYS:
        value = manifest.get(key)
        if isinstance(value, str) and "[" in value:
            return value
    return ""


def load_analysis_spec(ds: xr.Dataset) -> AnalysisSpec:
    """Read the ``[analysis]`` table from the store's study text, filling in the defaults.

    Raises
    ------
    AnalysisError
        Listing every bad entry at once (unknown output, parameter, operator, key or year).
    """
    text = study_text(ds)
    table: dict[str, Any] = tomllib.loads(text).get("analysis", {}) if text else {}
    problems = [f"unknown key {k!r}" for k in table if k not in ANALYSIS_KEYS]
    spec = AnalysisSpec(
        quantiles=tuple(float(q) for q in table.get("quantiles", DEFAULT_QUANTILES)),
        milestones=tuple(int(y) for y in table.get("milestones", _default_milestones(ds))),
        probabilities=tuple(_probability(p, problems) for p in table.get("probabilities", [])),
        events=tuple(_event(e, problems) for e in table.get("events", [])),
        groups=tuple(_group(g, problems) for g in table.get("groups", [])),
        outputs=tuple(str(o) for o in table.get("outputs", [])),
        policy=None if table.get("policy") is None else str(table["policy"]),
        discover=tuple(_discovery(d, problems) for d in table.get("discover", [])),
    )
    if spec.policy is not None and spec.policy not in POLICIES:
        problems.append(f"policy {spec.policy!r}: expected one of {list(POLICIES)}")
    kept = restrict_outputs(ds, spec)  # defaults only for outputs the analysis keeps
    if not table.get("probabilities"):
        spec = replace(spec, probabilities=default_probabilities(kept))
    if "events" not in table:
        spec = replace(spec, events=default_events(kept))
    problems += check_spec(spec, ds)
    if problems:
        raise AnalysisError("[analysis] table of the study: " + "; ".join(problems))
    return spec


def resolve_policy(ds: xr.Dataset, given: str | None) -> str:
    """The failure policy of an analysis: ``given`` (the command line, a function argument),
    else the study's ``[analysis] policy``, else :data:`DEFAULT_POLICY` - the same rule for
    ``netua analyze``, ``netua figures``, ``netua study`` and :func:`uncertainty.analyze`."""
    if given is not None:
        return given
    return load_analysis_spec(ds).policy or DEFAULT_POLICY


def _discovery(entry: Any, problems: list[str]) -> dict[str, Any]:
    """A ``discover`` entry: ``where`` (required), ``name``, ``method``, ``density``."""
    allowed = {"where", "name", "method", "density"}
    if not isinstance(entry, dict) or not isinstance(entry.get("where"), str):
        problems.append(f'discover entry {entry}: needs where = "OUTPUT[YEAR] OP VALUE"')
        return {}
    extra = set(entry) - allowed
    if extra:
        problems.append(f"discover entry {entry}: unknown key(s) {sorted(extra)}")
    return {k: v for k, v in entry.items() if k in allowed}


def _probability(entry: dict, problems: list[str]) -> ProbabilitySpec:
    try:
        year = entry.get("year")
        return ProbabilitySpec(
            str(entry["output"]), str(entry["op"]), float(entry["value"]), year and int(year)
        )
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(f"probabilities entry {entry}: needs output, op, value ({exc})")
        return ProbabilitySpec("", "<=", 0.0)


def _event(entry: dict, problems: list[str]) -> EventSpec:
    try:
        return EventSpec(
            str(entry["name"]), str(entry["output"]), str(entry["op"]), float(entry["value"])
        )
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(f"events entry {entry}: needs name, output, op, value ({exc})")
        return EventSpec("", "", "<", 0.0)


def _group(entry: dict, problems: list[str]) -> GroupSpec:
    try:
        edges = tuple(float(e) for e in entry["edges"])
        if len(edges) < 2 or list(edges) != sorted(edges):
            raise ValueError("edges must be at least two increasing numbers")
        return GroupSpec(str(entry["parameter"]), edges)
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(f"groups entry {entry}: needs parameter and increasing edges ({exc})")
        return GroupSpec("", (0.0, 1.0))


def check_spec(spec: AnalysisSpec, ds: xr.Dataset) -> list[str]:
    """Every problem of ``spec`` against the store's outputs and parameters."""
    outputs = output_names(ds)
    events = {e.name for e in spec.events}
    params = [str(p) for p in ds["parameter"].values]
    problems = []
    for p in spec.probabilities:
        if p.output not in outputs and p.output not in events:
            problems.append(
                f"probability {p.label}: unknown output; known: {outputs + sorted(events)}"
            )
        elif p.output in outputs and ("year" in ds[p.output].dims) != (p.year is not None):
            problems.append(f"probability {p.label}: give `year` exactly for trajectory outputs")
        elif p.year is not None and p.year not in ds["year"].values:
            problems.append(f"probability {p.label}: year {p.year} not in the horizon")
    for e in spec.events:
        if e.output not in outputs or "year" not in ds[e.output].dims:
            problems.append(f"event {e.name}: {e.output!r} is not a trajectory output")
    for item in [*spec.probabilities, *spec.events]:
        if item.op not in OPERATORS:
            problems.append(f"{item}: operator {item.op!r} not one of {list(OPERATORS)}")
    return problems + _name_problems(spec, outputs, params)


def _name_problems(spec: AnalysisSpec, outputs: list[str], params: list[str]) -> list[str]:
    """Unknown outputs of the ``outputs`` key and unknown group parameters."""
    problems = [
        f"outputs: unknown output {n!r}; known: {outputs}" for n in spec.outputs if n not in outputs
    ]
    problems += [
        f"group: unknown parameter {g.parameter!r}; known: {params}"
        for g in spec.groups
        if g.parameter not in params
    ]
    return problems


def restrict_outputs(ds: xr.Dataset, spec: AnalysisSpec) -> xr.Dataset:
    """The store without the outputs the ``outputs`` key leaves out (all kept when absent)."""
    if not spec.outputs:
        return ds
    return ds.drop_vars([n for n in output_names(ds) if n not in spec.outputs])


def default_probabilities(ds: xr.Dataset) -> tuple[ProbabilitySpec, ...]:
    """The registered default probabilities (:mod:`uncertainty.study.defaults`) that apply to
    the store: its output exists, with a year exactly when it is a trajectory covering it."""
    found = []
    for entry in default_analysis("probabilities"):
        spec = _probability(entry, [])
        if spec.output not in ds.data_vars:
            continue
        is_trajectory = "year" in ds[spec.output].dims
        if is_trajectory != (spec.year is not None):
            continue
        if is_trajectory and spec.year not in ds[spec.output].coords.get("year", []):
            continue
        found.append(spec)
    return tuple(found)


def default_events(ds: xr.Dataset) -> tuple[EventSpec, ...]:
    """The registered default events whose output is a trajectory of the store."""
    return tuple(
        spec
        for spec in (_event(entry, []) for entry in default_analysis("events"))
        if spec.output in ds.data_vars and "year" in ds[spec.output].dims
    )


def _default_milestones(ds: xr.Dataset) -> list[int]:
    if "year" not in ds.coords:
        return []
    years = [int(y) for y in ds["year"].values]
    chosen = [y for y in years if y % 10 == 0]
    return chosen or years[:: max(1, len(years) // 4)]
