"""Where batches run: loky's process pool on this machine, or a Dask cluster.

:mod:`uncertainty.engine.run` drives both through the same small interface - ``submit(fn, *args)``,
``wait_first(futures)``, ``result(future)``, ``workers()``, ``interrupt()``, ``close()`` - so
writing the store, resuming and isolating crashing samples are shared. A dead worker process
shows up as :class:`WorkerDied` from ``result``: loky breaks its whole pool (every batch in flight
fails); Dask re-runs a task whose worker died on another worker and gives up with
``KilledWorker`` after ``distributed.scheduler.allowed-failures`` deaths (only that task fails).
Either way the engine re-sends the batch and splits it until the sample that kills workers is
isolated.

Dask is optional (``pip install 'netua[dask]'``): it is imported only when asked for.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import re
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from joblib.externals.loky import get_reusable_executor

from uncertainty.engine.worker import prepare_worker
from uncertainty.errors import ClusterError, StudyError

logger = logging.getLogger(__name__)

LOKY, DASK = "loky", "dask"
BACKENDS = (LOKY, DASK)

#: worker deaths Dask tolerates per task on a cluster we start (Dask's default is 3): one death
#: is retried by Dask; a second hands the batch to the engine, which isolates the culprit
LOCAL_ALLOWED_FAILURES = 1
#: seconds to wait for a scheduler to answer
CONNECT_TIMEOUT = 20


class WorkerDied(Exception):  # noqa: N818 - an event, not a programming error
    """The worker process running a task died. Args: a message for the failure record."""


class Backend(Protocol):
    """What :mod:`uncertainty.engine.run` needs from a place to run batches."""

    name: str

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Start ``fn(*args)`` in a worker; return its future."""

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

    def _executor(self) -> Any:
        """Return loky's reusable pool (a new one after a worker died)."""
        # every worker watches its parent from the start, busy or idle (engine/worker.py)
        return get_reusable_executor(
            max_workers=self.n_workers, timeout=60, initializer=prepare_worker
        )

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self._executor().submit(fn, *args)

    def wait_first(self, futures: Iterable[Any]) -> set[Any]:
        done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
        return done

    def result(self, future: Any) -> Any:
        try:
            return future.result()
        except BrokenProcessPool as exc:
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


