"""The business case against a plant worked out by hand, and the schedule kernels."""

import numpy as np
import pytest

import simcrm
from simcrm.engine.run import base_case
from simcrm.kernels.schedule import overlap, production_factor, project_dates

A5 = sum(1.1**-t for t in range(1, 6))  # annuity factor, 5 years at 10 %: 3.790787


def test_overlap_and_production_factor_by_hand():
    np.testing.assert_allclose(overlap(np.array([0.5]), np.array([2.25]), 4)[0],
                               [0.5, 1.0, 0.25, 0.0])
    # start 0.5, linear ramp over 1 year, life 10: year 0 integrates y from 0 to 0.5
    f = production_factor(np.array([0.5]), 10.0, 1.0, 4)[0]
    np.testing.assert_allclose(f, [0.125, 0.875, 1.0, 1.0])
    # no ramp, life ends mid-year 2
    np.testing.assert_allclose(production_factor(np.array([0.0]), 2.5, 0.0, 4)[0],
                               [1, 1, 0.5, 0])


def test_project_dates_permit_grid_and_caps():
    c0, s = project_dates(24.0, 1.0, 12.0, 0.0, 24.0)
    assert (c0, s) == (3.0, 5.0)
    # grid ready at 84 months: construction is timed to finish then
    c0, s = project_dates(12.0, 0.0, 0.0, 84.0, 24.0)
    assert (c0, s) == (5.0, 7.0)
    c0, s = project_dates(40.0, 1.0, 20.0, 84.0, 24.0, permit_cap_months=15,
                          grid_cap_months=12)
    assert (c0, s) == (15 / 12, 39 / 12)


def test_hand_plant_without_tax(hand_scenario):
    m, lines = base_case(hand_scenario(tax=0.0))
    np.testing.assert_allclose(lines["net_cash_flow"], [-50, 18, 18, 18, 18, 18, 0, 0],
                               atol=1e-12)
    assert m["npv"] == pytest.approx(-50 + 18 * A5, rel=1e-12)  # 18.234
    # IRR: 18 * annuity(5, r) = 50
    assert 18 * sum((1 + m["irr"]) ** -t for t in range(1, 6)) == pytest.approx(50, rel=1e-10)
    assert m["irr"] == pytest.approx(0.23435, abs=1e-4)
    # capex in 2026, 18 a year from 2027: cumulative -50, -32, -14 at the end of 2028
    # (year 2), +4 at the end of 2029: paid back 14/18 into year 3
    assert m["payback"] == pytest.approx(3 + 14 / 18)
    assert m["first_production"] == pytest.approx(2027.0)
    # levelised cost: PV(capex + opex) / PV(production)
    assert m["lcop"] == pytest.approx((50e6 + 2e6 * A5) / (10_000 * A5), rel=1e-12)
    # break-even flat price p: -50 + (p * 0.01 - 2) * A5 = 0
    assert m["breakeven_price"] == pytest.approx((50 / A5 + 2) / 0.01, rel=1e-9)
    assert m["budget_cash_pv"] == 0.0 and m["gross_grant_equivalent"] == 0.0


def test_hand_plant_with_tax_and_depreciation(hand_scenario):
    # depreciation 50/5 = 10 a year from 2027; tax 25 % of (18 - 10) = 2
    m, lines = base_case(hand_scenario(tax=0.25))
    np.testing.assert_allclose(lines["tax"], [0, -2, -2, -2, -2, -2, 0, 0], atol=1e-12)
    assert m["npv"] == pytest.approx(-50 + 16 * A5, rel=1e-12)  # 10.653
    # the state gets the tax: PV at 2.25 % of the tax paid; but the baseline's net public
    # cost is zero by definition (no option, so no tax over the baseline)
    pv_tax = sum(2 * 1.0225**-t for t in range(1, 6))
    assert m["tax_paid_pv"] == pytest.approx(pv_tax, rel=1e-12)
    assert m["fiscal_return"] == 0.0 and m["public_cost_net"] == 0.0


