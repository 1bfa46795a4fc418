"""Losing Dask workers loses no sample; a sample that kills every worker it touches is isolated."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr
from test_engine_failures import STUDY as FLAKY_STUDY
from test_engine_failures import expected_status
from test_engine_resume import STUDY, done_count, evaluations, load, netua, setup

from uncertainty.cli import main
from uncertainty.study.sampling import sample_design
from uncertainty.study.space import load_study

distributed = pytest.importorskip("distributed")

#: evaluations are logged after the kill, so a sample that died is not counted
KILL_ONCE_MODEL = """
import os
import time

HERE = os.path.dirname(os.path.abspath(__file__))
KILL_AT = {kill_at!r}

def slow(x1, x2):
    time.sleep({delay})
    if x1 == KILL_AT and not os.path.exists(os.path.join(HERE, "killed")):
        open(os.path.join(HERE, "killed"), "w").close()
        time.sleep(0.5)  # results this worker computed before are collected by now
        os._exit(9)
    with open(os.path.join(HERE, "evaluations.log"), "a") as fh:
        fh.write(f"{{x1!r}} {{x2!r}}\\n")
    return {{"y": x1 * x2, "z": [x1, x2, x1 + x2]}}
"""

#: the engine's flaky model, with a time-out in Python code: a worker thread is interrupted
#: only between bytecodes (time.sleep(30) would run to its end first)
FLAKY_MODEL = """
import os
import time

def flaky(x1, x2):
    if x1 > 0.9:
        raise ValueError("x1 too large")
    if 0.1 < x1 < 0.14:
        os._exit(7)
    if x2 > 0.93:
        for _ in range(500):  # 5 s, far past the time limit
            time.sleep(0.01)
    return {"y": x1 + x2}
