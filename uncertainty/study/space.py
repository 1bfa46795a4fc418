"""Parameter spaces and studies: frozen dataclasses, built from Python or loaded from a TOML file.

A :class:`Study` names its parameters, sampler, base sample size, seed, outputs and model. Build
it in Python (``Study(name=..., parameters=[Parameter(...)], ...)``) or with :func:`load_study`
from a study file (format: ``docs/study-files.md``). Every problem in a study file raises
:class:`StudyError` with one line naming the file and key.
"""

from __future__ import annotations

import logging
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uncertainty.errors import StudyError
from uncertainty.study.defaults import default_model
from uncertainty.study.distributions import Distribution, distribution_fields, make_distribution

logger = logging.getLogger(__name__)

SAMPLERS = ("sobol", "morris", "lhs", "mc")
#: largest study file read (bytes); its text is copied into the store and the manifest
MAX_STUDY_BYTES = 1_000_000
#: a study name is a folder name (results/<name>): letters, digits, ``.``, ``_``, ``-``
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: a parameter name labels tables and figures: 1-100 characters, no spaces, no slashes
PARAMETER_PATTERN = re.compile(r"[^\s/\\]{1,100}")
STUDY_KEYS = {
    "name", "description", "question", "model", "sampler", "n", "second_order", "seed", "outputs",
    "timeout", "batch_size", "num_levels",
}  # fmt: skip
PARAMETER_KEYS = {"distribution", "description", "unit", "group", "target", "source", "note"}
TOP_KEYS = {"study", "parameters", "model_options", "output_dims", "analysis"}


@dataclass(frozen=True)
class Parameter:
    """One uncertain parameter.

    Parameters
    ----------
    name : str
        Identifier, passed to the model as a keyword argument.
    distribution : Distribution
        Its probability distribution (see :mod:`uncertainty.study.distributions`).
    description, unit : str
        Documentation; the unit is the one of the sampled values.
    group : str, optional
        Sobol/Morris group; parameters without a group form their own.
    target : str, optional
        What the parameter changes in the model's data (read by the model, e.g. the China LP).
    """

    name: str
    distribution: Distribution
    description: str = ""
    unit: str = ""
    group: str | None = None
    target: str | None = None

    def spec(self) -> dict[str, Any]:
        """Return the parameter as a plain dict (for JSON)."""
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        out["unit"] = self.unit
        out.update(distribution_fields(self.distribution))
        out["group"] = self.group
        out["target"] = self.target
        return out


@dataclass(frozen=True, kw_only=True)
class Study:
    """A study: parameters, design, outputs and model.

    Parameters
    ----------
    name : str
        Study name (default output folder ``results/<name>``).
    parameters : tuple of Parameter
        The uncertain parameters, in order.
    seed : int
        Seed of the design; the same seed gives the same samples.
    outputs : tuple of str
        Output names the model must return.
    model : str
        Import string ``package.module:attr`` of a function or an evaluator class.
    sampler : {"sobol", "morris", "lhs", "mc"}
        Design; ``n`` is the base sample size (Sobol: N(D+2) rows, N a power of two; Morris: the
        number of trajectories, N(D+1) rows; LHS and MC: N rows).
    second_order : bool
        Sobol designs with second-order rows (N(2D+2) rows).
    num_levels : int
        Morris grid levels.
    timeout : float, optional
        Per-sample time limit in seconds.
    batch_size : int, optional
        Samples per batch (and store chunk); chosen from the design size if omitted.
    model_options : dict
        Keyword arguments for an evaluator class.
    output_dims : dict
        Dimension names of array outputs returned as plain arrays, by output.
    description, question : str
        What the study is, and the question it answers (shown by ``netua report``).
    path : Path, optional
        The study file, when loaded from one; ``text`` is its content.
    """

    name: str
    parameters: tuple[Parameter, ...]
    seed: int
    outputs: tuple[str, ...]
    model: str = field(default_factory=default_model)
    sampler: str = "sobol"
    n: int = 1024
    second_order: bool = False
    num_levels: int = 4
    timeout: float | None = None
    batch_size: int | None = None
    model_options: dict[str, Any] = field(default_factory=dict)
    output_dims: dict[str, tuple[str, ...]] = field(default_factory=dict)
    description: str = ""
    question: str = ""
    path: Path | None = field(default=None, compare=False)
    text: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", tuple(self.parameters))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        dims = {k: tuple(v) for k, v in self.output_dims.items()}
        object.__setattr__(self, "output_dims", dims)
        check_study(self)

    @property
    def names(self) -> list[str]:
        """The parameter names in study order."""
        return [p.name for p in self.parameters]

    def definition(self) -> dict[str, Any]:
        """Return everything that determines the results, as a JSON-able dict."""
        return {
            "name": self.name,
            "model": self.model,
            "sampler": self.sampler,
            "n": self.n,
            "second_order": self.second_order,
            "num_levels": self.num_levels,
            "seed": self.seed,
            "outputs": list(self.outputs),
            "timeout": self.timeout,
            "model_options": self.model_options,
            "output_dims": {k: list(v) for k, v in self.output_dims.items()},
            "parameters": [p.spec() for p in self.parameters],
        }


