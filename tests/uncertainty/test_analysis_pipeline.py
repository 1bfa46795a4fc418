"""The whole chain through the command line: netua run -> netua analyze."""

from __future__ import annotations

import numpy as np
import pandas as pd

from uncertainty.cli import main
from uncertainty.testing import ishigami_indices

MODEL = """
import math
import numpy as np
import xarray as xr

YEARS = np.arange(2020, 2031)


def model(x1, x2, x3):
    y = math.sin(x1) + 7 * math.sin(x2) ** 2 + 0.1 * x3**4 * math.sin(x1)
    path = xr.DataArray(10 + (YEARS - 2020) * (x1 + 4) / 8, dims="year",
                        coords={"year": YEARS}, attrs={"units": "Gt CO2/yr"})
    return {"y": y, "co2": path, "peak_year": 2025.0 + round(x2)}
"""

STUDY = """
[study]
name = "pipe"
model = "pipe_model:model"
sampler = "sobol"
n = 256
second_order = false
seed = 3
outputs = ["y", "co2", "peak_year"]

[output_dims]
co2 = ["year"]
"""
STUDY += "".join(
    f'\n[parameters.x{i}]\ndistribution = "uniform"\nlower = -3.141592653589793\n'
    f"upper = 3.141592653589793\n"
    for i in (1, 2, 3)
)


def test_run_then_analyze(tmp_path):
    (tmp_path / "pipe_model.py").write_text(MODEL)
    (tmp_path / "study.toml").write_text(STUDY)
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "study.toml"), "--out", str(out), "--no-progress"]) == 0
    assert main(["analyze", str(out), "--seed", "1", "--resamples", "200"]) == 0
    sobol = pd.read_csv(out / "sobol.csv").set_index(["output", "parameter"])
    truth = ishigami_indices()
    for key in ("S1", "ST"):  # N = 256: the intervals cover the truth, the error is small
        got = sobol.loc["y"]
        np.testing.assert_allclose(got[key], truth[key], atol=0.1)
        assert (got[f"{key}_conf_low"] <= truth[key]).all()
        assert (got[f"{key}_conf_high"] >= truth[key]).all()
    timed = pd.read_csv(out / "sobol_time.csv")
    assert set(timed["output"]) == {"co2"} and timed["year"].max() == 2030
    probs = pd.read_csv(out / "probabilities.csv")
    assert "P(peak_year <= 2030)" in set(probs["statement"])
