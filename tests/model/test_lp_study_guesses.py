"""The China LP through the engine with the latest-peak search's guesses: LHS rows behind hubs,
and the plane through the first anchors' answers (``latest_peak_guess = "fit"``); the same
store whatever the workers, batches or resume."""

import json

import numpy as np
import xarray as xr

from benchmarks.fastpath import study_text
from model.ensemble import ChinaLP
from tests.model.stores import three_stores
from uncertainty.engine.anchors import anchor_points
from uncertainty.engine.hubs import hub_design
from uncertainty.engine.protocol import model_spec
from uncertainty.engine.run import run_study
from uncertainty.study.sampling import sample_design
from uncertainty.study.space import load_study


def test_lhs_rows_start_from_their_hub_whatever_the_batches(tmp_path):
    """An LHS design of the LP is stored grouped behind hubs (uncertainty/engine/hubs.py): a row
    nearer its hub than its anchor starts from the hub's optimum and searches its latest peak
    from the hub's answer (but not from the hub's trial bases: not a one-factor move); the same
    store bit for bit with one worker and one batch, two workers and batches cutting the groups,
    and a resume (issue 17)."""
    study = tmp_path / "study.toml"
    text = study_text("example", 24, seed=5).replace(
        '"parent_start"]',
        '"parent_start", "latest_peak_year", "latest_peak_solves", "delay_cost",'
        ' "latest_peak_warm_trials"]',
    )
    text = text.replace('data = "example"', 'data = "example"\nlatest_peak = true\nanchors = 2')
    study.write_text(text)
    blank = ("co2", "cost", "iterations", "parent_start", "latest_peak_year")
    stores = three_stores(study, tmp_path, 24, 4, blank)  # a skipped resume would leave NaN
    a = stores[0]
    assert (a.status.values == 1).all()
    loaded = load_study(study)
    order, parents = hub_design(
        loaded.parameters, sample_design(loaded).values, anchor_points(loaded, 2)
    )
    np.testing.assert_array_equal(a.inputs.values, sample_design(loaded).values[order])
    kids = np.flatnonzero(parents >= 0)
    assert len(kids) >= 8
    np.testing.assert_array_equal(a.parent_start.values, (parents >= 0).astype(float))
    years, solves = a.latest_peak_year.values, a.latest_peak_solves.values
    same = kids[(years[kids] == years[parents[kids]]) & np.isfinite(years[kids])]
    assert len(same) and (solves[same] == 2).all()  # searched from the hub's answer
    assert (a.latest_peak_warm_trials.values[kids] == 0).all()  # not from its trial bases
    for b in stores[1:]:
        for name in ("inputs", "status", "co2", "coal_share", "peak_year", "cost", "iterations",
                     "anchor", "parent_start", "latest_peak_year", "latest_peak_solves",
                     "delay_cost", "latest_peak_warm_trials"):  # fmt: skip
            np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def test_lhs_rows_behind_a_hub_sharing_a_numeric_choice_do_not_take_its_trial_bases(tmp_path):
    """A hub's rows share its choices, numeric ones too (a discount rate of 4 or 8 %): the engine
    names the study's choices to the model (``set_parameters``), so such a row is still no
    one-factor move and its trials do not start from the hub's (x1.0-1.6 the interior point's
    time on the China LP), as in the study without the choice."""
    study = tmp_path / "study.toml"
    text = study_text("example", 16, seed=5).replace(
        '"parent_start"]', '"parent_start", "latest_peak_year", "latest_peak_warm_trials"]'
    )
    uniform = 'distribution = "uniform"\nlower = 0.03\nupper = 0.1\ntarget = "discount_rate"'
    assert uniform in text
    text = text.replace(uniform, 'distribution = "choice"\nchoices = [0.04, 0.08]\n'
                        'target = "discount_rate"')  # fmt: skip
    study.write_text(
        text.replace('data = "example"', 'data = "example"\nlatest_peak = true\nanchors = 2')
    )
    store = xr.open_zarr(run_study(study, tmp_path / "run", n_jobs=1) / "store.zarr").load()
    assert (store.status.values == 1).all()
    kids = np.flatnonzero(store.parent_start.values == 1)
    assert len(kids) >= 4
    assert np.isfinite(store.latest_peak_year.values[kids]).any()  # the kids searched
    assert (store.latest_peak_warm_trials.values[kids] == 0).all()