def check_study(study: Study) -> None:
    """Raise StudyError if the study is inconsistent (names the file when known)."""
    where = str(study.path) if study.path is not None else f"study {study.name!r}"
    if not isinstance(study.name, str) or not NAME_PATTERN.fullmatch(study.name):
        raise StudyError(
            f"{where}: [study] name = {study.name!r}: use letters, digits, '.', '_' and '-' "
            "(it names the results folder results/<name>)"
        )
    if not study.parameters:
        raise StudyError(f"{where}: [parameters]: at least one parameter is needed")
    if len(set(study.names)) != len(study.names):
        raise StudyError(f"{where}: [parameters]: parameter names must be unique")
    bad = [p.name for p in study.parameters if not PARAMETER_PATTERN.fullmatch(p.name)]
    if bad:
        raise StudyError(
            f"{where}: [parameters] {bad[0]!r}: a parameter name needs 1-100 characters "
            "without spaces or slashes (function models receive it as a keyword argument)"
        )
    if not study.outputs or not all(isinstance(o, str) and o for o in study.outputs):
        raise StudyError(f"{where}: [study] outputs: expected a non-empty list of output names")
    _check_reserved(where, study)
    _check_int(where, "seed", study.seed, minimum=0)
    _check_int(where, "n", study.n, minimum=1)
    if study.sampler not in SAMPLERS:
        raise StudyError(
            f"{where}: [study] sampler: unknown sampler {study.sampler!r}; known: "
            + ", ".join(SAMPLERS)
        )
    if study.sampler == "sobol" and study.n & (study.n - 1):
        raise StudyError(
            f"{where}: [study] n = {study.n}: a Sobol design needs a power of two (e.g. "
            f"{2 ** math.ceil(math.log2(study.n))})"
        )
    _check_int(where, "num_levels", study.num_levels, minimum=2)
    if study.batch_size is not None:
        _check_int(where, "batch_size", study.batch_size, minimum=1)
    if study.timeout is not None and not (_number(study.timeout) and 0 < study.timeout < math.inf):
        raise StudyError(f"{where}: [study] timeout: expected a positive, finite number of seconds")
    if not study.model:
        raise StudyError(
            f"{where}: [study] model: missing, and no model package registers a default; "
            "name one as 'package.module:function'"
        )
    if ":" not in study.model:
        raise StudyError(f"{where}: [study] model: expected 'package.module:function'")


def _check_reserved(where: str, study: Study) -> None:
    """Refuse outputs and output dimensions that would collide with the store's own names."""
    from uncertainty.store.format import RESERVED, RESERVED_DIMS

    clash = [o for o in study.outputs if o in RESERVED]
    if clash:
        raise StudyError(
            f"{where}: [study] outputs: {clash[0]!r} is a name the store uses itself "
            f"({', '.join(RESERVED)}); rename the output in the model and the study"
        )
    for output, dims in study.output_dims.items():
        bad = [d for d in dims if d in RESERVED_DIMS]
        if bad:
            raise StudyError(
                f"{where}: [output_dims] {output}: dimension {bad[0]!r} is the store's own "
                f"({', '.join(RESERVED_DIMS)}); name it differently"
            )


