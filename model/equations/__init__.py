"""Constraint families of the LP, one function each, with the equation it adds.

Notation: t technology, c commodity, y year, v build year; ``new``, ``cap``, ``act``, ``supply``,
``backstop`` are the variables of :func:`model.build.add_variables`. All quantities are in base
units (PJ, GW, Mt, MtCO2, bnCNY2020, bn pkm/tkm) per year.

The families by role: :mod:`.core` (capacity, activity, commodity balances, potentials, power
adequacy, storage, flexibility, wind+solar share), :mod:`.carbon` (net CO2, neutrality, budget,
ETS, peak hold), :mod:`.history` (base year and observed 2021-2024), :mod:`.objective`.
"""

from model.equations.carbon import (  # noqa: F401
    CARBON_POLICIES,
    add_carbon_budget,
    add_neutrality,
    add_peak_hold,
    budget_rhs,
    budget_window,
    co2_expression,
    emitted_factor,
    ets_cost,
    ets_price_path,
    peak_hold_years,
    removal_expression,
    report_end,
)
from model.equations.core import (  # noqa: F401
    GW_YEAR_PJ,
    add_activity_decline,
    add_activity_growth,
    add_activity_limits,
    add_build_limits,
    add_capacity_stock,
    add_co2_storage,
    add_co2_storage_limit,
    add_commodity_balance,
    add_flexibility,
    add_potentials,
    add_power_adequacy,
    add_retirement_limits,
    add_vre_share,
    adequacy_rhs,
    derive_arrays,
    discount_factors,
    moved_coefficients,
    potential_scale,
    scenario_demand,
    term,
)
from model.equations.history import (  # noqa: F401
    FUELS,
    active_history_years,
    add_base_year_activity,
    add_history,
    primary_energy_coefficients,
    primary_energy_expression,
)
from model.equations.objective import (  # noqa: F401
    NETWORK_SECTORS,
    add_objective,
    annuity_share,
    objective_coefficients,
    variable_cost,
)
