"""Anchor results computed once per run and shared with every worker (engine/shared.py): each
anchor's result computed once whatever the number of workers, recorded in the manifest (a
failure or a time-out as null, an infinite result as "inf"), handed to every sample, and read
back, not computed again, when the run grows."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr

from uncertainty.engine.run import run_study

SHARING = """
import json
import os
import time

LOG = {log!r}
DIE = {die!r}


class Share:
    default_anchors = 4
    shares_anchor_results = True
    prepared_anchors = {prepared!r}

    def __init__(self, targets):
        self.results = None

    def set_anchors(self, anchors):
        self.anchors = anchors

    def anchor_result(self, anchor):
        with open(LOG, "a") as fh:
            fh.write(json.dumps([os.getpid(), anchor]) + "\\n")
        if DIE and anchor == 0:
            os._exit(3)  # kills its worker process
        if anchor == 1:
            raise RuntimeError("this anchor has no answer")
        if anchor == 2:
            time.sleep(5)  # beyond the anchor's time limit
        if anchor == 3:
            return float("inf")
        return 2030.0 + anchor

    def set_anchor_results(self, results):
        self.results = list(results)

    def evaluate(self, params, anchor=None):
        value = self.results[anchor]
        return {{"y": params["x"], "anchor": float(anchor),
                 "guess": float("nan") if value is None else value}}
"""

EXPECTED = {0: 2030.0, 1: math.nan, 2: math.nan, 3: math.inf}


def _study(tmp_path, prepared: int, n: int, die: bool = False):
    log = tmp_path / "log.jsonl"
    (tmp_path / "share.py").write_text(SHARING.format(log=str(log), prepared=prepared, die=die))
    return _write_study(tmp_path, "share", n, ["y", "anchor", "guess"], 1.0), log


def _write_study(tmp_path, module: str, n: int, outputs: list, timeout: float):
    """A study of the toy model ``module:<Module>`` over two uniform parameters x and z."""
    study = tmp_path / "study.toml"
    study.write_text(
        f'[study]\nname = "{module}"\nmodel = "{module}:{module.title()}"\nsampler = "mc"\n'
        f"n = {n}\nseed = 3\noutputs = {json.dumps(outputs)}\ntimeout = {timeout}\n\n"
        '[parameters.x]\ndistribution = "uniform"\nlower = 0\nupper = 1\n\n'
        '[parameters.z]\ndistribution = "uniform"\nlower = 0\nupper = 1\n'
    )
    return study


def _computed(log) -> list[int]:
    return [anchor for _, anchor in map(json.loads, log.read_text().splitlines())]


def _check_guesses(out, expected=EXPECTED):
    store = xr.open_zarr(out / "store.zarr").load()
    assert (store.status.values == 1).all(), (out / "failures.jsonl").read_text()
    for anchor, guess in zip(store.anchor.values, store.guess.values, strict=True):
        np.testing.assert_array_equal(guess, expected[int(anchor)])
    return store


def test_every_anchor_is_computed_once_for_all_workers_and_read_back_on_resume(tmp_path):
    """A model that needs every anchor (``prepared_anchors`` 4 of 4): four anchors computed once in
    all, over two workers; the manifest records them (failed and timed-out as null, +inf as
    "inf"); every sample gets its anchor's; resuming or growing the run computes none again,
    starting over (``fresh``) computes them all again."""
    study, log = _study(tmp_path, prepared=4, n=8)
    out = run_study(study, tmp_path / "o", n_jobs=2, batch_size=2)
    assert sorted(_computed(log)) == [0, 1, 2, 3]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["anchor_results"] == {"0": 2030.0, "1": None, "2": None, "3": "inf"}
    _check_guesses(out)
    status = zarr.open_array(out / "store.zarr" / "status", mode="r+")
    status[4:] = 0  # killed after four samples: the resume evaluates the rest
    out = run_study(study, tmp_path / "o", n_jobs=2, batch_size=2)
    assert sorted(_computed(log)) == [0, 1, 2, 3]  # read back, not computed again
    _check_guesses(out)
    study.write_text(study.read_text().replace("n = 8", "n = 16"))
    out = run_study(study, tmp_path / "o", n_jobs=1, batch_size=2)
    assert sorted(_computed(log)) == [0, 1, 2, 3]  # read back, not computed again
    assert len(_check_guesses(out).status) == 16
    out = run_study(study, tmp_path / "o", n_jobs=1, batch_size=2, fresh=True)
    assert sorted(_computed(log)) == [0, 0, 1, 1, 2, 2, 3, 3]  # a new store: computed again
    _check_guesses(out)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_only_the_anchors_the_rows_start_from_are_computed(tmp_path, n_jobs):
    """Without ``prepared_anchors`` only the anchors of pending rows are computed, each once;
    a grown run computes those its new rows add and no other."""
    study, log = _study(tmp_path, prepared=0, n=2)
    out = run_study(study, tmp_path / "o", n_jobs=n_jobs, batch_size=1)
    first = _check_guesses(out)
    used = sorted({int(a) for a in first.anchor.values})
    assert sorted(_computed(log)) == used
    assert len(used) < 4  # the test can tell "used" from "all"
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(map(int, manifest["anchor_results"])) == used
    study.write_text(study.read_text().replace("n = 2", "n = 32"))
    out = run_study(study, tmp_path / "o", n_jobs=n_jobs, batch_size=4)
    grown = _check_guesses(out)
    now = sorted({int(a) for a in grown.anchor.values})
    assert len(now) > len(used)
    assert sorted(_computed(log)) == now  # each anchor once over both runs


def test_an_anchor_that_kills_its_worker_has_no_result_and_spoils_no_other(tmp_path):
    """Anchor 0's computation kills its worker: the anchors running beside it are computed
    again and keep their results; anchor 0 has none (null), tried three times (with the others,
    again with those that died beside it, then alone); every sample is still evaluated."""
    study, log = _study(tmp_path, prepared=4, n=8, die=True)
    out = run_study(study, tmp_path / "o", n_jobs=2, batch_size=2)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["anchor_results"] == {"0": None, "1": None, "2": None, "3": "inf"}
    assert _computed(log).count(0) == 3
    _check_guesses(out, {**EXPECTED, 0: math.nan})


STARTS = """
import json
import os

