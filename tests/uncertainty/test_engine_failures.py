"""Failures are data: exceptions, time limits and dead workers give statuses; the run completes."""

import json
import os

import numpy as np
import xarray as xr

from uncertainty.cli import main

MODEL = """
import os
import time

def flaky(x1, x2):
    if x1 > 0.9:
        raise ValueError("x1 too large")
    if 0.1 < x1 < 0.14:
        os._exit(7)
    if x2 > 0.93:
        time.sleep(30)
    return {"y": x1 + x2}
"""

CLASS_MODEL = """
import os

SETUPS = 0

class Fast:
    def __init__(self, targets, scale=1.0):
        global SETUPS
        SETUPS += 1
        self.targets = targets
        self.scale = scale

    def evaluate(self, params):
        return {"y": self.scale * params["x1"], "setups": SETUPS,
                "has_target": float(self.targets["x1"] == "cost.solar")}

    def data_hash(self):
        return "abc123"
"""

STUDY = """
[study]
name = "{name}"
model = "{model}"
sampler = "mc"
n = {n}
seed = {seed}
outputs = {outputs}
{extra}

[parameters.x1]
distribution = "uniform"
lower = 0.0
upper = 1.0
target = "cost.solar"

[parameters.x2]
distribution = "uniform"
lower = 0.0
upper = 1.0
"""


def expected_status(x: np.ndarray) -> np.ndarray:
    """The status each sample of the flaky model must get."""
    status = np.ones(len(x), dtype=np.int8)
    status[x[:, 1] > 0.93] = 3
    status[(x[:, 0] > 0.1) & (x[:, 0] < 0.14)] = 4
    status[x[:, 0] > 0.9] = 2
    return status


def test_exceptions_timeouts_and_dead_workers_are_recorded(tmp_path, capsys):
    (tmp_path / "flaky_model.py").write_text(MODEL)
    study = tmp_path / "study.toml"
    extra = "timeout = 0.3"
    study.write_text(STUDY.format(name="flaky", model="flaky_model:flaky", n=48, seed=5,
                                  outputs='["y"]', extra=extra))  # fmt: skip
    out = tmp_path / "out"
    args = ["run", str(study), "--out", str(out), "--n-jobs", "2", "--batch-size", "8"]
    assert main([*args, "--no-progress"]) == 0
    printed = capsys.readouterr().out
    with xr.open_zarr(out / "store.zarr") as ds:
        x, status, y = ds["inputs"].values, ds["status"].values, ds["y"].values
        elapsed = ds["elapsed"].values
    want = expected_status(x)
    assert {1, 2, 3, 4} <= set(want.tolist()), "the seed must give every kind of failure"
    np.testing.assert_array_equal(status, want)
    ok = status == 1
    np.testing.assert_allclose(y[ok], x[ok].sum(axis=1))
    assert np.isnan(y[~ok]).all()
    assert (elapsed[status == 3] >= 0.3).all() and (elapsed[status == 3] < 5).all()
    records = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert [r["sample_id"] for r in records] == np.flatnonzero(~ok).tolist()
    by_id = {r["sample_id"]: r for r in records}
    for i in np.flatnonzero(~ok):
        assert by_id[i]["status"] == status[i]
    assert "ValueError: x1 too large" in by_id[np.flatnonzero(status == 2)[0]]["message"]
    assert "time limit" in by_id[np.flatnonzero(status == 3)[0]]["message"]
    assert "worker process died" in by_id[np.flatnonzero(status == 4)[0]]["message"]
    counts = {
        k: int(np.sum(status == c)) for k, c in (("error", 2), ("timeout", 3), ("crashed", 4))
    }
    assert (
        f"error {counts['error']}, timeout {counts['timeout']}, crashed {counts['crashed']}"
        in printed
    )


