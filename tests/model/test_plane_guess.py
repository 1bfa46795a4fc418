"""The latest-peak search's first guess from the plane through the anchors' answers
(model/starts.py ``plane_guess``, ``plane_anchors``, ``latest_peak_guess = "fit"``)."""

import math

import numpy as np

from model.starts import plane_anchors, plane_coefficients, plane_guess


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


def test_the_plane_through_answers_on_a_plane_gives_the_year_after_them_rounded_down():
    """Answers that lie on a plane in the numeric parameters and a choice's levels are given
    back at any point as the year after the plane's value rounded down (the search's two-trial
    window, the guess and the year before it, then covers the two years around the value); a
    parameter equal at every anchor is left out (no division by its zero spread), and a choice
    level no anchor has counts as the first."""
    guess = plane_guess(ANCHORS, [_on_plane(a) for a in ANCHORS], 2024, 2070)  # none clipped
    for p in (
        {"sink": 1.3, "cost": 1.0, "path": "fast", "fixed": 1.0},
        {"sink": 2.9, "cost": 0.75, "path": "slow", "fixed": 7.0},
        {"sink": 0.2, "cost": 1.45, "path": "fast", "fixed": 1.0},
    ):
        assert guess(p) == math.floor(_on_plane(p)) + 1
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
    assert guess({"sink": 3.0}) == math.floor(intercept + 3 * slope) + 1
    assert plane_guess(anchors, [np.nan, None, 2030.0, np.nan, None], 2020, 2050) is None


def test_answers_shared_by_the_engine_drive_the_plane_without_a_search_here():
    """``share_anchor_peaks`` (the engine's answers, computed once per run): the plane and each
    anchor's guess come from them, with no search in this process; a changed list replaces them
    (and the design rows' cached starts); an anchor it leaves out (None) is searched here."""
    from model.build import Settings
    from model.fastpath import ParametricLP
    from model.load import EXAMPLE_DATA, load_inputs

    targets = {"sink": "natural_sink", "cost": "capex_scale:solar"}
    lp = ParametricLP(
        load_inputs(EXAMPLE_DATA), Settings(latest_peak=True), targets, peak_guess="fit"
    )
    anchors = [{"sink": s, "cost": c} for s, c in [(0.0, 0.6), (0.1, 1.4), (0.2, 0.9), (0.05, 1.1)]]
    lp.set_anchors(anchors)
    searched = []
    lp._latest_peak_here = lambda guess: searched.append(guess) or 2033.0
    shared = [2030.0, 2045.0, float("nan"), 2040.0]
    lp.share_anchor_peaks(shared)
    lp._starts.put("row", None, 2050.0)
    point = {"sink": 0.15, "cost": 1.0}
    low, high = lp.latest_peak.start - 1, float(lp.latest_peak.years[-1]) + 1
    assert lp.first_guess(point, 0) == plane_guess(anchors, shared, low, high)(point)
    assert [lp.anchor_peak(k) for k in (0, 1, 3)] == [2030.0, 2045.0, 2040.0]
    assert math.isnan(lp.anchor_peak(2)) and searched == [] and "row" in lp._starts
    lp.share_anchor_peaks([2031.0, 2045.0, None, 2040.0])
    assert "row" not in lp._starts
    assert lp.anchor_peak(0) == 2031.0 and searched == []
    assert lp.anchor_peak(2) == 2033.0 and searched == [None]  # not shared: searched here


def test_a_numeric_choice_is_a_category_of_the_plane():
    """Named as a choice, a numeric parameter (a neutrality year) gets one 0/1 coordinate per
    value, so the plane gives each value's answer back (within the search's two-trial window:
    the guess or the year before it) instead of a straight line through them; 2055 and 2055.0
    are the same category."""
    anchors = [{"year": 2050}, {"year": 2055}, {"year": 2060}]
    answers = [2030.0, 2040.0, 2032.0]

    def within(guess, point, answer):
        return guess(point) - 1 <= answer <= guess(point)

    guess = plane_guess(anchors, answers, 2024.0, 2061.0, choices={"year"})
    assert all(within(guess, a, y) for a, y in zip(anchors, answers, strict=True))
    assert guess({"year": 2055.0}) == guess({"year": 2055})
    line = plane_guess(anchors, answers, 2024.0, 2061.0)  # unnamed: one numeric coordinate
    assert not all(within(line, a, y) for a, y in zip(anchors, answers, strict=True))


