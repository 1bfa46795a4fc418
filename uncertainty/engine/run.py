"""Run a study: evaluate every sample in parallel batches and keep every result in the store.

Batches (= store chunks along ``sample``) go to a backend (:mod:`uncertainty.engine.backends`):
a loky process pool (joblib's default backend) or a Dask cluster; this process writes each
finished batch at once, whichever backend evaluated it.
Running the same study into the same folder resumes: only
pending batches are evaluated. A batch whose worker died (loky: every batch in flight; Dask: a
batch that killed ``allowed-failures + 1`` workers) is re-sent alone and split in halves until the
sample that kills workers is isolated and marked ``crashed``. Ctrl-C stops cleanly: completed
batches stay in the store and the next run resumes. The same study with a larger ``n`` grows the
store (nested designs only) and then resumes: stored samples are kept, not evaluated again.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from uncertainty import store
from uncertainty.engine.anchors import design_parents
from uncertainty.engine.backends import DASK, LOKY, Backend, WorkerDied, open_backend
from uncertainty.engine.batches import Plan, batches, write_results
from uncertainty.engine.hubs import hub_design
from uncertainty.engine.manifest import (
    build_manifest,
    extended_manifest,
    extension_of,
    record_sitting,
    resumed_manifest,
)
from uncertainty.engine.protocol import (
    ModelSpec,
    model_info,
    model_spec,
)
from uncertainty.engine.shared import share_anchor_results
from uncertainty.engine.worker import mark_parent
from uncertainty.errors import ClusterError, ModelError, RunInterrupted, StoreError
from uncertainty.store import Status, guard
from uncertainty.study.sampling import Design, check_design_size, sample_design
from uncertainty.study.space import Study, load_study

logger = logging.getLogger(__name__)

Notify = Callable[[str], None]


@dataclass(frozen=True)
class RunSettings:
    """How to run: workers, batch size, start over, allow a code change, progress, backend.

    ``backend`` is ``"loky"`` (default) or ``"dask"`` (default when ``scheduler`` is given: the
    address of a running Dask scheduler; without one, a local cluster of ``n_jobs`` workers).
    """

    n_jobs: int = -1
    batch_size: int | None = None
    fresh: bool = False
    allow_code_change: bool = False
    progress: bool = False
    backend: str | None = None
    scheduler: str | None = None
    oversubscribe: bool = False
    allow_large: bool = False

    @property
    def backend_name(self) -> str:
        """The backend to use: ``backend``, else dask with a scheduler, else loky."""
        if self.backend is not None:
            return self.backend
        return DASK if self.scheduler is not None else LOKY


@dataclass
class RunSummary:
    """What a run did: samples in the design, evaluated now, counts by status, failure records."""

    out: Path
    n_samples: int
    n_evaluated: int
    counts: dict[str, int]
    failures: list[dict[str, Any]] = field(default_factory=list)


def run_study(
    study_or_path: Study | str | Path,
    out: str | Path | None = None,
    *,
    n_jobs: int = -1,
    batch_size: int | None = None,
    fresh: bool = False,
    allow_code_change: bool = False,
    backend: str | None = None,
    scheduler: str | None = None,
) -> Path:
    """Evaluate a study and return its output folder (holding ``store.zarr``).

    Parameters
    ----------
    study_or_path : Study, str or Path
        A study, or the path of a study file.
    out : str or Path, optional
        Output folder; default ``results/<study name>`` under the working directory.
    n_jobs : int
        Worker processes (default -1: one per CPU, as ``netua run``).
    batch_size : int, optional
        Samples per batch and store chunk (a resumed store keeps its own).
    fresh : bool
        Delete an existing store in ``out`` and start over (default: resume it).
    allow_code_change : bool
        Resume although the code's version changed (recorded in the manifest).
    backend : {"loky", "dask"}, optional
        Where batches run (default loky; dask when ``scheduler`` is given).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``) or its scheduler file (.json).
    """
    study = study_or_path if isinstance(study_or_path, Study) else load_study(study_or_path)
    settings = RunSettings(
        n_jobs, batch_size, fresh, allow_code_change, backend=backend, scheduler=scheduler
    )
    return run_ensemble(study, default_out(study, out), settings).out


def default_out(study: Study, out: str | Path | None) -> Path:
    """Return ``out``, or ``results/<study name>`` under the working directory."""
    return Path(out) if out is not None else Path.cwd() / "results" / study.name


def run_ensemble(
    study: Study, out: Path, settings: RunSettings, notify: Notify | None = None
) -> RunSummary:
    """Run (or resume) a study into ``out``; ``notify`` receives user-facing notes."""
    notify = notify or logger.info
    out = Path(out)
    spec = model_spec(study)  # a model that cannot be imported: refused before any folder exists
    check_design_size(study, allow_large=settings.allow_large)
    guard.check_folder(out)
    mark_parent()
    with guard.run_lock(out):
        return _run_locked(study, spec, out, settings, notify)


def _run_locked(
    study: Study, spec: ModelSpec, out: Path, settings: RunSettings, notify: Notify
) -> RunSummary:
    """The run, while this process holds the folder's lock."""
    if not settings.fresh:
        store.store_exists(out)  # a damaged or foreign store is refused before any work
    design, parents = _design(study, spec)
    n_workers = _n_workers(settings.n_jobs, settings.oversubscribe, notify)
    where = settings.backend_name
    with open_backend(where, n_workers, scheduler=settings.scheduler, notify=notify) as backend:
        info = _model_info(spec, backend)
        manifest = build_manifest(
            study,
            design,
            data_hash=info["data_hash"],
            model_source_hash=spec.source_hash,
            model_helpers=spec.helper_hashes,
        )
        plan = _prepare(out, study, design, parents, manifest, settings, backend.workers(), notify)
        pending = int(np.sum(plan.status == Status.PENDING))
        store.write_manifest(
            out, record_sitting(store.read_manifest(out), backend.name, backend.workers(), pending)
        )
        spec = share_anchor_results(out, spec, plan, info, backend, notify)
        n_evaluated = _evaluate_pending(out, spec, plan, settings, backend)
    return _finish(out, plan, n_evaluated)