LOG = {log!r}


class Starts:
    default_anchors = 16
    shares_anchor_starts = True
    shares_anchor_results = {results!r}
    prepared_anchors = {prepared!r}

    def __init__(self, targets):
        self.starts, self.results = (), None

    def set_anchors(self, anchors):
        self.anchors = anchors

    def _log(self, what, anchor):
        with open(LOG, "a") as fh:
            fh.write(json.dumps([os.getpid(), what, anchor]) + "\\n")

    def anchor_start(self, anchor):
        self._log("start", anchor)
        if os.path.exists(LOG + ".fail"):
            raise RuntimeError("no anchor has an optimum now")
        if anchor % 4 == 1:
            raise RuntimeError("this anchor has no optimum")
        return str(100 + anchor).encode()

    def set_anchor_starts(self, starts):
        self.starts = tuple(starts)
        self._log("got", [k for k, s in enumerate(starts) if s is not None])

    def anchor_result(self, anchor):
        self._log("result", anchor)
        return 2030.0 + anchor

    def set_anchor_results(self, results):
        self.results = list(results)

    def evaluate(self, params, anchor=None):
        start = self.starts[anchor] if anchor < len(self.starts) else None
        if start is None:  # not shared: the model solves it itself
            self._log("own", anchor)
            start = str(100 + anchor).encode()
        guess = None if self.results is None else self.results[anchor]
        guess = float("nan") if guess is None else guess  # not asked for
        return {{"y": params["x"], "anchor": float(anchor), "start": float(start),
                 "guess": guess}}
