"""The China LP protocol class through the engine, and the benchmark at a reduced size."""

import json

import numpy as np
import pytest
import xarray as xr
import zarr

from benchmarks.fastpath import run_benchmark, study_text
from benchmarks.readme import performance_section
from model.ensemble import ChinaLP
from uncertainty.engine.anchors import anchor_points, design_parents, nearest_anchor
from uncertainty.engine.hubs import hub_design
from uncertainty.engine.protocol import model_spec
from uncertainty.engine.run import run_study
from uncertainty.study.sampling import sample_design
from uncertainty.study.space import load_study

KEYS = (
    "naive_median_s",
    "fast_median_s",
    "floor_median_s",
    "cold_median_s",
    "ratio_naive_over_fast",
    "ratio_fast_over_floor",
    "warm_iterations_median",
    "cold_iterations_median",
    "worker_peak_memory_mb",
    "samples_per_second_1_workers",
    "samples_per_second_2_workers",
    "speedup_2_vs_1_workers",
    "store_bytes_per_sample",
    "lp_size",
    "build_seconds",
    "warm_share",
    "rebuilt_share",
    "reference_start_iterations_median",
    "iterations_anchor_over_reference",
    "multi_solve_multiple",
    "solver_options",
    "scale_10000",
    "engine_elapsed_mean_2_workers_s",
    "hub_fast_median_s",
    "iterations_hubs_over_reference",
    "ratio_naive_over_fast_hubs",
    "multi_solve_hubs_multiple",
)


def _three_stores(study, tmp_path, whole: int, reset_from: int, blank=()) -> list:
    """The study's store run three ways: one worker in batches of ``whole``, two workers in
    batches of 3, and two workers in batches of 5 killed after row ``reset_from`` (those rows
    pending again, their outputs ``blank`` set to NaN) and resumed by one worker in batches of 5."""
    stores = []
    for n_jobs, batch in ((1, whole), (2, 3)):
        out = run_study(study, tmp_path / f"run{n_jobs}", n_jobs=n_jobs, batch_size=batch)
        stores.append(xr.open_zarr(out / "store.zarr").load())
    out = run_study(study, tmp_path / "resumed", n_jobs=2, batch_size=5)
    status = zarr.open_array(out / "store.zarr" / "status", mode="r+")
    codes = status[:]
    codes[reset_from:] = 0  # pending again: the resume evaluates them afresh
    status[:] = codes
    for name in blank:
        zarr.open_array(out / "store.zarr" / name, mode="r+")[reset_from:] = np.nan
    out = run_study(study, out, n_jobs=1, batch_size=5)
    stores.append(xr.open_zarr(out / "store.zarr").load())
    return stores


def test_lp_study_same_store_with_one_and_two_workers_and_resumed(tmp_path):
    """Warm starts from the nearest anchor keep results independent of workers, batches and
    resume: bit-identical outputs (issue 17)."""
    study = tmp_path / "study.toml"
    study.write_text(study_text("example", 12, seed=5))
    stores = _three_stores(study, tmp_path, 12, 5)
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
    stores = _three_stores(study, tmp_path, 28, 3)  # one batch of both blocks; cut blocks
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


@pytest.mark.slow  # the benchmark at a reduced size; `netua bench` itself runs it in full
def test_benchmark_json_holds_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    run_benchmark("example", n_samples=6, n_naive=2, n_engine=8, n_multi=2, n_options=2, out=out)
    result = json.loads(out.read_text())
    for key in KEYS:
        assert key in result, key
    assert result["rebuilt_share"] == 0.0
    assert result["hub_parent_share"] > 0.5  # a 10,000-row design: most rows start from a hub
    assert "grouped behind hubs" in performance_section(result)
    assert "LHS study of 10,000 rows grouped behind hubs" in performance_section(result)


def test_worker_memory_is_measured_in_a_fresh_process():
    """The bench's memory per worker is the peak of a process that only builds the LP and
    solves samples (joblib with n_jobs=1 ran it in the bench's own process, whose peak held
    everything the bench had built before)."""
    import os

    from benchmarks.fastpath import draw_samples, worker_memory

    pid, megabytes = worker_memory("example", draw_samples("example", 1, 1))
    assert pid != os.getpid()
    assert 20 < megabytes < 2000


