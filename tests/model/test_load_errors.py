"""Every kind of bad data is reported with file, line, column and a fix, all at once."""

import shutil

import pandas as pd
import pytest

from model.errors import InputError
from model.load import EXAMPLE_DATA, load_inputs


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA, folder)
    return folder


def edit(folder, table, func):
    path = folder / f"{table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = func(frame)
    frame.to_csv(path, index=False)


def problems(folder) -> str:
    with pytest.raises(InputError) as info:
        load_inputs(folder)
    return str(info.value)


def test_example_loads_and_converts_units():
    inputs = load_inputs(EXAMPLE_DATA)
    # 6000 CNY2020/kW -> 6 bnCNY2020/GW; 500 TWh -> 1800 PJ; 2.71 tCO2/tce -> MtCO2/PJ
    assert float(inputs.tech_param["capex"].sel(tech="wind", year=2020)) == pytest.approx(6.0)
    elec = inputs.demand.sel(scenario="medium", commodity="electricity", year=2020)
    assert float(elec) == pytest.approx(1800.0)
    ef = float(inputs.commodity_param["co2_factor"].sel(commodity="coal", year=2020))
    assert ef == pytest.approx(2.71 / 29.3076)
    # 100 kWh/t -> 0.36 PJ per Mt; interpolation of capex halfway between 2020 and 2040
    assert float(
        inputs.flow_in.sel(tech="bf_bof", commodity="electricity", year=2020)
    ) == pytest.approx(0.36)
    assert float(inputs.tech_param["capex"].sel(tech="wind", year=2030)) == pytest.approx(4.75)


def test_missing_column(data):
    edit(data, "technologies", lambda f: f.drop(columns=["sector"]))
    assert "technologies.csv line 1 column 'sector': required column is missing" in problems(data)


def test_unknown_technology_and_commodity(data):
    edit(data, "tech_parameters", lambda f: f.replace({"tech": {"wind": "wind2"}}))
    edit(data, "flows", lambda f: f.replace({"commodity": {"gas": "lng"}}))
    text = problems(data)
    assert "tech_parameters.csv line 18 column 'tech': unknown tech 'wind2'; known:" in text
    assert "flows.csv line 3 column 'commodity': unknown commodity 'lng'" in text


def test_unknown_unit(data):
    edit(data, "tech_parameters", lambda f: f.replace({"unit": {"CNY2020/kW": "CNY/kW"}}))
    assert "unknown unit 'CNY' in 'CNY/kW'" in problems(data)


def test_wrong_dimension(data):
    def swap(f):
        f.loc[f.parameter == "capex", "unit"] = "CNY2020/MWh"
        return f

    edit(data, "tech_parameters", swap)
    assert "has dimension money/energy; expected money/power" in problems(data)


def test_negative_cost_and_nan(data):
    def bad(f):
        f.loc[2, "value"] = "-3500"  # coal_power capex
        f.loc[3, "value"] = "nan"
        return f

    edit(data, "tech_parameters", bad)
    text = problems(data)
    assert (
        "tech_parameters.csv line 4 column 'value': capex = -3500.0 is below its lower bound 0"
        in text
    )
    assert "tech_parameters.csv line 5 column 'value': 'nan' is not a finite number" in text


def test_duplicate_key(data):
    edit(data, "stock", lambda f: pd.concat([f, f.iloc[[0]]]))
    assert "stock.csv line 10: duplicate key (tech='coal_power', vintage='2000')" in problems(data)


def test_exact_duplicate_technology(data):
    def dup_tech(f):
        row = f[f.tech == "wind"].copy()
        row["tech"] = "wind_copy"
        return pd.concat([f, row])

    edit(data, "technologies", dup_tech)
    edit(
        data,
        "tech_parameters",
        lambda f: pd.concat([f, f[f.tech == "wind"].assign(tech="wind_copy")]),
    )
    assert "technologies ['wind', 'wind_copy'] are exact duplicates" in problems(data)


def test_all_problems_are_listed_at_once(data):
    edit(data, "stock", lambda f: pd.concat([f, f.iloc[[0]]]))
    edit(data, "flows", lambda f: f.replace({"commodity": {"gas": "lng"}}))
    text = problems(data)
    assert text.startswith("2 problem(s) in dataset")


def test_assumption_needs_a_note(data):
    edit(data, "stock", lambda f: f.assign(source="assumption", note=""))
    assert "source is 'assumption' but the note is empty" in problems(data)


def test_missing_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_inputs(tmp_path / "nope")


def test_spreadsheet_float_years_load_like_integers(data):
    """A table re-saved by a spreadsheet or pandas writes years as '2030.0': same inputs."""
    reference = load_inputs(data)

    def floatify(frame):
        dated = frame.year != ""
        frame.loc[dated, "year"] = [f"{int(y)}.0" for y in frame.year[dated]]
        return frame

    for table in ("tech_parameters", "demand", "settings"):
        edit(data, table, floatify)
    again = load_inputs(data)
    assert again.tech_param.equals(reference.tech_param)
    assert again.demand.equals(reference.demand)
    assert again.series.equals(reference.series)


def test_fractional_year_is_reported(data):
    edit(data, "demand", lambda f: f.assign(year=f.year.where(f.index != 0, "2020.5")))
    assert "demand.csv line 2 column 'year': '2020.5' is not a year" in problems(data)


def test_float_year_duplicates_an_integer_year(data):
    """'2030' and '2030.0' are the same key: reported as a duplicate, not silently merged."""

    def duplicate(frame):
        dated = frame[frame.year != ""].iloc[[0]].copy()
        dated["year"] = f"{int(dated.year.iloc[0])}.0"
        return pd.concat([frame, dated], ignore_index=True)

    edit(data, "tech_parameters", duplicate)
    assert "duplicate" in problems(data).lower()
