"""Warm-start anchors (issue 17): placed by the study alone, a sample's nearest anchor by its
inputs alone, a choice's category first, a bad count refused with the key and the fix."""

from __future__ import annotations

import numpy as np
import pytest

from uncertainty.engine.anchors import (
    anchor_count,
    anchor_points,
    anchor_values,
    design_parents,
    nearest_anchor,
)
from uncertainty.errors import StudyError
from uncertainty.study.space import study_from_dict


def _study(anchors=None, seed=3):
    options = {} if anchors is None else {"anchors": anchors}
    return study_from_dict(
        {
            "study": {"name": "a", "model": "m:f", "sampler": "mc", "n": 8, "seed": seed,
                      "outputs": ["y"]},
            "model_options": options,
            "parameters": {
                "x": {"distribution": "uniform", "lower": 0, "upper": 10},
                "policy": {"distribution": "choice", "choices": ["none", "budget", "ets"]},
                "z": {"distribution": "normal", "mean": 0, "std": 1},
            },
        }
    )  # fmt: skip


class Fast:
    default_anchors = 4

    def set_anchors(self, anchors):
        pass


def test_anchors_depend_on_the_study_alone():
    a, b = anchor_points(_study(), 8), anchor_points(_study(), 8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, anchor_points(_study(seed=4), 8))
    assert a.shape == (8, 3) and ((a > 0) & (a < 1)).all()
    # a choice sits at the middle of its category's interval: 1/6, 1/2 or 5/6
    assert set(np.round(a[:, 1], 6)) <= {round(1 / 6, 6), 0.5, round(5 / 6, 6)}


def test_nearest_anchor_prefers_the_samples_category():
    study = _study()
    params = study.parameters
    unit = np.array([[0.5, 1 / 6, 0.5], [0.9, 1 / 2, 0.9]])  # anchor 0: policy none; 1: budget
    # a sample next to anchor 0 in x and z but of category "budget" starts from anchor 1
    rows = np.array([[5.0, 1.0, 0.0], [5.0, 0.0, 0.0], [9.0, 0.0, 1.28]])
    np.testing.assert_array_equal(nearest_anchor(params, unit, rows), [1, 0, 0])
    # without a matching category, the numeric distance decides
    rows = np.array([[9.0, 2.0, 1.28], [5.0, 2.0, 0.0]])
    np.testing.assert_array_equal(nearest_anchor(params, unit, rows), [1, 0])


def test_an_anchors_inputs_map_back_to_its_point():
    study = _study()
    unit = anchor_points(study, 16)
    values = anchor_values(study, unit)
    np.testing.assert_array_equal(nearest_anchor(study.parameters, unit, values), np.arange(16))


def test_anchor_count_from_the_class_or_the_study():
    assert anchor_count(_study(), Fast) == 4
    assert anchor_count(_study(anchors=0), Fast) == 0
    assert anchor_count(_study(anchors=32), Fast) == 32
    assert anchor_count(_study(), lambda **kw: kw) == 0  # a function takes none
    with pytest.raises(StudyError, match=r"\[model_options\] anchors = -1: give a whole number"):
        anchor_count(_study(anchors=-1), Fast)
    with pytest.raises(StudyError, match="anchors = 'many'"):
        anchor_count(_study(anchors="many"), Fast)


@pytest.mark.parametrize("second_order", [False, True])
@pytest.mark.parametrize("groups", [None, ["g", "g", "h", "k"]])
def test_a_sobol_rows_parent_differs_from_it_in_one_factor(second_order, groups):
    """design_parents on SALib's own Saltelli design: every AB (BA) row's parent is its
    block's A (B) row and differs from it in the columns of one factor only; A and B rows
    and other samplers' rows have none."""
    from SALib.sample import sobol

    problem = {"num_vars": 4, "names": list("abcd"), "bounds": [[0, 1]] * 4}
    if groups:
        problem["groups"] = groups
    factors = len(dict.fromkeys(groups or problem["names"]))
    x = sobol.sample(problem, 4, calc_second_order=second_order, scramble=True, seed=2)
    parents = design_parents("sobol", len(x), factors, second_order)
    size = 2 * factors + 2 if second_order else factors + 2
    columns = {name: [j for j, g in enumerate(groups or problem["names"]) if g == name]
               for name in dict.fromkeys(groups or problem["names"])}  # fmt: skip
    for i, p in enumerate(parents):
        position = i % size
        if position in (0, size - 1):
            assert p == -1
            continue
        assert p == (i - position if position <= factors else i - position + size - 1)
        k = (position - 1) % factors
        changed = np.flatnonzero(x[i] != x[p]).tolist()
        assert changed == columns[list(columns)[k]]
    assert (parents >= 0).sum() == len(x) // size * (size - 2)
    assert (design_parents("lhs", 10, 4, False) == -1).all()
    assert (design_parents("morris", 10, 4, False) == -1).all()