"""


def _starts_study(tmp_path, results: bool, n: int, prepared: int = 0):
    log = tmp_path / "log.jsonl"
    (tmp_path / "starts.py").write_text(
        STARTS.format(log=str(log), results=results, prepared=prepared)
    )
    return _write_study(tmp_path, "starts", n, ["y", "anchor", "start", "guess"], 5.0), log


def _log(log) -> list[tuple[int, str, int]]:
    return [tuple(entry) for entry in map(json.loads, log.read_text().splitlines())]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_each_anchor_start_is_computed_once_and_handed_to_every_worker(tmp_path, n_jobs):
    """A model sharing starts (``shares_anchor_starts``): each anchor a pending row starts from
    is computed once over all workers, before any sample; every sample gets its anchor's; an
    anchor whose start failed is left to the worker (it computes its own). Starts are kept in
    the folder: a resumed run reads them back and computes only those that failed, once."""
    study, log = _starts_study(tmp_path, results=False, n=16)
    out = run_study(study, tmp_path / "o", n_jobs=n_jobs, batch_size=2)
    store = xr.open_zarr(out / "store.zarr").load()
    assert (store.status.values == 1).all(), (out / "failures.jsonl").read_text()
    np.testing.assert_array_equal(store.start.values, 100 + store.anchor.values)
    used = sorted({int(a) for a in store.anchor.values})
    assert 1 < len(used) < 16  # the test can tell "used" from "all"
    failing = {k for k in used if k % 4 == 1}
    assert failing  # some anchor the rows start from fails
    entries = _log(log)
    assert sorted(k for _, what, k in entries if what == "start") == used  # once each
    assert not [e for e in entries if e[1] == "result"]  # the model shares no results
    own = [k for _, what, k in entries if what == "own"]
    assert set(own) == failing  # only the failed ones were computed by the workers themselves
    got = [k for _, what, k in entries if what == "got"]
    assert got and all(len(k) <= 2 for k in got)  # a batch of 2 rows carries its anchors' only
    assert "anchor_results" not in json.loads((out / "manifest.json").read_text())
    status = zarr.open_array(out / "store.zarr" / "status", mode="r+")
    pending_anchors = {int(a) for a in store.anchor.values[8:]}
    status[8:] = 0  # killed after eight samples
    log.write_text("")
    assert _kept(out) == sorted(set(used) - failing)
    out = run_study(study, tmp_path / "o", n_jobs=n_jobs, batch_size=2)
    again = sorted(k for _, what, k in _log(log) if what == "start")
    assert pending_anchors - failing  # the test can tell "kept" from "pending"
    assert again == sorted(pending_anchors & failing)  # only those with no start, once each
    resumed = xr.open_zarr(out / "store.zarr").load()
    np.testing.assert_array_equal(resumed.start.values, store.start.values)
    own = sorted(k for _, what, k in _log(log) if what == "own")
    assert set(own) == pending_anchors & failing  # the kept ones reached the workers


def _kept(out) -> list[int]:
    """The anchors whose start the folder keeps."""
    return sorted(int(p.stem) for p in (out / "anchor_starts").glob("*.start"))


def test_a_model_sharing_starts_and_results_computes_both_in_one_task(tmp_path):
    """With results too, an anchor's start and result are computed by the same worker, the start
    first; a resumed run reads both back (computing only the starts that failed)."""
    study, log = _starts_study(tmp_path, results=True, n=8)
    out = run_study(study, tmp_path / "o", n_jobs=2, batch_size=2)
    store = xr.open_zarr(out / "store.zarr").load()
    np.testing.assert_array_equal(store.guess.values, 2030.0 + store.anchor.values)
    entries = [e for e in _log(log) if e[1] in ("start", "result")]
    used = sorted({int(a) for a in store.anchor.values})
    for k in used:
        mine = [(pid, what) for pid, what, j in entries if j == k]
        assert [what for _, what in mine] == ["start", "result"]
        assert mine[0][0] == mine[1][0]  # one task, one worker
    status = zarr.open_array(out / "store.zarr" / "status", mode="r+")
    status[4:] = 0
    log.write_text("")
    run_study(study, tmp_path / "o", n_jobs=2, batch_size=2)
    assert {what for _, what, _ in _log(log)} <= {"start", "own", "got"}  # results read back
    assert all(k % 4 == 1 for _, what, k in _log(log) if what == "start")  # starts read back


@pytest.mark.parametrize("prepared", [16, 8])
def test_a_model_preparing_the_first_anchors_solves_only_the_rows_anchors_once_results_are_stored(
    tmp_path, prepared
):
    """With ``prepared_anchors`` P the first P anchors' results are computed (their starts with
    them, free), no other anchor's, and the rows' anchors' starts; a resumed run, the results
    and the starts read back, solves only the pending rows' anchors whose start failed."""
    study, log = _starts_study(tmp_path, results=True, n=6, prepared=prepared)
    out = run_study(study, tmp_path / "o", n_jobs=2, batch_size=2)
    entries = _log(log)
    store = xr.open_zarr(out / "store.zarr").load()
    rows = {int(a) for a in store.anchor.values}
    assert sorted(k for _, what, k in entries if what == "result") == list(range(prepared))
    starts = sorted(k for _, what, k in entries if what == "start")
    assert starts == sorted(set(range(prepared)) | rows)
    assert prepared == 16 or rows - set(range(prepared))  # the test can tell P from the rows'
    for anchor, guess in zip(store.anchor.values, store.guess.values, strict=True):
        expected = 2030.0 + anchor if anchor < prepared else np.nan  # not asked for: None
        np.testing.assert_array_equal(guess, expected)
    status = zarr.open_array(out / "store.zarr" / "status", mode="r+")
    status[4:] = 0
    log.write_text("")
    run_study(study, tmp_path / "o", n_jobs=2, batch_size=2)
    again = sorted(k for _, what, k in _log(log) if what == "start")
    assert again == sorted({int(a) for a in store.anchor.values[4:] if a % 4 == 1})
    assert not [e for e in _log(log) if e[1] == "result"]


