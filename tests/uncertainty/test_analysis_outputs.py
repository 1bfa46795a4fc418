"""The ``outputs`` key of ``[analysis]``: only the named outputs are analysed and drawn."""

import numpy as np
import pandas as pd
import pytest

from uncertainty.analysis.pipeline import run_analysis
from uncertainty.errors import AnalysisError
from uncertainty.testing import ishigami

ISHIGAMI = {"x1": (-np.pi, np.pi), "x2": (-np.pi, np.pi), "x3": (-np.pi, np.pi)}

STUDY = '[study]\nname = "t"\n[analysis]\noutputs = ["y"]\n'


def with_diagnostic(x):
    """Ishigami plus a diagnostic that is NaN for most samples (like an audit gap)."""
    diag = np.where(np.arange(len(x)) % 7 == 0, 1.0, np.nan)
    return {"y": ishigami(x), "diag": diag}


def test_only_named_outputs_are_analysed(tmp_path):
    from uncertainty.testing import make_store

    out = make_store(
        with_diagnostic, ISHIGAMI, "sobol", 64, 1, False, tmp_path / "run", study_text=STUDY
    )
    tables = run_analysis(out)  # the NaN diagnostic would make policy 'refuse' stop
    assert set(tables["sobol"].output) == {"y"}
    assert tables["failures"].empty
    assert set(pd.read_csv(out / "summary.csv").output) == {"y"}


def test_unknown_output_is_reported(tmp_path):
    from uncertainty.testing import make_store

    out = make_store(
        with_diagnostic,
        ISHIGAMI,
        "sobol",
        16,
        1,
        False,
        tmp_path / "run",
        study_text=STUDY.replace('["y"]', '["y", "z"]'),
    )
    with pytest.raises(AnalysisError, match="unknown output 'z'"):
        run_analysis(out)


def test_years_undefined_in_every_sample_are_not_failures(tmp_path):
    """A price defined only in the last years (NaN before, in every sample) fails nothing."""
    from uncertainty.testing import make_store

    years = [2058, 2059, 2060]

    def priced(x):
        y = ishigami(x)
        price = np.column_stack([np.full(len(x), np.nan), np.full(len(x), np.nan), y])
        return {"price": price}

    out = make_store(priced, ISHIGAMI, "sobol", 32, 1, False, tmp_path / "run", years=years)
    tables = run_analysis(out)
    assert tables["failures"].empty
    rows = tables["sobol_time"]
    assert rows[rows.year == 2060].ST.notna().all()
    assert rows[rows.year == 2058].ST.isna().all()


def test_solver_noise_on_a_pinned_year_gives_nan_not_huge_indices():
    """A year held to observations varies only by ~1e-12: its indices are NaN, not +-100."""
    from uncertainty.analysis.indices import sobol_indices

    rng = np.random.default_rng(0)
    n, d = 64, 3
    y = 0.57 + 1e-12 * rng.standard_normal((n * (d + 2), 1))
    res = sobol_indices(y, d, n_resamples=50, seed=1)
    assert np.isnan(res["ST"]).all() and np.isnan(res["S1"]).all()


def test_default_events_only_for_kept_outputs():
    """[analysis] outputs that leave co2_net out get no default neutrality event (it would name a
    variable the restricted store no longer has: analyze died with a KeyError)."""
    import json

    import numpy as np
    import xarray as xr

    from uncertainty.analysis.spec import load_analysis_spec, restrict_outputs

    text = '[study]\nname = "x"\n[analysis]\noutputs = ["y"]\n'
    ds = xr.Dataset(
        {
            "y": ("sample", np.arange(4.0)),
            "co2_net": (("sample", "year"), np.ones((4, 2))),
            "inputs": (("sample", "parameter"), np.ones((4, 1))),
        },
        coords={"sample": np.arange(4), "year": [2030, 2060], "parameter": ["a"]},
        attrs={"manifest": json.dumps({"study": text})},
    )
    spec = load_analysis_spec(ds)
    assert spec.events == ()
    kept = restrict_outputs(ds, spec)
    assert all(e.output in kept.data_vars for e in spec.events)
