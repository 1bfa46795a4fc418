"""Defaults a model package registers for studies: the model to run and analysis entries.

The engine is generic: a model package (here the China model, ``model/defaults.py``) declares
in its ``pyproject.toml``::

    [project.entry-points."netua.defaults"]
    china = "model.defaults"

and that module's ``MODEL`` (``"package.module:attr"``) is used by study files without
``[study] model``, its ``ANALYSIS`` (``probabilities`` and ``events`` entries, as in a study's
``[analysis]`` table) by stores whose study gives none. With no package registered, a study
must name its model and gets no default probabilities.
"""

from __future__ import annotations

import functools
import importlib
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

GROUP = "netua.defaults"


@functools.cache
def _registered() -> tuple[ModuleType, ...]:
    modules = []
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        modules.append(importlib.import_module(entry.value.partition(":")[0]))
    return tuple(modules)


def default_model() -> str:
    """The registered default model (``""`` when no package registers one)."""
    for module in _registered():
        model = getattr(module, "MODEL", None)
        if model:
            return str(model)
    return ""


def default_analysis(key: str) -> list[dict[str, Any]]:
    """The registered default ``[analysis]`` entries of ``key`` (``probabilities``, ``events``)."""
    entries: list[dict[str, Any]] = []
    for module in _registered():
        entries += list(getattr(module, "ANALYSIS", {}).get(key, []))
    return entries
