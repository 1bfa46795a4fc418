"""The notebook API (docs/python-api.md): run, open, analyse and draw from Python alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

import uncertainty as ua

MODEL = "def f(a, b):\n    return {'y': a + 2 * b}\n"


def test_run_open_analyze_and_draw_from_python(tmp_path):
    (tmp_path / "lin.py").write_text(MODEL)
    params = (
        ua.Parameter("a", ua.Uniform(0.0, 1.0)),
        ua.Parameter("b", ua.Uniform(0.0, 1.0)),
    )
    study = ua.Study(
        name="api", parameters=params, seed=3, outputs=("y",), model="lin:f", n=64,
        path=tmp_path / "study.toml",
    )  # fmt: skip
    out = ua.run_study(study, tmp_path / "out", n_jobs=1)
    ds = ua.open_results(out)
    assert set(ds.data_vars) >= {"inputs", "status", "elapsed", "y"}
    assert (ds["status"] == ua.Status.OK).all()
    x = ds["inputs"].sel(parameter=["a", "b"]).values
    np.testing.assert_allclose(ds["y"].values, x[:, 0] + 2 * x[:, 1])

    tables = ua.analyze(out, n_resamples=50, seed=2)
    assert isinstance(tables["sobol"], pd.DataFrame)
    same = ua.analyze(out, ua.AnalysisSettings(n_resamples=50, seed=2))
    pd.testing.assert_frame_equal(tables["sobol"], same["sobol"])
    st = tables["sobol"].set_index("parameter")["ST"]
    assert st["b"] > st["a"]  # y = a + 2b: b has four times a's variance
    tree = ua.as_tree(tables)
    assert float(tree["sobol"].ds["ST"].sel(output="y", parameter="b")) == st["b"]

    fig = Figure()
    ax = fig.add_subplot()
    assert ua.sobol_bars(tables["sobol"], "y", ax=ax) is ax
    png, pdf = ua.save(ax, tmp_path / "fig", "sobol")
    assert png.stat().st_size > 5_000 and pdf.exists()
