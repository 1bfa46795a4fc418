"""Errors raised by the uncertainty engine.

They subclass built-ins, carry plain arguments (so they pickle across worker processes) and their
message says what is wrong, where, what was expected and how to fix it.
"""


class StudyError(ValueError):
    """A bad study file or study definition: the message names the file and key and the fix."""


class StoreError(RuntimeError):
    """A results store that cannot be used (e.g. resuming with a different study or data)."""


class ModelError(RuntimeError):
    """The model could not be set up at all (per-sample failures are recorded as data instead)."""


class ClusterError(RuntimeError):
    """The cluster cannot be used (unreachable or lost); completed batches stay in the store."""


class RunInterrupted(KeyboardInterrupt):  # noqa: N818 - it is a KeyboardInterrupt
    """The user stopped a run; completed batches are in the store. Args: out folder, done, total."""


class AnalysisError(ValueError):
    """A store that cannot be analysed as asked; the message says why and how to fix it."""


class StoreNotFoundError(AnalysisError):
    """No results store where one was expected."""


class EmptyStoreError(AnalysisError):
    """A store with no successful samples."""
