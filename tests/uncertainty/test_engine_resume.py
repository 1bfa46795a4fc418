"""Kill-and-resume equals an uninterrupted run; resuming a different study or code is refused."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import xarray as xr
import zarr

from uncertainty.cli import main

MODEL = """
import os
import time

LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "evaluations.log")

def slow(x1, x2):
    time.sleep({delay})
    with open(LOG, "a") as fh:
        fh.write(f"{{x1!r}} {{x2!r}}\\n")
    return {{"y": x1 * x2, "z": [x1, x2, x1 + x2]}}
"""

STUDY = """
[study]
name = "resume"
model = "slow_model:slow"
sampler = "sobol"
n = {n}
seed = {seed}
outputs = ["y", "z"]

[parameters.x1]
distribution = "uniform"
lower = 0.0
upper = 1.0

[parameters.x2]
distribution = "normal"
mean = 1.0
std = 0.5
"""


def setup(folder: Path, *, n: int = 64, seed: int = 9, delay: float = 0.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "slow_model.py").write_text(MODEL.format(delay=delay))
    study = folder / "study.toml"
    study.write_text(STUDY.format(n=n, seed=seed))
    return study


def evaluations(folder: Path) -> list[tuple[float, float]]:
    log = folder / "evaluations.log"
    if not log.exists():
        return []
    return [tuple(float(v) for v in line.split()) for line in log.read_text().splitlines()]


def load(out: Path) -> xr.Dataset:
    with xr.open_zarr(out / "store.zarr") as ds:
        return ds[["inputs", "status", "y", "z"]].load().drop_attrs()


def netua(*args: str, cwd: Path) -> subprocess.Popen:
    code = "import sys; from uncertainty.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def done_count(out: Path) -> int:
    try:
        return int(np.sum(zarr.open_array(out / "store.zarr" / "status", mode="r")[:] != 0))
    except Exception:  # not created yet, or a chunk being written
        return 0


def test_sigkill_then_resume_equals_uninterrupted_and_skips_completed(tmp_path):
    reference = tmp_path / "ref"
    study = setup(reference)
    assert main(["run", str(study), "--out", str(reference / "out"), "--no-progress"]) == 0
    killed = tmp_path / "killed"
    study = setup(killed, delay=0.01)
    out = killed / "out"
    args = ("run", str(study), "--out", str(out), "--n-jobs", "2", "--batch-size", "8")
    proc = netua(*args, cwd=killed)
    deadline = time.monotonic() + 60
    while done_count(out) < 40 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = load(out)
    completed = before["status"].values != 0
    n_total = before.sizes["sample"]
    assert 40 <= completed.sum() < n_total, "the kill must land mid-run"
    n_logged = len(evaluations(killed))
    proc = netua(*args, cwd=killed)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "resuming" in stderr and f"{completed.sum()} of {n_total} samples already done" in stderr
    again = Counter(evaluations(killed)[n_logged:])
    inputs = [tuple(row) for row in before["inputs"].values]
    assert not any(again[inputs[i]] for i in np.flatnonzero(completed))
    assert all(again[inputs[i]] == 1 for i in np.flatnonzero(~completed))
    xr.testing.assert_identical(load(out), load(reference / "out"))
    ref_failures = (reference / "out" / "failures.jsonl").read_text()
    assert (out / "failures.jsonl").read_text() == ref_failures
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["resumed"]) == 1


def test_rerun_of_a_finished_study_evaluates_nothing(tmp_path, capsys):
    study = setup(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 0
    n = len(evaluations(tmp_path))
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 0
    assert len(evaluations(tmp_path)) == n
    assert "(0 evaluated now)" in capsys.readouterr().out


def test_torn_batch_is_evaluated_again(tmp_path):
    study = setup(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(study), "--out", str(out), "--batch-size", "16", "--no-progress"]) == 0
    full = load(out)
    status = zarr.open_array(out / "store.zarr" / "status", mode="r+")
    status[16:32] = 0  # as if killed while writing this batch
    n = len(evaluations(tmp_path))
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 0
    assert len(evaluations(tmp_path)) == n + 16
    xr.testing.assert_identical(load(out), full)


def test_resume_with_a_different_study_is_refused_and_fresh_starts_over(tmp_path, capsys):
    study = setup(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 0
    study.write_text(STUDY.format(n=64, seed=10))
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "cannot resume" in err and "'seed': 9 -> 10" in err and err.count("\n") == 1
    assert main(["run", str(study), "--out", str(out), "--fresh", "--no-progress"]) == 0
    assert "--fresh: removed the existing store" in capsys.readouterr().err
    assert json.loads((out / "manifest.json").read_text())["seed"] == 10


def test_code_change_is_refused_unless_allowed_and_then_recorded(tmp_path, capsys):
    study = setup(tmp_path, n=8)
    out = tmp_path / "out"
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 0
    with open(tmp_path / "slow_model.py", "a") as fh:
        fh.write("# a changed model file\n")
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 2
    assert "model_source_hash" in capsys.readouterr().err
    args = ["run", str(study), "--out", str(out), "--allow-code-change", "--no-progress"]
    assert main(args) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert "model_source_hash" in manifest["code_changes"][0]["changes"][0]


def test_ctrl_c_keeps_completed_batches(tmp_path):
    n_jobs = 2
    study = setup(tmp_path, n=64, delay=0.01)
    out = tmp_path / "out"
    args = ("run", str(study), "--out", str(out), "--n-jobs", str(n_jobs), "--batch-size", "8")
    proc = netua(*args, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while done_count(out) < 16 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "run the same command again to resume" in stderr
    assert "Traceback" not in stderr
    done = done_count(out)
    assert done >= 16
    proc = netua(*args, cwd=tmp_path)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert (load(out)["status"].values == 1).all()
