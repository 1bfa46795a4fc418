"""Batches of one run: send them to a backend, isolate a sample that kills workers, and turn
each batch's results into the arrays the store writes (checking every output's shape)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from uncertainty import store
from uncertainty.engine.anchors import anchor_starts
from uncertainty.engine.backends import Backend, WorkerDied
from uncertainty.engine.protocol import ModelSpec, SampleResult, evaluate_batch
from uncertainty.errors import ClusterError
from uncertainty.store import Status

logger = logging.getLogger(__name__)


@dataclass
class Plan:
    """The store's state at start: chunk length, stored inputs, pending batches."""

    chunk: int
    inputs: np.ndarray
    status: np.ndarray
    batches: list[tuple[int, int]]
    schemas: dict[str, store.OutputSchema]
    #: row each row may start from (-1 none; engine/anchors.py design_parents, engine/hubs.py
    #: hub_design); None: none at all
    parents: np.ndarray | None = None

    def parent_rows(self, start: int, stop: int) -> np.ndarray | None:
        """Stored inputs of the parents of rows ``start:stop`` (NaN rows where none; None when
        none of them has a parent)."""
        if self.parents is None or not (self.parents[start:stop] >= 0).any():
            return None
        rows = np.full_like(self.inputs[start:stop], np.nan, dtype=float)
        parents = self.parents[start:stop]
        has = parents >= 0
        rows[has] = self.inputs[parents[has]]
        return rows


def batches(
    spec: ModelSpec, plan: Plan, backend: Backend
) -> Iterator[tuple[int, list[SampleResult]]]:
    """Yield ``(start, results)`` per batch as they finish; isolate batches hit by a dead worker."""
    queue = list(reversed(plan.batches))
    in_flight: dict[Any, tuple[int, int]] = {}
    suspects: list[tuple[int, int]] = []
    while queue or in_flight:
        while queue and len(in_flight) < 2 * backend.workers() and not suspects:
            start, stop = queue.pop()
            ids = np.arange(start, stop)
            rows, parents = plan.inputs[start:stop], plan.parent_rows(start, stop)
            task = for_batch(spec, rows, parents)
            future = backend.submit(evaluate_batch, task, ids, rows, parents, samples=len(ids))
            in_flight[future] = (start, stop)
        for future in backend.wait_first(in_flight):
            start, stop = in_flight.pop(future)
            try:
                results = backend.result(future)
            except WorkerDied:
                suspects.append((start, stop))
                continue
            except ClusterError:
                raise
            except Exception as exc:  # the batch itself failed (e.g. model set-up in a worker)
                results = _failed(range(start, stop), Status.ERROR, f"{type(exc).__name__}: {exc}")
            yield start, results
        if suspects and not in_flight:
            for start, stop in sorted(suspects):
                logger.warning("a worker died; isolating samples %d-%d", start, stop - 1)
                ids, rows = np.arange(start, stop), plan.inputs[start:stop]
                yield start, _isolate(spec, ids, rows, plan.parent_rows(start, stop), backend)
            suspects.clear()


def for_batch(spec: ModelSpec, rows: np.ndarray, parents: np.ndarray | None) -> ModelSpec:
    """``spec`` with only the shared starts (engine/shared.py) of the anchors ``rows`` and their
    ``parents`` (NaN rows: none) start from, None for the others: each batch carries a few
    bases (~2.8 KB each on the China LP) instead of every anchor's."""
    if not any(s is not None for s in spec.anchor_starts):
        return spec
    starts = [rows] if parents is None else [rows, parents[~np.isnan(parents).any(axis=1)]]
    needed = {
        k
        for points in starts
        if len(points)
        for k in anchor_starts(spec.parameters, spec.anchor_unit, points)
        if k is not None
    }
    kept = tuple(s if k in needed else None for k, s in enumerate(spec.anchor_starts))
    return replace(spec, anchor_starts=kept)


def _isolate(
    spec: ModelSpec,
    ids: np.ndarray,
    rows: np.ndarray,
    parents: np.ndarray | None,
    backend: Backend,
) -> list[SampleResult]:
    """Evaluate ``ids`` alone; on a worker death split in halves until the culprit is found."""
    try:
        task = for_batch(spec, rows, parents)
        future = backend.submit(evaluate_batch, task, ids, rows, parents, samples=len(ids))
        return backend.result(future)
    except WorkerDied as exc:
        if len(ids) == 1:
            status = Status.TIMEOUT if exc.overran else Status.CRASHED
            return _failed(ids, status, str(exc))
        half = len(ids) // 2
        cut = (None, None) if parents is None else (parents[:half], parents[half:])
        first = _isolate(spec, ids[:half], rows[:half], cut[0], backend)
        return first + _isolate(spec, ids[half:], rows[half:], cut[1], backend)


def write_results(out: Path, start: int, results: list[SampleResult], plan: Plan) -> None:
    """Turn a batch's results into arrays (checking output shapes) and write them."""
    results = sorted(results, key=lambda r: r.sample_id)
    new = _new_schemas(results, plan.schemas)
    if new:
        store.add_outputs(out, len(plan.status), plan.chunk, new)
        plan.schemas.update(new)
    n = len(results)
    status = np.array([r.status for r in results], dtype=np.int8)
    elapsed = np.array([r.elapsed for r in results], dtype=float)
    arrays = {k: np.full((n, *s.shape), np.nan) for k, s in plan.schemas.items()}
    messages = {r.sample_id: r.message for r in results}
    for i, result in enumerate(results):
        if result.status != Status.OK or result.outputs is None:
            continue
        problems = [
            f"output {k!r}: {why}"
            for k, s in plan.schemas.items()
            if (why := s.mismatch(result.outputs[k])) is not None
        ]
        if problems:
            status[i] = Status.ERROR
            messages[result.sample_id] = "; ".join(problems)
            continue
        for k in plan.schemas:
            arrays[k][i] = result.outputs[k].values
    failures = [
        {"sample_id": r.sample_id, "status": int(s), "message": messages[r.sample_id]}
        for r, s in zip(results, status, strict=True)
        if s != Status.OK
    ]
    store.write_batch(out, start, status, elapsed, arrays, failures)


def _new_schemas(
    results: list[SampleResult], known: dict[str, store.OutputSchema]
) -> dict[str, store.OutputSchema]:
    """Schemas of outputs not yet in the store, taken from the batch's first good sample."""
    first = next((r for r in results if r.status == Status.OK and r.outputs is not None), None)
    if first is None or first.outputs is None:
        return {}
    return {
        name: store.OutputSchema(o.dims, o.values.shape, dict(o.coords), dict(o.attrs))
        for name, o in first.outputs.items()
        if name not in known
    }


def _failed(ids: Any, status: int, message: str) -> list[SampleResult]:
    return [SampleResult(int(i), status, float("nan"), message, None) for i in ids]
