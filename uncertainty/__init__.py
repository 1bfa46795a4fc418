"""Uncertainty and sensitivity engine: parameter spaces, sampling, parallel runs, stores, analysis.

The public names below are imported lazily, so that worker processes (which only need
:mod:`uncertainty.protocol`) start fast.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Choice": "uncertainty.distributions",
    "LogNormal": "uncertainty.distributions",
    "Normal": "uncertainty.distributions",
    "Triangular": "uncertainty.distributions",
    "TruncatedNormal": "uncertainty.distributions",
    "Uniform": "uncertainty.distributions",
    "Parameter": "uncertainty.space",
    "Study": "uncertainty.space",
    "load_study": "uncertainty.space",
    "Design": "uncertainty.sampling",
    "sample_design": "uncertainty.sampling",
    "RunSettings": "uncertainty.run",
    "RunSummary": "uncertainty.run",
    "run_ensemble": "uncertainty.run",
    "run_study": "uncertainty.run",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'uncertainty' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
