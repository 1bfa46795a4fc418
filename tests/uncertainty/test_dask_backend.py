"""The dask backend: the same stores as loky, one model per worker, clear errors without dask."""

import os
import sys

import numpy as np
import pytest
import xarray as xr
from test_engine_determinism import load as load_det
from test_engine_determinism import make_study

from uncertainty import Parameter, Study, Uniform, run_study
from uncertainty.cli import main

distributed = pytest.importorskip("distributed")

CLASS_MODEL = """
import os
import threading

SETUPS = 0

class Counted:
    def __init__(self, targets, scale=1.0):
        global SETUPS
        SETUPS += 1
        self.scale = scale

    def evaluate(self, params):
        return {"y": self.scale * params["x1"], "setups": SETUPS, "pid": os.getpid(),
                "main_thread": float(threading.current_thread() is threading.main_thread())}
"""

LP_OUTPUTS = (
    "co2", "cost", "peak_year", "coal_share", "capacity", "iterations", "warm", "parent_start",
)  # fmt: skip


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 single-thread worker processes on loopback, and a client to it."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as local,
        distributed.Client(local, set_as_default=False) as client,
    ):
        yield local, client


def test_callable_study_on_a_cluster_equals_loky(tmp_path, monkeypatch, cluster):
    local, _ = cluster
    monkeypatch.chdir(tmp_path)
    study = make_study(tmp_path, n=16)
    loky = load_det(run_study(study, tmp_path / "loky", n_jobs=2, batch_size=7))
    dask = load_det(
        run_study(study, tmp_path / "dask", batch_size=7, scheduler=local.scheduler_address)
    )
    assert (dask["status"] == 1).all() and dask.sizes["sample"] == 16 * 6
    xr.testing.assert_identical(dask.drop_attrs(), loky.drop_attrs())


def test_lp_study_on_a_cluster_equals_loky(tmp_path, cluster):
    local, _ = cluster
    targets = {
        "natural_sink": Uniform(lower=0.0, upper=0.2),
        "capex_scale:solar": Uniform(lower=0.5, upper=1.5),
        "fuel_price_scale:coal": Uniform(lower=0.7, upper=1.5),
    }
    params = [Parameter(name, dist, target=name) for name, dist in targets.items()]
    study = Study(name="lp", parameters=params, seed=4, outputs=LP_OUTPUTS,
                  model="model.ensemble:ChinaLP", model_options={"data": "example"},
                  n=4, batch_size=3)  # fmt: skip  # batches cut the Sobol blocks of 5
    runs = {
        "loky": run_study(study, tmp_path / "loky", n_jobs=1),  # n_jobs does not matter
        "dask": run_study(study, tmp_path / "dask", scheduler=local.scheduler_address),
    }
    stores = {}
    for name, out in runs.items():
        with xr.open_zarr(out / "store.zarr") as ds:
            stores[name] = ds[["inputs", "status", *LP_OUTPUTS]].load().drop_attrs()
    dask, loky = stores["dask"], stores["loky"]
    assert dask.sizes["sample"] == 4 * 5 and (dask["status"] == 1).all()
    assert (dask["warm"] == 1).all() and dask["co2"].dims == ("sample", "year")
    assert dask["parent_start"].values.sum() == 4 * 3  # every AB row from its A row, on Dask too
    assert np.ptp(dask["cost"].values) > 0, "the parameters must move the LP's cost"
    xr.testing.assert_identical(dask, loky)


def test_a_worker_builds_its_model_once(tmp_path, cluster):
    local, client = cluster
    (tmp_path / "counted_model.py").write_text(CLASS_MODEL)
    params = [Parameter("x1", Uniform(lower=0.0, upper=1.0))]
    study = Study(name="counted", parameters=params, seed=2, outputs=("y", "setups", "pid",
                  "main_thread"), model="counted_model:Counted", model_options={"scale": 2.0},
                  sampler="mc", n=40, batch_size=4, path=tmp_path / "study.toml")  # fmt: skip
    out = run_study(study, tmp_path / "out", scheduler=local.scheduler_address)
    with xr.open_zarr(out / "store.zarr") as ds:
        np.testing.assert_allclose(ds["y"].values, 2.0 * ds["inputs"].values[:, 0])
        setups, pids = ds["setups"].values, ds["pid"].values
        main_thread = ds["main_thread"].values
    assert (setups == 1).all(), "each worker process must build the model once and keep it"
    assert set(pids) <= set(client.run(os.getpid).values())
    assert os.getpid() not in pids
    assert (main_thread == 0).all(), "Dask runs tasks in a worker thread"


def test_cli_errors_are_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "m.py").write_text("def f(x1):\n    return {'y': x1}\n")
    study = tmp_path / "study.toml"
    study.write_text(
        '[study]\nname = "e"\nmodel = "m:f"\nsampler = "mc"\nn = 4\nseed = 1\noutputs = ["y"]\n'
        '[parameters.x1]\ndistribution = "uniform"\nlower = 0.0\nupper = 1.0\n'
    )
    out = ["--out", str(tmp_path / "out"), "--no-progress"]
    cases = [
        (["--backend", "loky", "--scheduler", "tcp://127.0.0.1:1"], 2, "--backend dask"),
        (["--scheduler", "tcp://127.0.0.1:1", "--n-jobs", "2"], 2, "--n-jobs with --scheduler"),
        (["--scheduler", "tcp://127.0.0.1:1"], 1, "cannot connect to the Dask scheduler"),
    ]
    monkeypatch.setattr("uncertainty.engine.dask_backend.CONNECT_TIMEOUT", 1)
    for args, code, expected in cases:
        assert main(["run", str(study), *out, *args]) == code
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and expected in err, err
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if dask were not installed
    assert main(["run", str(study), *out, "--backend", "dask"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'netua[dask]'" in err, err


def test_anchor_results_are_shared_on_a_cluster_as_on_loky(tmp_path, cluster):
    """Anchor results computed once per run (engine/shared.py) on a Dask cluster: the same
    recorded results (a failure and a time-out as null) and the same samples as with loky."""
    import json

    from test_shared_anchors import _check_guesses, _study

    local, _ = cluster
    study, _ = _study(tmp_path, prepared=4, n=8)
    runs = {
        "loky": run_study(study, tmp_path / "loky", n_jobs=2, batch_size=2),
        "dask": run_study(
            study, tmp_path / "dask", batch_size=2, scheduler=local.scheduler_address
        ),
    }
    shared = {k: json.loads((out / "manifest.json").read_text()) for k, out in runs.items()}
    expected = {"0": 2030.0, "1": None, "2": None, "3": "inf"}
    assert shared["dask"]["anchor_results"] == shared["loky"]["anchor_results"] == expected
    stores = {
        k: _check_guesses(out)[["inputs", "status", "guess", "anchor"]] for k, out in runs.items()
    }
    xr.testing.assert_identical(stores["dask"].drop_attrs(), stores["loky"].drop_attrs())
