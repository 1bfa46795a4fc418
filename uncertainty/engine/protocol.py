"""What a model is to the engine: import it, set it up once per worker, evaluate samples.

A study's ``model = "package.module:attr"`` names either

- a function, called per sample as ``f(**params)``, or
- a class (the fast path): each worker process instantiates it once as ``cls(targets={name:
  target}, **model_options)`` and calls ``instance.evaluate(params)`` per sample. A class with
  ``set_parameters(parameters)`` is handed the study's parameters (name, distribution, target)
  once; one with ``set_anchors(anchors)`` is handed the study's warm-start anchors once and
  called as ``instance.evaluate(params, anchor=k)`` with each sample's nearest anchor
  (:mod:`uncertainty.engine.anchors`); one whose ``evaluate`` also takes ``parent`` gets a Sobol
  AB row's parent as ``parent=(params, anchor)``. Optional ``prepare_anchor(k)`` and
  ``prepare_parent(parent)`` set those starts up before the sample, under their own time limit;
  when ``prepare_parent`` returns True (the parent gives the row a start) the row's own anchor is
  not prepared (it would only be the start of a row whose parent fails). A model whose
  ``prepared_anchors`` is P > 0 (a sample's start uses the first P anchors, whatever its own:
  the China LP's plane of the anchors' latest peaks) has those prepared before a batch's first
  row, each under its own limit, unless the anchor's result is shared: a model whose
  ``shares_anchor_results`` is true gets each anchor's ``anchor_result(k)``, computed once per
  run (engine/shared.py), as ``set_anchor_results(results)`` before a batch; one whose
  ``shares_anchor_starts`` is true likewise gets each anchor's start (``anchor_start(k)``:
  bytes, e.g. an LP basis) as ``set_anchor_starts(starts)``, so no worker solves one twice.

Both return a mapping from output name to a number or an array (an ``xarray.DataArray`` keeps
its dimensions and coordinates). An optional ``data_hash()`` (on the instance, or on the
function) goes in the manifest. Failures are data: every sample ends with a status, never with
an exception here.

Dask workers run tasks in a thread of the worker process, not its main thread: the per-process
cache still holds one model per worker, a lock keeps two threads of one process from using it at
once, and the time limit is raised in that thread by a timer instead of ``SIGALRM``.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from uncertainty.engine.anchors import (
    anchor_count,
    anchor_points,
    anchor_starts,
    anchor_values,
    parent_starts,
    takes_parent,
)
from uncertainty.engine.imports import helper_hashes, import_model, source_hash
from uncertainty.engine.worker import SampleTimeout, prepare_worker, time_limit
from uncertainty.errors import StudyError
from uncertainty.store.format import OUTPUT_ATTRS, Output, Status
from uncertainty.study.distributions import distribution_fields
from uncertainty.study.space import Parameter, Study

logger = logging.getLogger(__name__)

#: evaluators set up in this process (:meth:`ModelSpec.cache_key`), the most recently used last
_CACHE: OrderedDict[tuple[str, ...], tuple[Any, Callable[[dict[str, Any]], Any]]] = OrderedDict()
#: set-ups a process keeps (a China LP worker peaks at ~290 MB): a worker reused for another
#: study, or running two at once, keeps the other's too; the least recently used goes first
CACHE_SIZE = 2
#: one batch at a time per process: a cached model instance is not thread-safe
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ModelSpec:
    """Everything a worker needs to set up the model and evaluate samples (picklable)."""

    model: str
    parameters: tuple[Parameter, ...]
    outputs: tuple[str, ...]
    search_paths: tuple[str, ...] = ()
    model_options: dict[str, Any] = field(default_factory=dict)
    output_dims: dict[str, tuple[str, ...]] = field(default_factory=dict)
    timeout: float | None = None
    source_hash: str | None = None
    helper_hashes: dict[str, str] = field(default_factory=dict)
    study_folder: str | None = None
    #: warm-start anchors (engine/anchors.py): their inputs (model values) and unit points
    anchors: tuple[dict[str, Any], ...] = ()
    anchor_unit: tuple[tuple[float, ...], ...] = ()
    #: the model's ``evaluate`` takes a ``parent`` start (Sobol AB rows, LHS hubs: engine/hubs.py)
    parent_starts: bool = False
    #: each anchor's result computed once per run (engine/shared.py; NaN failed, None not asked)
    anchor_results: tuple[float | None, ...] = ()
    #: each anchor's start computed once per run (engine/shared.py; None: not computed, failed)
    anchor_starts: tuple[bytes | None, ...] = ()

    def cache_key(self) -> tuple[str, ...]:
        """Return the key of this model's evaluator in the per-process cache."""
        options = json.dumps(self.model_options, sort_keys=True, default=str)
        paths = json.dumps(self.search_paths)
        helpers = json.dumps(self.helper_hashes, sort_keys=True)
        anchors = json.dumps(self.anchors, sort_keys=True, default=str)
        # the instance is built with the parameters' targets and handed the parameters
        parameters = json.dumps(
            [[p.name, p.target, distribution_fields(p.distribution)] for p in self.parameters],
            default=str,
        )
        return (self.model, options, paths, str(self.source_hash), helpers, anchors, parameters)


