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


# --------------------------------------------------------------------------------------
# Public equity
# --------------------------------------------------------------------------------------

EQUITY = """
[options.pari.public_equity]
share = 0.25
exit_years = 2
[options.premium.public_equity]
share = 0.25
entry_premium = 0.2
exit_years = 2
"""
NCF = np.array([-50, 16, 16, 16, 16, 16, 0, 0.0])  # the hand plant's equity cash flow


def test_pari_passu_equity_is_no_aid_and_leaves_the_sponsor_its_share(hand_scenario):
    # the state pays 25 % of the 50 MEUR at FID, takes 25 % of 16 in 2027–2029 and is
    # bought out in 2029 (two years after first production) for 25 % of the flows after
    # it at the investor's 10 %: 0.25 × (16/1.1 + 16/1.1²)
    m0, l0, m, lines = _case(hand_scenario, EQUITY, "pari")
    np.testing.assert_allclose(l0["net_cash_flow"], NCF, atol=1e-12)
    sale = 0.25 * (16 / 1.1 + 16 / 1.21)
    line = np.array([12.5, -4, -4, -4 - sale, 0, 0, 0, 0])
    np.testing.assert_allclose(lines["public_equity"], line, atol=1e-12)
    np.testing.assert_allclose(lines["net_cash_flow"], NCF + line, atol=1e-12)
    np.testing.assert_allclose(lines["budget_cash_public_equity"], line, atol=1e-12)
    np.testing.assert_allclose(lines["gov_outlays"], [12.5, 0, 0, 0, 0, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(lines["gov_receipts"], [0, 4, 4, 4 + sale, 0, 0, 0, 0],
                               atol=1e-12)
    assert m["budget_cash_pv"] == pytest.approx(line @ D_PUB, rel=1e-12)
    assert m["gross_grant_equivalent"] == 0.0
    # bought out at fair value at the sponsor's rate: the sponsor keeps 75 % of its NPV
    assert m["npv"] == pytest.approx(0.75 * m0["npv"], rel=1e-12)


def test_equity_bought_above_fair_value_is_aid_worth_the_premium(hand_scenario):
    m0, _, m, lines = _case(hand_scenario, EQUITY, "premium")
    # 20 % over fair value on the 12.5 MEUR contribution: 2.5 MEUR more to the sponsor
    np.testing.assert_allclose(lines["aid_public_equity"], [2.5, 0, 0, 0, 0, 0, 0, 0],
                               atol=1e-12)
    assert m["gross_grant_equivalent"] == pytest.approx(2.5, rel=1e-12)
    assert m["npv"] == pytest.approx(0.75 * m0["npv"] + 2.5, rel=1e-12)
    assert m["budget_cash_pv"] == pytest.approx(lines["budget_cash_public_equity"] @ D_PUB,
                                                rel=1e-12)


# --------------------------------------------------------------------------------------
# Clawback
# --------------------------------------------------------------------------------------

CLAWBACK = """
[options.claw.capex_grant]
share = 0.2
[options.claw.clawback]
upside_share = 0.5
return_threshold = 0.10
"""


def test_clawback_shares_the_upside_above_the_threshold_up_to_the_grant(hand_scenario):
    # with the 10 MEUR grant the sponsor's flow is −40, then 15.5 a year (tax 2.5: the
    # grant lowers the depreciation base). Compounded at 10 %: −40, −28.5, −15.85,
    # −1.935, then +13.3715 in 2030: half of it to the state (6.68575), then half of
    # 15.5 in 2031, capped by the 10 MEUR grant: 3.31425
    m0, _, m, lines = _case(hand_scenario, CLAWBACK, "claw")
    b3 = ((-40 * 1.1 + 15.5) * 1.1 + 15.5) * 1.1 + 15.5
    first = 0.5 * (b3 * 1.1 + 15.5)
    back = np.array([0, 0, 0, 0, first, 10 - first, 0, 0])
    np.testing.assert_allclose(lines["clawback"], -back, atol=1e-12)
    np.testing.assert_allclose(lines["budget_cash_clawback"], -back, atol=1e-12)
    np.testing.assert_allclose(lines["budget_cash"], [10, 0, 0, 0, 0, 0, 0, 0] - back,
                               atol=1e-12)
    # the grant's aid is counted where it is paid; the clawback adds none
    assert m["gross_grant_equivalent"] == pytest.approx(10.0, rel=1e-12)
    np.testing.assert_allclose(lines["aid_clawback"], 0.0, atol=0)


def test_clawback_after_an_early_stop_is_pro_rata_and_partly_recovered():
    from simcrm.levers.clawback import early_stop

    s = {"stop_years": 5.0, "recovery_rate": 0.4}
    grant = np.array([[10.0, 0, 0, 0, 0, 0], [10.0, 0, 0, 0, 0, 0], [10.0, 0, 0, 0, 0, 0]])
    close = np.array([2, -1, 5])
    first = np.array([1.0, 1.0, 1.0])
    out = early_stop(s, grant, close, first)
    # draw 0 ran 2 of 5 years (2027, 2028): 3/5 of 10 claimed, 40 % recovered, in 2028;
    # draw 1 never stops; draw 2 ran the 5 years
    np.testing.assert_allclose(out, [[0, 0, 10 * 0.6 * 0.4, 0, 0, 0], [0] * 6, [0] * 6])


# --------------------------------------------------------------------------------------
# Flexible grid contract
# --------------------------------------------------------------------------------------

GRID = """
[options.flex.flexible_grid_contract]
cap_months = 0
curtailment_hours = 876
years = 2
[options.both.flexible_grid_contract]
cap_months = 12
curtailment_hours = 0
[options.both.grid_priority]
cap_months = 0
"""


def test_flexible_grid_contract_connects_early_and_curtailment_costs_margin(write):
    import simcrm
    from tests.conftest import HAND_PLANT

    # a 24-month grid wait delays the hand plant by a year; the flexible contract removes
    # it, and 876 h of 8 760 (10 %) curtailment in the first two years costs 10 % of the
    # 18 MEUR margin; no public money
    text = HAND_PLANT.format(tax=0.25).replace("permit_months = 0",
                                               "permit_months = 0\ngrid_wait_months = 24") + GRID
    sc = simcrm.load_scenario(write(text, "grid.toml"))
    m0, l0 = base_case(sc)
    m, lines = base_case(sc, option="flex")
    assert m["first_production"] == m0["first_production"] - 1 == 2027
    np.testing.assert_allclose(lines["curtailment"], [0, -1.8, -1.8, 0, 0, 0, 0, 0],
                               atol=1e-12)
    np.testing.assert_allclose(lines["net_cash_flow"],
                               NCF + [0, -1.35, -1.35, 0, 0, 0, 0, 0], atol=1e-12)
    assert m["budget_cash_pv"] == 0.0 and m["gross_grant_equivalent"] == 0.0
    # next to grid priority the tighter cap holds, whatever the lever order
    mb, _ = base_case(sc, option="both")
    assert mb["first_production"] == 2027


# --------------------------------------------------------------------------------------
# EU co-funding
# --------------------------------------------------------------------------------------

COFUND = """
[options.eu.capex_grant]
share = 0.2
[options.eu.public_equity]
share = 0.25
exit_years = 2
[options.eu.eu_cofunding]
share = 0.6
"""


def test_eu_cofunding_pays_its_share_of_the_grant_and_leaves_the_aid(hand_scenario):
    # 60 % of the 10 MEUR grant comes from the EU budget; the stake (not a capex lever)
    # stays the Dutch treasury's alone
    m0, _, m, lines = _case(hand_scenario, COFUND, "eu")
    np.testing.assert_allclose(lines["budget_cash_eu"], [6, 0, 0, 0, 0, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(lines["budget_cash_eu_cofunding"], [-6, 0, 0, 0, 0, 0, 0, 0],
                               atol=1e-12)
    nl = lines["budget_cash_capex_grant"] + lines["budget_cash_public_equity"] - [6, 0, 0, 0,
                                                                                    0, 0, 0, 0]
    np.testing.assert_allclose(lines["budget_cash"], nl, atol=1e-12)
    assert m["budget_cash_eu_pv"] == pytest.approx(6.0, rel=1e-12)
    assert m["budget_cash_pv"] == pytest.approx(nl @ D_PUB, rel=1e-12)
    assert m["gross_grant_equivalent"] == pytest.approx(10.0, rel=1e-12)
    assert m0["budget_cash_eu_pv"] == 0.0


# --------------------------------------------------------------------------------------
# The two packages of the shared options: unconstrained and within the state-aid rules
# --------------------------------------------------------------------------------------


def test_compliant_package_passes_the_state_aid_check_where_the_package_fails():
    from pathlib import Path

    import simcrm
    from simcrm.analysis.summary import summarise

    root = Path(__file__).resolve().parents[1]
    sc = simcrm.load_scenario(root / "scenarios" / "lithium-hydroxide-refinery.toml")
    sc = sc.with_options(["package", "package-compliant"])
    res = simcrm.simulate(sc, draws=2048)
    sm = summarise(res.results).sel(world="base")
    ok = sm["state_aid_ok"].sel(option="package-compliant")
    assert float(ok) == 1.0, str(sm["state_aid_reason"].sel(option="package-compliant").values)
    assert float(sm["state_aid_ok"].sel(option="package")) == 0.0
    why = str(sm["state_aid_reason"].sel(option="package").values)
    assert "electricity-price relief runs 15 years" in why and "per-project cap" in why
    # the compliant package still gets plants built that would not be built without it
    assert float(sm["p_built"].sel(option="package-compliant")) > float(
        sm["p_built"].sel(option="baseline")) + 4 * float(
        sm["d_p_built_se"].sel(option="package-compliant"))