SLOW_ANCHORS = """
import time


class Slow:
    default_anchors = 2

    def __init__(self, targets):
        self.ready = set()

    def set_anchors(self, anchors):
        self.anchors = anchors

    def prepare_anchor(self, anchor):
        if anchor not in self.ready:
            time.sleep(0.6)  # an anchor's own solve, once per process
            self.ready.add(anchor)

    def evaluate(self, params, anchor=None):
        self.prepare_anchor(anchor)  # lazily, as a model without the engine's call would
        time.sleep(0.5)
        return {"y": params["x"], "anchor": float(anchor)}
"""


def test_an_anchors_set_up_is_not_charged_to_the_sample_that_first_needs_it(tmp_path):
    """The engine prepares a sample's anchor under the anchor's own time limit: the first sample
    of each anchor would otherwise pay for it and time out (0.6 + 0.5 s > 1 s) in whichever
    order it happened to come first."""
    from uncertainty.engine.run import run_study

    (tmp_path / "slow.py").write_text(SLOW_ANCHORS)
    study = tmp_path / "study.toml"
    study.write_text(
        '[study]\nname = "slow"\nmodel = "slow:Slow"\nsampler = "mc"\nn = 4\nseed = 3\n'
        'outputs = ["y", "anchor"]\ntimeout = 1.0\n\n'
        '[parameters.x]\ndistribution = "uniform"\nlower = 0\nupper = 1\n'
    )
    out = run_study(study, tmp_path / "o", n_jobs=1, batch_size=4)
    import zarr

    store = zarr.open_group(out / "store.zarr", mode="r")
    assert (store["status"][:] == 1).all(), (out / "failures.jsonl").read_text()
    assert len(set(store["anchor"][:].tolist())) == 2
    assert (store["elapsed"][:] < 0.9).all()  # each sample's own work only


RECORDING_PARENTS = """
import json
import os

LOG = {log!r}
GIVES_START = {gives_start!r}


class Recorder:
    default_anchors = 64

    def __init__(self, targets):
        pass

    def set_anchors(self, anchors):
        self.anchors = anchors

    def _log(self, kind, value):
        with open(LOG, "a") as fh:
            fh.write(json.dumps([kind, value]) + "\\n")

    def prepare_anchor(self, anchor):
        self._log("anchor", anchor)

    def prepare_parent(self, parent):
        if GIVES_START == "raise":
            raise RuntimeError("the parent has no optimum")
        return GIVES_START

    def evaluate(self, params, anchor=None, parent=None):
        self._log("row", [anchor, None if parent is None else parent[1]])
        return {{"y": params["x1"] + params["x2"]}}
"""


@pytest.mark.parametrize("gives_start", [True, False, "raise"])
def test_a_row_with_a_parent_start_does_not_set_up_its_own_anchor(tmp_path, gives_start):
    """A Sobol AB row that starts from its A row's optimum needs the A row's anchor, not its
    own: the engine prepares the row's own anchor (for the China LP a solve and, with the
    latest-peak search, a search of ~20 s per worker) only when the parent gives no start
    (``prepare_parent`` returns False, or raises)."""
    import json

    from uncertainty.engine.run import run_study

    log = tmp_path / "log.jsonl"
    (tmp_path / "recorder.py").write_text(
        RECORDING_PARENTS.format(log=str(log), gives_start=gives_start)
    )
    study = tmp_path / "study.toml"
    study.write_text(
        '[study]\nname = "rec"\nmodel = "recorder:Recorder"\nsampler = "sobol"\nn = 8\n'
        'seed = 3\noutputs = ["y"]\n\n'
        '[parameters.x1]\ndistribution = "uniform"\nlower = 0\nupper = 1\n\n'
        '[parameters.x2]\ndistribution = "uniform"\nlower = 0\nupper = 1\n'
    )
    run_study(study, tmp_path / "o", n_jobs=1, batch_size=8)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    prepared = {v for kind, v in lines if kind == "anchor"}
    rows = [v for kind, v in lines if kind == "row"]
    with_parent = [(own, parent) for own, parent in rows if parent is not None]
    plain = {own for own, parent in rows if parent is None}
    assert len(rows) == 32 and len(with_parent) == 16
    own_only = {own for own, parent in with_parent} - plain
    assert own_only  # some AB row's nearest anchor is used by no A or B row: the test can fail
    if gives_start is True:
        assert prepared == plain  # the A and B rows' anchors, which are their rows' parents'
    else:
        assert prepared == plain | own_only