def test_the_plane_runs_through_the_first_anchors_only_and_needs_no_other():
    """``plane_anchors``: 8 answers per coefficient of the plane, at most every anchor (72 of
    the benchmark's 128 anchors of 8 parameters). The model's plane runs through the first ones'
    answers only: answers of later anchors (here wildly off the line) change nothing, and a
    later anchor the engine did not share (None) is not searched for the plane."""
    from model.build import Settings
    from model.fastpath import ParametricLP
    from model.load import EXAMPLE_DATA, load_inputs

    assert plane_anchors(128, 9) == 72 and plane_anchors(10, 9) == 10 and plane_anchors(0, 4) == 0
    lp = ParametricLP(
        load_inputs(EXAMPLE_DATA),
        Settings(latest_peak=True),
        {"sink": "natural_sink"},
        peak_guess="fit",
    )
    anchors = [{"sink": 0.01 * k} for k in range(24)]
    lp.set_anchors(anchors)
    first = lp.plane_anchors()
    assert first == 16 < len(anchors)  # 8 x (1 + 1)
    answers = [2030.0 + 0.7 * k for k in range(first)]
    searched = []
    lp._latest_peak_here = lambda guess: searched.append(guess) or 2033.0
    low, high = lp.latest_peak.start - 1, float(lp.latest_peak.years[-1]) + 1
    expected = plane_guess(anchors[:first], answers, low, high)
    for later in ([None] * (len(anchors) - first), [2060.0, 2020.0] * 4):
        lp.share_anchor_peaks(answers + later)
        for sink in (0.03, 0.11, 0.2):
            assert lp.first_guess({"sink": sink}, 20) == expected({"sink": sink})
    assert searched == []
    plain = ParametricLP(
        load_inputs(EXAMPLE_DATA), Settings(latest_peak=True), {"sink": "natural_sink"}
    )
    plain.set_anchors(anchors)
    assert plain.plane_anchors() == 0  # the nearest answer: no plane, no anchors prepared


def test_the_plane_counts_one_coefficient_per_varying_number_and_per_extra_choice_value():
    """1 + one per numeric parameter that varies + (values - 1) per choice: the sizes of
    :func:`plane_guess`'s least-squares fit, so 8 answers per coefficient whatever the study."""
    assert plane_coefficients(ANCHORS) == 1 + 2 + 1  # sink, cost; path fast/slow; fixed: none
    year = [{"year": y, "sink": 0.1 * y} for y in (2050, 2055, 2060, 2055)]
    assert plane_coefficients(year, choices={"year"}) == 1 + 2 + 1
    assert plane_coefficients(year) == 1 + 1 + 1  # unnamed: the year is one numeric coordinate
    assert plane_coefficients([]) == 1


def test_an_anchor_outside_the_plane_is_prepared_without_its_search():
    """With the plane, the engine's ``prepare_anchor`` of a row's anchor beyond the plane's
    solves its basis but runs no latest-peak search (its answer would change no guess), unless
    the plane has no answers to run through; with the nearest-answer guess it searches."""
    from model.ensemble import ChinaLP

    anchors = [{"sink": 0.01 * k} for k in range(20)]
    models = {}
    for guess in ("fit", True):
        model = ChinaLP({"sink": "natural_sink"}, data="example", latest_peak=True,
                        latest_peak_guess=guess)  # fmt: skip
        model.set_anchors(anchors)
        searched = []
        model.lp._latest_peak_here = lambda g, searched=searched: searched.append(g) or 2033.0
        models[guess] = (model, searched)
    fit, searched = models["fit"]
    assert fit.prepared_anchors == 16  # 8 x (1 + 1)
    fit.lp.share_anchor_peaks([2030.0 + k for k in range(16)] + [None] * 4)
    fit.prepare_anchor(18)
    fit.prepare_anchor(3)
    assert searched == [] and 18 in fit.lp._anchor_bases  # solved, not searched
    fit.lp.share_anchor_peaks([2030.0 + k for k in range(15)] + [None] * 5)
    fit.prepare_anchor(15)  # one of the plane's, not shared: searched for the plane
    assert searched == [None]
    searched.clear()
    fit.lp.share_anchor_peaks([float("nan")] * 16 + [None] * 4)  # no plane: guesses its own
    fit.prepare_anchor(18)
    assert searched == [None]
    nearest, searched = models[True]
    nearest.prepare_anchor(18)
    assert searched == [None]


def test_a_hub_row_guesses_the_hub_answer_when_the_plane_has_none():
    """With the plane but fewer than two of its anchors' answers (all failed), a row started
    from its hub guesses the hub's answer, as with the nearest-answer guess, not its own
    anchor's: the engine does not prepare a row's own anchor when its parent gives a start,
    so that search would run inside the sample's time limit."""
    from model.build import Settings
    from model.fastpath import ParametricLP
    from model.load import EXAMPLE_DATA, load_inputs
    from model.starts import start_key

    lp = ParametricLP(
        load_inputs(EXAMPLE_DATA), Settings(latest_peak=True),
        {"sink": "natural_sink", "cost": "capex_scale:solar"}, peak_guess="fit",
    )  # fmt: skip
    lp.set_anchors([{"sink": 0.05 * k, "cost": 1.0 + 0.1 * k} for k in range(4)])
    searched = []
    lp._latest_peak_here = lambda guess: searched.append(guess) or 2033.0
    hub, row = {"sink": 0.11, "cost": 1.2}, {"sink": 0.12, "cost": 1.25}
    for plane in ([float("nan")] * 4, [2030.0, 2035.0, 2040.0, 2045.0]):
        lp.share_anchor_peaks(plane)  # (clears the cached design rows)
        lp._starts.put(start_key(hub, 2), lp.ref_basis, 2041.0, {})  # the hub, solved
        _, guess, starts, from_parent = lp.sample_start(row, 3, (hub, 2))
        assert from_parent and starts is None and searched == []
        assert guess == (2041.0 if np.isnan(plane[0]) else lp.anchor_plane()(row))
