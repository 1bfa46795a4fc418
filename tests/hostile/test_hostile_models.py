"""Hostile models (issue 16, cases 10 and 13): what a model returns or raises is recorded as that
sample's data with a clear message; nothing is silently converted or stored as a success."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from uncertainty.cli import main

MODEL = """
def none(a):
    return {"y": None if a > 0.5 else a}

def text(a):
    return {"y": "1.5" if a > 0.5 else a}

def interrupt(a):
    if a > 0.5:
        raise KeyboardInterrupt("the model's own")
    return {"y": a}

def all_nan(a):
    return {"y": float("nan"), "z": a}
"""


def _run(tmp_path, func, n=16, extra_args=(), sampler="mc"):
    (tmp_path / "m.py").write_text(MODEL)
    study = tmp_path / f"{func}.toml"
    outputs = '["y", "z"]' if func == "all_nan" else '["y"]'
    study.write_text(
        f'[study]\nname = "{func}"\nmodel = "m:{func}"\nsampler = "{sampler}"\nn = {n}\nseed = 3\n'
        f'outputs = {outputs}\n\n[parameters.a]\ndistribution = "uniform"\nlower = 0\nupper = 1\n'
    )
    out = tmp_path / func
    code = main(["run", str(study), "--out", str(out), "--no-progress", *extra_args])
    return code, out


def _check_half_failed(out, fragment):
    with xr.open_zarr(out / "store.zarr") as ds:
        a = ds["inputs"].sel(parameter="a").values
        status = ds["status"].values
        y = ds["y"].values
    assert (status[a > 0.5] == 2).all() and (status[a <= 0.5] == 1).all()
    assert np.isnan(y[a > 0.5]).all() and np.allclose(y[a <= 0.5], a[a <= 0.5])
    lines = [json.loads(x) for x in (out / "failures.jsonl").read_text().splitlines()]
    assert lines and all(fragment in r["message"] for r in lines)


def test_a_model_returning_none_is_an_error_not_nan(tmp_path):
    code, out = _run(tmp_path, "none")
    assert code == 0
    _check_half_failed(out, "not a number")


def test_a_model_returning_text_is_an_error_not_converted(tmp_path):
    code, out = _run(tmp_path, "text")
    assert code == 0
    _check_half_failed(out, "'1.5'")


def test_a_keyboard_interrupt_raised_by_the_model_is_its_error(tmp_path, capsys):
    code, out = _run(tmp_path, "interrupt", extra_args=("--n-jobs", "2"))
    assert code == 0, capsys.readouterr().err  # not 130 "interrupted ... run again" forever
    _check_half_failed(out, "KeyboardInterrupt")
    code, _ = _run(tmp_path, "interrupt")  # a second run finds nothing pending
    assert code == 0 and "(0 evaluated now)" in capsys.readouterr().out


def test_an_output_nan_in_every_sample_is_refused_by_the_refuse_policy(tmp_path, capsys):
    code, out = _run(tmp_path, "all_nan", sampler="sobol")
    assert code == 0
    capsys.readouterr()
    assert main(["analyze", str(out), "--policy", "refuse"]) == 2  # not exit 0 with blank rows
    assert "output 'y'" in capsys.readouterr().err
    assert main(["analyze", str(out), "--policy", "drop-blocks"]) == 2  # every block dropped
    assert "nothing to analyse" in capsys.readouterr().err


def test_morris_with_every_trajectory_failed_is_a_clear_error(tmp_path, capsys):
    code, out = _run(tmp_path, "all_nan", n=4, sampler="morris")
    assert code == 0
    capsys.readouterr()
    assert main(["analyze", str(out), "--policy", "drop-blocks"]) == 2  # not ZeroDivisionError
    err = capsys.readouterr().err
    assert "every trajectory" in err and err.count("\n") == 1