def _prepare(
    out: Path,
    study: Study,
    design: Design,
    parents: np.ndarray,
    manifest: dict[str, Any],
    settings: RunSettings,
    n_jobs: int,
    notify: Notify,
) -> Plan:
    """Create, start over, extend or resume the store; return what is left to do (``parents``:
    each row's parent start, :func:`_design`)."""
    if settings.fresh and store.remove_store(out):
        notify(f"--fresh: removed the existing store in {out}; starting over")
    if store.store_exists(out):
        guard.verify(out)
        old = store.read_manifest(out)
        where = out / store.STORE
        if extension_of(old, manifest) is not None:
            updated = extended_manifest(
                old, manifest, allow_code_change=settings.allow_code_change, store=where
            )
            _extend(out, study, design, old, updated, notify)
        elif old.get("extending"):
            target = old["extending"].get("n", [None, None])[1]
            raise StoreError(
                f"cannot resume {where}: growing it to n = {target} was interrupted; run the "
                f"study with n = {target} again to finish, or use --fresh to start over"
            )
        else:
            updated = resumed_manifest(
                old, manifest, allow_code_change=settings.allow_code_change, store=where
            )
            store.write_manifest(out, updated)
        chunk = store.chunk_size(out)
        wanted = settings.batch_size or study.batch_size
        if wanted is not None and wanted != chunk:
            notify(f"resuming with the store's batch size {chunk} (not {wanted})")
    else:
        chunk = settings.batch_size or study.batch_size or auto_batch_size(design.n_samples, n_jobs)
        store.create_store(out, study, design, manifest, chunk)
    inputs, status = store.read_arrays(out)
    done = int(np.sum(status != Status.PENDING))
    if done:
        notify(f"resuming {out}: {done} of {len(status)} samples already done")
    batches = _pending_batches(status, chunk)
    schemas = store.read_schemas(out, study.outputs)
    return Plan(chunk, inputs, status, batches, schemas, parents)


def _design(study: Study, spec: ModelSpec) -> tuple[Design, np.ndarray]:
    """The study's design as stored and each row's parent start (-1: its anchor): Sobol AB rows
    from their block's A (B) row (engine/anchors.py); an LHS design of a model with parent starts
    and anchors grouped behind hubs (engine/hubs.py); otherwise the sampler's rows, no parents."""
    design = sample_design(study)
    if study.sampler == "lhs" and spec.parent_starts and spec.anchor_unit:
        order, parents = hub_design(study.parameters, design.values, spec.anchor_unit)
        return replace(design, values=design.values[order]), parents
    factors = len(dict.fromkeys(design.problem.get("groups") or design.problem["names"]))
    parents = design_parents(study.sampler, design.n_samples, factors, study.second_order)
    return design, parents


def _extend(
    out: Path,
    study: Study,
    design: Design,
    old: dict[str, Any],
    updated: dict[str, Any],
    notify: Notify,
) -> None:
    """Grow the store to the larger design of ``study``, keeping every stored sample.

    The stored inputs must be the first rows of the new design. The stored manifest is marked
    ``extending`` first; the arrays are grown; the new manifest and ``n_base`` are written last
    in one attribute update. A run killed in between finds the mark: the extended study finishes
    the growth (it is idempotent), any other study is refused.
    """
    where = out / store.STORE
    n_old, n_new = int(old["n_samples"]), design.n_samples
    old_n = old["study"]["n"]
    if n_new <= n_old or not np.array_equal(store.read_inputs(out, n_old), design.values[:n_old]):
        raise StoreError(
            f"cannot extend {where}: the {study.sampler} design with n = {study.n} does not start "
            f"with the {n_old} stored samples (only nested designs can grow: sobol, mc, morris; "
            "not lhs); use --fresh to start over, or another --out folder"
        )
    if old.get("extending"):
        notify(f"finishing the interrupted growth of {where}")
    notify(
        f"extending N {old_n} -> {study.n}: {n_new - n_old} new samples; "
        f"the {n_old} stored are kept"
    )
    mark = {"at": updated["extended"][-1]["at"], "n": [old_n, study.n], "n_samples": [n_old, n_new]}
    store.write_manifest(out, {**old, "extending": mark})
    store.grow_store(out, design, n_old, store.chunk_size(out))
    store.write_manifest(out, updated, attrs=store.design_attrs(study))


