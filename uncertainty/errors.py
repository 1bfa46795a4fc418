"""Errors raised by the uncertainty engine.

They subclass built-ins, carry plain arguments (so they pickle across worker processes) and their
message says what is wrong, where, what was expected and how to fix it.
"""


class StudyError(ValueError):
    """A bad study file or study definition: the message names the file and key and the fix."""


class StoreError(RuntimeError):
    """A results store that cannot be used (e.g. resuming with a different study or data)."""
