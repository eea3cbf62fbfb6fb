"""The public-money levers and settings, worked by hand on the hand plant.

The hand plant (``tests.conftest.HAND_PLANT``): capex 50 MEUR spent in 2026 (the
valuation year, year 0, discount factor 1), 10 000 t/yr in 2027–2031 at 2 000 EUR/t
with 200 EUR/t of costs (18 MEUR/yr before tax), depreciation 10 MEUR/yr, investor's
rate 10 %, public rate 2.25 %, EU discount rate 2 % (base rate 1 % + 1 %).
"""

from __future__ import annotations

import numpy as np
import pytest

from simcrm.engine.run import base_case

D10 = np.array([1.1**-t for t in range(8)])      # investor's discount factors
D_PUB = np.array([1.0225**-t for t in range(8)])  # public discount rate
D_EU = np.array([1.02**-t for t in range(8)])     # EU discount rate: base 1 % + 1 %


def _case(hand_scenario, extra: str, option: str, tax: float = 0.25):
    sc = hand_scenario(tax=tax, extra=extra)
    m0, l0 = base_case(sc)
    m, lines = base_case(sc, option=option)
    return m0, l0, m, lines


# --------------------------------------------------------------------------------------
# Capex grant paid on milestones
# --------------------------------------------------------------------------------------

MILESTONES = """
[options.spend.capex_grant]
share = 0.2
[options.mile.capex_grant]
share = 0.2
payment = "milestones"
"""


def test_capex_grant_on_milestones_pays_40_percent_at_fid_and_the_rest_in_production(
        hand_scenario):
    # grant 0.2 × 50 = 10 MEUR: 4 at FID (2026), 2 in each of 2027–2029
    m0, _, m, lines = _case(hand_scenario, MILESTONES, "mile")
    paid = np.array([4, 2, 2, 2, 0, 0, 0, 0.0])
    np.testing.assert_allclose(lines["capex_grant"], paid, atol=1e-12)
    np.testing.assert_allclose(lines["budget_cash_capex_grant"], paid, atol=1e-12)
    assert m["budget_cash_pv"] == pytest.approx(paid @ D_PUB, rel=1e-12)
    assert m["gross_grant_equivalent"] == pytest.approx(paid @ D_EU, rel=1e-12)
    # the grant lowers the depreciation base by 10: tax +0.25 × 2 a year in 2027–2031
    dtax = 0.5 * D10[1:6].sum()
    assert m["npv"] - m0["npv"] == pytest.approx(paid @ D10 - dtax, rel=1e-12)


def test_capex_grant_paid_with_spending_is_today_s_grant(hand_scenario):
    m0, _, m, lines = _case(hand_scenario, MILESTONES, "spend")
    np.testing.assert_allclose(lines["capex_grant"], [10, 0, 0, 0, 0, 0, 0, 0], atol=1e-12)
    assert m["budget_cash_pv"] == pytest.approx(10.0, rel=1e-12)
    assert m["gross_grant_equivalent"] == pytest.approx(10.0, rel=1e-12)
