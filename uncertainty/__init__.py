"""Uncertainty and sensitivity engine: parameter spaces, sampling, parallel runs, stores, analysis.

The public names below are imported lazily, so that worker processes (which only need
:mod:`uncertainty.engine.protocol`) start fast.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Choice": "uncertainty.study.distributions",
    "LogNormal": "uncertainty.study.distributions",
    "Normal": "uncertainty.study.distributions",
    "Triangular": "uncertainty.study.distributions",
    "TruncatedNormal": "uncertainty.study.distributions",
    "Uniform": "uncertainty.study.distributions",
    "Parameter": "uncertainty.study.space",
    "Study": "uncertainty.study.space",
    "load_study": "uncertainty.study.space",
    "Design": "uncertainty.study.sampling",
    "sample_design": "uncertainty.study.sampling",
    "RunSettings": "uncertainty.engine.run",
    "RunSummary": "uncertainty.engine.run",
    "run_ensemble": "uncertainty.engine.run",
    "run_study": "uncertainty.engine.run",
    "Status": "uncertainty.store",
    "open_results": "uncertainty.store",
    "AnalysisSettings": "uncertainty.analysis.tables",
    "analyze": "uncertainty.analysis.pipeline",
    "as_tree": "uncertainty.analysis.pipeline",
    "run_analysis": "uncertainty.analysis.pipeline",
    "make_figures": "uncertainty.plot.report",
    "fan_chart": "uncertainty.plot.distributions",
    "event_time_figure": "uncertainty.plot.distributions",
    "milestone_figure": "uncertainty.plot.distributions",
    "failure_figure": "uncertainty.plot.distributions",
    "scatter_figure": "uncertainty.plot.distributions",
    "sobol_bars": "uncertainty.plot.sensitivity",
    "sobol_time_figure": "uncertainty.plot.sensitivity",
    "convergence_figure": "uncertainty.plot.sensitivity",
    "save": "uncertainty.plot.style",
    "write_report": "uncertainty.report.render",
    "style": "uncertainty.plot.style",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'uncertainty' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