class SampleResult(NamedTuple):
    """The outcome of one sample: status code, seconds, message (failures), outputs (ok)."""

    sample_id: int
    status: int
    elapsed: float
    message: str
    outputs: dict[str, Output] | None


def model_spec(study: Study, *, cwd: Path | None = None) -> ModelSpec:
    """Resolve the study's model in this process and return the spec workers need.

    Raises StudyError (naming the file and key) when the model cannot be imported.
    """
    paths = []
    folder = None if study.path is None else str(Path(study.path).resolve().parent)
    if folder is not None:
        paths.append(folder)
    paths.append(str((cwd or Path.cwd()).resolve()))
    search_paths = tuple(dict.fromkeys(paths))
    where = str(study.path) if study.path is not None else f"study {study.name!r}"
    try:
        obj = import_model(study.model, search_paths, folder)
    except Exception as exc:  # any failure to import is a bad study
        raise StudyError(
            f"{where}: [study] model: cannot import {study.model!r}: {type(exc).__name__}: {exc}"
        ) from None
    if not callable(obj):
        raise StudyError(f"{where}: [study] model: {study.model!r} is not a function or class")
    unit = anchor_points(study, anchor_count(study, obj))
    values = anchor_values(study, unit)
    return ModelSpec(
        model=study.model,
        parameters=study.parameters,
        outputs=study.outputs,
        search_paths=search_paths,
        model_options=dict(study.model_options),
        output_dims=dict(study.output_dims),
        timeout=study.timeout,
        source_hash=source_hash(obj),
        helper_hashes=helper_hashes(study.model, obj, search_paths),
        study_folder=folder,
        anchors=tuple(
            {p.name: _model_value(p, x) for p, x in zip(study.parameters, row, strict=True)}
            for row in values
        ),
        anchor_unit=tuple(tuple(float(u) for u in row) for row in unit),
        parent_starts=isinstance(obj, type) and takes_parent(getattr(obj, "evaluate", None)),
    )


def get_evaluator(spec: ModelSpec) -> tuple[Any, Callable[[dict[str, Any]], Any]]:
    """Return ``(model object, evaluate(params))``, set up once per process and cached."""
    key = spec.cache_key()
    if key not in _CACHE:
        obj = import_model(spec.model, spec.search_paths, spec.study_folder)
        if isinstance(obj, type):
            targets = {p.name: p.target for p in spec.parameters}
            instance = obj(targets=targets, **spec.model_options)
            if callable(getattr(instance, "set_parameters", None)):
                instance.set_parameters(list(spec.parameters))
            if spec.anchors:
                instance.set_anchors(list(spec.anchors))
            _CACHE[key] = (instance, instance.evaluate)
        else:
            _CACHE[key] = (obj, lambda params: obj(**params))
        logger.info("set up model %s in process %d", spec.model, _pid())
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    return _CACHE[key]


def model_info(spec: ModelSpec) -> dict[str, Any]:
    """Set up the model (in a worker) and return its ``data_hash`` (None if it has none),
    whether it takes shared anchor results and starts (engine/shared.py) and how many of the
    first anchors every sample needs (``prepared_anchors``, 0 when it has none)."""
    prepare_worker()
    with _LOCK:
        obj, _ = get_evaluator(spec)
    data_hash = getattr(obj, "data_hash", None)
    if callable(data_hash):
        data_hash = data_hash()
    shares = all(callable(getattr(obj, m, None)) for m in ("anchor_result", "set_anchor_results"))
    starts = all(callable(getattr(obj, m, None)) for m in ("anchor_start", "set_anchor_starts"))
    return {
        "data_hash": None if data_hash is None else str(data_hash),
        "shares_anchor_results": shares and bool(getattr(obj, "shares_anchor_results", False)),
        "shares_anchor_starts": starts and bool(getattr(obj, "shares_anchor_starts", False)),
        "prepared_anchors": prepared_anchors(obj, len(spec.anchors)),
    }


