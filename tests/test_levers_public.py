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


# --------------------------------------------------------------------------------------
# Offtake as a strategic stockpile
# --------------------------------------------------------------------------------------

STOCK = """
[options.stock.offtake]
volume_tpa = 4000
price = 2200
mode = "stockpile"
holding_years = 2
"""


def test_stockpile_buys_holds_at_a_cost_and_releases_after_the_holding_period(hand_scenario):
    # 4 000 t/yr bought in 2027–2031 at 2 200 EUR/t = 8.8 MEUR a year; the market stays at
    # 2 000 (no crisis), so each purchase is sold two years later for 8.0 MEUR; 1 % a year
    # of 8.8 = 0.088 MEUR for each purchase in stock in the two years after it is bought
    m0, _, m, lines = _case(hand_scenario, STOCK, "stock")
    in_stock = np.array([0, 0, 1, 2, 2, 2, 2, 1])
    outlays = 8.8 * np.array([0, 1, 1, 1, 1, 1, 0, 0]) + 0.088 * in_stock
    receipts = 8.0 * np.array([0, 0, 0, 1, 1, 1, 1, 1])
    np.testing.assert_allclose(lines["gov_outlays"], outlays, atol=1e-12)
    np.testing.assert_allclose(lines["gov_receipts"], receipts, atol=1e-12)
    np.testing.assert_allclose(lines["budget_cash_offtake"], outlays - receipts, atol=1e-12)
    assert m["budget_cash_pv"] == pytest.approx((outlays - receipts) @ D_PUB, rel=1e-12)
    # the plant gets 200 EUR/t over the market on 4 000 t: 0.8 MEUR/yr, taxed at 25 %;
    # that transfer above the market price is the aid
    line = 0.8 * np.array([0, 1, 1, 1, 1, 1, 0, 0])
    np.testing.assert_allclose(lines["offtake"], line, atol=1e-12)
    assert m["gross_grant_equivalent"] == pytest.approx(line @ D_EU, rel=1e-12)
    assert m["npv"] - m0["npv"] == pytest.approx(0.75 * line @ D10, rel=1e-12)


def test_stockpile_releases_in_the_first_crisis_year_and_at_the_horizon():
    from simcrm.levers.offtake import release_year, stockpile

    s = {"volume_tpa": 10.0, "price": 100.0, "holding_years": 3, "release_trigger": 1.5,
         "holding_cost_share": 0.0, "finance_rate": 0.0, "resale_share": 0.5,
         "first_year": None, "last_year": None}
    price = np.array([[100.0, 100, 160, 170, 100, 100]])
    at = release_year(s, price, np.full(6, 100.0))
    # bought in 0 → first crisis year 2; in 1 → 2; in 2 → 3; in 3 → end of holding 5 (the
    # horizon); in 4 and 5 → the last year
    np.testing.assert_array_equal(at, [[2, 2, 3, 5, 5, 5]])
    b = stockpile(s, np.array([[10.0, 10, 0, 0, 0, 0]]), price, np.arange(6), np.ones(6))
    # 10 t bought in years 0 and 1, both sold in year 2 at half of 160 EUR/t
    np.testing.assert_allclose(b.receipts, [[0, 0, 2 * 0.5 * 160 * 10 / 1e6, 0, 0, 0]])
    # an idle year 1 buys nothing, so nothing of it is sold later
    idle = b.remask(np.array([[1.0, 0, 1, 1, 1, 1]]))
    np.testing.assert_allclose(idle.receipts, [[0, 0, 0.5 * 160 * 10 / 1e6, 0, 0, 0]])
    np.testing.assert_allclose(idle.outlays, [[1e-3, 0, 0, 0, 0, 0]])


# --------------------------------------------------------------------------------------
# Price floor on the converter's spread
# --------------------------------------------------------------------------------------

SPREAD = """
[markets.feedstock]
start = 100
[options.spread.price_floor]
strike = 1900
basis = "spread"
"""


def test_spread_floor_tops_up_the_margin_over_feedstock(hand_scenario, write):
    from tests.conftest import HAND_PLANT

    # 2 t of feedstock at 100 EUR/t per t of product: margin 2 000 − 200 = 1 800 EUR/t,
    # 100 EUR/t under the strike margin on 10 000 t: 1 MEUR a year in 2027–2031
    text = HAND_PLANT.format(tax=0.25).replace(
        "reagents_eur_per_t = 200", "reagents_eur_per_t = 0\nfeedstock_t_per_t = 2") + SPREAD
    import simcrm

    sc = simcrm.load_scenario(write(text, "spread.toml"))
    m0, _ = base_case(sc)
    m, lines = base_case(sc, option="spread")
    line = np.array([0, 1, 1, 1, 1, 1, 0, 0.0])
    np.testing.assert_allclose(lines["price_floor"], line, atol=1e-12)
    np.testing.assert_allclose(lines["budget_cash_price_floor"], line, atol=1e-12)
    assert m["budget_cash_pv"] == pytest.approx(line @ D_PUB, rel=1e-12)
    assert m["gross_grant_equivalent"] == pytest.approx(line @ D_EU, rel=1e-12)
    assert m["npv"] - m0["npv"] == pytest.approx(0.75 * line @ D10, rel=1e-12)


def test_spread_floor_does_not_pay_when_feedstock_falls_with_the_product():
    from simcrm.levers.price_floor import price_floor

    s = {"strike": 1800.0, "volume_cap_tpa": None, "two_sided": False, "first_year": None,
         "last_year": None}
    tonnes = np.full((1, 3), 1000.0)
    price = np.array([[2000.0, 1500, 1200]])     # product falls by 500 and 800 EUR/t
    feed = np.array([[200.0, 200 - 500, 200 - 800]])  # feedstock per t falls alike
    args = (tonnes, price, np.arange(3), np.ones(3))
    np.testing.assert_allclose(price_floor(s, *args, feed).plant, 0.0, atol=1e-12)
    # settled on the product price at the same strike it pays for the feedstock move
    np.testing.assert_allclose(price_floor(s, *args).plant, [[0, 0.3, 0.6]], atol=1e-12)
