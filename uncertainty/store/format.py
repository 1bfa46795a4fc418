"""The store's vocabulary: file names, status codes, reserved names, what an output is.

The one definition of these, below both the store (:mod:`uncertainty.store.core`) and the
engine (:mod:`uncertainty.engine`): the engine's workers import only this module's names.
Layout of a results folder: ``docs/store.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, NamedTuple

import numpy as np

#: the files of a results folder (``docs/store.md``)
STORE, MANIFEST, FAILURES = "store.zarr", "manifest.json", "failures.jsonl"
#: variables and coordinates of every store; an output may not take these names
BOOKKEEPING = ("inputs", "status", "elapsed")
RESERVED = (*BOOKKEEPING, "sample", "parameter")
#: store attribute: every chunk of a completed batch has its file (stores from 2026-11-30 on)
COMPLETE_CHUNKS = "complete_chunks"
#: dimensions of the store itself; an output's own dimensions may not take these names
RESERVED_DIMS = ("sample", "parameter")


class Status(IntEnum):
    """Evaluation status of a sample, the store's ``status`` variable (int8).

    The one definition of the codes: the engine writes them, the store declares them as CF
    ``flag_values``/``flag_meanings``, the analysis and the CLI read them from here.
    """

    PENDING = 0
    OK = 1
    ERROR = 2
    TIMEOUT = 3
    CRASHED = 4

    @property
    def meaning(self) -> str:
        """Lower-case name, as in ``flag_meanings`` and ``failures.jsonl`` summaries."""
        return self.name.lower()


#: status meanings in code order (``flag_meanings``)
STATUS_MEANINGS = tuple(s.meaning for s in Status)


def status_name(code: int) -> str:
    """The meaning of a status code (``unknown(<code>)`` for a code outside the enum)."""
    try:
        return Status(int(code)).meaning
    except ValueError:
        return f"unknown({int(code)})"


#: attributes of an output variable that the store keeps
OUTPUT_ATTRS = ("units", "long_name", "censored_at")


class Output(NamedTuple):
    """One output of one sample as the store receives it.

    ``attrs`` become the variable's attributes (``units``, ``long_name``; ``censored_at`` marks
    an event time whose ``+inf`` means "not within the horizon ending in that year").
    """

    dims: tuple[str, ...]
    values: np.ndarray
    coords: dict[str, np.ndarray]
    attrs: dict[str, Any]

    @property
    def units(self) -> str | None:
        """The ``units`` attribute, None if absent."""
        return self.attrs.get("units")


@dataclass
class OutputSchema:
    """Dimensions, shape, coordinates and attributes of one output variable."""

    dims: tuple[str, ...]
    shape: tuple[int, ...]
    coords: dict[str, np.ndarray] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)

    def mismatch(self, out: Output) -> str | None:
        """Return why ``out`` does not fit this schema, None if it does."""
        if out.dims != self.dims or out.values.shape != self.shape:
            return f"dims {out.dims} shape {out.values.shape}, expected {self.dims} {self.shape}"
        for dim, values in out.coords.items():
            known = self.coords.get(dim)
            if known is not None and not np.array_equal(np.asarray(known), values):
                return f"coordinate {dim!r} differs from the store's"
        return None
