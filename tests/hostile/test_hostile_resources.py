"""Hostile sizes, options and environments (issue 16, cases 6-8, 11 and 15): refused at once with
one line, capped with a note, or detected - never a runaway process or a silent mix of code."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import zarr

from uncertainty.cli import main

MODEL = """
import time
from helper import scale

def f(a, b):
    return {"y": scale * (a + b)}

def hang(a, b):
    while True:  # a model stuck in Python code
        time.sleep(0.01)
"""


def _study(folder: Path, n: int = 8, sampler: str = "mc", model: str = "m:f") -> Path:
    (folder / "m.py").write_text(MODEL)
    if not (folder / "helper.py").exists():
        (folder / "helper.py").write_text("scale = 1.0\n")
    path = folder / "study.toml"
    path.write_text(
        f'[study]\nname = "res"\nmodel = "{model}"\nsampler = "{sampler}"\nn = {n}\nseed = 2\n'
        'outputs = ["y"]\n\n[parameters.a]\ndistribution = "uniform"\nlower = 0\nupper = 1\n\n'
        '[parameters.b]\ndistribution = "uniform"\nlower = 0\nupper = 1\n'
    )
    return path


def _one_line(capsys, *fragments: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    return err


@pytest.mark.parametrize(("sampler", "n"), [("mc", 10**9), ("sobol", 2**30)])
def test_an_enormous_design_is_refused_before_it_is_drawn(tmp_path, capsys, sampler, n):
    study = _study(tmp_path, n=n, sampler=sampler)
    started = time.monotonic()
    assert main(["run", str(study), "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert time.monotonic() - started < 30  # estimated, not allocated
    _one_line(capsys, "GiB", "--allow-large")
    assert not (tmp_path / "o").exists()


def test_n_jobs_above_the_cpu_count_is_capped_with_a_note(tmp_path, capsys):
    study = _study(tmp_path)
    out = tmp_path / "o"
    assert main(["run", str(study), "--out", str(out), "--no-progress", "--n-jobs", "5000"]) == 0
    err = capsys.readouterr().err
    assert f"capped at {os.cpu_count()}" in err and "--oversubscribe" in err


def test_resamples_beyond_the_cap_are_refused(tmp_path, capsys):
    study = _study(tmp_path)
    out = tmp_path / "o"
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["analyze", str(out), "--resamples", "100000000"]) == 2
    _one_line(capsys, "--resamples", "100,000")


@pytest.mark.parametrize(
    ("address", "fragment"),
    [("missing-scheduler.json", "no such scheduler file"), ("not an address", "expected")],
)
def test_a_bad_scheduler_is_refused_at_once(tmp_path, capsys, address, fragment):
    study = _study(tmp_path)
    started = time.monotonic()
    args = ["run", str(study), "--out", str(tmp_path / "o"), "--scheduler", address]
    assert main(args) == 2
    assert time.monotonic() - started < 10
    _one_line(capsys, fragment)


def test_an_edited_helper_module_is_a_code_change_on_resume(tmp_path, capsys):
    study = _study(tmp_path, n=16)
    out = tmp_path / "o"
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 0
    status = zarr.open_array(out / "store.zarr" / "status", mode="r+")
    codes = status[:]
    codes[8:] = 0  # half of it still to do
    status[:] = codes
    (tmp_path / "helper.py").write_text("scale = 2.0\n")  # edited between the two sittings
    capsys.readouterr()
    assert main(["run", str(study), "--out", str(out), "--no-progress"]) == 2
    _one_line(capsys, "model_helpers", "--allow-code-change")


@pytest.mark.parametrize("delay", [0.0, 1.5], ids=["starting", "inside-the-model"])
def test_workers_die_with_their_parent(tmp_path, delay):
    """Workers die with the run, whether the parent is killed while they start (no task yet)
    or while they hang inside the model."""
    study = _study(tmp_path, n=4, model="m:hang")
    cmd = [sys.executable, "-m", "uncertainty.cli", "run", str(study), "--out", str(tmp_path / "o")]
    cmd += ["--no-progress", "--n-jobs", "2"]
    parent = subprocess.Popen(cmd, cwd=tmp_path, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while not workers and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = _children(parent.pid)
    assert workers, "no worker process started"
    time.sleep(delay)
    workers = sorted(set(workers) | set(_children(parent.pid)))
    os.kill(parent.pid, signal.SIGKILL)  # only the parent
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = [w for w in workers if _alive(w)]
    names = {w: _cmdline(w)[:120] for w in alive}
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert not alive, f"workers {names} kept running after their parent was killed"


def _cmdline(pid: int) -> bytes:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


ROGUE = """
import signal
import time

def rogue(a, b):
    if a > 0.5:
        while True:  # swallows the time limit's exception (a BaseException) and goes on
            try:
                time.sleep(10)
            except BaseException:
                pass
    return {"y": a + b}

def deaf(a, b):
    if a > 0.5:
        signal.signal(signal.SIGALRM, signal.SIG_IGN)  # ignores the time limit's signal
        while True:
            time.sleep(10)
    return {"y": a + b}
"""


@pytest.mark.parametrize("func", ["rogue", "deaf"])
def test_a_model_that_defeats_the_time_limit_is_stopped_from_outside(tmp_path, capsys, func):
    (tmp_path / "rogue.py").write_text(ROGUE)
    study = tmp_path / "study.toml"
    study.write_text(
        f'[study]\nname = "rogue"\nmodel = "rogue:{func}"\nsampler = "mc"\nn = 4\nseed = 3\n'
        'outputs = ["y"]\ntimeout = 0.3\nbatch_size = 1\n\n'
        '[parameters.a]\ndistribution = "uniform"\nlower = 0\nupper = 1\n\n'
        '[parameters.b]\ndistribution = "uniform"\nlower = 0\nupper = 1\n'
    )
    out = tmp_path / "o"
    assert main(["run", str(study), "--out", str(out), "--no-progress", "--n-jobs", "2"]) == 0
    store = zarr.open_group(out / "store.zarr", mode="r")
    a = store["inputs"][:, 0]
    status = store["status"][:]
    assert (a > 0.5).any() and (a <= 0.5).any()
    assert (status[a > 0.5] == 3).all()  # timeout, not hung, not "crashed"
    assert (status[a <= 0.5] == 1).all()
    assert "did not stop" in (out / "failures.jsonl").read_text()
