"""Hostile folders and damaged stores (issue 16, cases 2-5 and 16): a clear one-line error or
recorded data, never a traceback, and nothing netua did not write is deleted."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import zarr

from uncertainty.cli import main
from uncertainty.store import guard

MODEL = """
import os, time

def f(a, b):
    if os.environ.get("NETUA_TEST_SLOW"):
        time.sleep(float(os.environ["NETUA_TEST_SLOW"]))
    if a > 0.8:
        raise ValueError("too large: " + "x" * int(os.environ.get("NETUA_TEST_PAD", "0")))
    return {"y": a + 2 * b}
"""


def _study(folder: Path, n: int = 32, sampler: str = "sobol", batch: int = 4) -> Path:
    (folder / "m.py").write_text(MODEL)
    path = folder / "study.toml"
    path.write_text(
        f'[study]\nname = "hostile"\nmodel = "m:f"\nsampler = "{sampler}"\nn = {n}\nseed = 2\n'
        f'outputs = ["y"]\nbatch_size = {batch}\n\n[analysis]\npolicy = "drop-blocks"\n\n'
        '[parameters.a]\ndistribution = "uniform"\nlower = 0\nupper = 1\n\n'
        '[parameters.b]\ndistribution = "uniform"\nlower = 0\nupper = 1\n'
    )
    return path


def _one_line(capsys, *fragments: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("netua:") and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    return err


def _run(study: Path, out: Path, *extra: str) -> int:
    return main(["run", str(study), "--out", str(out), "--no-progress", "--n-jobs", "1", *extra])


@pytest.fixture
def done(tmp_path):
    """A finished run: study file and results folder."""
    study = _study(tmp_path)
    out = tmp_path / "out"
    assert _run(study, out) == 0
    return study, out


# -- case 2: one run per folder ----------------------------------------------------------------


def test_a_second_run_on_the_same_folder_is_refused_at_once(tmp_path):
    study = _study(tmp_path, n=16, batch=2)
    out = tmp_path / "out"
    env = {**os.environ, "NETUA_TEST_SLOW": "0.05"}
    cmd = [sys.executable, "-m", "uncertainty.cli", "run", str(study), "--out", str(out)]
    cmd += ["--no-progress", "--n-jobs", "1"]
    first = subprocess.Popen(cmd, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / guard.LOCK).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    second = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert time.monotonic() - started < 20  # refused at once, not after evaluating
    assert second.returncode == 2, second.stderr
    assert f"pid {first.pid}" in second.stderr and "another netua run" in second.stderr
    assert first.wait(timeout=120) == 0, first.stderr.read()
    assert not (out / guard.LOCK).exists()
    status = zarr.open_array(out / "store.zarr" / "status", mode="r")[:]
    assert (status != 0).all()


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    study, out = _study(tmp_path), tmp_path / "out"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    lock = {"pid": int(dead), "host": socket.gethostname(), "started": "earlier"}
    (out / guard.LOCK).write_text(json.dumps(lock))
    assert _run(study, out) == 0
    assert not (out / guard.LOCK).exists()


def test_a_live_lock_names_its_run(tmp_path, capsys):
    study, out = _study(tmp_path), tmp_path / "out"
    out.mkdir()
    (out / guard.LOCK).write_text(json.dumps({"pid": os.getppid(), "host": socket.gethostname()}))
    assert _run(study, out) == 2
    _one_line(capsys, f"pid {os.getppid()}", str(out / guard.LOCK))


# -- case 3: a torn failures.jsonl ---------------------------------------------------------------


def test_a_torn_last_failure_line_is_skipped_and_repaired(done, capsys):
    study, out = done
    path = out / "failures.jsonl"
    whole = path.read_text()
    path.write_text(whole + '{"sample_id": 3, "status": 2, "mess')  # killed mid-append
    assert main(["status", str(out)]) == 0
    assert main(["analyze", str(out), "--resamples", "20"]) == 0
    status = zarr.open_array(out / "store.zarr" / "status", mode="r+")
    codes = status[:]
    codes[:4] = 0  # a pending batch, as after a kill
    status[:] = codes
    assert _run(study, out) == 0
    lines = path.read_text().splitlines()
    assert all(json.loads(line) for line in lines) and path.read_text().endswith("\n")


def test_a_garbled_line_inside_the_failure_log_is_named(done, capsys):
    _, out = done
    path = out / "failures.jsonl"
    path.write_text("not json\n" + path.read_text())
    assert main(["status", str(out)]) == 2
    _one_line(capsys, "failures.jsonl: line 1")


@pytest.mark.slow  # ~1 min of real kills; the simulated torn line above runs by default
def test_sigkill_during_failure_appends_never_breaks_the_folder(tmp_path):
    """MC n = 4000, batches of 200, 200 KB messages, SIGKILL at random moments, 8 times."""
    study = _study(tmp_path, n=4000, sampler="mc", batch=200)
    out = tmp_path / "out"
    env = {**os.environ, "NETUA_TEST_PAD": "200000"}
    cmd = [sys.executable, "-m", "uncertainty.cli", "run", str(study), "--out", str(out)]
    cmd += ["--no-progress", "--n-jobs", "2"]
    rng = np.random.default_rng(5)
    for _ in range(8):
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, start_new_session=True,
                                stderr=subprocess.DEVNULL)  # fmt: skip
        time.sleep(float(rng.uniform(1.0, 4.0)))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        (out / guard.LOCK).unlink(missing_ok=True)  # only if the kill came before it was written
        assert main(["status", str(out)]) == 0
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert main(["analyze", str(out)]) == 0


# -- case 4: never delete what netua did not write -----------------------------------------------


@pytest.mark.parametrize("fresh", [False, True])
def test_a_foreign_folder_named_store_zarr_is_left_alone(tmp_path, capsys, fresh):
    study, out = _study(tmp_path), tmp_path / "out"
    (out / "store.zarr").mkdir(parents=True)
    (out / "store.zarr" / "thesis.txt").write_text("my only copy")
    (out / "manifest.json").write_text('{"mine": true}')
    assert _run(study, out, *(["--fresh"] if fresh else [])) == 2
    _one_line(capsys, "not written by netua")
    assert (out / "store.zarr" / "thesis.txt").read_text() == "my only copy"
    assert json.loads((out / "manifest.json").read_text()) == {"mine": True}


def test_a_zarr_v2_store_is_not_overwritten(tmp_path, capsys):
    study, out = _study(tmp_path), tmp_path / "out"
    v2 = zarr.open_group(out / "store.zarr", mode="w", zarr_format=2)
    v2.create_array("x", shape=(3,), dtype="f8")
    assert _run(study, out) == 2
    _one_line(capsys, "not written by netua")
    assert (out / "store.zarr" / ".zgroup").exists()


def test_a_netua_store_without_its_root_metadata_is_refused_then_fresh_recovers(done, capsys):
    study, out = done
    (out / "store.zarr" / "zarr.json").unlink()
    for argv in (["status", str(out)], ["analyze", str(out)]):
        assert main(argv) == 2
        _one_line(capsys, "zarr.json", "--fresh")
    assert _run(study, out) == 2
    _one_line(capsys, "zarr.json", "--fresh")
    assert (out / "store.zarr" / "inputs").is_dir()  # nothing deleted
    assert _run(study, out, "--fresh") == 0


# -- case 5: a damaged store is not trusted ------------------------------------------------------


def _chunks(out: Path, name: str) -> list[Path]:
    return sorted((out / "store.zarr" / name / "c").rglob("*"), key=str)


def test_a_deleted_output_chunk_is_named_everywhere(done, capsys):
    study, out = done
    victim = [p for p in _chunks(out, "y") if p.is_file()][1]
    victim.unlink()
    for argv in (["status", str(out)], ["analyze", str(out)]):
        assert main(argv) == 2
        _one_line(capsys, str(victim.relative_to(out)), "marked ok")
    assert _run(study, out) == 2
    _one_line(capsys, str(victim.relative_to(out)))


def test_a_deleted_inputs_chunk_is_refused_not_nan(done, capsys):
    study, out = done
    [p for p in _chunks(out, "inputs") if p.is_file()][0].unlink()
    assert main(["analyze", str(out)]) == 2
    _one_line(capsys, "inputs: chunk(s) [0]")
    shutil.rmtree(out / "store.zarr" / "status" / "c")  # inputs and status: resume on NaN?
    assert _run(study, out) == 2
    _one_line(capsys, "inputs")


@pytest.mark.parametrize("code", [7, -1])
def test_status_codes_outside_the_enum_are_refused(done, capsys, code):
    _, out = done
    status = zarr.open_array(out / "store.zarr" / "status", mode="r+")
    values = status[:]
    values[5] = code
    status[:] = values
    assert main(["status", str(out)]) == 2
    _one_line(capsys, "not status codes", "samples [5]")


def test_a_truncated_chunk_is_named_without_a_traceback(done, capsys):
    _, out = done
    victim = [p for p in _chunks(out, "inputs") if p.is_file()][0]
    victim.write_bytes(victim.read_bytes()[:7])
    assert main(["analyze", str(out)]) == 2
    _one_line(capsys, "inputs")


# -- case 16: tracebacks that become one line ----------------------------------------------------


def test_an_out_that_is_a_file_is_refused(tmp_path, capsys):
    study = _study(tmp_path)
    (tmp_path / "out").write_text("not a folder")
    assert _run(study, tmp_path / "out") == 2
    _one_line(capsys, "a file, not a folder")


def test_an_out_that_cannot_be_written_is_refused(tmp_path, capsys, monkeypatch):
    study = _study(tmp_path)
    real = Path.write_text

    def read_only(self, *args, **kwargs):
        if ".netua-write-test" in self.name:
            raise PermissionError(13, "Permission denied")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", read_only)
    assert _run(study, tmp_path / "out") == 2
    _one_line(capsys, "cannot write there", "Permission denied")


def test_a_truncated_root_metadata_file_is_named_by_status(done, capsys):
    _, out = done
    root = out / "store.zarr" / "zarr.json"
    root.write_text(root.read_text()[:50])
    assert main(["status", str(out)]) == 2
    _one_line(capsys, "zarr.json")


def test_a_garbled_manifest_attribute_fails_status_and_analyze_alike(done, capsys):
    _, out = done
    root = out / "store.zarr" / "zarr.json"
    meta = json.loads(root.read_text())
    meta["attributes"]["manifest"] = "{garbled"
    root.write_text(json.dumps(meta))
    (out / "store.zarr" / "zarr.json").write_text(json.dumps(meta))
    for verb in ("status", "analyze", "figures"):  # all alike, none exits 0 on it
        assert main([verb, str(out)]) == 2
        _one_line(capsys, "manifest")


def test_a_truncated_status_metadata_file_is_named(done, capsys):
    _, out = done
    meta = out / "store.zarr" / "status" / "zarr.json"
    meta.write_text(meta.read_text()[:30])
    assert main(["status", str(out)]) == 2
    _one_line(capsys, str(Path("status") / "zarr.json"))


@pytest.mark.parametrize("delay", [0.15, 0.3, 0.45])
def test_ctrl_c_during_start_up_is_one_line(tmp_path, delay):
    study = _study(tmp_path)
    cmd = [sys.executable, "-m", "uncertainty.cli", "run", str(study), "--out", str(tmp_path / "o")]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    # 130, or killed by the SIGINT itself when it lands while the interpreter shuts down after
    # "netua: interrupted" (a shell reports that as 130 too)
    assert proc.returncode in (0, 130, -signal.SIGINT), err


def test_a_results_folder_that_cannot_take_the_tables_is_one_line(done, capsys):
    """As on a read-only folder: writing a table fails; one line naming the file, exit 2."""
    _, out = done
    (out / "summary.csv").mkdir()  # writing it raises IsADirectoryError, an OSError
    assert main(["analyze", str(out)]) == 2
    _one_line(capsys, "summary.csv")
