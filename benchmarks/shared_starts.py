"""The anchors' bases solved once per run and shared, against solved by every worker that needs
them, side by side in one run (uncertainty/engine/shared.py, ``anchor_start``).

Run: ``python -m benchmarks.shared_starts [N] [WORKERS] [ANCHORS]`` (an LHS study of N rows of
the benchmark's 8 parameters, default 24, on WORKERS loky workers, default 2, with ANCHORS
anchors, default the China LP's; ~5 min on the China data). The same ChinaLP study (no
latest-peak search) runs twice through the engine,
each on fresh worker processes: as it does now (each anchor the rows start from solved once per
run, spread over the workers, its basis handed to the batches that start from it) and as it did
before (:class:`PerWorker`: every worker solves each anchor its rows start from itself). Prints
and saves the wall times, their ratio and each run's set-up (wall time minus the samples'
elapsed shared among the workers) to ``results/benchmarks/shared_starts.json``. The stores must
agree bit for bit on the outputs (a basis is the same whichever process solves it), which it
checks.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.fastpath import study_text
from benchmarks.shared_anchors import report, side_by_side
from model.ensemble import ChinaLP

OUT = Path(__file__).resolve().parents[1] / "results" / "benchmarks" / "shared_starts.json"
OUTPUTS = ("co2", "cost", "iterations", "anchor", "parent_start", "peak_year")


class PerWorker(ChinaLP):
    """The China LP as the engine ran it before the anchors' bases were shared: every worker
    solves each anchor its rows start from itself."""

    shares_anchor_starts = False


def main(
    n: int = 24,
    workers: int = 2,
    anchors: int = ChinaLP.default_anchors,
    out: Path | None = OUT,
    data: str = "china",
) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="netua-starts-"))
    try:
        studies = {}
        for name, model in (("shared", "model.ensemble:ChinaLP"),
                            ("per_worker", "benchmarks.shared_starts:PerWorker")):  # fmt: skip
            text = study_text(data, n, seed=1).replace(
                'model = "model.ensemble:ChinaLP"', f'model = "{model}"'
            )
            text = text.replace(f'data = "{data}"', f'data = "{data}"\nanchors = {anchors}')
            studies[name] = folder / f"{name}.toml"
            studies[name].write_text(text)
        compared = side_by_side(studies, folder, workers, OUTPUTS, fresh=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = {"data": data, "rows": n, "workers": workers, "anchors": anchors, **compared}
    return report(result, "anchor solves", out)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]]
    main(*args, out=OUT if len(args) < 3 else OUT.with_name(f"shared_starts_{args[2]}.json"))
