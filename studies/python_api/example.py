"""The notebook API in one script: run a study, read its results, draw on your own axes.

Run from the repository root (about 20 s on 2 cores; writes results/python_api/)::

    python studies/python_api/example.py

It runs the Ishigami study (``studies/ishigami/study.toml``, N = 256) into
``results/python_api/``, reads the store as an xarray Dataset, computes the Sobol indices with
``uncertainty.analyze`` and draws them next to a scatter of the output against its most
influential input, on a figure laid out here (``results/python_api/example.png``). Nothing in it
needs the command line; ``docs/python-api.md`` explains each call.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from matplotlib.figure import Figure

import uncertainty as ua

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "results" / "python_api"


def main() -> int:
    study = ua.load_study(REPO / "studies" / "ishigami" / "study.toml")
    study = dataclasses.replace(study, n=256)  # a smaller design than the study file's
    ua.run_study(study, OUT, n_jobs=2)  # resumes if run again; --fresh: fresh=True

    results = ua.open_results(OUT)  # xarray.Dataset: inputs, status, elapsed, y
    ok = results["status"] == ua.Status.OK
    print(f"{int(ok.sum())} of {results.sizes['sample']} samples ok")

    tables = ua.analyze(OUT, n_resamples=500, seed=1)  # pandas DataFrames by table name
    sobol = tables["sobol"]
    print(sobol[["parameter", "S1", "ST", "ST_conf_low", "ST_conf_high"]].round(3).to_string())
    leading = sobol.sort_values("ST", ascending=False)["parameter"].iloc[0]

    with ua.style():  # the toolkit's figure style for our own panel too
        fig = Figure(figsize=(6.8, 2.6), layout="constrained")
        left, right = fig.subplots(1, 2, width_ratios=[1, 1.2])
        ua.sobol_bars(sobol, "y", ax=left)
        good = results.where(ok, drop=True)
        right.scatter(good["inputs"].sel(parameter=leading), good["y"], s=2, alpha=0.4)
        right.set_xlabel(leading)
        right.set_ylabel("y")
        right.set_title(f"y against {leading} (largest ST)")
    paths = ua.save(fig, OUT, "example")
    print(f"wrote {paths[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
