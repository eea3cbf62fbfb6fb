"""Shared fixtures: small scenarios written to temporary files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import simcrm

LEGACY = {
    "development": ["cost_share_per_yr = 0", "capex_escalation = 0", "window_hazard = 0"],
    "permitting": ["refusal_hazard = 0"],
    "operations": ["idle_when_unprofitable = false"],
    "finance": ["walkaway_years = 1000", "decommissioning_share = 0"],
    "decision": ['investor = "always"'],
}
"""Settings that switch off what the investment-decision model added (development
costs, hazards, escalation, idling, walking away, decommissioning, the investor's
choice): a scenario with them behaves as simcrm did before (payback aside)."""


def legacy(text: str) -> str:
    """``text`` (a scenario) with the :data:`LEGACY` settings added to its tables."""
    for section, keys in LEGACY.items():
        header = f"[{section}]\n"
        block = "".join(f"{k}\n" for k in keys)
        text = (text.replace(header, header + block, 1) if header in text
                else text + f"\n{header}{block}")
    return text


HAND_PLANT = """
[scenario]
name = "hand"
[simulation]
draws = 1
seed = 7
start_year = 2026
horizon_years = 8
[plant]
capacity_tpa = 10000
capex_meur = 50
construction_months = 12
rampup_years = 0
utilisation = 1.0
life_years = 5
[operations]
reagents_eur_per_t = 200
maintenance_share = 0
[markets.product]
start = 2000
[permitting]
permit_months = 0
[finance]
discount_rate = 0.10
tax_rate = {tax}
depreciation_years = 5
working_capital_share = 0
"""
HAND_PLANT = legacy(HAND_PLANT)
"""A deterministic plant worked out by hand: capex 50 MEUR spent in 2026, production
10 000 t/yr in 2027–2031 at 2000 EUR/t with 200 EUR/t of costs: 18 MEUR/yr before tax."""

SMALL = """
[scenario]
name = "small"
[simulation]
draws = 3000
seed = 11
horizon_years = 25
rank_correlations = [["plant.capex_overrun", "plant.construction_months", 0.5]]
[plant]
capacity_tpa = 24000
capex_meur = { dist = "pert", low = 470, mode = 600, high = 800 }
capex_overrun = { dist = "lognormal", median = 1.15, p90 = 1.6 }
construction_months = { dist = "triangular", low = 24, mode = 30, high = 42 }
rampup_years = 1.5
utilisation = { dist = "uniform", low = 0.8, high = 0.95 }
life_years = 20
[operations]
feedstock_t_per_t = 7.0
electricity_mwh_per_t = 3.0
gas_mwh_per_t = 3.5
co2_t_per_t = 0.7
reagents_eur_per_t = 1000
labour_meur_per_yr = 13
[markets.product]
start = 14000
long_run = 17000
volatility = 0.35
crash_prob = 0.05
crash_size = 0.4
[markets.feedstock]
start = 1100
long_run = 1300
volatility = 0.35
[markets.electricity]
start = 95
grid_tariff = 25
volatility = 0.15
[markets.gas]
start = 40
volatility = 0.3
[markets.carbon]
start = 70
volatility = 0.15
[markets]
correlations = [["product", "feedstock", 0.85], ["gas", "electricity", 0.7]]
[permitting]
permit_months = { dist = "lognormal", median = 24, p90 = 48 }
appeal_prob = 0.3
appeal_months = 12
grid_wait_months = { dist = "uniform", low = 12, high = 60 }
[finance]
discount_rate = 0.09
debt_gearing = 0.4
[worlds.high-energy]
markets.electricity.start = 150
markets.gas.start = { times = 2.5 }
"""
SMALL_NEW = SMALL
"""A lithium-refinery-like scenario with uncertainty, debt and two worlds."""
SMALL = legacy(SMALL)
"""The same in the behaviour before the investment decision was modelled (LEGACY)."""

OPTIONS = """
[options.grant.capex_grant]
share = [0.1, 0.3]
[options.fast.permit_fast_track]
cap_months = 15
scale = 0.8
[options.grid.grid_priority]
cap_months = 12
[options.floor.price_floor]
strike = 15000
[options.cfd.price_floor]
strike = 15000
two_sided = true
[options.relief.energy_relief]
power_price_reduction = 49
indirect_cost_share = 0.75
[options.loan.public_loan]
share = 0.3
[options.guarantee.loan_guarantee]
gearing = 0.6
[options.offtake.offtake]
volume_tpa = 5000
price = 16000
[options.eia.investment_deduction]
share = 0.4
[options.subsidy.production_subsidy]
eur_per_t = 1000
years = 5
annual_cap_meur = 15
first_year = 2029
last_year = 2034
[options.empty]
description = "No levers at all"
"""


@pytest.fixture
def write(tmp_path: Path):
    """Write a TOML text to a file in a temporary folder and return its path."""

    def _write(text: str, name: str = "scenario.toml") -> Path:
        p = tmp_path / name
        p.write_text(textwrap.dedent(text), encoding="utf-8")
        return p

    return _write


@pytest.fixture
def hand_scenario(write):
    def _make(tax: float = 0.0, extra: str = "") -> simcrm.Scenario:
        return simcrm.load_scenario(write(HAND_PLANT.format(tax=tax) + extra, "hand.toml"))

    return _make


@pytest.fixture(scope="session")
def small_path(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("small") / "small.toml"
    p.write_text(SMALL, encoding="utf-8")
    return p


@pytest.fixture(scope="session")
def levers_path(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("levers") / "levers.toml"
    p.write_text(SMALL + OPTIONS, encoding="utf-8")
    return p


@pytest.fixture(scope="session")
def levers_run(levers_path):
    """All levers on the small scenario, 2000 draws, every draw's cash flows kept."""
    sc = simcrm.load_scenario(levers_path)
    return simcrm.simulate(sc, draws=2000, keep_cashflows=2000)
