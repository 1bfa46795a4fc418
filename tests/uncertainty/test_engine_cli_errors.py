"""Bad study files: one clear line naming the file and key, exit status 2, no traceback."""

import subprocess
import sys

import pytest

from uncertainty.cli import main

GOOD = """[study]
name = "bad"
model = "bad_model:f"
sampler = "sobol"
n = 8
seed = 1
outputs = ["y"]

[parameters.x1]
distribution = "uniform"
lower = 0.0
upper = 1.0
"""

CASES = {
    "toml syntax": (GOOD.replace('name = "bad"', 'name = "bad'), "TOML syntax error"),
    "unknown parameter key": (GOOD.replace("upper = 1.0", "upper = 1.0\nuper = 2.0"), "uper"),
    "unknown study key": (GOOD.replace("seed = 1", "seed = 1\nsed = 2"), "[study] sed"),
    "unknown distribution": (GOOD.replace('"uniform"', '"unifrom"'), "unifrom"),
    "lower >= upper": (GOOD.replace("upper = 1.0", "upper = 0.0"), "lower = 0.0 must be less"),
    "string for number": (
        GOOD.replace("lower = 0.0", 'lower = "zero"'),
        "lower: expected a number",
    ),
    "string for n": (GOOD.replace("n = 8", 'n = "8"'), "[study] n: expected an integer"),
    "non-positive n": (GOOD.replace("n = 8", "n = 0"), "[study] n = 0"),
    "sobol n not a power of two": (GOOD.replace("n = 8", "n = 100"), "power of two"),
    "unknown sampler": (GOOD.replace('"sobol"', '"saltelli"'), "sampler"),
    "model cannot be imported": (GOOD.replace("bad_model:f", "no_such_module:f"), "[study] model"),
    "missing outputs": (GOOD.replace('outputs = ["y"]\n', ""), "[study] outputs"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_study_gives_one_line_and_exit_2(tmp_path, capsys, case):
    text, expected = CASES[case]
    (tmp_path / "bad_model.py").write_text("def f(x1):\n    return {'y': x1}\n")
    study = tmp_path / "study.toml"
    study.write_text(text)
    assert main(["run", str(study), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert str(study) in err and expected in err
    assert not (tmp_path / "out").exists()


def test_missing_study_file_and_real_exit_status(tmp_path):
    missing = tmp_path / "nope.toml"
    done = subprocess.run(
        [sys.executable, "-m", "uncertainty.cli", "run", str(missing)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert str(missing) in done.stderr and "not found" in done.stderr


def test_status_of_a_run(tmp_path, capsys):
    (tmp_path / "bad_model.py").write_text("def f(x1):\n    return {'y': x1}\n")
    study = tmp_path / "study.toml"
    study.write_text(GOOD)
    assert main(["run", str(study), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["status", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "24 of 24 samples done" in out and "design_fingerprint" in out
    assert main(["status", str(tmp_path / "nothing")]) == 2
