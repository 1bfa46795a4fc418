"""The China LP protocol class through the engine: the same store whatever the workers,
batches or resume, with anchor starts, shared anchor bases and Sobol parent starts."""

import numpy as np
import xarray as xr

from benchmarks.fastpath import study_text
from model.ensemble import ChinaLP
from tests.model.stores import three_stores
from uncertainty.engine.anchors import anchor_points, design_parents, nearest_anchor
from uncertainty.engine.run import run_study
from uncertainty.study.space import load_study


def test_lp_study_same_store_with_one_and_two_workers_and_resumed(tmp_path):
    """Warm starts from the nearest anchor keep results independent of workers, batches and
    resume: bit-identical outputs (issue 17)."""
    study = tmp_path / "study.toml"
    study.write_text(study_text("example", 12, seed=5))
    stores = three_stores(study, tmp_path, 12, 5)
    a = stores[0]
    assert (a.status.values == 1).all()
    loaded = load_study(study)
    unit = anchor_points(loaded, ChinaLP.default_anchors)
    expected = nearest_anchor(loaded.parameters, unit, a.inputs.values)
    np.testing.assert_array_equal(a.anchor.values, expected)  # each sample took its nearest
    assert len(set(expected.tolist())) > 1
    for b in stores[1:]:
        for name in (
            "inputs",
            "status",
            "co2",
            "coal_share",
            "peak_year",
            "cost",
            "iterations",
            "warm",
            "anchor",
        ):
            np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def test_shared_anchor_bases_give_the_store_of_workers_solving_their_own(tmp_path):
    """The anchors' bases solved once per run and handed to the batches (engine/shared.py) give
    the same store, bit for bit, as every worker solving the anchors its rows start from
    itself (the engine before the bases were shared)."""
    (tmp_path / "own.py").write_text(
        "from model.ensemble import ChinaLP\n\n\n"
        "class Own(ChinaLP):\n    shares_anchor_starts = False\n"
    )
    text = study_text("example", 12, seed=5)
    stores = {}
    for name, model in (("shared", "model.ensemble:ChinaLP"), ("own", "own:Own")):
        study = tmp_path / f"{name}.toml"
        study.write_text(text.replace('model = "model.ensemble:ChinaLP"', f'model = "{model}"'))
        out = run_study(study, tmp_path / name, n_jobs=2, batch_size=3)
        stores[name] = xr.open_zarr(out / "store.zarr").load()
    shared, own = stores["shared"], stores["own"]
    assert (shared.status.values == 1).all()
    assert len(set(shared.anchor.values.tolist())) > 1
    for name in ("status", "co2", "coal_share", "peak_year", "cost", "iterations", "anchor"):
        np.testing.assert_array_equal(shared[name].values, own[name].values, err_msg=name)


def test_sobol_rows_start_from_their_parent_whatever_the_batches(tmp_path):
    """AB rows of a Sobol design start from their block's A row's optimum and search their
    latest peak outward from A's (issue 17): the same store bit for bit with one worker and
    whole blocks per batch, two workers and batches that cut blocks (a parent solved in another
    process or batch, search included), and a resume."""
    study = tmp_path / "study.toml"
    text = study_text("example", 2, seed=5, sampler="sobol")
    text = text.replace(
        '"parent_start"]',
        '"parent_start", "latest_peak_year", "latest_peak_solves", "delay_cost",'
        ' "latest_peak_warm_trials"]',
    )
    text = text.replace('sampler = "sobol"', 'sampler = "sobol"\nsecond_order = true')  # BA rows
    study.write_text(text.replace('data = "example"', 'data = "example"\nlatest_peak = true'))
    stores = three_stores(study, tmp_path, 28, 3)  # one batch of both blocks; cut blocks
    a = stores[0]
    assert (a.status.values == 1).all()
    d = len(a.parameter)
    parents = design_parents("sobol", a.sizes["sample"], d, True)
    assert (parents == 2 * d + 1).sum() == d  # the BA rows of the first block, from its B row
    np.testing.assert_array_equal(a.parent_start.values, (parents >= 0).astype(float))
    years, solves = a.latest_peak_year.values, a.latest_peak_solves.values
    kids = np.flatnonzero(parents >= 0)
    same = kids[(years[kids] == years[parents[kids]]) & np.isfinite(years[kids])]
    assert len(same) and (solves[same] == 2).all()  # searched from the parent's answer
    assert (a.latest_peak_warm_trials.values[kids] >= 1).any()  # trials from the parent's bases
    for b in stores[1:]:
        for name in ("inputs", "co2", "coal_share", "peak_year", "cost", "iterations", "anchor",
                     "parent_start", "latest_peak_year", "latest_peak_solves", "delay_cost",
                     "latest_peak_warm_trials"):  # fmt: skip
            np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def test_a_grown_sobol_store_equals_a_fresh_one_with_parent_starts(tmp_path):
    """Growing a Sobol LP study from n = 2 to 4 appends whole blocks whose AB rows start from
    their own A rows: the grown store equals a fresh n = 4 run bit for bit."""
    small, large = tmp_path / "small.toml", tmp_path / "large.toml"
    small.write_text(study_text("example", 2, seed=7, sampler="sobol"))
    large.write_text(study_text("example", 4, seed=7, sampler="sobol"))
    grown = run_study(small, tmp_path / "grown", n_jobs=1, batch_size=4)
    grown = run_study(large, grown, n_jobs=2, batch_size=4)
    fresh = run_study(large, tmp_path / "fresh", n_jobs=1, batch_size=9)
    a = xr.open_zarr(grown / "store.zarr").load()
    b = xr.open_zarr(fresh / "store.zarr").load()
    assert a.sizes["sample"] == 4 * 8 and (a.status.values == 1).all()
    assert a.parent_start.values.sum() == 4 * 6
    for name in ("inputs", "co2", "cost", "iterations", "anchor", "parent_start"):
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