def test_readme_performance_section_is_the_committed_benchmark():
    """README's performance section is generated from results/benchmarks/fastpath.json."""
    from benchmarks.readme import ROOT, performance_section

    result = json.loads((ROOT / "results" / "benchmarks" / "fastpath.json").read_text())
    assert performance_section(result) in (ROOT / "README.md").read_text()


def test_scale_estimate_reproduces_the_measured_run_and_grows_with_the_samples():
    """The 10,000-sample projection: at the engine run's own size and 2 workers it gives that
    run's wall time back; beyond, set-up once per worker plus the mean sample time per sample."""
    from benchmarks.engine import scale_estimate

    result = {
        "engine_samples": 32,
        "samples_per_second_2_workers": 32 / 100.0,  # a 100 s run
        "engine_elapsed_mean_2_workers_s": 2.5,  # 16 samples per worker: 40 s of samples
        "fast_median_s": 1.8,
        "sobol_fast_median_s": 1.1,
    }
    at_size = scale_estimate(result, n=32)
    assert at_size["setup_seconds_per_worker"] == pytest.approx(60.0)
    assert at_size["hours"]["loky_2_workers"] * 3600 == pytest.approx(100.0)
    big = scale_estimate(result, n=10_000)
    assert big["hours"]["loky_2_workers"] * 3600 == pytest.approx(60.0 + 10_000 * 2.5 / 2)
    assert big["hours"]["loky_64_workers"] * 3600 == pytest.approx(60.0 + 10_000 * 2.5 / 64)
    assert big["hours_sobol"]["loky_2_workers"] * 3600 == pytest.approx(60.0 + 10_000 * 1.8 / 2)


def test_scale_estimate_spreads_the_shared_anchor_solves_over_the_workers():
    """With the anchors solved once per run and shared (engine_anchors_used recorded), the
    measured 2-worker set-up splits into a part per worker and ceil(anchors used / W) anchor
    solves per worker, the anchors used by n rows expected as A (1 - (1 - 1/A)^n); the
    latest-peak search then adds each anchor's search without its basis solve."""
    from benchmarks.engine import expected_anchors, scale_estimate

    assert expected_anchors(128, 32) == 29  # 28.4
    assert expected_anchors(128, 10_000) == 128 and expected_anchors(128, 1) == 1
    assert expected_anchors(0, 100) == 0
    result = {
        "engine_samples": 32,
        "samples_per_second_2_workers": 32 / 100.0,  # 100 s: 60 s set-up per worker
        "engine_elapsed_mean_2_workers_s": 2.5,
        "fast_median_s": 1.8,
        "anchors": 128,
        "anchors_used": 20,
        "anchor_setup_seconds": 60.0,  # 3 s per anchor solve
        "engine_anchors_used": 10,  # 5 per worker: 15 s of the 60 s
    }
    at_size = scale_estimate(result, n=32)
    assert at_size["setup_seconds_per_worker_by_workers"]["2"] == pytest.approx(45.0 + 15 * 3.0)
    big = scale_estimate(result, n=10_000)
    by = big["setup_seconds_per_worker_by_workers"]
    assert by["2"] == pytest.approx(45.0 + 64 * 3.0)  # all 128 anchors at scale
    assert by["16"] == pytest.approx(45.0 + 8 * 3.0) and by["64"] == pytest.approx(51.0)
    assert big["hours"]["loky_2_workers"] * 3600 == pytest.approx(237.0 + 10_000 * 2.5 / 2)
    assert big["hours"]["loky_64_workers"] * 3600 == pytest.approx(51.0 + 10_000 * 2.5 / 64)
    result.update(
        multi_solve_search_median_s=10.0,
        multi_solve_anchor_setup_s=50.0,  # two anchors: 25 s each, 3 s of it the basis solve
        multi_solve_samples=3,
        multi_solve_anchors=2,
    )
    peak = scale_estimate(result, n=10_000)["latest_peak"]
    assert peak["seconds_per_anchor_search"] == pytest.approx(22.0)
    assert peak["hours"]["anchor_starts"]["loky_64_workers"] * 3600 == pytest.approx(
        51.0 + 2 * 22.0 + 10_000 * 12.5 / 64
    )