def test_hand_plant_loss_carry_forward(hand_scenario):
    # depreciation over 1 year: 2027 taxable 18 - 50 = -32; losses then offset
    # min(18, 1) + 0.5 * 17 = 9.5 of each later year's 18 until the pool is used up.
    sc = hand_scenario(tax=0.25).with_inputs({"finance.depreciation_years": 1.0})
    m, lines = base_case(sc)
    # pool 32: 2028 offset 9.5 (pool 22.5), 2029 9.5 (13), 2030 9.5 (3.5), 2031 3.5 (0)
    want = -0.25 * np.array([0, 0, 18 - 9.5, 18 - 9.5, 18 - 9.5, 18 - 3.5, 0, 0])
    np.testing.assert_allclose(lines["tax"], want, atol=1e-12)


GRANT = """
[options.grant.capex_grant]
share = 0.2
"""
GRANT_TAXED = """
[options.grant.capex_grant]
share = 0.2
taxable = true
reduces_depreciation_base = false
"""


def test_capex_grant_by_hand(hand_scenario):
    # 10 MEUR grant in 2026 lowers the depreciation base to 40: depreciation 8, tax 2.5
    sc = hand_scenario(tax=0.25, extra=GRANT)
    m0, _ = base_case(sc)
    m, lines = base_case(sc, option="grant")
    np.testing.assert_allclose(lines["capex_grant"], [10, 0, 0, 0, 0, 0, 0, 0])
    assert m["npv"] == pytest.approx(-40 + 15.5 * A5, rel=1e-12)
    assert m["npv"] - m0["npv"] == pytest.approx(10 - 0.5 * A5, rel=1e-12)  # tax effect
    assert m["budget_cash_pv"] == pytest.approx(10.0, rel=1e-12)
    assert m["gross_grant_equivalent"] == pytest.approx(10.0, rel=1e-12)  # paid in year 0
    # the plant is built with or without the grant (every draw is built here): the tax
    # it pays is no return of the grant, so the net public cost is the grant
    assert m["fiscal_return"] == 0.0
    assert m["public_cost_net"] == pytest.approx(10.0, rel=1e-12)
    np.testing.assert_allclose(lines["budget_cash_capex_grant"], lines["capex_grant"])
    np.testing.assert_allclose(lines["aid_capex_grant"], lines["capex_grant"])


def test_taxable_capex_grant_by_hand(hand_scenario):
    # taxed in 2026 (2.5), full depreciation base: net 2026 = -50 + 10 - 2.5
    m, lines = base_case(hand_scenario(tax=0.25, extra=GRANT_TAXED), option="grant")
    assert lines["tax"][0] == pytest.approx(-2.5)
    assert m["npv"] == pytest.approx(-42.5 + 16 * A5, rel=1e-12)


def test_grant_window_missed_by_a_delayed_plant(hand_scenario):
    extra = GRANT + "last_year = 2025\n"
    m, lines = base_case(hand_scenario(tax=0.0, extra=extra), option="grant")
    assert m["budget_cash_pv"] == 0.0
    assert np.all(lines["capex_grant"] == 0)


