"""The latest-peak search's first guess from the plane through the anchors' answers
(model/starts.py ``plane_guess``, ``latest_peak_guess = "fit"``)."""

import math

import numpy as np

from model.starts import plane_guess


def _on_plane(p: dict) -> float:
    return 2040.0 + 8.0 * p["sink"] - 4.0 * p["cost"] + (2.0 if p["path"] == "fast" else 0.0)


ANCHORS = [
    {"sink": s, "cost": c, "path": path, "fixed": 1.0}
    for s, c, path in [
        (0.5, 0.7, "slow"),
        (1.0, 1.4, "fast"),
        (2.5, 0.9, "slow"),
        (3.0, 1.1, "fast"),
        (1.7, 0.8, "fast"),
        (2.2, 1.3, "slow"),
    ]
]


def test_the_plane_through_answers_on_a_plane_gives_them_back_rounded():
    """Answers that lie on a plane in the numeric parameters and a choice's levels are given
    back at any point, rounded to a whole year; a parameter equal at every anchor is left out
    (no division by its zero spread), and a choice level no anchor has counts as the first."""
    guess = plane_guess(ANCHORS, [_on_plane(a) for a in ANCHORS], 2024, 2061)
    for p in (
        {"sink": 1.3, "cost": 1.0, "path": "fast", "fixed": 1.0},
        {"sink": 2.9, "cost": 0.75, "path": "slow", "fixed": 7.0},
        {"sink": 0.2, "cost": 1.45, "path": "fast", "fixed": 1.0},
    ):
        assert guess(p) == math.floor(_on_plane(p) + 0.5)
    other = {"sink": 1.3, "cost": 1.0, "path": "other", "fixed": 1.0}
    assert guess(other) == guess({**other, "path": "fast"}) != guess({**other, "path": "slow"})


def test_censored_answers_count_as_the_sentinels_and_missing_ones_are_left_out():
    """-inf and +inf (censored answers) count as the searched years' sentinels, NaN and None
    (no answer) are left out; fewer than two answers give no plane."""
    anchors = [{"sink": float(s)} for s in range(5)]
    answers = [-np.inf, 2030.0, 2040.0, np.nan, np.inf]
    guess = plane_guess(anchors, answers, 2020.0, 2050.0)
    # the points (0, 2020), (1, 2030), (2, 2040), (4, 2050): least squares slope 7.43
    x, y = np.array([0, 1, 2, 4.0]), np.array([2020, 2030, 2040, 2050.0])
    slope, intercept = np.polyfit(x, y, 1)
    assert guess({"sink": 3.0}) == math.floor(intercept + 3 * slope + 0.5)
    assert plane_guess(anchors, [np.nan, None, 2030.0, np.nan, None], 2020, 2050) is None
