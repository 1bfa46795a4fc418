"""Results do not depend on n_jobs, batch size or the Python API used; distributions work."""

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from uncertainty import (
    Choice,
    LogNormal,
    Normal,
    Parameter,
    Study,
    Triangular,
    TruncatedNormal,
    Uniform,
    run_study,
    sample_design,
)

MODEL = """
import numpy as np
import xarray as xr

YEARS = np.arange(2020, 2031)

def path(a, b, c, fuel):
    years = xr.DataArray(YEARS, dims="year", coords={"year": YEARS})
    co2 = xr.DataArray(a + b * (years - 2020) - c * (years - 2020) ** 2, attrs={"units": "Gt"})
    share = np.array([a, b]) / (abs(a) + abs(b) + 1)
    return {"co2": co2, "peak": float(YEARS[int(co2.argmax())]), "share": share,
            "fuel": {"coal": 0.0, "gas": 1.0, "oil": 2.0}[fuel]}
"""


def make_study(tmp_path, sampler="sobol", n=32) -> Study:
    (tmp_path / "det_model.py").write_text(MODEL)
    params = [
        Parameter("a", Uniform(lower=9.0, upper=11.0), unit="Gt"),
        Parameter("b", Triangular(lower=-0.2, mode=0.1, upper=0.3)),
        Parameter("c", TruncatedNormal(mean=0.01, std=0.01, lower=0.0, upper=0.05)),
        Parameter("fuel", Choice(choices=("coal", "gas", "oil"))),
    ]
    return Study(
        name="det", parameters=params, seed=3, outputs=("co2", "peak", "share", "fuel"),
        model="det_model:path", sampler=sampler, n=n, output_dims={"share": ("kind",)},
    )  # fmt: skip


def load(out):
    with xr.open_zarr(out / "store.zarr") as ds:
        return ds[["inputs", "status", "co2", "peak", "share", "fuel"]].load()


def test_n_jobs_and_batch_size_do_not_change_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = make_study(tmp_path)
    runs = [(1, 7), (2, 7), (2, 64), (1, None)]
    stores = [
        load(run_study(study, tmp_path / f"r{j}_{b}", n_jobs=j, batch_size=b)) for j, b in runs
    ]
    first = stores[0]
    assert first.sizes["sample"] == 32 * 6
    assert (first["status"] == 1).all()
    assert first["co2"].dims == ("sample", "year") and first["co2"].attrs["units"] == "Gt"
    assert first["share"].dims == ("sample", "kind")
    np.testing.assert_array_equal(first["year"].values, np.arange(2020, 2031))
    for other in stores[1:]:
        xr.testing.assert_identical(first.drop_attrs(), other.drop_attrs())


def test_same_seed_same_design_and_every_distribution(tmp_path):
    params = [
        Parameter("u", Uniform(lower=1.0, upper=2.0)),
        Parameter("n", Normal(mean=5.0, std=2.0)),
        Parameter("ln", LogNormal(log_mean=0.0, log_std=0.5)),
        Parameter("t", TruncatedNormal(mean=0.0, std=1.0, lower=-1.0, upper=0.5)),
        Parameter("k", Choice(choices=(10, 20, 40), weights=(0.5, 0.25, 0.25))),
    ]
    study = Study(name="d", parameters=params, seed=11, outputs=("y",), model="m:f",
                  sampler="mc", n=4000)  # fmt: skip
    a, b = sample_design(study), sample_design(study)
    np.testing.assert_array_equal(a.values, b.values)
    x = a.values
    assert stats.kstest(x[:, 0], stats.uniform(1, 1).cdf).pvalue > 1e-3
    assert stats.kstest(x[:, 1], stats.norm(5, 2).cdf).pvalue > 1e-3
    assert stats.kstest(x[:, 2], stats.lognorm(0.5).cdf).pvalue > 1e-3
    assert x[:, 3].min() >= -1.0 and x[:, 3].max() <= 0.5
    assert set(np.unique(x[:, 4])) == {10.0, 20.0, 40.0}
    assert np.mean(x[:, 4] == 10.0) == pytest.approx(0.5, abs=0.03)
    other = sample_design(Study(**{**study.__dict__, "seed": 12}))
    assert not np.array_equal(a.values, other.values)


@pytest.mark.parametrize(("sampler", "rows"), [("sobol", 8 * 4), ("morris", 8 * 3), ("lhs", 8)])
def test_design_sizes(sampler, rows):
    params = [Parameter("a", Uniform(lower=0.0, upper=1.0)), Parameter("b", Normal(mean=0, std=1))]
    study = Study(name="s", parameters=params, seed=1, outputs=("y",), model="m:f",
                  sampler=sampler, n=8)  # fmt: skip
    design = sample_design(study)
    assert design.values.shape == (rows, 2)
    assert np.isfinite(design.values).all()
    np.testing.assert_array_equal(design.sample_id, np.arange(rows))
