"""Failed samples are reported and the failure policy is applied exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from uncertainty.analysis.design import FailedSamplesError
from uncertainty.analysis.indices import sobol_indices
from uncertainty.analysis.pipeline import analyze
from uncertainty.analysis.tables import AnalysisSettings
from uncertainty.cli import main
from uncertainty.errors import EmptyStoreError, StoreNotFoundError
from uncertainty.testing import build_store, ishigami, make_store, write_store

PI = (-np.pi, np.pi)
ISHIGAMI = {"x1": PI, "x2": PI, "x3": PI}
BLOCK = 5  # D + 2 rows per base block, D = 3, no second order
FAILED = {5: 2, 17: 3, 40: 4}  # blocks 1, 3 and 8; rows 5 and 40 are A rows, 17 is an AB row


@pytest.fixture()
def failed_store(tmp_path):
    return make_store(ishigami, ISHIGAMI, "sobol", 64, 1, False, tmp_path / "run", failures=FAILED)


def test_refuse_lists_the_failed_ids(failed_store):
    with pytest.raises(FailedSamplesError) as err:
        analyze(failed_store)
    assert err.value.sample_ids == [5, 17, 40]
    assert "5, 17, 40" in str(err.value) and "drop-blocks" in str(err.value)


def test_refuse_through_the_cli_is_one_line_and_exit_2(failed_store, capsys):
    assert main(["analyze", str(failed_store)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "sample_id 5, 17, 40" in err[0]
    assert not (failed_store / "sobol.csv").exists()


def test_drop_blocks_drops_exactly_those_blocks(failed_store, tmp_path):
    tables = analyze(failed_store, AnalysisSettings(policy="drop-blocks", n_resamples=50))
    sobol = tables["sobol"]
    assert (sobol["n_blocks_dropped"] == 3).all() and (sobol["n_base"] == 61).all()
    ds = build_store(ishigami, ISHIGAMI, "sobol", 64, 1)
    kept = np.setdiff1d(np.arange(64), [1, 3, 8])
    rows = (kept[:, None] * BLOCK + np.arange(BLOCK)).ravel()
    expected = sobol_indices(ds["y"].values[rows], 3, n_resamples=50, seed=0)
    np.testing.assert_allclose(sobol["S1"], expected["S1"], rtol=1e-12)
    np.testing.assert_allclose(sobol["ST_conf_low"], expected["ST_low"], rtol=1e-12)


def test_failures_table_and_given_data_conditioning(failed_store):
    tables = analyze(failed_store, AnalysisSettings(policy="drop-blocks", n_resamples=50))
    fail = tables["failures"]
    assert list(fail["sample_id"]) == [5, 17, 40]
    assert list(fail["status"]) == ["error", "timeout", "crashed"]
    assert list(fail["block"]) == [1, 3, 8] and list(fail["role"]) == ["A", "AB", "A"]
    assert fail["message"].eq("injected").all()
    assert fail["action"].str.contains("base block dropped").all()
    # probabilities and quantiles: 128 independent rows, the two failed A rows excluded
    q = tables["summary"].query("output == 'y'")
    assert (q["n"] == 126).all() and (q["n_excluded"] == 2).all()


def test_written_failures_csv(failed_store):
    assert main(["analyze", str(failed_store), "--policy", "drop-blocks", "--resamples", "20"]) == 0
    table = pd.read_csv(failed_store / "failures.csv")
    assert list(table["sample_id"]) == [5, 17, 40]


def test_non_finite_output_of_a_successful_sample_is_a_failure_for_that_output(tmp_path):
    ds = build_store(lambda x: {"y": ishigami(x), "z": x[:, 0]}, ISHIGAMI, "sobol", 32, 1)
    ds["z"][12] = np.nan  # block 2
    out = write_store(ds, tmp_path / "run")
    with pytest.raises(FailedSamplesError, match="'z'.*sample_id 12"):
        analyze(out)
    tables = analyze(out, AnalysisSettings(policy="drop-blocks", n_resamples=20))
    sobol = tables["sobol"].set_index("output")
    assert (sobol.loc["y", "n_blocks_dropped"] == 0).all()
    assert (sobol.loc["z", "n_blocks_dropped"] == 1).all()
    assert tables["failures"].query("output == 'z'")["sample_id"].tolist() == [12]


def test_morris_drop_blocks_drops_the_trajectory(tmp_path):
    ds = build_store(ishigami, ISHIGAMI, "morris", 20, 3, failures={9: 2})  # trajectory 2 (4 rows)
    out = write_store(ds, tmp_path / "run")
    with pytest.raises(FailedSamplesError):
        analyze(out)
    table = analyze(out, AnalysisSettings(policy="drop-blocks", n_resamples=50))["morris"]
    assert (table["n_trajectories"] == 19).all() and (table["n_dropped"] == 1).all()
    assert table.set_index("parameter")["mu_star"].idxmax() in ("x1", "x2")


def test_lhs_store_uses_the_successful_rows(tmp_path):
    out = make_store(
        lambda x: x[:, 0],
        {"a": (0, 1), "b": (0, 1)},
        "lhs",
        200,
        1,
        out=tmp_path / "run",
        failures={3: 2, 7: 2},
    )
    tables = analyze(out, AnalysisSettings())
    assert "sobol" not in tables and len(tables["pawn"]) == 2
    assert (tables["summary"]["n"] == 198).all()
    assert tables["pawn"].set_index("parameter").loc["a", "median"] > 0.5


def test_missing_and_empty_stores(tmp_path, capsys):
    with pytest.raises(StoreNotFoundError):
        analyze(tmp_path / "nothing")
    assert main(["analyze", str(tmp_path / "nothing")]) == 2
    assert "no results store" in capsys.readouterr().err
    ds = build_store(ishigami, ISHIGAMI, "sobol", 8, 1, failures={i: 0 for i in range(40)})
    with pytest.raises(EmptyStoreError):
        analyze(write_store(ds, tmp_path / "pending"))
