"""Growing a run to a larger n keeps every stored sample and ends equal to a fresh run."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import zarr
from test_engine_resume import MODEL  # the same slow, logging model

from uncertainty import store
from uncertainty.analysis.pipeline import run_analysis
from uncertainty.cli import main
from uncertainty.errors import StoreError

STUDY = """
[study]
name = "extend"
model = "slow_model:slow"
sampler = "{sampler}"
n = {n}
seed = {seed}
outputs = ["y", "z"]

[parameters.x1]
distribution = "uniform"
lower = 0.0
upper = 1.0

[parameters.x2]
distribution = "normal"
mean = 1.0
std = 0.5
"""


def setup(folder: Path, *, n: int, seed: int = 9, delay: float = 0.0, sampler="sobol") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "slow_model.py").write_text(MODEL.format(delay=delay))
    return write_study(folder, n=n, seed=seed, sampler=sampler)


def write_study(folder: Path, *, n: int, seed: int = 9, sampler: str = "sobol") -> Path:
    study = folder / "study.toml"
    study.write_text(STUDY.format(n=n, seed=seed, sampler=sampler))
    return study


def evaluations(folder: Path) -> list[tuple[float, float]]:
    log = folder / "evaluations.log"
    if not log.exists():
        return []
    return [tuple(float(v) for v in line.split()) for line in log.read_text().splitlines()]


def load(out: Path) -> xr.Dataset:
    with xr.open_zarr(out / "store.zarr") as ds:
        return ds[["inputs", "status", "y", "z"]].load().drop_attrs()


def run(study: Path, out: Path, *args: str) -> int:
    return main(["run", str(study), "--out", str(out), "--no-progress", *args])


def fresh_reference(tmp_path: Path, n: int) -> xr.Dataset:
    folder = tmp_path / f"fresh{n}"
    study = setup(folder, n=n)
    assert run(study, folder / "out") == 0
    return load(folder / "out")


def check_only_new_evaluated(folder: Path, n_logged: int, before: xr.Dataset, out: Path) -> None:
    """No sample completed before is evaluated again; every other sample exactly once."""
    again = Counter(evaluations(folder)[n_logged:])
    after = load(out)
    inputs = [tuple(row) for row in after["inputs"].values]
    done = np.zeros(after.sizes["sample"], dtype=bool)
    done[: before.sizes["sample"]] = before["status"].values != 0
    assert not any(again[inputs[i]] for i in np.flatnonzero(done))
    assert all(again[inputs[i]] == 1 for i in np.flatnonzero(~done))
    assert sum(again.values()) == int((~done).sum())


def test_extending_a_finished_run_equals_a_fresh_run(tmp_path, capsys):
    study = setup(tmp_path, n=16)
    out = tmp_path / "out"
    # 64 rows in chunks of 24: the last chunk is partial, so growth shares it with new rows
    assert run(study, out, "--batch-size", "24") == 0
    before, n_logged = load(out), len(evaluations(tmp_path))
    assert before.sizes["sample"] == 64 and n_logged == 64
    write_study(tmp_path, n=32)
    capsys.readouterr()
    assert run(study, out) == 0
    err = capsys.readouterr().err
    assert "extending N 16 -> 32: 64 new samples; the 64 stored are kept" in err
    assert "resuming" in err and "64 of 128 samples already done" in err
    check_only_new_evaluated(tmp_path, n_logged, before, out)
    xr.testing.assert_identical(load(out), fresh_reference(tmp_path, 32))
    with xr.open_zarr(out / "store.zarr") as ds:
        assert ds.attrs["n_base"] == 32 and ds.sizes["sample"] == 128
        assert np.isfinite(ds["elapsed"].values).all()
        assert ds["status"].encoding["chunks"] == (24,)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest == store.read_manifest(out)
    assert manifest["study"]["n"] == 32 and manifest["n_samples"] == 128
    assert "n = 32" in manifest["study_text"] and "extending" not in manifest
    assert manifest["extended"][0]["n"] == [16, 32]
    assert manifest["extended"][0]["n_samples"] == [64, 128]
    # and a rerun of the extended study is a plain resume with nothing to do
    assert run(study, out) == 0
    assert len(evaluations(tmp_path)) == 128


def test_extending_a_killed_run_equals_a_fresh_run(tmp_path):
    study = setup(tmp_path, n=16, delay=0.01)
    out = tmp_path / "out"
    code = "import sys; from uncertainty.cli import main; sys.exit(main(sys.argv[1:]))"
    args = ["run", str(study), "--out", str(out), "--n-jobs", "2", "--batch-size", "8"]
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=tmp_path,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            status = zarr.open_array(out / "store.zarr" / "status", mode="r")[:]
            if np.sum(status != 0) >= 16:
                break
        except Exception:  # not created yet, or a chunk being written
            pass
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before, n_logged = load(out), len(evaluations(tmp_path))
    assert 16 <= (before["status"].values != 0).sum() < 64, "the kill must land mid-run"
    write_study(tmp_path, n=32)
    assert run(study, out) == 0
    check_only_new_evaluated(tmp_path, n_logged, before, out)
    xr.testing.assert_identical(load(out), fresh_reference(tmp_path, 32))


def test_an_interrupted_growth_is_finished_by_the_extended_study_only(
    tmp_path, capsys, monkeypatch
):
    study = setup(tmp_path, n=16)
    out = tmp_path / "out"
    assert run(study, out, "--batch-size", "24") == 0
    before, n_logged = load(out), len(evaluations(tmp_path))
    real_grow = store.grow_store

    def killed_midway(out_, design, n_old, chunk):
        zarr.open_array(out_ / "store.zarr" / "status", mode="r+").resize((100,))
        zarr.open_array(out_ / "store.zarr" / "inputs", mode="r+").resize((100, 2))
        raise StoreError("killed during the growth")

    monkeypatch.setattr(store, "grow_store", killed_midway)
    write_study(tmp_path, n=32)
    assert run(study, out) == 2  # a store that cannot be used as asked: bad input (docs/cli.md)
    monkeypatch.setattr(store, "grow_store", real_grow)
    assert store.read_manifest(out)["extending"]["n"] == [16, 32]
    write_study(tmp_path, n=16)
    capsys.readouterr()
    assert run(study, out) == 2
    err = capsys.readouterr().err
    assert "growing it to n = 32 was interrupted" in err and "--fresh" in err
    assert err.count("\n") == 1
    write_study(tmp_path, n=32)
    assert run(study, out) == 0
    assert "finishing the interrupted growth" in capsys.readouterr().err
    check_only_new_evaluated(tmp_path, n_logged, before, out)
    xr.testing.assert_identical(load(out), fresh_reference(tmp_path, 32))
    assert "extending" not in store.read_manifest(out)


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        ({"n": 16}, ["cannot resume", "study key 'n': 32 -> 16", "never shrink", "--fresh"]),
        ({"n": 64, "seed": 10}, ["cannot resume", "'n': 32 -> 64", "'seed': 9 -> 10"]),
    ],
)
def test_smaller_n_or_n_plus_another_change_is_refused(tmp_path, capsys, second, expected):
    study = setup(tmp_path, n=32)
    out = tmp_path / "out"
    assert run(study, out) == 0
    stored = load(out)
    write_study(tmp_path, **second)
    capsys.readouterr()
    assert run(study, out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert all(text in err for text in expected), err
    xr.testing.assert_identical(load(out), stored)


def test_a_design_that_is_not_nested_is_refused(tmp_path, capsys):
    study = setup(tmp_path, n=16, sampler="lhs")
    out = tmp_path / "out"
    assert run(study, out) == 0
    stored = load(out)
    write_study(tmp_path, n=32, sampler="lhs")
    capsys.readouterr()
    assert run(study, out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "cannot extend" in err and "lhs design with n = 32 does not start with the 16" in err
    xr.testing.assert_identical(load(out), stored)
    assert store.read_manifest(out)["study"]["n"] == 16


def test_mc_design_grows(tmp_path):
    study = setup(tmp_path, n=16, sampler="mc")
    out = tmp_path / "out"
    assert run(study, out) == 0
    write_study(tmp_path, n=40, sampler="mc")
    assert run(study, out) == 0
    assert len(evaluations(tmp_path)) == 40
    assert (load(out)["status"].values == 1).all()


def test_analysis_works_on_an_extended_store(tmp_path):
    study = setup(tmp_path, n=16)
    out = tmp_path / "out"
    assert run(study, out) == 0
    write_study(tmp_path, n=32)
    assert run(study, out) == 0
    with xr.open_zarr(out / "store.zarr") as ds:
        assert ds.attrs["n_base"] == 32
    run_analysis(out)
    sobol = pd.read_csv(out / "sobol.csv")
    assert len(sobol) > 0 and {"x1", "x2"} <= set(sobol.astype(str).to_numpy().ravel())
