"""The Dask backend: batches on a Dask cluster, local (started here) or running elsewhere.

Driven through the interface of :mod:`uncertainty.engine.backends`. Dask re-runs a task whose
worker died on another worker and gives up with ``KilledWorker`` after
``distributed.scheduler.allowed-failures`` deaths (only that task fails); a scheduler that is
lost is a :class:`ClusterError`. Dask is optional (``pip install 'netua[dask]'``): this module
imports it only when a run asks for it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import time
from collections.abc import Callable, Iterable
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

from uncertainty.engine.backends import DASK, LOCAL_ALLOWED_FAILURES, WorkerDied
from uncertainty.errors import ClusterError, StudyError

logger = logging.getLogger(__name__)

#: seconds to wait for a scheduler to answer
CONNECT_TIMEOUT = 20


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
                # the workers' own errors (a heartbeat lost while the run stops) only with -v:
                # netua reports dead workers and a lost cluster itself, in one line
                silence_logs=logging.ERROR if _verbose() else logging.CRITICAL,
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

    def submit(self, fn: Callable[..., Any], *args: Any, samples: int = 0) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def set_time_limit(self, per_sample: float | None, grace: float) -> None:
        """Not enforced from outside on Dask (the in-worker limit applies; docs/cluster.md)."""

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


def _verbose() -> bool:
    return logging.getLogger("uncertainty").isEnabledFor(logging.INFO)


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
