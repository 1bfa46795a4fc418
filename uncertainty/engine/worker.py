"""Hygiene of a worker process: it dies with its parent, leaves Ctrl-C to the parent, and
stops a sample at its time limit.

Called once per worker process as it starts (loky's initializer, :func:`prepare_worker`; again,
as a no-op, before each task):

- **dies with its parent**: a daemon thread polls the parent's pid; when the parent is gone (killed,
  not only interrupted) the worker exits at once, even while a model hangs in Python code. A model
  hanging in C code that holds the GIL is stopped when it returns to Python.
- **ignores SIGINT**: a Ctrl-C in the terminal reaches every process of the group; only the
  parent stops the run (and records what is done), so a ``KeyboardInterrupt`` inside a worker is
  always the model's own and is recorded as that sample's error.

Nothing happens in the parent process itself (a task evaluated in-process keeps Ctrl-C), nor
in a Dask worker (tasks run in its threads; its nanny stops it with the cluster).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)

#: seconds between two checks that the parent is alive
POLL_SECONDS = 0.5

_PREPARED = False
#: set by the run (:func:`mark_parent`) and inherited by the worker processes it starts
PARENT_ENV = "NETUA_RUN_PID"


def mark_parent() -> None:
    """Mark this process as the run's parent for the workers it starts (inherited env)."""
    os.environ[PARENT_ENV] = str(os.getpid())


class SampleTimeout(BaseException):  # noqa: N818 - a BaseException so models cannot swallow it
    """Raised inside a sample that overran the study's time limit."""


def prepare_worker() -> None:
    """Set this worker process up once (no-op in the parent and on later calls)."""
    global _PREPARED
    parent = os.environ.get(PARENT_ENV)
    if _PREPARED or parent is None or int(parent) == os.getpid():
        return  # the run's own process (a task evaluated in-process keeps Ctrl-C)
    if threading.current_thread() is not threading.main_thread():
        return  # a Dask worker (tasks run in threads): its nanny manages its life and signals
    _PREPARED = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = int(parent)  # the run: a worker may pick up a queued task after the run died
    if os.getppid() != parent:
        logger.warning("the run (process %d) is gone; worker %d exits", parent, os.getpid())
        os._exit(1)
    watchdog = threading.Thread(
        target=_exit_when_orphaned, args=(parent,), name="netua-parent-watchdog", daemon=True
    )
    watchdog.start()


def _exit_when_orphaned(parent: int) -> None:
    stop = threading.Event()
    while not stop.wait(POLL_SECONDS):
        if os.getppid() != parent:
            logger.warning("parent process %d is gone; worker %d exits", parent, os.getpid())
            os._exit(1)


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`SampleTimeout` in the block after ``seconds``.

    In a process's main thread (loky workers) ``SIGALRM`` interrupts the block; in any other
    thread (a Dask worker runs tasks in a thread) a timer raises the exception in that thread.
    Python code is interrupted at once; C code (a solver; ``time.sleep`` outside the main thread)
    only when it returns to Python, so also set the solver's own time limit.
    """
    if seconds is None:
        yield
    elif threading.current_thread() is threading.main_thread():
        with _alarm(seconds):
            yield
    else:
        with _thread_alarm(seconds):
            yield


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise :class:`SampleTimeout` after ``seconds`` through ``SIGALRM`` (main thread only)."""

    def _raise(signum: int, frame: Any) -> None:
        raise SampleTimeout()

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _thread_alarm(seconds: float) -> Iterator[None]:
    """Raise :class:`SampleTimeout` in this thread after ``seconds`` (an asynchronous exception).

    A lock makes firing and disarming exclusive: once disarmed no exception can arrive later, and
    one that fired but was not yet raised is cleared and raised here instead.
    """
    ident = threading.get_ident()
    lock = threading.Lock()
    state = {"armed": True, "fired": False}

    def fire() -> None:
        with lock:
            if state["armed"]:
                _async_raise(ident, SampleTimeout)
                state["fired"] = True

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()

    def disarm() -> bool:
        timer.cancel()
        with lock:
            state["armed"] = False
            if state["fired"]:
                _async_raise(ident, None)  # clear it if still pending
            return state["fired"]

    try:
        yield
    except BaseException:
        disarm()
        raise
    if disarm():
        raise SampleTimeout()


def _async_raise(ident: int, exc: type[BaseException] | None) -> None:
    """Set (or with None clear) the exception the thread ``ident`` raises at its next bytecode."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident), None if exc is None else ctypes.py_object(exc)
    )
