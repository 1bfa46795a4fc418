"""Errors raised by the model package.

They subclass built-ins, carry plain arguments (so they pickle across worker processes) and their
message says what is wrong, where, what was expected and how to fix it.
"""


class InputError(ValueError):
    """Bad model data or settings: the message names the file, row or key and the fix."""
