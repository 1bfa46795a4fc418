"""What a model computes once per warm-start anchor and run, shared with every worker.

**Starts.** A fast-path model starts each sample from its nearest anchor's optimal basis
(engine/anchors.py). Each worker used to solve every anchor it needed itself (~3 s each on the
China LP, repeated in every worker: 32 anchors cost each of 64 workers ~1.5 min). Instead the
engine asks each anchor its rows start from for its start once per run, spread over the workers,
and hands each batch those of the anchors its rows start from (``anchor_starts`` of the spec:
bytes, ~2.8 KB per China LP basis; engine/batches.py ``for_batch``). An anchor's basis is the
same whichever process solves it (it is always solved from the reference basis), so the rows'
outputs do not change, bit for bit. The run keeps each start in its folder as it arrives
(``<out>/anchor_starts/``, uncertainty/store/starts.py, under a digest of what it was solved for:
:func:`start_key`): a resumed or extended run reads them back and solves only the anchors whose
start it lacks (never kept, failed, damaged, or solved by other code: those once, over its
workers).

**Results.** The China LP's latest-peak search starts each sample from a first guess read from
the anchors' own answers (its nearest anchor's latest peak, or the plane through the first ones',
model/starts.py): ~20 s per anchor. The engine asks for each anchor's result once per run, in
the same task as its start, under the anchor's own time limit; records them in the store's
manifest (``anchor_results``: anchor index -> number, ``"inf"`` or ``"-inf"`` for an infinite
one, null when the anchor's computation failed or timed out); and hands the same list to every
worker before its first sample, so a time limit that cut one worker's search short cannot give
that worker, and no other, a different plane. A resumed or extended run reads them back and
computes only anchors it has not asked for before.

Both depend on the study and the model alone, never on ``n_jobs``, batch size, backend or resume
(tests/uncertainty/test_shared_anchors.py). A model class opts in with
(:mod:`uncertainty.engine.protocol`):

- ``shares_anchor_starts``: true when it wants starts; ``anchor_start(k)``: anchor ``k``'s
  start as bytes, in a worker; ``set_anchor_starts(starts)``: every anchor's start before a
  batch (None where it was not asked for or failed: the model computes it itself if needed);
- ``shares_anchor_results``: true when it wants results; ``anchor_result(k)``: a number (or
  None) computed from anchor ``k``, in a worker; ``set_anchor_results(results)``: every
  anchor's result before a batch: a float (NaN where the anchor's computation failed or timed
  out) or None where it was not asked for (the model then computes it itself should it need it).

The anchors asked for are those the pending rows start from (a row's nearest anchor; for a row
with a parent, a Sobol AB row or an LHS row behind its hub, the parent's); their results only
the first P anchors' when the model's ``prepared_anchors`` is P > 0 (every sample's start uses
those: the China LP's plane). An anchor whose worker dies is tried again.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from uncertainty import store
from uncertainty.engine.anchors import anchor_starts
from uncertainty.engine.backends import Backend, WorkerDied
from uncertainty.engine.batches import Plan
from uncertainty.engine.manifest import package_versions
from uncertainty.engine.protocol import ModelSpec, anchor_shared
from uncertainty.errors import ClusterError, ModelError, RunInterrupted
from uncertainty.store.format import Status

logger = logging.getLogger(__name__)

#: the manifest's key of the shared results
KEY = "anchor_results"


def share_anchor_results(
    out: Path,
    spec: ModelSpec,
    plan: Plan,
    info: dict[str, Any],
    backend: Backend,
    notify: Callable[[str], None],
) -> ModelSpec:
    """``spec`` with the anchors' shared results and starts (unchanged when the model takes
    neither): results read from the store's manifest, the missing ones and the starts computed
    in the workers, each result recorded as it arrives (a run stopped meanwhile keeps them)."""
    results, starts = info.get("shares_anchor_results"), info.get("shares_anchor_starts")
    if not (results or starts) or not spec.anchors:
        return spec
    manifest = store.read_manifest(out)  # this run holds the folder's lock: none writes it but us
    stored = stored_results(manifest)
    pending = plan.status == Status.PENDING
    used = used_anchors(spec, plan) if pending.any() else []
    first = info.get("prepared_anchors", 0)
    wanted = range(first) if first and used else used
    missing = {k for k in wanted if k not in stored} if results else set()
    solved: dict[int, bytes | None] = {}
    packages = package_versions()
    kept = _kept_starts(out, spec, manifest, packages, used, notify) if starts else {}
    # the starts of the anchors the rows start from that the folder does not keep (and of those
    # searched: the search solves the anchor first, so its basis comes free)
    todo = sorted(missing | (set(used) - set(kept) if starts else set()))
    if todo:
        if starts:
            extra = f", {len(missing)} with their results" if missing else ""
            notify(f"anchors: solving {len(todo)} anchors once for every worker{extra}")
        else:
            notify(f"anchors: computing {len(todo)} anchors' results once for every worker")
        started = time.monotonic()

        def record(k: int, start: bytes | None, value: float | None) -> None:
            if starts:
                solved[k] = start if isinstance(start, bytes) else None
                if solved[k] is not None:
                    key = start_key(manifest, spec.anchors[k], packages)
                    _keep_start(out, k, solved[k], key)
            if k in missing:
                stored[k] = value
                manifest[KEY] = {str(j): _encode(stored[j]) for j in sorted(stored)}
                store.write_manifest(out, manifest)

        try:
            compute_results(spec, backend, todo, missing, bool(starts), record)
        except KeyboardInterrupt:
            backend.interrupt()
            raise RunInterrupted(str(out), int(np.sum(~pending)), len(pending)) from None
        except ClusterError:
            raise
        except Exception as exc:
            raise ModelError(
                f"computing the anchors' shared starts or results of model {spec.model!r} "
                f"failed: {type(exc).__name__}: {exc}"
            ) from None
        failed = sum(
            (k in missing and stored[k] is None) or (starts and solved.get(k) is None) for k in todo
        )
        done = "solved" if starts else "results computed"
        notify(
            f"anchors: {len(todo)} {done} in {time.monotonic() - started:.0f} s"
            + (f" ({failed} failed)" if failed else "")
        )
    # a kept start solved again with its result stays if the new solve failed
    known = {**solved, **kept, **{k: v for k, v in solved.items() if v is not None}}
    return _shared_spec(spec, stored if results else None, known)


def _shared_spec(
    spec: ModelSpec, stored: dict[int, float | None] | None, known: dict[int, bytes | None]
) -> ModelSpec:
    """``spec`` handing out the anchors' results (``stored``; None: the model takes none) and
    the starts ``known`` (kept or solved)."""
    if stored is not None:
        spec = replace(
            spec,
            anchor_results=tuple(
                None if k not in stored else (math.nan if stored[k] is None else float(stored[k]))
                for k in range(len(spec.anchors))
            ),
        )
    if known:
        spec = replace(spec, anchor_starts=tuple(known.get(k) for k in range(len(spec.anchors))))
    return spec


def start_key(
    manifest: dict[str, Any], anchor: dict[str, Any], packages: dict[str, Any]
) -> dict[str, Any]:
    """What an anchor's start was solved for: the code (the manifest's ``code``: the git commit,
    netua's version, the model's source and helper modules), the packages of this process
    (``packages``: HiGHS's version among them), the model data, the study but its ``n`` (the
    model's settings; a design grown to a larger ``n`` keeps its anchors) and the anchor's
    parameter values. A kept start is used only for the same key."""
    study = {k: v for k, v in (manifest.get("study") or {}).items() if k != "n"}
    return {
        "code": manifest.get("code"),
        "packages": packages,
        "model_data_hash": manifest.get("model_data_hash"),
        "study": study,
        "anchor": anchor,
    }


def _kept_starts(
    out: Path,
    spec: ModelSpec,
    manifest: dict[str, Any],
    packages: dict[str, Any],
    used: list[int],
    notify: Callable[[str], None],
) -> dict[int, bytes]:
    """The starts the folder keeps of the anchors ``used`` (read back, not solved again)."""
    keys = {k: start_key(manifest, spec.anchors[k], packages) for k in used}
    kept, spoilt = store.read_anchor_starts(out, keys)
    if spoilt:
        notify(
            f"anchors: {len(spoilt)} kept starts damaged or solved for other code, data or "
            f"anchors (anchors {', '.join(map(str, spoilt))}): solving them again"
        )
    if kept:
        notify(f"anchors: {len(kept)} starts read back from {out / store.ANCHOR_STARTS}")
    return kept


def _keep_start(out: Path, k: int, start: bytes, key: dict[str, Any]) -> None:
    """Keep anchor ``k``'s start in the folder; a failed write costs a solve on resume only."""
    try:
        store.write_anchor_start(out, k, start, key)
    except OSError as exc:
        logger.warning("anchor %d's start could not be kept (%s): a resume solves it again", k, exc)


def stored_results(manifest: dict[str, Any]) -> dict[int, float | None]:
    """The anchor results a manifest records (anchor index -> number or None)."""
    return {int(k): None if v is None else float(v) for k, v in (manifest.get(KEY) or {}).items()}


def used_anchors(spec: ModelSpec, plan: Plan) -> list[int]:
    """The anchors the pending rows start from: a row's nearest, or for a row with a parent
    (a Sobol AB row, an LHS row behind its hub) the parent's nearest (the row's own is only the
    fallback of a parent without an optimum: the worker computes it then)."""
    pending = np.flatnonzero(plan.status == Status.PENDING)
    has = np.zeros(len(pending), dtype=bool)
    if plan.parents is not None:
        has = plan.parents[pending] >= 0
    starts = plan.inputs[pending[~has]]
    if has.any():
        starts = np.concatenate([starts, plan.inputs[plan.parents[pending[has]]]])
    used = anchor_starts(spec.parameters, spec.anchor_unit, starts)
    return sorted({k for k in used if k is not None})


def compute_results(
    spec: ModelSpec,
    backend: Backend,
    anchors: list[int],
    results: set[int],
    starts: bool,
    record: Callable[[int, Any, Any], None],
) -> None:
    """Each anchor's start (when ``starts``) and result (when in ``results``), one task per
    anchor spread over the workers, handed to ``record(k, start, result)`` as they arrive (None:
    failed or timed out). Anchors whose worker died (a dying worker takes
    the tasks running beside it along, and loky kills the whole pool when a task overruns the
    outside limit, whose clock may start while the task still waits in the queue) are tried
    again together, then, dying again, one at a time; only an anchor whose worker dies while it
    runs alone has no result, whatever ran beside it."""

    def submit(ks: list[int]) -> dict[Any, int]:  # one task per anchor: future -> anchor
        # the outside limit (loky) counts one sample's limit per part: the start, the result
        return {
            backend.submit(
                anchor_shared, spec, k, k in results, starts, samples=(k in results) + starts
            ): k
            for k in ks
        }

    died = _collect(backend, submit(anchors), record)
    died = _collect(backend, submit(died), record)  # together again
    for k in died:  # dying again: alone
        if _collect(backend, submit([k]), record):
            record(k, None, None)


def _collect(
    backend: Backend, futures: dict[Any, int], record: Callable[[int, Any, Any], None]
) -> list[int]:
    """Wait for ``futures`` (future -> anchor), recording each start and result; return the
    anchors whose worker died."""
    died = []
    while futures:
        for future in backend.wait_first(list(futures)):
            k = futures.pop(future)
            try:
                start, value = backend.result(future)
            except WorkerDied as exc:
                logger.warning("anchor %d: its worker died (%s)", k, exc)
                died.append(k)
            else:
                record(k, start, _number(value))
    return sorted(died)


def _number(value: Any) -> float | None:
    """A result as a float (infinite ones kept: the China LP's censored latest peaks), None when
    it is missing or NaN."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _encode(value: float | None) -> float | str | None:
    """A result as plain JSON: an infinite one as ``"inf"`` or ``"-inf"``."""
    return value if value is None or math.isfinite(value) else str(value)