"""

DASK = [str(Path(sys.executable).parent / "dask")]


def kill_once_setup(folder: Path, kill_id: int, *, delay: float = 0.0) -> Path:
    """A study of 64 samples whose model kills its worker at sample ``kill_id`` the first time."""
    folder.mkdir(parents=True, exist_ok=True)
    study = folder / "study.toml"
    study.write_text(STUDY.format(n=16, seed=9))
    x1 = float(sample_design(load_study(study)).values[kill_id, 0])
    (folder / "slow_model.py").write_text(KILL_ONCE_MODEL.format(kill_at=x1, delay=delay))
    return study


def test_a_worker_killed_mid_run_loses_no_sample(tmp_path):
    kill_id, batch = 21, 8
    reference = tmp_path / "ref"
    study = kill_once_setup(reference, kill_id)
    (reference / "killed").touch()  # never kills
    assert main(["run", str(study), "--out", str(reference / "out"), "--no-progress"]) == 0
    folder = tmp_path / "dask"
    study = kill_once_setup(folder, kill_id)
    args = ["--backend", "dask", "--n-jobs", "2", "--batch-size", str(batch), "--no-progress"]
    assert main(["run", str(study), "--out", str(folder / "out"), *args]) == 0
    assert (folder / "killed").exists(), "the model must have killed a worker"
    xr.testing.assert_identical(load(folder / "out"), load(reference / "out"))
    inputs = [tuple(row) for row in load(folder / "out")["inputs"].values]
    counts = Counter(evaluations(folder))
    start = kill_id - kill_id % batch  # the batch that died is evaluated again, whole
    twice = set(range(start, kill_id))
    assert [counts[x] for x in inputs] == [2 if i in twice else 1 for i in range(len(inputs))]


def test_a_sample_that_kills_every_worker_is_isolated(tmp_path, capsys):
    (tmp_path / "flaky_model.py").write_text(FLAKY_MODEL)
    study = tmp_path / "study.toml"
    study.write_text(FLAKY_STUDY.format(name="flaky", model="flaky_model:flaky", n=24, seed=22,
                                        outputs='["y"]', extra="timeout = 0.3"))  # fmt: skip
    out = tmp_path / "out"
    args = ["--backend", "dask", "--n-jobs", "2", "--batch-size", "4", "--no-progress"]
    assert main(["run", str(study), "--out", str(out), *args]) == 0
    printed = capsys.readouterr().out
    with xr.open_zarr(out / "store.zarr") as ds:
        x, status, y = ds["inputs"].values, ds["status"].values, ds["y"].values
        elapsed = ds["elapsed"].values
    want = expected_status(x)
    assert sorted(set(want.tolist())) == [1, 2, 3, 4] and np.sum(want == 4) == 1
    np.testing.assert_array_equal(status, want)
    ok = status == 1
    np.testing.assert_allclose(y[ok], x[ok].sum(axis=1))
    assert (elapsed[status == 3] >= 0.3).all() and (elapsed[status == 3] < 5).all()
    records = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    crashed = [r for r in records if r["status"] == 4]
    assert [r["sample_id"] for r in crashed] == np.flatnonzero(status == 4).tolist()
    assert "worker process died" in crashed[0]["message"] and "Dask" in crashed[0]["message"]
    assert "crashed 1" in printed


def test_ctrl_c_on_dask_then_resume_with_loky(tmp_path):
    study = setup(tmp_path, n=64, delay=0.01)
    out = tmp_path / "out"
    args = ("run", str(study), "--out", str(out), "--batch-size", "8", "--n-jobs", "2")
    proc = netua(*args, "--backend", "dask", cwd=tmp_path)
    deadline = time.monotonic() + 60
    while done_count(out) < 16 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the workers get it too
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "run the same command again to resume" in stderr and "Traceback" not in stderr
    before = load(out)
    completed = before["status"].values != 0
    assert 16 <= completed.sum() < len(completed), "the interrupt must land mid-run"
    n_logged = len(evaluations(tmp_path))
    assert main([*args, "--no-progress"]) == 0  # resumed on loky
    assert (load(out)["status"].values == 1).all()
    again = Counter(evaluations(tmp_path)[n_logged:])
    inputs = [tuple(row) for row in before["inputs"].values]
    assert not any(again[inputs[i]] for i in np.flatnonzero(completed))
    assert all(again[inputs[i]] == 1 for i in np.flatnonzero(~completed))


def test_by_hand_cluster_survives_a_worker_killed_from_outside(tmp_path):
    """``dask scheduler`` and ``dask worker`` started by hand; one worker is SIGKILLed mid-run."""
    reference = tmp_path / "ref"
    study = kill_once_setup(reference, 0)
    (reference / "killed").touch()
    assert main(["run", str(study), "--out", str(reference / "out"), "--no-progress"]) == 0
    folder = tmp_path / "cluster"
    study = kill_once_setup(folder, 0, delay=0.03)
    (folder / "killed").touch()  # the model does not kill: the test does
    address_file = tmp_path / "scheduler.json"
    started = [
        _start(DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
               "--scheduler-file", str(address_file)),
        _start(DASK, "worker", "--scheduler-file", str(address_file), "--host", "127.0.0.1",
               "--nthreads", "1", "--nworkers", "2", "--no-dashboard"),
    ]  # fmt: skip
    try:
        address = _wait_for_address(address_file)
        with distributed.Client(address, set_as_default=False, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
            pids = list(client.run(os.getpid).values())
            out = folder / "out"
            proc = netua("run", str(study), "--out", str(out), "--scheduler", address,
                         "--batch-size", "8", "--no-progress", cwd=folder)  # fmt: skip
            completed = _kill_when(out, 16, pids[0], proc)
            _, stderr = proc.communicate(timeout=120)
            assert proc.returncode == 0, stderr
            assert f"dask: connected to {address} (2 worker threads)" in stderr
            assert 16 <= completed.sum() < len(completed), "the kill must land mid-run"
            assert pids[0] not in client.run(os.getpid).values()
    finally:
        for proc in started:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    xr.testing.assert_identical(load(out), load(reference / "out"))
    counts = Counter(evaluations(folder))
    inputs = [tuple(row) for row in load(out)["inputs"].values]
    assert all(counts[inputs[i]] == 1 for i in np.flatnonzero(completed))
    assert all(1 <= counts[inputs[i]] <= 2 for i in np.flatnonzero(~completed))


def _start(*command: list[str] | str) -> subprocess.Popen:
    args = [part for item in command for part in ([item] if isinstance(item, str) else item)]
    return subprocess.Popen(
        args, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _wait_for_address(path: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            return json.loads(path.read_text())["address"]
        except (OSError, ValueError, KeyError):
            time.sleep(0.05)
    raise TimeoutError(f"the scheduler wrote no {path}")


def _kill_when(out: Path, n_done: int, pid: int, proc: subprocess.Popen) -> np.ndarray:
    """SIGKILL ``pid`` once ``n_done`` samples are stored; return which were stored before."""
    deadline = time.monotonic() + 60
    while done_count(out) < n_done and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    completed = zarr.open_array(out / "store.zarr" / "status", mode="r")[:] != 0
    os.kill(pid, signal.SIGKILL)
    return completed


def test_a_scheduler_killed_mid_run_is_one_line_and_resumable(tmp_path):
    """Issue 16, case 11: the scheduler dies mid-run; netua says so in one line (no
    CancelledError traceback), exit 1, and the completed batches resume on loky."""
    folder = tmp_path / "cluster"
    study = kill_once_setup(folder, 0, delay=0.03)
    (folder / "killed").touch()
    address_file = tmp_path / "scheduler.json"
    scheduler = _start(DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                       "--no-dashboard", "--scheduler-file", str(address_file))  # fmt: skip
    worker = _start(DASK, "worker", "--scheduler-file", str(address_file), "--host", "127.0.0.1",
                    "--nthreads", "1", "--nworkers", "2", "--no-dashboard")  # fmt: skip
    try:
        address = _wait_for_address(address_file)
        with distributed.Client(address, set_as_default=False, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        out = folder / "out"
        proc = netua("run", str(study), "--out", str(out), "--scheduler", address,
                     "--batch-size", "8", "--no-progress", cwd=folder)  # fmt: skip
        deadline = time.monotonic() + 60
        while done_count(out) < 16 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        os.killpg(scheduler.pid, signal.SIGKILL)
        _, stderr = proc.communicate(timeout=120)
    finally:
        for started in (worker, scheduler):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(started.pid, signal.SIGKILL)
            started.wait(timeout=30)
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr and "CancelledError" not in stderr.replace("(Cancel", "")
    assert "run again to resume" in stderr or "resume" in stderr
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 0
    assert (load(out)["status"].values == 1).all()
