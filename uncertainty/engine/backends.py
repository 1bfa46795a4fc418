"""Where batches run: loky's process pool on this machine, or a Dask cluster.

:mod:`uncertainty.engine.run` drives both through the same small interface - ``submit(fn, *args)``,
``wait_first(futures)``, ``result(future)``, ``workers()``, ``interrupt()``, ``close()`` - so
writing the store, resuming and isolating crashing samples are shared. A dead worker process
shows up as :class:`WorkerDied` from ``result``: loky breaks its whole pool (every batch in flight
fails); Dask re-runs a task whose worker died on another worker and gives up with
``KilledWorker`` after ``distributed.scheduler.allowed-failures`` deaths (only that task fails).
Either way the engine re-sends the batch and splits it until the sample that kills workers is
isolated.

Dask is optional (``pip install 'netua[dask]'``): :mod:`uncertainty.engine.dask_backend` is
imported only when asked for.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import re
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Protocol

from joblib.externals.loky import get_reusable_executor

from uncertainty.engine.worker import prepare_worker
from uncertainty.errors import StudyError

logger = logging.getLogger(__name__)

LOKY, DASK = "loky", "dask"
BACKENDS = (LOKY, DASK)

#: worker deaths Dask tolerates per task on a cluster we start (Dask's default is 3): one death
#: is retried by Dask; a second hands the batch to the engine, which isolates the culprit
LOCAL_ALLOWED_FAILURES = 1
#: seconds between two checks of the running tasks' time limits (loky)
POLL_SECONDS = 0.5


class WorkerDied(Exception):  # noqa: N818 - an event, not a programming error
    """The worker process running a task died. Args: a message for the failure record.

    ``overran`` is True when netua killed it because the task outlived its time limit (a model
    that ignores the in-worker limit: it blocks SIGALRM or catches BaseException).
    """

    def __init__(self, message: str, overran: bool = False):
        super().__init__(message)
        self.overran = overran


class Backend(Protocol):
    """What :mod:`uncertainty.engine.run` needs from a place to run batches."""

    name: str

    def submit(self, fn: Callable[..., Any], *args: Any, samples: int = 0) -> Any:
        """Start ``fn(*args)`` (evaluating ``samples`` samples) in a worker; return its future."""

    def set_time_limit(self, per_sample: float | None, grace: float) -> None:
        """Kill tasks that outlive ``samples x per_sample + grace`` seconds, where supported."""

    def wait_first(self, futures: Iterable[Any]) -> set[Any]:
        """Block until at least one future finished; return the finished ones."""

    def result(self, future: Any) -> Any:
        """Return a finished future's value; raise :class:`WorkerDied` if its worker died."""

    def workers(self) -> int:
        """Return the workers available now (processes; worker threads on Dask)."""

    def interrupt(self) -> None:
        """Stop the workers at once (after Ctrl-C)."""

    def close(self) -> None:
        """Release what the backend started."""


class LokyBackend:
    """loky's reusable process pool (joblib's default backend): ``n_workers`` processes here."""

    name = LOKY

    def __init__(self, n_workers: int):
        self.n_workers = n_workers
        self.limit: tuple[float, float] | None = None  # (seconds per sample, grace)
        self._limits: dict[Any, float] = {}
        self._started: dict[Any, float] = {}
        self._overran: set[Any] = set()

    def set_time_limit(self, per_sample: float | None, grace: float) -> None:
        """Kill a task (its pool) that outlives ``samples x per_sample + grace`` seconds.

        The in-worker limit (``SIGALRM``) stops a sample that returns to Python; this outside
        limit stops one that does not let it (it blocks the signal or catches BaseException).
        """
        self.limit = None if per_sample is None else (float(per_sample), float(grace))

    def _executor(self) -> Any:
        """Return loky's reusable pool (a new one after a worker died)."""
        # every worker watches its parent from the start, busy or idle (engine/worker.py)
        return get_reusable_executor(
            max_workers=self.n_workers, timeout=60, initializer=prepare_worker
        )

    def submit(self, fn: Callable[..., Any], *args: Any, samples: int = 0) -> Any:
        future = self._executor().submit(fn, *args)
        if self.limit is not None and samples:
            self._limits[future] = samples * self.limit[0] + self.limit[1]
        return future

    def wait_first(self, futures: Iterable[Any]) -> set[Any]:
        futures = list(futures)
        while True:
            done, _ = wait(futures, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            if done:
                return done
            self._enforce(futures)

    def _enforce(self, futures: list[Any]) -> None:
        """Kill the pool's workers when a running task outlived its limit."""
        now = time.monotonic()
        for future in futures:
            if future not in self._limits or not future.running():
                continue
            started = self._started.setdefault(future, now)
            if now - started > self._limits[future]:
                logger.warning("a batch outlived its time limit; killing its worker processes")
                self._overran.add(future)
                for process in list(getattr(self._executor(), "_processes", {}).values()):
                    with contextlib.suppress(ProcessLookupError, AttributeError, TypeError):
                        os.kill(process.pid, signal.SIGKILL)
                return

    def result(self, future: Any) -> Any:
        self.wait_first([future])
        overran = future in self._overran
        for table in (self._limits, self._started):
            table.pop(future, None)
        self._overran.discard(future)
        try:
            return future.result()
        except BrokenProcessPool as exc:
            if overran:
                raise WorkerDied(
                    "exceeded the time limit and did not stop (the model blocks SIGALRM or "
                    "catches BaseException); its worker was killed",
                    overran=True,
                ) from None
            codes = re.search(r"exit codes of the workers are (\{[^}]*\})", str(exc))
            detail = f" (exit codes {codes.group(1)})" if codes else ""
            raise WorkerDied(
                f"the worker process died while evaluating this sample{detail}"
            ) from None

    def workers(self) -> int:
        return self.n_workers

    def interrupt(self) -> None:
        try:
            self._executor().shutdown(wait=False, kill_workers=True)
        except Exception:  # pragma: no cover - best effort while interrupted
            logger.debug("could not shut the pool down", exc_info=True)

    def close(self) -> None:
        """Keep the reusable pool: the next run in this process starts at once."""


@contextmanager
def open_backend(
    name: str, n_workers: int, *, scheduler: str | None = None, notify: Callable[[str], None]
) -> Iterator[Backend]:
    """Start (or connect to) a backend for one run and release it afterwards.

    Parameters
    ----------
    name : {"loky", "dask"}
    n_workers : int
        Worker processes to start (ignored with ``scheduler``).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``) or a scheduler file (.json).
    notify : callable
        Receives user-facing notes (where the run goes).
    """
    backend: Backend
    if name not in BACKENDS:
        raise StudyError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")
    if name == LOKY and scheduler is not None:
        raise StudyError(f"a scheduler ({scheduler}) needs the dask backend, not {name!r}")
    if name == LOKY:
        backend = LokyBackend(n_workers)
    elif scheduler is None:
        from uncertainty.engine.dask_backend import DaskBackend

        backend = DaskBackend.start_local(n_workers)
        notify(f"dask: started a local cluster of {n_workers} workers at {backend.address}")
        if importlib.util.find_spec("bokeh") is not None:
            notify(f"dask: dashboard at {backend.cluster.dashboard_link}")
    else:
        from uncertainty.engine.dask_backend import DaskBackend

        backend = DaskBackend.connect(scheduler)
        n_threads = backend.wait_for_workers(notify)
        notify(f"dask: connected to {backend.address} ({n_threads} worker threads)")
    try:
        yield backend
    finally:
        backend.close()