def test_scale_estimate_with_the_latest_peak_search_adds_each_rows_search_and_the_anchors():
    """With the latest-peak search each row adds the search measured on rows of its kind (a
    Sobol AB row, their share, its cheaper search from A's answer) and the run searches each
    anchor once, the anchors spread over the workers (ceil(32 / W) searches each)."""
    from benchmarks.engine import scale_estimate

    result = {
        "engine_samples": 32,
        "samples_per_second_2_workers": 32 / 100.0,  # set-up 60 s per worker, 2.5 s per sample
        "engine_elapsed_mean_2_workers_s": 2.5,
        "fast_median_s": 1.8,
        "sobol_fast_median_s": 1.1,  # a Sobol row solves in 1.8 s
        "anchors": 32,
        "multi_solve_search_median_s": 10.0,  # from the anchor's answer
        "multi_solve_anchor_setup_s": 60.0,  # two anchors: 30 s each
        "multi_solve_samples": 3,
        "multi_solve_anchors": 2,
        "multi_solve_sobol_search_median_s": 4.0,
        "sobol_parent_share": 0.75,
    }
    peak = scale_estimate(result, n=10_000)["latest_peak"]
    assert peak["seconds_per_anchor_search"] == pytest.approx(30.0)
    assert peak["seconds_per_row"]["anchor_starts"] == pytest.approx(12.5)
    assert peak["seconds_per_row"]["sobol"] == pytest.approx(1.8 + 0.75 * 4.0 + 0.25 * 10.0)
    assert "lhs_hubs" not in peak["seconds_per_row"]  # not measured
    hours = peak["hours"]
    assert hours["anchor_starts"]["loky_2_workers"] * 3600 == pytest.approx(
        60.0 + 16 * 30.0 + 10_000 * 12.5 / 2
    )
    assert hours["sobol"]["loky_64_workers"] * 3600 == pytest.approx(
        60.0 + 1 * 30.0 + 10_000 * 7.3 / 64
    )
    # rows behind hubs (their share) search from the hub's answer; without a count of the
    # searched rows' anchors, each row had its own
    result.update(
        hub_parent_share=0.8,
        hub_children_time_hub_over_anchor=0.5,  # a hub's row solves in 2.5 - 1.8 * 0.8 * 0.5 s
        multi_solve_hubs_search_median_s=5.0,
    )
    del result["multi_solve_anchors"]
    peak = scale_estimate(result, n=10_000)["latest_peak"]
    assert peak["seconds_per_anchor_search"] == pytest.approx(20.0)
    hubs = 2.5 - 1.8 * 0.8 * 0.5 + 0.8 * 5.0 + 0.2 * 10.0
    assert peak["seconds_per_row"]["lhs_hubs"] == pytest.approx(hubs)
    assert peak["hours"]["lhs_hubs"]["loky_16_workers"] * 3600 == pytest.approx(
        60.0 + 2 * 20.0 + 10_000 * hubs / 16
    )
    del result["multi_solve_search_median_s"]  # no search measured: no projection
    assert "latest_peak" not in scale_estimate(result)


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
    stores = _three_stores(study, tmp_path, 24, 4, blank)  # a skipped resume would leave NaN
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
    stores = _three_stores(study, tmp_path, 16, 4, ("latest_peak_year", "latest_peak_solves"))
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


def test_shared_starts_benchmark_runs_both_ways_and_checks_the_stores_agree():
    """benchmarks/shared_starts (and shared_anchors' side_by_side it uses) on the example data:
    both runs evaluate every row, the per-worker run really solves its own anchors (the
    PerWorker model shares none) and the stores agree on the compared outputs."""
    from benchmarks import shared_starts

    assert shared_starts.PerWorker.shares_anchor_starts is False
    result = shared_starts.main(6, 2, 4, out=None, data="example")
    assert [run["ok"] for run in result["runs"].values()] == [6, 6]
    assert result["same_outputs"] == list(shared_starts.OUTPUTS)
    assert result["anchors"] == 4 and result["runs"]["shared"]["anchors_used"] >= 1
