"""Ishigami through ``netua run``: store holds the function at its inputs; Sobol indices match."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from SALib.analyze import sobol

from uncertainty.cli import main

REPO = Path(__file__).resolve().parents[2]
ISHIGAMI_STUDY = REPO / "studies" / "ishigami" / "study.toml"

MODEL = """
import math

def ishigami(x1, x2, x3):
    return {"y": math.sin(x1) + 7.0 * math.sin(x2) ** 2 + 0.1 * x3 ** 4 * math.sin(x1)}
"""


def ishigami(x: np.ndarray) -> np.ndarray:
    """The Ishigami function (a = 7, b = 0.1) on rows of ``x``."""
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def write_study(folder: Path, n: int) -> Path:
    """Write the issue's minimal study file (with my_models.py beside it)."""
    (folder / "my_models.py").write_text(MODEL)
    params = "".join(
        f'[parameters.x{i}]\ndistribution = "uniform"\n'
        f"lower = -{math.pi!r}\nupper = {math.pi!r}\n\n"
        for i in (1, 2, 3)
    )
    study = folder / "study.toml"
    study.write_text(
        '[study]\nname = "ishigami"\nmodel = "my_models:ishigami"\nsampler = "sobol"\n'
        f'n = {n}\nsecond_order = false\nseed = 42\noutputs = ["y"]\n\n' + params
    )
    return study


def test_ishigami_sobol_run_matches_function_and_analytic_indices(tmp_path, capsys):
    n, d = 1024, 3
    study = write_study(tmp_path, n)
    out = tmp_path / "out"
    assert main(["run", str(study), "--out", str(out), "--n-jobs", "2", "--no-progress"]) == 0
    assert "ok 5120, failed 0" in capsys.readouterr().out
    with xr.open_zarr(out / "store.zarr") as ds:
        assert ds.sizes["sample"] == n * (d + 2)
        np.testing.assert_array_equal(ds["sample"].values, np.arange(n * (d + 2)))
        assert (ds["status"].values == 1).all()
        x = ds["inputs"].sel(parameter=["x1", "x2", "x3"]).values
        y = ds["y"].values
        problem = json.loads(ds.attrs["problem"])
        assert ds.attrs["sampler"] == "sobol" and ds.attrs["n_base"] == n
    np.testing.assert_allclose(y, ishigami(x), rtol=1e-12, atol=1e-12)
    assert np.all(np.abs(x) <= math.pi)
    indices = sobol.analyze(problem, y, calc_second_order=False, seed=7)
    np.testing.assert_allclose(indices["S1"], [0.314, 0.442, 0.0], atol=0.05)
    np.testing.assert_allclose(indices["ST"], [0.558, 0.442, 0.244], atol=0.05)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 42 and manifest["design_fingerprint"]
    assert "[study]" in manifest["study_text"]


def test_example_study_loads_and_imports(tmp_path):
    from uncertainty import load_study
    from uncertainty.engine.protocol import import_model, model_spec

    study = load_study(ISHIGAMI_STUDY)
    spec = model_spec(study)
    f = import_model(spec.model, spec.search_paths)
    assert f(x1=1.0, x2=0.5, x3=-2.0)["y"] == pytest.approx(
        ishigami(np.array([[1.0, 0.5, -2.0]]))[0]
    )


def test_the_committed_ishigami_tables_reproduce(tmp_path):
    """The study file run and analysed now gives the committed results/ishigami tables (columns
    added since, such as ``n_censored``, aside): restructuring the engine changed no number."""
    import pandas as pd

    out = tmp_path / "ishigami"
    assert main(["run", str(ISHIGAMI_STUDY), "--out", str(out), "--no-progress"]) == 0
    assert main(["analyze", str(out)]) == 0
    for name in ("sobol", "convergence", "summary"):
        committed = pd.read_csv(REPO / "results" / "ishigami" / f"{name}.csv")
        now = pd.read_csv(out / f"{name}.csv")
        pd.testing.assert_frame_equal(now[committed.columns], committed, rtol=1e-5, obj=name)