def _pending_batches(status: np.ndarray, chunk: int) -> list[tuple[int, int]]:
    """Return ``(start, stop)`` of the pending runs of samples, never crossing a chunk boundary.

    A chunk is normally all pending or all done; only the chunk where a grown design starts is
    split (its stored samples are kept, its new ones evaluated).
    """
    batches = []
    for start in range(0, len(status), chunk):
        pending = np.flatnonzero(status[start : start + chunk] == Status.PENDING)
        if pending.size:
            for run in np.split(pending, np.flatnonzero(np.diff(pending) > 1) + 1):
                batches.append((start + int(run[0]), start + int(run[-1]) + 1))
    return batches


def auto_batch_size(n_samples: int, n_jobs: int) -> int:
    """Return a batch size giving each worker about 8 batches, between 1 and 200 samples."""
    return int(min(200, max(1, math.ceil(n_samples / (8 * n_jobs)))))


def _evaluate_pending(
    out: Path, spec: ModelSpec, plan: Plan, settings: RunSettings, backend: Backend
) -> int:
    """Evaluate the pending batches, writing each as it completes; return samples evaluated."""
    n_total = len(plan.status)
    failed = int(np.sum((plan.status != Status.PENDING) & (plan.status != Status.OK)))
    bar = tqdm(
        total=n_total,
        initial=n_total - sum(b - a for a, b in plan.batches),
        unit="sample",
        disable=not settings.progress,
        dynamic_ncols=True,
    )
    evaluated = 0
    try:
        for start, results in batches(spec, plan, backend):
            write_results(out, start, results, plan)
            evaluated += len(results)
            failed += sum(r.status != Status.OK for r in results)
            bar.update(len(results))
            bar.set_postfix(failed=failed, refresh=False)
    except KeyboardInterrupt:
        backend.interrupt()
        done = int(np.sum(store.read_arrays(out)[1] != Status.PENDING))
        raise RunInterrupted(str(out), done, n_total) from None
    finally:
        bar.close()
    return evaluated


def _finish(out: Path, plan: Plan, n_evaluated: int) -> RunSummary:
    """Add outputs no sample produced (all NaN), tidy the failure log, return the summary."""
    manifest = store.read_manifest(out)
    missing = {
        name: store.OutputSchema((), ())
        for name in manifest["study"]["outputs"]
        if name not in plan.schemas
    }
    if missing:
        store.add_outputs(out, len(plan.status), plan.chunk, missing)
    failures = store.finalize_failures(out)
    _, status = store.read_arrays(out)
    return RunSummary(out, len(status), n_evaluated, store.status_counts(status), failures)


def _model_info(spec: ModelSpec, backend: Backend) -> dict[str, Any]:
    """Set the model up in a worker (validating it early) and return its data hash.

    The set-up time measured here sizes the grace of the outside time limit: a worker that sets
    the model up at its first batch must not be taken for one that hangs.
    """
    started = time.monotonic()
    try:
        info = backend.result(backend.submit(model_info, spec))
        backend.set_time_limit(spec.timeout, max(MIN_GRACE, 3 * (time.monotonic() - started)))
        return info
    except WorkerDied:
        raise ModelError(f"setting up model {spec.model!r} killed the worker process") from None
    except ClusterError:
        raise
    except Exception as exc:
        raise ModelError(
            f"setting up model {spec.model!r} failed: {type(exc).__name__}: {exc}"
        ) from None


#: least grace (seconds) of the outside time limit beyond samples x timeout
MIN_GRACE = 1.0


def _n_workers(n_jobs: int, oversubscribe: bool = False, notify: Notify | None = None) -> int:
    """Worker processes for ``n_jobs`` (-1: one per CPU), at most one per CPU unless
    ``oversubscribe``: more processes than CPUs only slow each other down."""
    cpus = os.cpu_count() or 1
    wanted = max(1, cpus + 1 + n_jobs) if n_jobs < 0 else max(1, n_jobs)
    if wanted > cpus and not oversubscribe:
        if notify is not None:
            notify(f"--n-jobs {n_jobs}: capped at {cpus}, the CPU count (--oversubscribe for more)")
        return cpus
    return wanted
