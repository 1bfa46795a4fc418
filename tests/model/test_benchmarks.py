"""The benchmark: every figure in its JSON (at a reduced size), the README section generated
from the committed JSON, the 10,000-sample projection, memory per worker, and the shared-starts
comparison on the example data."""

import json

import pytest

from benchmarks.fastpath import run_benchmark
from benchmarks.readme import performance_section

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


def test_resume_starts_benchmark_resumes_both_ways_and_checks_the_stores_agree():
    """benchmarks/resume_starts on the example data: the resumes with kept starts solve no
    anchor, those without solve every anchor the rows start from, all give the first run's
    outputs (checked inside)."""
    from benchmarks import resume_starts

    result = resume_starts.main(3, 1, out=None, data="example", order=("kept", "solved"))
    solved = {r["way"]: r["anchors_solved"] for r in result["resumes"]}
    assert solved["kept"] == 0
    assert solved["solved"] == result["first_run_anchors_solved"] >= 1
