"""``netua study``: run, analyse and draw in one command, then the headline probabilities."""

import shutil
from pathlib import Path

from uncertainty.cli import main

ISHIGAMI = Path(__file__).resolve().parents[2] / "studies" / "ishigami"


def test_study_runs_analyses_and_draws(tmp_path, capsys):
    shutil.copy(ISHIGAMI / "ishigami_model.py", tmp_path)
    text = (ISHIGAMI / "study.toml").read_text().replace("n = 1024", "n = 32")
    text += '\n[analysis]\nprobabilities = [{output = "y", op = ">", value = 0}]\n'
    study = tmp_path / "study.toml"
    study.write_text(text)
    out = tmp_path / "run"
    assert main(["study", str(study), "--out", str(out), "--n-jobs", "2", "--no-progress"]) == 0
    for name in ("store.zarr", "sobol.csv", "summary.csv", "probabilities.csv"):
        assert (out / name).exists(), name
    assert any((out / "figures").glob("sobol_y.png"))
    printed = capsys.readouterr().out
    assert "P(y > 0) = " in printed and "95 % interval" in printed