def _key(out, study, anchor: int) -> dict:
    """The key anchor ``anchor``'s start is kept under in the run ``out`` of ``study``."""
    from uncertainty.engine.manifest import package_versions
    from uncertainty.engine.protocol import model_spec
    from uncertainty.engine.shared import start_key
    from uncertainty.study.space import load_study

    manifest = json.loads((out / "manifest.json").read_text())
    spec = model_spec(load_study(study))
    return start_key(manifest, spec.anchors[anchor], package_versions())


def test_a_damaged_or_foreign_kept_start_is_solved_again_and_fresh_forgets_them(tmp_path):
    """A kept start that is cut, altered or was solved for another key (each part of the key
    changed alone: code, packages, model data, study, anchor values; engine/shared.py
    ``start_key``) is solved again on resume; the others, one rewritten under its own key, are
    read back; the rows' outputs are those of the first run. ``--fresh`` solves every one and
    leaves a file netua did not write in the folder alone."""
    from uncertainty.store import write_anchor_start

    study, log = _starts_study(tmp_path, results=False, n=40)
    out = run_study(study, tmp_path / "o", n_jobs=1, batch_size=4)
    store = xr.open_zarr(out / "store.zarr").load()
    kept = _kept(out)
    assert len(kept) >= 9, kept
    cut, altered, *foreign, rewritten, good = kept[:9]
    folder = out / "anchor_starts"
    (folder / f"{cut}.start").write_bytes((folder / f"{cut}.start").read_bytes()[:20])
    raw = bytearray((folder / f"{altered}.start").read_bytes())
    raw[-1] ^= 1
    (folder / f"{altered}.start").write_bytes(bytes(raw))
    changes = {
        "code": {"model_source_hash": "other"},
        "packages": {"highspy": "0.0"},
        "model_data_hash": "other",
        "study": {"timeout": 6.0},
        "anchor": {"x": 0.123},
    }
    assert len(foreign) == len(changes)
    for k, (part, change) in zip(foreign, changes.items(), strict=True):
        key = _key(out, study, k)
        key[part] = {**key[part], **change} if isinstance(key[part], dict) else change
        write_anchor_start(out, k, str(100 + k).encode(), key)  # the right bytes, wrong key
    write_anchor_start(out, rewritten, str(100 + rewritten).encode(), _key(out, study, rewritten))
    status = zarr.open_array(out / "store.zarr" / "status", mode="r+")
    status[:] = 0  # every row pending again
    log.write_text("")
    run_study(study, tmp_path / "o", n_jobs=1, batch_size=4)
    again = {k for _, what, k in _log(log) if what == "start"}
    failing = {k for k in {int(a) for a in store.anchor.values} if k % 4 == 1}
    assert again == {cut, altered, *foreign} | failing
    assert rewritten not in again and good not in again
    resumed = xr.open_zarr(out / "store.zarr").load()
    np.testing.assert_array_equal(resumed.start.values, store.start.values)
    assert _kept(out) == kept  # solved again and kept again
    (folder / "notes.txt").write_text("a user's file")
    log.write_text("")
    run_study(study, tmp_path / "o", n_jobs=1, batch_size=4, fresh=True)
    assert sorted(k for _, what, k in _log(log) if what == "start") == sorted(
        {int(a) for a in store.anchor.values}
    )
    assert (folder / "notes.txt").read_text() == "a user's file"


