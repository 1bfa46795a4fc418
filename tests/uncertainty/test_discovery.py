"""Scenario discovery (issue 18) on synthetic models whose outcome is a known box."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from uncertainty.analysis.discovery import default_name, discover, parse_where
from uncertainty.analysis.spec import load_analysis_spec
from uncertainty.cli import main
from uncertainty.store import open_results
from uncertainty.testing import make_store

pytest.importorskip("ema_workbench")

UNIT = (0.0, 1.0)
FIVE = {name: UNIT for name in ("a", "b", "noise_1", "noise_2", "noise_3")}


def _box_model(x: np.ndarray) -> dict[str, np.ndarray]:
    """y = 1 exactly inside a in [0.6, 1], b in [0, 0.3]; everything else is noise."""
    inside = (x[:, 0] >= 0.6) & (x[:, 1] <= 0.3)
    return {"y": inside.astype(float), "z": x[:, 2]}


@pytest.fixture(scope="module")
def boxed(tmp_path_factory):
    return make_store(_box_model, FIVE, "lhs", 2000, seed=5,
                      out=tmp_path_factory.mktemp("disc") / "run")  # fmt: skip


def _discover(out, where, **kw):
    ds = open_results(out)
    return discover(ds, where, load_analysis_spec(ds), **kw)


def test_prim_recovers_the_box_and_leaves_the_noise_alone(boxed):
    found = _discover(boxed, "y > 0.5")
    box = found.box.set_index("parameter")
    assert set(box.index) == {"a", "b"}  # no noise input restricted
    assert box.loc["a", "lower"] == pytest.approx(0.6, abs=0.05)
    assert box.loc["b", "upper"] == pytest.approx(0.3, abs=0.05)
    row = found.trajectory.loc[found.chosen]
    assert row.coverage >= 0.9 and row.density >= 0.9
    assert (found.box.reproduce_pct >= 50).all()


def test_cart_finds_the_same_box(boxed):
    found = _discover(boxed, "y > 0.5", method="cart")
    box = found.box.set_index("parameter")
    assert set(box.index) == {"a", "b"}
    assert box.loc["a", "lower"] == pytest.approx(0.6, abs=0.05)
    assert box.loc["b", "upper"] == pytest.approx(0.3, abs=0.05)


def test_rsa_ranks_the_two_box_inputs_first(boxed):
    rsa = _discover(boxed, "y > 0.5").rsa
    assert list(rsa.parameter[:2]) in (["a", "b"], ["b", "a"])
    assert (rsa.p_value[:2] < 1e-10).all() and (rsa.p_value[2:] > 1e-3).all()


def _policy_model(x: np.ndarray) -> dict[str, np.ndarray]:
    """Late peak exactly under policy 'none' (index 0) with a > 0.5."""
    late = (x[:, 2] == 0) & (x[:, 0] > 0.5)
    return {"peak_year": np.where(late, 2030.0, 2024.0)}


def test_a_choice_is_a_category_and_its_category_is_recovered(tmp_path):
    ds_path = make_store(_policy_model, {"a": UNIT, "b": UNIT, "policy": (0, 2)}, "mc", 1500,
                         seed=3, out=tmp_path / "p")  # fmt: skip
    # make "policy" a choice among three named policies, as a study file would
    store = ds_path / "store.zarr" / "zarr.json"
    meta = json.loads(store.read_text())
    specs = json.loads(meta["attributes"]["parameters"])
    specs[2] = {"name": "policy", "distribution": "choice", "choices": ["none", "budget", "ets"]}
    meta["attributes"]["parameters"] = json.dumps(specs)
    store.write_text(json.dumps(meta))
    ds = open_results(ds_path)
    ds["inputs"].loc[{"parameter": "policy"}] = np.floor(ds["inputs"].sel(parameter="policy") * 1.5)
    x = ds["inputs"].transpose("sample", "parameter").values
    ds["peak_year"].values[:] = np.where((x[:, 2] == 0) & (x[:, 0] > 0.5), 2030.0, 2024.0)
    found = discover(ds, "peak_year > 2025", load_analysis_spec(ds))
    box = found.box.set_index("parameter")
    assert box.loc["policy", "categories"] == "none"
    assert box.loc["a", "lower"] == pytest.approx(0.5, abs=0.05)
    assert found.rsa.set_index("parameter").loc["policy", "test"].startswith("chi2")


@pytest.mark.parametrize("where", ["y > 5", "y > -1"])
def test_no_or_every_sample_is_one_line_and_exit_2(boxed, capsys, where):
    assert main(["discover", str(boxed), "--where", where]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ("no sample" in err or "every sample" in err)


def test_the_command_writes_its_tables_and_figures(boxed, capsys):
    assert main(["discover", str(boxed), "--where", "y > 0.5 and z < 2", "--name", "inside"]) == 0
    assert "coverage" in capsys.readouterr().out
    box = pd.read_csv(boxed / "box_inside.csv")
    assert {"parameter", "lower", "upper", "categories", "coverage", "density"} <= set(box.columns)
    assert (pd.read_csv(boxed / "discover_inside.csv").chosen.sum()) == 1
    assert list(pd.read_csv(boxed / "rsa_inside.csv").columns[:4]) == [
        "parameter", "test", "statistic", "p_value"]  # fmt: skip
    for part in ("trajectory", "box", "pair"):
        png = boxed / "figures" / f"discover_inside_{part}.png"
        assert png.stat().st_size > 5_000


def test_the_condition_language():
    conds = parse_where("coal_share[2030] >= 0.44 and peak_year > 2025")
    assert [(c.output, c.year, c.op, c.value) for c in conds] == [
        ("coal_share", 2030, ">=", 0.44), ("peak_year", None, ">", 2025.0)]  # fmt: skip
    assert default_name("coal_share[2030] >= 0.44") == "coal_share_2030_ge_0p44"
    with pytest.raises(ValueError, match="OUTPUT"):
        parse_where("peak_year == 2025")


def test_a_study_declares_its_discoveries(tmp_path, capsys):
    from uncertainty.cli.study import run_declared_discoveries

    text = (
        '[analysis]\ndiscover = [{where = "y > 0.5", name = "inside"}, '
        '{where = "y > 5", name = "never"}]\n'
    )
    out = make_store(_box_model, FIVE, "lhs", 600, seed=2, out=tmp_path / "s", study_text=text)
    run_declared_discoveries(out)
    captured = capsys.readouterr()
    assert "discover: y > 0.5:" in captured.out and "no sample meets it" in captured.err
    assert (out / "box_inside.csv").exists() and not (out / "box_never.csv").exists()