def load_study(path: str | Path) -> Study:
    """Load and check a study file.

    Parameters
    ----------
    path : str or Path
        The TOML study file (format: ``docs/study-files.md``).

    Returns
    -------
    Study
    """
    path = Path(path)
    if not path.is_file():
        raise StudyError(f"{path}: study file not found")
    size = path.stat().st_size
    if size > MAX_STUDY_BYTES:
        raise StudyError(
            f"{path}: study file of {size:,} bytes; at most {MAX_STUDY_BYTES:,} are read (its "
            "text is kept in the store): keep data in the model's files, not the study"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise StudyError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{path}: TOML syntax error: {exc}") from None
    return study_from_dict(data, path=path, text=text)


def study_from_dict(
    data: dict[str, Any], *, path: Path | None = None, text: str | None = None
) -> Study:
    """Build a Study from the tables of a study file (``[study]``, ``[parameters.*]``, ...)."""
    where = str(path) if path is not None else "study"
    _unknown(where, "", data, TOP_KEYS)
    head = _table(where, "study", data.get("study"))
    _unknown(where, "study", head, STUDY_KEYS)
    for key in ("name", "seed", "outputs"):
        if key not in head:
            raise StudyError(f"{where}: [study] {key}: missing (required)")
    params = _table(where, "parameters", data.get("parameters"))
    kwargs: dict[str, Any] = {k: v for k, v in head.items()}
    _check_types(where, kwargs)
    kwargs["parameters"] = [
        _parameter(where, name, _table(where, f"parameters.{name}", spec))
        for name, spec in params.items()
    ]
    kwargs["model_options"] = _table(where, "model_options", data.get("model_options", {}))
    dims = _table(where, "output_dims", data.get("output_dims", {}))
    for key, value in dims.items():
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise StudyError(f"{where}: [output_dims] {key}: expected a list of dimension names")
    kwargs["output_dims"] = dims
    return Study(**kwargs, path=path, text=text)


def _parameter(where: str, name: str, spec: dict[str, Any]) -> Parameter:
    table = f"{where}: [parameters.{name}]"
    if "distribution" not in spec:
        raise StudyError(f'{table} distribution: missing (e.g. distribution = "uniform")')
    kind = spec["distribution"]
    if not isinstance(kind, str):
        raise StudyError(f"{table} distribution: expected a name, got {kind!r}")
    from uncertainty.study.distributions import DISTRIBUTIONS

    allowed = PARAMETER_KEYS | set(sum((r + o for _, r, o in DISTRIBUTIONS.values()), ()))
    _unknown(where, f"parameters.{name}", spec, allowed)
    fields = {k: v for k, v in spec.items() if k not in PARAMETER_KEYS}
    if kind in DISTRIBUTIONS:
        _, required, optional = DISTRIBUTIONS[kind]
        extra = set(fields) - set(required) - set(optional)
        if extra:
            raise StudyError(
                f"{table} {sorted(extra)[0]}: not a field of distribution {kind!r}; its fields: "
                + ", ".join(required + optional)
            )
    dist = make_distribution(kind, fields, table)
    for key in ("description", "unit", "group", "target"):
        if key in spec and not isinstance(spec[key], str):
            raise StudyError(f"{table} {key}: expected a string, got {spec[key]!r}")
    return Parameter(
        name=name,
        distribution=dist,
        description=spec.get("description", ""),
        unit=spec.get("unit", ""),
        group=spec.get("group"),
        target=spec.get("target"),
    )


def _check_types(where: str, head: dict[str, Any]) -> None:
    strings = ("name", "description", "question", "model", "sampler")
    for key in strings:
        if key in head and not isinstance(head[key], str):
            raise StudyError(f"{where}: [study] {key}: expected a string, got {head[key]!r}")
    for key in ("n", "seed", "num_levels", "batch_size"):
        if key in head:
            _check_int(where, key, head[key], minimum=None)
    if "second_order" in head and not isinstance(head["second_order"], bool):
        raise StudyError(f"{where}: [study] second_order: expected true or false")
    if "outputs" in head and (
        not isinstance(head["outputs"], list)
        or not all(isinstance(o, str) for o in head["outputs"])
    ):
        raise StudyError(f"{where}: [study] outputs: expected a list of output names")
    if "timeout" in head and not _number(head["timeout"]):
        raise StudyError(f"{where}: [study] timeout: expected a number of seconds")


def _check_int(where: str, key: str, value: Any, *, minimum: int | None) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise StudyError(f"{where}: [study] {key}: expected an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise StudyError(f"{where}: [study] {key} = {value}: must be at least {minimum}")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _table(where: str, name: str, value: Any) -> dict[str, Any]:
    if value is None:
        raise StudyError(f"{where}: [{name}]: missing table")
    if not isinstance(value, dict):
        raise StudyError(f"{where}: [{name}]: expected a table, got {value!r}")
    return value


def _unknown(where: str, table: str, data: dict[str, Any], allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            prefix = f"[{table}] " if table else ""
            raise StudyError(
                f"{where}: {prefix}{key}: unknown key; allowed: {', '.join(sorted(allowed))}"
            )