def prepared_anchors(model: Any, n_anchors: int) -> int:
    """How many of the first ``n_anchors`` anchors every sample of ``model`` needs prepared (its
    ``prepared_anchors``, a whole number; 0 without one)."""
    value = getattr(model, "prepared_anchors", 0) or 0
    gone = " (prepares_all_anchors is gone)" if hasattr(model, "prepares_all_anchors") else ""
    if gone or isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise StudyError(f"{type(model).__name__}.prepared_anchors = {value!r}: give a count{gone}")
    return min(int(value), n_anchors)


def anchor_shared(spec: ModelSpec, anchor: int, result: bool, start: bool) -> tuple[Any, Any]:
    """Anchor ``anchor``'s ``(start, result)`` (in a worker; what the model's ``anchor_start``
    and ``anchor_result`` return, each under the anchor's own time limit; None where not asked
    for, raised or ran out of time). The start comes first: the result may need it."""
    prepare_worker()
    out = []
    with _LOCK:
        model, _ = get_evaluator(spec)
        for wanted, what in ((start, "start"), (result, "result")):
            call = getattr(model, f"anchor_{what}") if wanted else None
            value = _prepare(spec, call, anchor, f"an anchor's shared {what}") if call else None
            out.append(None if value is _TIMED_OUT else value)
    return out[0], out[1]


def evaluate_batch(
    spec: ModelSpec, sample_ids: np.ndarray, rows: np.ndarray, parents: np.ndarray | None = None
) -> list[SampleResult]:
    """Evaluate samples (in a worker); every sample gets a status, exceptions never escape.

    Parameters
    ----------
    spec : ModelSpec
    sample_ids : ndarray of int
    rows : ndarray, shape (n, n_parameters)
        Stored inputs, converted to model values (choices) here.
    parents : ndarray, shape (n, n_parameters), optional
        Stored inputs of each row's parent in the design (a NaN row: none;
        engine/anchors.py ``design_parents``, engine/hubs.py ``hub_design``), handed to a model
        whose ``evaluate`` takes a ``parent`` as ``(parent params, the parent's nearest anchor)``.
    """
    prepare_worker()
    with _LOCK:
        model, evaluate = get_evaluator(spec)
        if spec.anchor_results:
            model.set_anchor_results(list(spec.anchor_results))
        if spec.anchor_starts:
            model.set_anchor_starts(list(spec.anchor_starts))
        starts = anchor_starts(spec.parameters, spec.anchor_unit, rows)
        lineage = [None] * len(rows)
        if parents is not None and takes_parent(evaluate):
            to_params = functools.partial(_params, spec)
            lineage = parent_starts(spec.parameters, spec.anchor_unit, parents, to_params)
        prepare = getattr(model, "prepare_parent", None)
        prepare_anchor = getattr(model, "prepare_anchor", None)
        results: list[SampleResult | None] = [None] * len(rows)
        if callable(prepare_anchor):
            shared = spec.anchor_results or (None,) * len(spec.anchors)
            for k in range(prepared_anchors(model, len(spec.anchors))):  # cached by the model
                if shared[k] is None:  # (a shared result makes it the rows' business only)
                    _prepare(spec, prepare_anchor, k, "an anchor")
        for i in _in_groups(rows, parents, lineage):
            parent = lineage[i]
            if callable(prepare_anchor) and parent is not None and parent[1] is not None:
                _prepare(spec, prepare_anchor, parent[1], "an anchor")  # not on the parent's limit
            own_anchor = True
            if parent is not None and callable(prepare):
                ready = _prepare(spec, prepare, parent, "a parent")
                if ready is _TIMED_OUT:
                    parent = None  # the row starts from its anchor rather than solving the
                    # parent again within its own limit (and failing as it did)
                else:  # a parent that gives a start makes the row's own anchor unnecessary
                    own_anchor = ready is not True
            if callable(prepare_anchor) and own_anchor and starts[i] is not None:
                _prepare(spec, prepare_anchor, starts[i], "an anchor")
            keywords = {"anchor": starts[i], "parent": parent}
            keywords = {k: v for k, v in keywords.items() if v is not None}
            call = functools.partial(evaluate, **keywords) if keywords else evaluate
            results[i] = _evaluate_one(spec, call, int(sample_ids[i]), _params(spec, rows[i]))
    return results


