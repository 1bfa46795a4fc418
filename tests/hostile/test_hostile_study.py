"""Hostile study files (issue 16, cases 1, 12, 14): each is refused when the study loads, with one
line naming the file, the key and the fix - before anything is sampled or written."""

from __future__ import annotations

import pytest

from uncertainty.cli import main

MODEL = "def f(a, b):\n    return {'y': a + b}\n"
HEAD = '[study]\nname = "{name}"\nmodel = "m:f"\nsampler = "mc"\nn = 8\nseed = 1\n'
PARAMS = (
    '\n[parameters.a]\ndistribution = "uniform"\nlower = 0\nupper = 1\n'
    '\n[parameters.b]\ndistribution = "uniform"\nlower = 0\nupper = 1\n'
)


def _study(folder, head_extra="", params=PARAMS, name="hostile", outputs='["y"]', tail=""):
    (folder / "m.py").write_text(MODEL)
    path = folder / "study.toml"
    path.write_text(HEAD.format(name=name) + f"outputs = {outputs}\n" + head_extra + params + tail)
    return path


def _refused(capsys, study, *fragments, out=None):
    out = out or study.parent / "out"
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("netua: error:"), err
    for fragment in (str(study), *fragments):
        assert fragment in err, (fragment, err)
    assert not (out / "store.zarr").exists()


@pytest.mark.parametrize("output", ["sample", "parameter", "status", "elapsed", "inputs"])
def test_outputs_named_like_the_store_are_refused(tmp_path, capsys, output):
    _refused(capsys, _study(tmp_path, outputs=f'["{output}"]'), f"'{output}'", "rename")


def test_an_output_dimension_named_parameter_is_refused(tmp_path, capsys):
    study = _study(tmp_path, tail='\n[output_dims]\ny = ["parameter"]\n')
    _refused(capsys, study, "[output_dims] y", "'parameter'")


@pytest.mark.parametrize("name", ["../../x", "/abs", "", "a b", "x/y"])
def test_a_study_name_that_is_not_a_folder_name_is_refused(tmp_path, capsys, name):
    _refused(capsys, _study(tmp_path, name=name), "[study] name")


def test_a_parameter_named_empty_is_refused(tmp_path, capsys):
    params = PARAMS + '\n[parameters.""]\ndistribution = "uniform"\nlower = 0\nupper = 1\n'
    _refused(capsys, _study(tmp_path, params=params), "parameter name")


def test_an_overflowing_lognormal_is_refused(tmp_path, capsys):
    params = '\n[parameters.a]\ndistribution = "lognormal"\nlog_mean = 1000\nlog_std = 1\n'
    params += '\n[parameters.b]\ndistribution = "uniform"\nlower = 0\nupper = 1\n'
    _refused(capsys, _study(tmp_path, params=params), "[parameters.a]")


def test_nan_weights_are_refused(tmp_path, capsys):
    params = '\n[parameters.a]\ndistribution = "choice"\nchoices = [1, 2]\nweights = [nan, 1]\n'
    params += '\n[parameters.b]\ndistribution = "uniform"\nlower = 0\nupper = 1\n'
    _refused(capsys, _study(tmp_path, params=params), "[parameters.a]", "weights")


@pytest.mark.parametrize("value", ["inf", "0", "-1"])
def test_a_timeout_that_is_not_a_finite_positive_number_is_refused(tmp_path, capsys, value):
    _refused(capsys, _study(tmp_path, head_extra=f"timeout = {value}\n"), "timeout")


def test_a_50_mb_study_file_is_refused(tmp_path, capsys):
    study = _study(tmp_path, tail="\n# " + "x" * 50_000_000 + "\n")
    _refused(capsys, study, "bytes")


def test_a_study_file_that_is_not_utf8_is_refused_by_name(tmp_path, capsys):
    study = _study(tmp_path)
    study.write_bytes(study.read_bytes().replace(b"hostile", b"host\xe9le"))
    _refused(capsys, study, "UTF-8")