def test_production_subsidy_price_floor_and_offtake_by_hand(hand_scenario):
    extra = """
[options.sub.production_subsidy]
eur_per_t = 100
years = 2
[options.floor.price_floor]
strike = 2500
years = 3
volume_cap_tpa = 6000
[options.cfd.price_floor]
strike = 1500
two_sided = true
years = 1
[options.buy.offtake]
volume_tpa = 4000
price = 2200
years = 1
resale_share = 0.5
"""
    sc = hand_scenario(tax=0.0, extra=extra)
    _, sub = base_case(sc, option="sub")
    np.testing.assert_allclose(sub["production_subsidy"], [0, 1, 1, 0, 0, 0, 0, 0])
    m, fl = base_case(sc, option="floor")
    np.testing.assert_allclose(fl["price_floor"], [0, 3, 3, 3, 0, 0, 0, 0])  # 500 EUR/t × 6 kt
    assert m["budget_cash_pv"] == pytest.approx(3 / 1.0225 + 3 / 1.0225**2 + 3 / 1.0225**3)
    # the aid is the payment above the market price, at the EU discount rate (2 %)
    assert m["gross_grant_equivalent"] == pytest.approx(3 / 1.02 + 3 / 1.02**2 + 3 / 1.02**3)
    m, cfd = base_case(sc, option="cfd")
    # the plant pays 500 EUR/t × 10 kt back
    np.testing.assert_allclose(cfd["price_floor"], [0, -5, 0, 0, 0, 0, 0, 0])
    # the state receives the payback: budget cash -5 in 2027; a contract that only
    # takes money is no aid
    assert m["budget_cash_pv"] == pytest.approx(-5 / 1.0225)
    assert m["gross_grant_equivalent"] == 0.0
    np.testing.assert_allclose(cfd["gov_receipts"], [0, 5, 0, 0, 0, 0, 0, 0])
    m, buy = base_case(sc, option="buy")
    np.testing.assert_allclose(buy["offtake"], [0, 0.8, 0, 0, 0, 0, 0, 0])  # (2200-2000) × 4 kt
    np.testing.assert_allclose(buy["gov_outlays"], [0, 8.8, 0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(buy["gov_receipts"], [0, 4.0, 0, 0, 0, 0, 0, 0])
    # budget cash: bought for 8.8, half the market value (4.0) back; aid: 0.8 above market
    np.testing.assert_allclose(buy["budget_cash_offtake"], [0, 4.8, 0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(buy["aid_offtake"], [0, 0.8, 0, 0, 0, 0, 0, 0])


def test_energy_relief_by_hand(hand_scenario):
    extra = """
[options.relief.energy_relief]
power_price_reduction = 40
grid_tariff_discount = 0.5
indirect_cost_share = 0.5
emission_factor_t_per_mwh = 0.7
first_year = 2028
"""
    sc = hand_scenario(tax=0.0, extra=extra).with_inputs({
        "operations.electricity_mwh_per_t": 2.0,
        "markets.electricity.start": 95.0, "markets.electricity.long_run": 95.0,
        "markets.electricity.grid_tariff": 20.0,
        "markets.carbon.start": 80.0, "markets.carbon.long_run": 80.0,
    })
    _, ln = base_case(sc, option="relief")
    per_mwh = 40 + 0.5 * 20 + 0.5 * 0.7 * 80  # 78 EUR/MWh
    want = per_mwh * 20_000 / 1e6  # 20 000 MWh a year
    np.testing.assert_allclose(ln["energy_relief"], [0, 0, want, want, want, want, 0, 0])
    np.testing.assert_allclose(ln["electricity"][1], -(95 + 20) * 20_000 / 1e6)


def test_public_loan_and_investment_deduction_by_hand(hand_scenario):
    extra = """
[options.loan.public_loan]
share = 0.4
rate = 0.02
tenor_years = 2
grace_years = 0
[options.eia.investment_deduction]
share = 0.4
"""
    sc = hand_scenario(tax=0.25, extra=extra).with_inputs({"finance.debt_rate": 0.06})
    m0, _ = base_case(sc)
    m, ln = base_case(sc, option="loan")
    np.testing.assert_allclose(ln["debt_drawdown"], [20, 0, 0, 0, 0, 0, 0, 0])
    pay = 20 * 0.02 / (1 - 1.02**-2)
    np.testing.assert_allclose(-ln["interest"][:3], [0, 0.4, 0.02 * (20 - (pay - 0.4))])
    # budget cash: 20 lent in 2026, the debt service back; no default here
    np.testing.assert_allclose(ln["budget_cash_public_loan"][:3], [20, -pay, -pay])
    # aid: the interest below the EU reference rate (1 % + 4 % = 5 %) on the balance
    np.testing.assert_allclose(ln["aid_public_loan"][:3], [0, 0.03 * 20, 0.03 * (20 - (pay - 0.4))])
    assert m["npv"] > m0["npv"]
    m, ln = base_case(sc, option="eia")
    # 20 MEUR extra deduction in 2026 becomes a loss carried forward
    assert ln["budget_cash_investment_deduction"].sum() == pytest.approx(0.25 * 20, rel=1e-12)
    np.testing.assert_allclose(ln["aid_investment_deduction"],
                               ln["budget_cash_investment_deduction"])
    assert m["npv"] > m0["npv"]


def test_empty_option_is_baseline(hand_scenario):
    sc = hand_scenario(tax=0.25, extra="[options.nothing]\ndescription = 'no levers'\n")
    m0, l0 = base_case(sc)
    m1, l1 = base_case(sc, option="nothing")
    assert m0 == m1
    for k in l0:
        np.testing.assert_array_equal(l0[k], l1[k])


def test_nominal_terms_with_fisher_rate_equal_real_terms_without_tax(hand_scenario):
    # Everything escalates with inflation in nominal terms; discounting at the Fisher rate
    # (1 + r)(1 + i) - 1 must give the real NPV back when no tax or debt bends it.
    real, _ = base_case(hand_scenario(tax=0.0))
    sc = hand_scenario(tax=0.0).with_settings(**{"scenario.terms": "nominal"}).with_inputs(
        {"finance.inflation": 0.03, "finance.discount_rate": 1.10 * 1.03 - 1})
    nominal, lines = base_case(sc)
    assert nominal["npv"] == pytest.approx(real["npv"], rel=1e-12)
    assert lines["revenue"][2] == pytest.approx(20 * 1.03**2)


def test_public_loan_replaces_senior_debt_first(hand_scenario):
    extra = """
[options.loan.public_loan]
share = 0.3
[options.ontop.public_loan]
share = 0.3
replaces_senior_debt = false
"""
    sc = hand_scenario(tax=0.25, extra=extra).with_inputs({"finance.debt_gearing": 0.5})
    _, base = base_case(sc)
    _, loan = base_case(sc, option="loan")
    _, ontop = base_case(sc, option="ontop")
    assert base["debt_drawdown"][0] == pytest.approx(25.0)  # 50 % of 50 MEUR
    assert loan["debt_drawdown"][0] == pytest.approx(25.0)  # 20 % senior + 30 % public
    assert ontop["debt_drawdown"][0] == pytest.approx(40.0)  # 50 % senior + 30 % public


def test_with_inputs_returns_a_new_scenario_and_leaves_the_old_one(hand_scenario):
    sc = hand_scenario(tax=0.0)
    new = sc.with_inputs({"finance.debt_rate": 0.07, "plant.capex_meur": 60})
    assert new is not sc
    assert new.worlds["base"].inputs["finance.debt_rate"] == 0.07
    assert sc.worlds["base"].inputs["finance.debt_rate"] == 0.06
    assert sc.worlds["base"].inputs["plant.capex_meur"] == 50
    m, _ = base_case(new)
    assert m["npv"] == pytest.approx(-60 + 18 * A5, rel=1e-12)


def test_with_inputs_per_world(hand_scenario):
    extra = """
[worlds.dear]
finance.debt_rate = 0.09
[worlds.other]
plant.life_years = 4
"""
    sc = hand_scenario(extra=extra)
    every = sc.with_inputs({"finance.debt_rate": 0.05})
    assert {w.inputs["finance.debt_rate"] for w in every.worlds.values()} == {0.05}
    assert "finance.debt_rate" not in every.worlds["dear"].overrides
    # the base changes the worlds that do not override the key, as the file would
    base = sc.with_inputs({"finance.debt_rate": 0.05}, world="base")
    assert base.worlds["other"].inputs["finance.debt_rate"] == 0.05
    assert base.worlds["dear"].inputs["finance.debt_rate"] == 0.09
    one = sc.with_inputs({"finance.debt_rate": 0.04}, world="other")
    assert one.worlds["other"].inputs["finance.debt_rate"] == 0.04
    assert one.worlds["base"].inputs["finance.debt_rate"] == 0.06
    assert "finance.debt_rate" in one.worlds["other"].overrides
    dist = sc.with_inputs({"plant.capex_overrun": {"dist": "uniform", "low": 1, "high": 1.5}})
    assert dist.worlds["base"].inputs["plant.capex_overrun"].mean() == pytest.approx(1.25)
    assert dist.uncertain_keys == ["plant.capex_overrun"]


def test_with_inputs_refuses_bad_keys_and_values(hand_scenario):
    sc = hand_scenario()
    with pytest.raises(KeyError, match="finance.debt_rate"):
        sc.with_inputs({"finance.debt_rat": 0.05})
    with pytest.raises(KeyError, match="unknown world"):
        sc.with_inputs({"finance.debt_rate": 0.05}, world="nowhere")
    with pytest.raises(simcrm.ScenarioError, match="outside the allowed range"):
        sc.with_inputs({"plant.utilisation": 1.5})
    with pytest.raises(simcrm.ScenarioError, match="fixed value"):
        sc.with_inputs({"finance.depreciation_years": {"dist": "uniform", "low": 1, "high": 2}})