def test_missing_output_is_an_error_and_class_model_is_set_up_once(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # models import from the working directory too
    (tmp_path / "fast_model.py").write_text(CLASS_MODEL)
    sub = tmp_path / "studies"
    sub.mkdir()
    study = sub / "study.toml"
    extra = "[model_options]\nscale = 2.0"
    study.write_text(STUDY.format(name="fast", model="fast_model:Fast", n=40, seed=1,
                                  outputs='["y", "setups", "has_target"]', extra=""))  # fmt: skip
    study.write_text(study.read_text() + "\n" + extra + "\n")
    assert main(["run", str(study), "--n-jobs", "2", "--batch-size", "5", "--no-progress"]) == 0
    out = tmp_path / "results" / "fast"
    with xr.open_zarr(out / "store.zarr") as ds:
        np.testing.assert_allclose(ds["y"].values, 2.0 * ds["inputs"].values[:, 0])
        assert (ds["setups"].values == 1).all()
        assert (ds["has_target"].values == 1).all()
        assert json.loads(ds.attrs["manifest"])["model_data_hash"] == "abc123"
    capsys.readouterr()
    missing = tmp_path / "missing.toml"
    missing.write_text(STUDY.format(name="missing", model="fast_model:Fast", n=4, seed=1,
                                    outputs='["y", "nope"]', extra=""))  # fmt: skip
    assert main(["run", str(missing), "--out", str(tmp_path / "m"), "--no-progress"]) == 0
    assert "failed 4" in capsys.readouterr().out
    line = (tmp_path / "m" / "failures.jsonl").read_text().splitlines()[0]
    assert "returned no output 'nope'" in json.loads(line)["message"]
    assert os.path.isdir(tmp_path / "m" / "store.zarr")


PARENT_MODEL = """
import math
import os

KILL = {kill!r}

class Child:
    def __init__(self, targets):
        self.targets = targets

    def evaluate(self, params, parent=None):
        if [params["x1"], params["x2"]] == KILL:
            os._exit(7)
        given = parent[0] if parent is not None else {{"x1": math.nan, "x2": math.nan}}
        return {{"y": params["x1"] + params["x2"], "parent_x1": given["x1"],
                 "parent_x2": given["x2"]}}
"""


def test_a_dead_workers_batch_is_isolated_with_its_rows_parents(tmp_path):
    """A Sobol row kills every worker it touches: its batch is evaluated again in halves, and
    every other row of that batch still gets its own parent (the isolate path cuts the parents
    with the rows); the killer alone is recorded as crashed."""
    from uncertainty.study.sampling import sample_design
    from uncertainty.study.space import load_study

    study = tmp_path / "study.toml"
    text = STUDY.format(name="parents", model="parent_model:Child", n=4, seed=3,
                        outputs='["y", "parent_x1", "parent_x2"]', extra="")  # fmt: skip
    study.write_text(text.replace('sampler = "mc"', 'sampler = "sobol"'))
    x = sample_design(load_study(study)).values
    kill = 7  # the B row of the second block (rows 4-7: A, AB_1, AB_2, B): batch 0-7 dies,
    # then 4-7, then 6-7, so AB_2 (row 6) is finally evaluated alone, its parent (4) elsewhere
    (tmp_path / "parent_model.py").write_text(PARENT_MODEL.format(kill=x[kill].tolist()))
    out = tmp_path / "out"
    args = ["run", str(study), "--out", str(out), "--n-jobs", "2", "--batch-size", "8"]
    assert main([*args, "--no-progress"]) == 0
    with xr.open_zarr(out / "store.zarr") as ds:
        status, px1, px2 = ds["status"].values, ds["parent_x1"].values, ds["parent_x2"].values
    assert len(x) == 16 and status[kill] == 4 and (np.delete(status, kill) == 1).all()
    for first in range(0, 16, 4):
        for row in (first + 1, first + 2):  # AB rows: their block's A row
            if row != kill:
                np.testing.assert_array_equal([px1[row], px2[row]], x[first])
        for row in (first, first + 3):  # A and B rows: no parent
            assert np.isnan([px1[row], px2[row]]).all()


SLOW_PARENT_MODEL = """
import math
import time

SLOW = {slow!r}

class Child:
    def __init__(self, targets):
        self.targets = targets

    def _solve_parent(self, parent):
        if [parent[0]["x1"], parent[0]["x2"]] == SLOW:
            time.sleep(3)  # a parent that takes longer than the time limit

    def prepare_parent(self, parent):
        self._solve_parent(parent)

    def evaluate(self, params, parent=None):
        if parent is not None:
            self._solve_parent(parent)  # (as the China LP does when it has no cached start)
        given = parent[0] if parent is not None else {{"x1": math.nan, "x2": math.nan}}
        return {{"y": params["x1"] + params["x2"], "parent_x1": given["x1"]}}
"""


def test_a_parent_out_of_time_leaves_its_rows_to_their_anchors(tmp_path):
    """A parent whose set-up runs out of its own time limit is not handed to its rows: they
    start from their anchors (no parent) and succeed, instead of setting the parent up again
    within their own limit and failing as it did."""
    from uncertainty.study.sampling import sample_design
    from uncertainty.study.space import load_study

    study = tmp_path / "study.toml"
    text = STUDY.format(name="slow", model="slow_parent:Child", n=2, seed=3,
                        outputs='["y", "parent_x1"]', extra="timeout = 0.5")  # fmt: skip
    study.write_text(text.replace('sampler = "mc"', 'sampler = "sobol"'))
    x = sample_design(load_study(study)).values  # blocks [A, AB_1, AB_2, B] x 2
    (tmp_path / "slow_parent.py").write_text(SLOW_PARENT_MODEL.format(slow=x[4].tolist()))
    out = tmp_path / "out"
    args = ["run", str(study), "--out", str(out), "--n-jobs", "1", "--no-progress"]
    assert main(args) == 0
    with xr.open_zarr(out / "store.zarr") as ds:
        status, px1 = ds["status"].values, ds["parent_x1"].values
    assert (status == 1).all()
    np.testing.assert_array_equal(px1[[1, 2]], x[[0, 0], 0])  # block 1: from its A row
    assert np.isnan(px1[[5, 6]]).all()  # block 2: its A row's set-up ran out of time