def test_a_grown_run_reads_the_kept_starts_back(tmp_path):
    """A run grown to a larger n keeps its anchors: only the new rows' anchors whose start is
    not kept (or failed) are solved, and the study's values are keyed as first written (a
    grown study writing 5 for 5.0 still matches)."""
    study, log = _starts_study(tmp_path, results=False, n=6)
    out = run_study(study, tmp_path / "o", n_jobs=1, batch_size=2)
    first = {int(a) for a in xr.open_zarr(out / "store.zarr").anchor.values}
    kept = set(_kept(out))
    assert kept and kept == {k for k in first if k % 4 != 1}
    text = study.read_text()
    study.write_text(text.replace("n = 6", "n = 24").replace("timeout = 5.0", "timeout = 5"))
    log.write_text("")
    run_study(study, tmp_path / "o", n_jobs=1, batch_size=2)
    grown = xr.open_zarr(out / "store.zarr").load()
    assert grown.sizes["sample"] == 24 and (grown.status.values == 1).all()
    again = {k for _, what, k in _log(log) if what == "start"}
    new = {int(a) for a in grown.anchor.values[6:]}
    assert new - kept  # the test can tell "kept" from "solved"
    assert again == new - kept
    np.testing.assert_array_equal(grown.start.values, 100 + grown.anchor.values)


def test_a_kept_start_is_not_lost_when_its_result_solves_it_again_and_fails(tmp_path):
    """With results, an anchor whose result is missing is solved again, start and all; if that
    start now fails, the kept one is still handed out (no worker solves its own)."""
    from uncertainty import store as stores

    study, log = _starts_study(tmp_path, results=True, n=8)
    out = run_study(study, tmp_path / "o", n_jobs=1, batch_size=2)
    kept = _kept(out)
    assert kept
    manifest = stores.read_manifest(out)
    del manifest["anchor_results"]  # the results missing: computed again with their starts
    stores.write_manifest(out, manifest)
    status = zarr.open_array(out / "store.zarr" / "status", mode="r+")
    status[:] = 0
    Path(str(log) + ".fail").write_text("")  # every anchor_start fails from now on
    log.write_text("")
    run_study(study, tmp_path / "o", n_jobs=1, batch_size=2)
    entries = _log(log)
    assert set(kept) <= {k for _, what, k in entries if what == "start"}  # solved again
    own = {k for _, what, k in entries if what == "own"}
    assert not own & set(kept)  # the kept starts were handed out
