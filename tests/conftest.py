"""China-LP fixtures shared by the test modules: the dataset is loaded once and the replication
setting (medium growth, sink 2 Gt, history off) is solved once per test session."""

from __future__ import annotations

import pytest

from model.build import Settings
from model.load import CHINA_DATA, load_inputs
from model.scenario import Solved, solve_built

#: the replication setting of the seed study (tests/model/test_pathways.py) and the model's own
#: path of the calibration (history off; the dataset's sink is 2 Gt in 2060 as well)
REPLICATION = Settings(scenario="medium", natural_sink=2000.0, history=False)


@pytest.fixture(scope="session")
def china_inputs():
    """The China dataset, loaded once (tests must not modify it)."""
    return load_inputs(CHINA_DATA)


@pytest.fixture(scope="session")
def china_replication(china_inputs) -> Solved:
    """The China LP solved at :data:`REPLICATION`: outputs, solution arrays and context."""
    return solve_built(china_inputs, REPLICATION)