class DaskBackend:
    """A ``dask.distributed`` client: a cluster started here, or one at a scheduler's address.

    Tasks are ``client.submit(..., pure=False)`` calls (a re-sent batch is a new task); a result
    is released as soon as it is taken, so a worker lost later never makes Dask recompute a
    batch the store already holds.
    """

    name = DASK

    def __init__(self, client: Any, cluster: Any = None):
        self.client = client
        self.cluster = cluster
        self._workers = (0, -1e9)  # (worker threads, when counted)
        self._completed: Any = None  # as_completed of the futures waited for
        self._tracked: set[Any] = set()
        self._gathered: dict[Any, Any] = {}

    @classmethod
    def start_local(cls, n_workers: int) -> DaskBackend:
        """Start a ``LocalCluster`` on loopback: ``n_workers`` processes of one thread each."""
        dask, distributed = _import_dask()
        config = {
            "distributed.scheduler.allowed-failures": LOCAL_ALLOWED_FAILURES,
            "distributed.worker.preload": [__name__],  # runs dask_setup in each worker
        }
        with dask.config.set(config):
            cluster = distributed.LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                scheduler_port=0,
                dashboard_address="127.0.0.1:0",  # a free port (the dashboard needs bokeh)
                silence_logs=logging.ERROR,
            )
        return cls(distributed.Client(cluster, set_as_default=False), cluster)

    @classmethod
    def connect(cls, address: str) -> DaskBackend:
        """Connect to a running scheduler (``tcp://host:port`` or a scheduler file)."""
        check_scheduler(address)
        _, distributed = _import_dask()
        key = "scheduler_file" if address.endswith(".json") else "address"
        try:
            client = distributed.Client(
                **{key: address}, timeout=CONNECT_TIMEOUT, set_as_default=False
            )
        except (OSError, TimeoutError, ValueError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ClusterError(f"cannot connect to the Dask scheduler {address}: {first}") from None
        return cls(client)

    @property
    def address(self) -> str:
        """The scheduler's address."""
        return str(self.client.scheduler.address)

    def n_threads(self) -> int:
        """Return the worker threads the cluster has now."""
        return int(sum(self.client.nthreads().values()))

    def wait_for_workers(self, notify: Callable[[str], None]) -> int:
        """Wait until the cluster has a worker; warn about workers with several threads."""
        nthreads = self.client.nthreads()
        if not nthreads:
            notify(f"waiting for a Dask worker to join {self.address}")
            self.client.wait_for_workers(1)
            nthreads = self.client.nthreads()
        many = sorted(addr for addr, n in nthreads.items() if n > 1)
        if many:
            notify(
                f"{len(many)} Dask worker(s) have several threads (e.g. {many[0]}); a worker "
                f"evaluates one batch at a time, so start workers with --nthreads 1 and more "
                f"--nworkers"
            )
        return int(sum(nthreads.values()))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def wait_first(self, futures: Iterable[Any]) -> set[Any]:
        """Return the finished futures; their results are gathered in the background.

        The client's ``as_completed(with_results=True)`` fetches each result from its worker as
        soon as the task finishes, while this thread writes the store.
        """
        from distributed import as_completed

        wanted = set(futures)
        if self._completed is None:
            self._completed = as_completed(
                loop=self.client.loop, with_results=True, raise_errors=False
            )
        self._completed.update(wanted - self._tracked)
        self._tracked |= wanted
        try:
            while not (done := wanted & self._gathered.keys()):
                for future, value in self._completed.next_batch(block=True):
                    self._gathered[future] = value
        except (asyncio.CancelledError, CancelledError, OSError) as exc:  # the scheduler is gone
            raise ClusterError(
                f"lost the Dask scheduler ({type(exc).__name__}); completed batches are in the "
                "store: run again to resume"
            ) from None
        return done

    def result(self, future: Any) -> Any:
        from distributed import KilledWorker
        from distributed.client import FutureCancelledError

        self._tracked.discard(future)
        value = self._gathered.pop(future, None)
        try:
            if future.status == "finished" and value is not None:
                return value
            return future.result()  # not waited for, or failed: raise the task's error
        except KilledWorker as exc:
            raise WorkerDied(
                f"the worker process died while evaluating this sample (Dask: "
                f"{exc.allowed_failures + 1} workers died running it, the last "
                f"{exc.last_worker.address})"
            ) from None
        except FutureCancelledError as exc:
            raise ClusterError(
                f"the Dask cluster at {self.address} dropped a batch ({exc.reason}); completed "
                f"batches are in the store: run again to resume"
            ) from None
        finally:
            future.release()

    def workers(self) -> int:
        """Return the cluster's worker threads (counted at most every 2 s: clusters scale)."""
        count, when = self._workers
        if time.monotonic() - when > 2.0:
            count = max(1, self.n_threads())
            self._workers = (count, time.monotonic())
        return count

    def interrupt(self) -> None:
        self.close()

    def close(self) -> None:
        for part in (self.client, self.cluster):
            if part is not None:
                try:
                    part.close()
                except Exception:  # pragma: no cover - best effort at shutdown
                    logger.debug("could not close %r", part, exc_info=True)


#: a scheduler address: protocol://host:port
ADDRESS = re.compile(r"[a-z][a-z0-9+]*://[^\s/:]+(:\d{1,5})?/?")


def check_scheduler(address: str) -> None:
    """Refuse a scheduler file that does not exist or an address that is not one, at once."""
    if address.endswith(".json"):
        if not Path(address).is_file():
            raise StudyError(
                f"--scheduler {address}: no such scheduler file (dask scheduler "
                "--scheduler-file writes it when the scheduler starts)"
            )
    elif not ADDRESS.fullmatch(address):
        raise StudyError(
            f"--scheduler {address!r}: expected an address such as tcp://host:8786 or a "
            "scheduler file ending in .json"
        )


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
    backend: LokyBackend | DaskBackend
    if name not in BACKENDS:
        raise StudyError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")
    if name == LOKY and scheduler is not None:
        raise StudyError(f"a scheduler ({scheduler}) needs the dask backend, not {name!r}")
    if name == LOKY:
        backend = LokyBackend(n_workers)
    elif scheduler is None:
        backend = DaskBackend.start_local(n_workers)
        notify(f"dask: started a local cluster of {n_workers} workers at {backend.address}")
        if importlib.util.find_spec("bokeh") is not None:
            notify(f"dask: dashboard at {backend.cluster.dashboard_link}")
    else:
        backend = DaskBackend.connect(scheduler)
        n_threads = backend.wait_for_workers(notify)
        notify(f"dask: connected to {backend.address} ({n_threads} worker threads)")
    try:
        yield backend
    finally:
        backend.close()


def dask_setup(worker: Any) -> None:
    """Preload hook of the workers of a local cluster: leave Ctrl-C to ``netua run``.

    A terminal sends Ctrl-C to every process of the run; ``netua run`` stops the workers itself.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _import_dask() -> tuple[Any, Any]:
    """Import dask and dask.distributed, or say how to install them."""
    try:
        import dask
        import distributed
    except ImportError as exc:
        raise StudyError(
            f"the dask backend needs dask.distributed ({exc}); install it with "
            f"pip install 'netua[dask]'"
        ) from None
    return dask, distributed