def test_a_fit_study_records_every_anchors_answer_also_in_a_reused_worker(tmp_path):
    """With ``latest_peak_guess = "fit"`` the engine computes and records the latest peak of
    every anchor of the plane (all 4 here: 8 per coefficient), though the two rows start from
    fewer anchors - in a second run too, whose worker process (loky keeps it) already holds the
    first run's shared answers."""
    study = tmp_path / "study.toml"
    text = study_text("example", 2, seed=5).replace(
        '"parent_start"]', '"parent_start", "latest_peak_year"]'
    )
    study.write_text(
        text.replace(
            'data = "example"',
            'data = "example"\nlatest_peak = true\nanchors = 4\nlatest_peak_guess = "fit"',
        )
    )
    for name in ("first", "second"):
        out = run_study(study, tmp_path / name, n_jobs=1, batch_size=2)
        shared = json.loads((out / "manifest.json").read_text())["anchor_results"]
        assert sorted(shared) == ["0", "1", "2", "3"], name
        store = xr.open_zarr(out / "store.zarr").load()
        assert (store.status.values == 1).all()
        assert len(set(store.anchor.values.tolist())) < 4  # the rows alone would ask for fewer


def test_lhs_rows_guessing_from_the_anchors_plane_whatever_the_batches(tmp_path):
    """``latest_peak_guess = "fit"``: every LHS row's search starts from the plane through the
    anchors' answers (each anchor searched once per run and shared with every worker, recorded
    in the manifest: the anchors' own latest peaks): the same store bit for bit with one worker,
    two workers and batches cutting the hub groups, and a resume; the same latest peaks as the
    default guess (only the trials differ)."""
    study = tmp_path / "study.toml"
    text = study_text("example", 16, seed=5).replace(
        '"parent_start"]', '"parent_start", "latest_peak_year", "latest_peak_solves", "delay_cost"]'
    )
    # a sink this large lets CO2 rise for good (+inf) in part of the space, 2039 elsewhere
    text = text.replace("lower = 0.0\nupper = 0.2\n", "lower = 0.0\nupper = 1.0\n", 1)
    nearest = text.replace('data = "example"', 'data = "example"\nlatest_peak = true\nanchors = 4')
    fit = nearest.replace("anchors = 4", 'anchors = 4\nlatest_peak_guess = "fit"')
    study.write_text(fit)
    stores = three_stores(study, tmp_path, 16, 4, ("latest_peak_year", "latest_peak_solves"))
    a = stores[0]
    assert (a.status.values == 1).all()
    shared = [
        json.loads((tmp_path / run / "manifest.json").read_text())["anchor_results"]
        for run in ("run1", "run2", "resumed")
    ]
    assert shared[0] == shared[1] == shared[2] and sorted(shared[0]) == ["0", "1", "2", "3"]
    spec = model_spec(load_study(study))
    model = ChinaLP({p.name: p.target for p in spec.parameters}, **spec.model_options)
    model.set_anchors(list(spec.anchors))
    own = [model.anchor_result(k) for k in range(4)]
    assert own == [float(shared[0][str(k)]) for k in range(4)]
    assert len(set(own)) > 1  # the plane is not flat: the guesses differ
    for b in stores[1:]:
        for name in ("inputs", "status", "cost", "iterations", "anchor", "parent_start",
                     "latest_peak_year", "latest_peak_solves", "delay_cost"):  # fmt: skip
            np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    study.write_text(nearest)
    out = run_study(study, tmp_path / "nearest", n_jobs=1, batch_size=16)
    c = xr.open_zarr(out / "store.zarr").load()
    assert len(set(a.latest_peak_year.values.tolist())) > 1
    np.testing.assert_array_equal(a.latest_peak_year.values, c.latest_peak_year.values)
    np.testing.assert_allclose(a.delay_cost.values, c.delay_cost.values, rtol=1e-6)
    assert (a.latest_peak_solves.values != c.latest_peak_solves.values).any()  # other guesses