def _in_groups(rows: np.ndarray, parents: np.ndarray | None, lineage: list) -> list[int]:
    """The order a batch's rows are evaluated in: each row with its parent's group, the parent
    first (a Sobol block: A, its AB rows, B, its BA rows; an LHS hub and its rows), so a worker
    holds one or two parents' optima at a time whatever the batch size. The order changes which
    optima a worker has at hand, never a row's start (a function of the design alone)."""
    keys = [(rows[i] if lineage[i] is None else parents[i]).tobytes() for i in range(len(rows))]
    first: dict[bytes, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    return sorted(range(len(rows)), key=lambda i: (first[keys[i]], lineage[i] is not None))


#: :func:`_prepare`'s answer when the time limit cut the set-up off
_TIMED_OUT = object()


def _prepare(spec: ModelSpec, prepare: Callable[[Any], Any], start: Any, what: str) -> Any:
    """Let the model set up a sample's start (its anchor, or a parent from another batch) under
    the start's own time limit, not the sample's: whichever sample first needs a start depends on
    the order, and a sample's status must not; the sample's ``elapsed`` is then its own work. A
    failure is the model's business (the sample then starts elsewhere or fails by itself).
    Returns what ``prepare`` returned (``prepare_parent``: True when the parent gives its rows a
    start), None when it raised, :data:`_TIMED_OUT` when the time limit cut it off."""
    try:
        with time_limit(spec.timeout):
            return prepare(start)
    except SampleTimeout as exc:
        logger.info("preparing %s ran out of time (%s)", what, exc)
        return _TIMED_OUT
    except Exception as exc:
        logger.info("preparing %s failed (%s: %s)", what, type(exc).__name__, exc)
    return None


def _params(spec: ModelSpec, row: np.ndarray) -> dict[str, Any]:
    return {p.name: _model_value(p, x) for p, x in zip(spec.parameters, row, strict=True)}


def _evaluate_one(
    spec: ModelSpec, evaluate: Callable[[dict[str, Any]], Any], sample_id: int, params: dict
) -> SampleResult:
    start = time.perf_counter()
    try:
        with time_limit(spec.timeout):
            raw = evaluate(params)
        outputs = normalise_outputs(raw, spec)
    except SampleTimeout:
        elapsed = time.perf_counter() - start
        message = f"exceeded the time limit of {spec.timeout} s"
        return SampleResult(sample_id, Status.TIMEOUT, elapsed, message, None)
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # a worker ignores Ctrl-C:
        # a KeyboardInterrupt here is the model's own (uncertainty.engine.worker)
        elapsed = time.perf_counter() - start
        message = f"{type(exc).__name__}: {exc}"
        return SampleResult(sample_id, Status.ERROR, elapsed, message, None)
    return SampleResult(sample_id, Status.OK, time.perf_counter() - start, "", outputs)


def normalise_outputs(raw: Any, spec: ModelSpec) -> dict[str, Output]:
    """Check a model's return value and convert each requested output to an :class:`Output`."""
    if not isinstance(raw, Mapping):
        raise TypeError(
            f"the model returned {type(raw).__name__}; expected a mapping of output name to value"
        )
    outputs = {}
    for name in spec.outputs:
        if name not in raw:
            raise ValueError(
                f"the model returned no output {name!r} (it returned: {', '.join(map(str, raw))})"
            )
        outputs[name] = _as_output(name, raw[name], spec.output_dims.get(name))
    return outputs


def _as_output(name: str, value: Any, declared: tuple[str, ...] | None) -> Output:
    if hasattr(value, "dims") and hasattr(value, "coords"):  # an xarray.DataArray
        dims = tuple(str(d) for d in value.dims)
        coords = {d: np.asarray(value[d].values) for d in dims if d in value.coords}
        attrs = {k: _plain(value.attrs[k]) for k in OUTPUT_ATTRS if k in value.attrs}
        return Output(dims, np.asarray(value.values, dtype=float), coords, attrs)
    raw = np.asarray(value) if value is not None else None
    if raw is None or raw.dtype.kind not in "biuf":
        raise TypeError(
            f"output {name!r} is not a number or array of numbers: {value!r:.80}"
            + (" (return NaN for a missing value)" if value is None else "")
        )
    array = raw.astype(float)
    if declared is not None and len(declared) == array.ndim:
        dims = tuple(declared)
    elif declared is not None:
        raise ValueError(f"output {name!r} has {array.ndim} dims; the study declares {declared}")
    else:
        dims = tuple(f"{name}_dim_{i}" for i in range(array.ndim))
    return Output(dims, array, {}, {})


def _plain(value: Any) -> Any:
    """An attribute as a plain Python value (a numpy scalar becomes a float or str)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _model_value(param: Parameter, x: float) -> Any:
    model_value = getattr(param.distribution, "model_value", None)
    return model_value(x) if model_value is not None else float(x)


def _pid() -> int:
    import os

    return os.getpid()