ALL_ANCHORS = """
import json
import os
import time

LOG = {log!r}


class Plane:
    default_anchors = 3
    prepared_anchors = {prepared!r}

    def __init__(self, targets):
        self.ready = set()

    def set_anchors(self, anchors):
        self.anchors = anchors

    def prepare_anchor(self, anchor):
        if anchor not in self.ready:
            time.sleep(0.4)  # an anchor's own solve and search, once per process
            self.ready.add(anchor)
            with open(LOG, "a") as fh:
                fh.write(json.dumps(["anchor", os.getpid(), anchor]) + "\\n")

    def evaluate(self, params, anchor=None):
        with open(LOG, "a") as fh:
            fh.write(json.dumps(["row", os.getpid(), sorted(self.ready), anchor]) + "\\n")
        return {{"y": params["x"]}}
"""


@pytest.mark.parametrize("prepared", [3, 2, 0])
def test_a_model_that_needs_the_first_anchors_gets_them_each_on_its_own_limit(tmp_path, prepared):
    """A model whose samples' first guess uses the first P anchors whatever their own (the China
    LP with ``latest_peak_guess = "fit"``: the plane through those anchors' latest peaks) says so
    with ``prepared_anchors``: the engine prepares them before a batch's first row, in every
    process, each under its own time limit (3 x 0.4 s > the 1 s limit, no time-out); without
    it only the rows' nearest anchors are prepared."""
    import json

    from uncertainty.engine.run import run_study

    log = tmp_path / "log.jsonl"
    (tmp_path / "plane.py").write_text(ALL_ANCHORS.format(log=str(log), prepared=prepared))
    study = tmp_path / "study.toml"
    study.write_text(
        '[study]\nname = "plane"\nmodel = "plane:Plane"\nsampler = "mc"\nn = 2\nseed = 3\n'
        'outputs = ["y"]\ntimeout = 1.0\n\n'
        '[parameters.x]\ndistribution = "uniform"\nlower = 0\nupper = 1\n'
    )
    out = run_study(study, tmp_path / "o", n_jobs=2, batch_size=1)
    import zarr

    assert (zarr.open_group(out / "store.zarr", mode="r")["status"][:] == 1).all()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    rows = [(pid, ready, anchor) for kind, pid, ready, *anchor in lines if kind == "row"]
    assert len(rows) == 2
    assert all(set(range(prepared)) <= set(ready) for _, ready, _ in rows)
    for pid in {pid for pid, _, _ in rows}:  # the first P and its rows' anchors, no other
        own = {a for p, _, (a,) in rows if p == pid}
        assert all(set(ready) <= set(range(prepared)) | own for p, ready, _ in rows if p == pid)
    if prepared == 3:
        assert all(ready == [0, 1, 2] for _, ready, _ in rows)
    assert all(a != 2 for _, _, (a,) in rows)  # so preparing anchor 2 unasked would show


def test_prepared_anchors_is_a_count_at_most_the_anchors():
    """``prepared_anchors``: absent or 0 is none, more than the study's anchors is all of them,
    anything but a whole number is refused naming the model class."""
    from uncertainty.engine.protocol import prepared_anchors

    class Model:
        pass

    assert prepared_anchors(Model(), 5) == 0
    Model.prepared_anchors = 9
    assert prepared_anchors(Model(), 5) == 5
    for bad in (True, -1, 2.5, "all"):
        Model.prepared_anchors = bad
        with pytest.raises(StudyError, match="Model.prepared_anchors"):
            prepared_anchors(Model(), 5)
    Model.prepared_anchors, Model.prepares_all_anchors = 0, True  # the old flag: not ignored
    with pytest.raises(StudyError, match="prepares_all_anchors is gone"):
        prepared_anchors(Model(), 5)
