"""Benchmarks: ``netua bench`` and side-by-side comparisons (README, Performance)."""

from __future__ import annotations

import json
from pathlib import Path


def save_json(result: dict, out: Path | None, indent: int = 1) -> None:
    """Write a benchmark's ``result`` to ``out`` (None: not saved), creating its folder."""
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=indent))
