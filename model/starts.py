"""The optima of design rows kept as their Sobol children's warm starts (model/fastpath.py).

An entry is keyed by the row's exact parameter values and its anchor, and holds the row's optimal
basis (None: the row had no optimum) and, with the latest-peak search, its latest peak year, the
children's first guess (:meth:`model.latest_peak.LatestPeakSearch.run`).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

#: rows kept per process (a Sobol block's two base rows are all a batch needs at once)
SIZE = 64


def start_key(params: dict, anchor: int | None) -> str:
    """Key of a row: its parameter values (exactly: numbers as float hex, so 2 and 2.0 and numpy
    floats agree; strings as they are; anything else by repr) and its anchor."""
    values = {str(k): _exact(v) for k, v in sorted(params.items())}
    return json.dumps([values, None if anchor is None else int(anchor)])


def _exact(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return float(value).hex()
    except (TypeError, ValueError):
        return repr(value)


class StartCache:
    """Least-recently-used map of row key -> (basis or None, latest peak year or None)."""

    def __init__(self, size: int = SIZE):
        self.size = size
        self._entries: OrderedDict[str, tuple[Any, float | None]] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def get(self, key: str) -> tuple[Any, float | None]:
        self._entries.move_to_end(key)
        return self._entries[key]

    def put(self, key: str, basis: Any, peak: float | None = None) -> None:
        self._entries[key] = (basis, peak)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
