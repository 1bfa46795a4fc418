"""The robust peak-year definition on crafted paths."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.peak import robust_peak

YEARS = np.arange(2020, 2031)


def test_clear_peak():
    values = [10, 11, 12, 13, 12, 11, 10, 9, 8, 7, 6]
    peak = robust_peak(YEARS, values)
    assert (peak.year, peak.year_max, peak.level, peak.censored) == (2023, 2023, 13, False)


def test_plateau_takes_the_first_year_of_the_plateau():
    values = [10, 11, 12, 12.03, 12.05, 12.02, 11, 10, 9, 8, 7]  # within 0.5 % of 12
    peak = robust_peak(YEARS, values, tolerance=0.005)
    assert peak.year == 2022
    assert peak.year_max == 2024
    assert peak.plateau_years == 4  # 12, 12.03, 12.05, 12.02 are within 0.5 % of 12.05


def test_noise_below_tolerance_does_not_move_the_peak():
    values = [10, 12, 11.99, 12.04, 11.5, 11.98, 12.05, 11, 10, 9, 8]
    assert robust_peak(YEARS, values, tolerance=0.005).year == 2021


def test_rise_above_tolerance_moves_the_peak():
    values = [10, 12, 11.5, 11.0, 11.5, 12.2, 11, 10, 9, 8, 7]  # +1.7 % later
    assert robust_peak(YEARS, values, tolerance=0.005).year == 2025


def test_monotone_decline_peaks_in_the_first_year():
    peak = robust_peak(YEARS, np.linspace(12, 8, len(YEARS)))
    assert peak.year == 2020 and not peak.censored


def test_peak_in_the_last_year_is_censored():
    """No peak by the last year: censored, the year is +inf (never a fake 2030), the level the
    last year's."""
    peak = robust_peak(YEARS, np.linspace(8, 12, len(YEARS)))
    assert peak.censored and np.isposinf(peak.year) and peak.level == 12


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        robust_peak(YEARS, [1.0] * 10 + [np.nan])
    with pytest.raises(ValueError, match="equal"):
        robust_peak(YEARS, [1.0, 2.0])


@given(st.lists(st.floats(1, 100), min_size=2, max_size=40), st.floats(0, 0.05))
def test_no_later_year_exceeds_the_peak_by_more_than_the_tolerance(values, tol):
    years = np.arange(len(values))
    peak = robust_peak(years, values, tol)
    values = np.asarray(values)
    at = years[-1] if peak.censored else peak.year  # censored: no year before the last qualifies
    assert peak.censored == np.isposinf(peak.year)
    later = values[years > at]
    assert np.all(later <= peak.level * (1 + tol) + 1e-12)
    # and it is the first such year
    for y in years[years < at]:
        assert np.any(values[years > y] > values[y] * (1 + tol))
    assert values[peak.year_max] == values.max()
