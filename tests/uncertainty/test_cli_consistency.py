"""One command line: the same options have the same defaults in every verb, the results folder
is the positional DIR of every verb that reads one, and every verb exits by one table."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from uncertainty.cli import EXIT_CODES, build_parser, main

REPO = Path(__file__).resolve().parents[2]
RUN_OPTIONS = ("out", "n_jobs", "batch_size", "fresh", "allow_code_change", "no_progress")
RUN_OPTIONS += ("backend", "scheduler")
ANALYSIS_OPTIONS = ("policy", "seed", "resamples", "conf_level")

MODEL = """
def f(a, b):
    if a > 0.9:
        raise ValueError("a too large")
    return {"y": a + 2 * b}
"""


def _parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_run_and_study_share_every_run_option_and_its_default():
    run, study = _parse("run", "s.toml"), _parse("study", "s.toml")
    for name in RUN_OPTIONS:
        assert getattr(run, name) == getattr(study, name), name


def test_analyze_figures_and_study_share_the_analysis_defaults():
    analyze, study = _parse("analyze", "d"), _parse("study", "s.toml")
    figures = _parse("figures", "d")
    for name in ANALYSIS_OPTIONS:
        assert getattr(analyze, name) == getattr(study, name), name
    assert analyze.policy is figures.policy is study.policy is None  # the study's, else refuse


@pytest.mark.parametrize("verb", ["status", "analyze", "figures"])
def test_the_results_folder_is_the_positional_dir(verb, tmp_path, capsys):
    assert _parse(verb, str(tmp_path)).directory == tmp_path
    assert main([verb, str(tmp_path / "nothing")]) == 2  # no store: bad input
    err = capsys.readouterr().err
    assert err.startswith("netua: error:") and err.count("\n") == 1


def test_exit_codes_are_documented():
    text = (build_parser().epilog or "") + (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for code in EXIT_CODES:
        assert f"| {code} |" in text or f"{code} " in text


def _study(folder, extra: str = "", seed: int = 1):
    (folder / "m.py").write_text(MODEL)
    study = folder / "study.toml"
    study.write_text(
        f'[study]\nname = "cli"\nmodel = "m:f"\nsampler = "sobol"\nn = 16\nseed = {seed}\n'
        'outputs = ["y"]\n\n[parameters.a]\ndistribution = "uniform"\nlower = 0\nupper = 1\n\n'
        '[parameters.b]\ndistribution = "uniform"\nlower = 0\nupper = 1\n' + extra
    )
    return study


def test_the_study_policy_is_the_default_of_every_verb(tmp_path, capsys):
    study = _study(tmp_path, '\n[analysis]\npolicy = "drop-blocks"\n')
    out = tmp_path / "out"
    assert main(["study", str(study), "--out", str(out), "--no-progress", "--n-jobs", "1"]) == 0
    assert "headline" in capsys.readouterr().out
    assert main(["analyze", str(out), "--resamples", "20"]) == 0  # drop-blocks from the study
    assert main(["analyze", str(out), "--policy", "refuse"]) == 2  # the command line wins
    assert "failed sample(s)" in capsys.readouterr().err


def test_without_a_declared_policy_failures_are_refused(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["study", str(_study(tmp_path)), "--out", str(out), "--no-progress"])
    assert code == 2 and "--policy drop-blocks" in capsys.readouterr().err
    assert (out / "store.zarr").is_dir()  # the run is kept; only the analysis was refused


def test_a_refused_resume_exits_2_in_run_and_study(tmp_path, capsys):
    study = _study(tmp_path, '\n[analysis]\npolicy = "drop-blocks"\n')
    out = tmp_path / "out"
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 0
    _study(tmp_path, '\n[analysis]\npolicy = "drop-blocks"\n', seed=2)
    capsys.readouterr()
    for verb in ("run", "study"):
        assert main([verb, str(study), "--out", str(out), "--no-progress"]) == 2
        assert "cannot resume" in capsys.readouterr().err


def test_a_model_that_cannot_be_set_up_exits_1(tmp_path, capsys):
    (tmp_path / "bad.py").write_text("class M:\n    def __init__(self, targets):\n        1 / 0\n")
    study = _study(tmp_path)
    study.write_text(study.read_text().replace('model = "m:f"', 'model = "bad:M"'))
    assert main(["study", str(study), "--out", str(tmp_path / "o"), "--no-progress"]) == 1
    assert "ZeroDivisionError" in capsys.readouterr().err


def test_study_accepts_every_run_option(tmp_path):
    args = _parse("study", "s.toml", "--allow-code-change", "--batch-size", "8", "--seed", "3")
    assert args.allow_code_change and args.batch_size == 8 and args.seed == 3
