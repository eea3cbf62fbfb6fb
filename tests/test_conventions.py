"""Feasibility-study conventions worked out by hand: cash-flow timing of the discounting,
and the project (unlevered) view beside the equity view."""

import numpy as np
import numpy_financial as npf
import pytest

import simcrm
from simcrm.engine.run import base_case
from simcrm.kernels.finance import discounting_text, timing_factor

A5 = sum(1.1**-t for t in range(1, 6))  # annuity factor, 5 years at 10 %: 3.790787


def _levered(hand_scenario, timing="start-of-year"):
    """The hand plant (capex 50 in 2026, 18 a year before tax in 2027-2031, tax 25 %,
    depreciation 10 a year) with half the capex borrowed at 6 % over 5 years."""
    sc = hand_scenario(tax=0.25).with_inputs({"finance.debt_gearing": 0.5,
                                               "finance.debt_tenor_years": 5.0})
    return sc.with_settings(**{"simulation.cash_flow_timing": timing})


def test_project_view_is_the_plant_without_its_loans(hand_scenario):
    m, lines = base_case(_levered(hand_scenario))
    # unlevered: tax 25 % of (18 - 10) = 2 whatever the loan, so 16 a year
    np.testing.assert_allclose(lines["project_cash_flow"], [-50, 16, 16, 16, 16, 16, 0, 0],
                               atol=1e-12)
    assert m["project_npv"] == pytest.approx(-50 + 16 * A5, rel=1e-12)  # 10.653
    # IRR of -50 then 16 for 5 years: 16 * annuity(5, r) = 50
    assert 16 * sum((1 + m["project_irr"]) ** -t for t in range(1, 6)) == pytest.approx(50)
    # the loan: 25 drawn at the end of 2026, annuity 25 * 0.06 / (1 - 1.06^-5) = 5.93491
    pay = 25 * 0.06 / (1 - 1.06**-5)
    np.testing.assert_allclose(-(lines["interest"] + lines["principal"])[1:6], pay, rtol=1e-12)
    # equity = project + loan drawn - debt service + the tax saved on the interest
    shield = -0.25 * lines["interest"]
    want = (lines["project_cash_flow"] + lines["debt_drawdown"] + lines["interest"]
            + lines["principal"] + shield)
    np.testing.assert_allclose(lines["net_cash_flow"], want, atol=1e-12)
    assert m["npv"] == pytest.approx(npf.npv(0.10, lines["net_cash_flow"]), rel=1e-12)
    # without debt both views are the same numbers
    m0, l0 = base_case(hand_scenario(tax=0.25))
    np.testing.assert_array_equal(l0["project_cash_flow"], l0["net_cash_flow"])
    assert m0["project_npv"] == m0["npv"] == pytest.approx(m["project_npv"], rel=1e-12)


@pytest.mark.parametrize(("timing", "offset"), [("mid-year", 0.5), ("end-of-year", 1.0)])
def test_mid_year_and_end_of_year_discounting_by_hand(hand_scenario, timing, offset):
    m, lines = base_case(_levered(hand_scenario, timing))
    m0, _ = base_case(_levered(hand_scenario))
    # every flow of year t at t + offset: -50 at offset, 16 at 1 + offset ... 5 + offset
    hand = -50 * 1.1**-offset + sum(16 * 1.1 ** -(t + offset) for t in range(1, 6))
    assert m["project_npv"] == pytest.approx(hand, rel=1e-12)
    # the audit identity: numpy_financial's NPV (start-of-year) times (1 + r)^-offset
    assert m["npv"] == pytest.approx(npf.npv(0.10, lines["net_cash_flow"]) * 1.1**-offset,
                                     rel=1e-12)
    assert m["project_npv"] == pytest.approx(
        npf.npv(0.10, lines["project_cash_flow"]) * 1.1**-offset, rel=1e-12)
    # a common shift of every flow changes no IRR, payback or break-even price
    for k in ("irr", "project_irr", "payback", "breakeven_price", "lcop"):
        assert m[k] == pytest.approx(m0[k], rel=1e-12, nan_ok=True), k
    assert timing_factor(0.1, timing) == pytest.approx(1.1**-offset)
    assert f"(t + {offset:g})" in discounting_text(timing)


def test_audit_identity_of_both_views_over_a_run(write):
    """numpy_financial on the project and equity cash flows of cashflows.nc gives the
    reported NPVs and IRRs, draw by draw, with debt and mid-year timing; summary.csv's
    statistics hold both views."""
    from tests.conftest import OPTIONS, SMALL_NEW

    text = SMALL_NEW.replace("[simulation]\n", '[simulation]\ncash_flow_timing = "mid-year"\n')
    sc = simcrm.load_scenario(write(text + OPTIONS.split("[options.fast")[0], "conv.toml"))
    res = simcrm.simulate(sc, draws=300, keep_cashflows=300)
    r, cf = res.results, res.cashflows
    assert r.attrs["cash_flow_timing"] == "mid-year"
    assert "(t + 0.5)" in r.attrs["discounting"]
    checked = 0
    for view, line in (("", "net_cash_flow"), ("project_", "project_cash_flow")):
        rows = cf[line].values.reshape(-1, cf.sizes["year"])
        got_npv = r[f"{view}npv"].values.reshape(-1)
        want = np.array([npf.npv(0.09, x) for x in rows]) * 1.09**-0.5
        np.testing.assert_allclose(got_npv, want, rtol=1e-10, atol=1e-9)
        want_irr = np.array([npf.irr(x) for x in rows])
        got_irr = r[f"{view}irr"].values.reshape(-1)
        ok = np.isfinite(want_irr)
        np.testing.assert_allclose(got_irr[ok], want_irr[ok], rtol=1e-9, atol=1e-12)
        checked += ok.sum()
    assert checked > 500
    # the loan is real: the views differ where the plant is built
    built = r["built"].values > 0
    assert np.abs(r["npv"].values - r["project_npv"].values)[built].min() > 0
    sm = res.summary
    np.testing.assert_allclose(sm["project_npv_mean"].values, r["project_npv"].mean("draw"),
                               rtol=1e-12)
    assert np.isfinite(sm["project_irr_mean"].values).all()


# ---- revenue, cost and tax lines of feasibility studies, by hand ---------------------


def _hand(hand_scenario, tax=0.0, extra="", **inputs):
    sc = hand_scenario(tax=tax, extra=extra)
    return base_case(sc.with_inputs(inputs) if inputs else sc)


def test_capex_profile_spends_by_its_shares_overrun_included(hand_scenario):
    # a two-year build from 1 January 2026: 30 % in 2026, 70 % in 2027, of 50 × 1.2
    m, lines = _hand(hand_scenario, **{"plant.construction_months": 24.0,
                                       "plant.capex_profile": [0.3, 0.7],
                                       "plant.capex_overrun": 1.2})
    np.testing.assert_allclose(lines["capex"][:3], [-18, -42, 0], atol=1e-12)
    m0, l0 = _hand(hand_scenario, **{"plant.construction_months": 24.0,
                                     "plant.capex_overrun": 1.2})
    np.testing.assert_allclose(l0["capex"][:3], [-30, -30, 0], atol=1e-12)  # evenly
    # back-loading the spending raises the NPV by the discounting of 12 a year
    assert m["npv"] - m0["npv"] == pytest.approx(12 - 12 / 1.1, rel=1e-12)


def test_royalty_on_revenue_above_a_threshold(hand_scenario):
    # 5 % of the revenue above 5 MEUR a year: 0.05 × (20 - 5) = 0.75 a year
    m, lines = _hand(hand_scenario, **{"finance.royalty_share": 0.05,
                                       "finance.royalty_threshold_meur": 5.0})
    np.testing.assert_allclose(lines["royalty"], [0, -0.75, -0.75, -0.75, -0.75, -0.75, 0, 0],
                               atol=1e-12)
    assert m["npv"] == pytest.approx(-50 + 17.25 * A5, rel=1e-12)
    # break-even p: -50 + (0.01 p - 2 - 0.05 (0.01 p - 5)) A5 = 0
    assert m["breakeven_price"] == pytest.approx((50 / A5 + 1.75) / 0.0095, rel=1e-9)


def test_byproduct_credit(hand_scenario):
    # 0.5 t of by-product per t at 400 EUR/t: 10 000 × 0.5 × 400 = 2 MEUR a year
    m, lines = _hand(hand_scenario, **{"operations.byproduct_t_per_t": 0.5,
                                       "operations.byproduct_eur_per_t": 400.0})
    np.testing.assert_allclose(lines["byproduct"], [0, 2, 2, 2, 2, 2, 0, 0], atol=1e-12)
    assert m["npv"] == pytest.approx(-50 + 20 * A5, rel=1e-12)
    assert m["breakeven_price"] == pytest.approx((50 / A5 + 2 - 2) / 0.01, rel=1e-9)


def test_sustaining_capex_is_capitalised_and_depreciated(hand_scenario):
    # 2 % of 50 = 1 a year of operation, each year's spending written off 0.2 a year over
    # 5 years: 0.2, 0.4, 0.6, 0.8, 1.0 in 2027-2031, then 0.8 and 0.6 after the life
    m, lines = _hand(hand_scenario, tax=0.25, **{"operations.sustaining_capex_share": 0.02})
    np.testing.assert_allclose(lines["sustaining_capex"], [0, -1, -1, -1, -1, -1, 0, 0],
                               atol=1e-12)
    sdep = np.array([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    want_tax = np.r_[0.25 * (18 - np.r_[0, 10, 10, 10, 10, 10] - sdep) * (sdep > 0), 0, 0]
    np.testing.assert_allclose(-lines["tax"], want_tax, atol=1e-12)  # 1.95, 1.9, ... 1.75
    np.testing.assert_allclose(lines["net_cash_flow"],
                               [-50, *(17 - want_tax[1:6]), 0, 0], atol=1e-12)


@pytest.mark.parametrize(("method", "extra", "want"), [
    # double declining balance over 5 years: 20, 12, 7.2, 5.4, 5.4; profit -2, 6, 10.8,
    # 12.6, 12.6; the loss of 2 is set off in 2028: tax 0.25 × 4 = 1
    ("declining-balance", {}, [0, 0, 1, 2.7, 3.15, 3.15, 0, 0]),
    # 75 % in the first year plus 5 % straight-line: 40, 2.5 × 4; profit -22, 15.5 × 4;
    # set off min(15.5, 1 + 0.5 × 14.5) = 8.25 in 2028 and 2029, the last 5.5 in 2030
    ("accelerated", {}, [0, 0, 0.25 * 7.25, 0.25 * 7.25, 2.5, 3.875, 0, 0]),
    # a custom table: 50 % in the first year, 50 % in the second: profit -7, -7, 18 × 3;
    # the losses of 14 are set off 9.5 in 2029 and 4.5 in 2030
    ("schedule", {"finance.depreciation_schedule": [0.5, 0.5]},
     [0, 0, 0, 0.25 * 8.5, 0.25 * 13.5, 4.5, 0, 0]),
])
def test_depreciation_methods_by_hand(hand_scenario, method, extra, want):
    m, lines = _hand(hand_scenario, tax=0.25,
                     **{"finance.depreciation_method": method, **extra})
    np.testing.assert_allclose(-lines["tax"], want, atol=1e-12)


def test_interest_deduction_limit_by_hand(hand_scenario):
    # half the capex borrowed at 6 % over 5 years; interest deductible up to
    # max(5 % of fiscal EBITDA (18), 0.5) = 0.9 a year, the rest carried forward
    m, lines = _hand(hand_scenario, tax=0.25, **{
        "finance.debt_gearing": 0.5, "finance.debt_tenor_years": 5.0,
        "finance.interest_limit": True, "finance.interest_limit_share": 0.05,
        "finance.interest_limit_meur": 0.5})
    interest = -lines["interest"]
    assert interest[1] == pytest.approx(1.5)
    # interest due with what is carried forward stays above 0.9 until 2031
    assert (np.cumsum(interest[1:6]) > 0.9 * np.arange(1, 6)).all()
    # so every year 2027-2031 deducts 0.9: tax 0.25 × (18 - 10 - 0.9) = 1.775
    np.testing.assert_allclose(-lines["tax"], [0, *[1.775] * 5, 0, 0], atol=1e-12)
    # without the limit all the interest is deducted
    _, free = _hand(hand_scenario, tax=0.25, **{"finance.debt_gearing": 0.5,
                                                "finance.debt_tenor_years": 5.0})
    np.testing.assert_allclose(-free["tax"][1:6], 0.25 * (8 - interest[1:6]), atol=1e-12)
    # the project view pays the tax without interest either way
    np.testing.assert_allclose(lines["project_cash_flow"], [-50, *[16] * 5, 0, 0], atol=1e-12)


SUBSIDY = """
[options.credit.production_subsidy]
eur_per_t = 100
taxable = {taxable}
"""


@pytest.mark.parametrize(("taxable", "tax"), [("true", 0.25 * 9), ("false", 0.25 * 8)])
def test_production_subsidy_taxed_or_not(hand_scenario, taxable, tax):
    # 100 EUR/t × 10 000 t = 1 MEUR a year; taxed: 0.25 × (18 + 1 - 10)
    sc = hand_scenario(tax=0.25, extra=SUBSIDY.format(taxable=taxable))
    m, lines = base_case(sc, option="credit")
    np.testing.assert_allclose(-lines["tax"][1:6], tax, atol=1e-12)
    np.testing.assert_allclose(lines["net_cash_flow"][1:6], 19 - tax, atol=1e-12)
    # the break-even price counts the same tax
    p = m["breakeven_price"]
    sc0 = hand_scenario(tax=0.25, extra=SUBSIDY.format(taxable=taxable)).with_inputs(
        {"markets.product.start": p, "markets.product.long_run": p})
    assert base_case(sc0, option="credit")[0]["npv"] == pytest.approx(0, abs=1e-6)


def test_currency_is_stated_and_euro_means_a_rate_of_one(write, hand_scenario):
    from tests.conftest import HAND_PLANT

    text = HAND_PLANT.format(tax=0.0).replace(
        'name = "hand"', 'name = "hand"\ncurrency = "USD"\neur_per_unit = 0.92')
    res = simcrm.simulate(simcrm.load_scenario(write(text, "usd.toml")), draws=1)
    assert res.results.attrs["currency"] == "USD"
    assert res.results.attrs["eur_per_unit"] == 0.92
    bad = HAND_PLANT.format(tax=0.0).replace('name = "hand"', 'name = "hand"\neur_per_unit = 2')
    with pytest.raises(simcrm.ScenarioError, match="eur_per_unit"):
        simcrm.load_scenario(write(bad, "bad.toml"))


# ---- price decks ------------------------------------------------------------------------


def test_price_deck_by_hand(hand_scenario):
    # deck 2000 in 2026, 2400 in 2028, 1800 from 2031: 2200 in 2027, 2200 in 2029, 2000 in
    # 2030 (linear between its years); 10 000 t a year in 2027-2031, 2 MEUR of costs
    deck = [[2026, 2000], [2028, 2400], [2031, 1800]]
    m, lines = _hand(hand_scenario, **{"markets.product.deck": deck})
    np.testing.assert_allclose(lines["revenue"], [0, 22, 24, 22, 20, 18, 0, 0], atol=1e-12)
    want = -50 + sum(x * 1.1**-t for t, x in enumerate([20, 22, 20, 18, 16], start=1))
    assert m["npv"] == pytest.approx(want, rel=1e-12)


def test_stochastic_prices_move_around_the_deck():
    """With a deck the log deviation from it follows the same reverting process as the
    log deviation from the long-run level without one: d_t = (1 - k) d_(t-1) + s z_t."""
    from simcrm.kernels.markets import price_path

    rng = np.random.default_rng(5)
    z = rng.standard_normal((4000, 12))
    deck = np.linspace(30_000, 18_000, 12)
    p = price_path(z, 99.0, 99.0, 0.3, 0.25, deck=deck)
    d = np.log(p / deck)
    np.testing.assert_allclose(d[:, 0], 0.0, atol=1e-15)  # starts on the deck
    np.testing.assert_allclose(d[:, 1:] - 0.7 * d[:, :-1], 0.25 * z[:, 1:], atol=1e-12)
    # the deck is the median path: half the draws lie above it in the last year
    above = (p[:, -1] > deck[-1]).mean()
    assert abs(above - 0.5) < 3 * np.sqrt(0.25 / 4000)
    # without a deck the same shocks revert to the long-run level as before
    flat = price_path(z, 20_000.0, 25_000.0, 0.3, 0.25)
    np.testing.assert_allclose(np.log(flat[:, 0] / 25_000), np.log(0.8), atol=1e-15)
    np.testing.assert_allclose(np.log(flat / 25_000)[:, 1:] - 0.7 * np.log(flat / 25_000)[:, :-1],
                               0.25 * z[:, 1:], atol=1e-12)


@pytest.mark.parametrize(("line", "message"), [
    ("deck = [[2030, 20000], [2028, 18000]]", "years must increase"),
    ("deck = [[2030, -1]]", "outside the allowed range"),
    ("deck = [2030, 20000]", "list of \\[year, value\\] pairs"),
])
def test_a_bad_price_deck_is_one_clear_message(write, line, message):
    from tests.conftest import HAND_PLANT

    text = HAND_PLANT.format(tax=0.0).replace("[markets.product]\n",
                                              f"[markets.product]\n{line}\n")
    with pytest.raises(simcrm.ScenarioError, match=f"markets.product.deck.*{message}"):
        simcrm.load_scenario(write(text, "deck.toml"))


def test_financial_security_cost_during_operation(hand_scenario):
    # clean-up 10 % of the capex (5), half of it secured (2.5) at 2 % a year: 0.05 a year
    # of operation; the clean-up itself, 5, at the end of life
    m, lines = _hand(hand_scenario, **{"finance.decommissioning_share": 0.1,
                                       "finance.financial_security_share": 0.5,
                                       "finance.financial_security_fee": 0.02})
    np.testing.assert_allclose(lines["financial_security"],
                               [0, -0.05, -0.05, -0.05, -0.05, -0.05, 0, 0], atol=1e-12)
    assert -lines["decommissioning"].sum() == pytest.approx(5.0)
    m0, l0 = _hand(hand_scenario, **{"finance.decommissioning_share": 0.1,
                                     "finance.financial_security_share": 0.5})
    assert m0["npv"] - m["npv"] == pytest.approx(0.05 * A5, rel=1e-12)


# ---- project finance done as a bank would ---------------------------------------------

A5_6 = sum(1.06**-t for t in range(1, 6))  # annuity factor, 5 years at 6 %: 4.212364


def _bank(hand_scenario, **inputs):
    base = {"finance.debt_sizing": "dscr", "finance.debt_gearing": 0.8,
            "finance.debt_tenor_years": 5.0, "finance.target_dscr": 2.0,
            "finance.dsra_years": 0.0}
    return _hand(hand_scenario, **{**base, **inputs})


def test_sculpted_loan_has_its_target_dscr_every_year(hand_scenario):
    # ramp-up over the first year: CFADS 9 in 2027 (half the tonnes: 10 - 1), then 18;
    # debt service CFADS / 2 = 4.5, 9, 9, 9, 9; the loan is their PV at 6 %
    m, lines = _bank(hand_scenario, **{"plant.rampup_years": 1.0})
    service = -(lines["interest"] + lines["principal"])
    np.testing.assert_allclose(service[1:6], [4.5, 9, 9, 9, 9], atol=1e-9)
    cfads = lines["revenue"] + lines["other_opex"]
    np.testing.assert_allclose(cfads[1:6] / service[1:6], 2.0, rtol=1e-12)
    loan = 4.5 / 1.06 + 9 * (A5_6 - 1 / 1.06)
    assert lines["debt_drawdown"].sum() == pytest.approx(loan, rel=1e-12)
    assert lines["principal"].sum() == pytest.approx(-loan, rel=1e-12)
    # an annuity sized on the weakest year: 4.5 a year
    _, ann = _bank(hand_scenario, **{"plant.rampup_years": 1.0,
                                      "finance.debt_repayment": "annuity"})
    np.testing.assert_allclose(-(ann["interest"] + ann["principal"])[1:6], 4.5, atol=1e-9)
    assert ann["debt_drawdown"].sum() == pytest.approx(4.5 * A5_6, rel=1e-12)


def test_gearing_caps_the_loan_and_the_sponsor_pays_the_overrun(hand_scenario):
    # at DSCR 1.5 the cash flow carries 12 × 4.2124 = 50.5, more than 80 % of the
    # estimate (40): the loan is 40, its cover 18 / (40 / 4.2124) = 1.896 every year
    m, lines = _bank(hand_scenario, **{"finance.target_dscr": 1.5})
    assert lines["debt_drawdown"].sum() == pytest.approx(40.0, rel=1e-12)
    service = -(lines["interest"] + lines["principal"])
    np.testing.assert_allclose(service[1:6], 40 / A5_6, rtol=1e-12)
    # a 20 % overrun: the bank lends the same 40 (the sponsor's standby pays the 10),
    # where gearing-sized debt grows with the overrun (0.8 × 60 = 48)
    _, over = _bank(hand_scenario, **{"finance.target_dscr": 1.5, "plant.capex_overrun": 1.2})
    assert over["debt_drawdown"].sum() == pytest.approx(40.0, rel=1e-12)
    _, old = _hand(hand_scenario, **{"finance.debt_gearing": 0.8, "plant.capex_overrun": 1.2})
    assert old["debt_drawdown"].sum() == pytest.approx(48.0, rel=1e-12)


def test_grace_years_defer_repayment(hand_scenario):
    # two years of interest only (the balance stays), then repayment at DSCR 2 in the
    # 3 years of production left: service 9 a year, so the loan is 9 × annuity(3, 6 %)
    m, lines = _bank(hand_scenario, **{"finance.debt_grace_years": 2.0})
    loan = 9 * sum(1.06**-t for t in range(1, 4))
    assert lines["debt_drawdown"].sum() == pytest.approx(loan, rel=1e-12)
    np.testing.assert_allclose(-lines["interest"][1:3], 0.06 * loan, rtol=1e-12)
    np.testing.assert_allclose(lines["principal"][1:3], 0.0, atol=1e-12)
    np.testing.assert_allclose(-(lines["interest"] + lines["principal"])[3:6], 9, atol=1e-9)


def test_reserve_account_draws_in_a_bad_year_by_hand():
    from simcrm.kernels.finance import reserve_account

    cfads = np.array([[0, 18, 18, 6, 18, 18.0], [0, 18, 18, 2, 18, 18.0]])
    service = np.array([[0, 9, 9, 9, 9, 0.0]] * 2)
    flow, default = reserve_account(cfads, service, 0.5)
    # filled to half the next year's service (4.5) in 2027; drawn 3 in the bad year
    # (short 9 - 6); what is left (1.5) released when no service follows
    np.testing.assert_allclose(flow[0], [0, -4.5, 0, 3, 1.5, 0], atol=1e-12)
    assert default[0] == -1
    # short 7 in the bad year: the reserve's 4.5 does not cover it — default in year 3
    np.testing.assert_allclose(flow[1], [0, -4.5, 0, 4.5, 0, 0], atol=1e-12)
    assert default[1] == 3


def test_a_default_year_books_the_public_loss_with_recovery(hand_scenario):
    """A loan defaults in the year the reserve runs dry; the public loan's loss is its
    share of the balance then, less recovery, booked in that year."""
    from simcrm.levers import LEVERS
    from simcrm.levers.base import AidTerms
    from simcrm.model.financing import DefaultRisk, Financing, Loan

    z = np.zeros((1, 6))
    bal_s = np.array([[30, 24, 18, 12, 6, 0.0]])
    bal_p = np.array([[10, 8, 6, 4, 2, 0.0]])
    sen = Loan(np.array([[30, 0, 0, 0, 0, 0.0]]), z, np.array([[0, 6, 6, 6, 6, 6.0]]), bal_s)
    pub = Loan(np.array([[10, 0, 0, 0, 0, 0.0]]), z, np.array([[0, 2, 2, 2, 2, 2.0]]), bal_p)
    fin = Financing(sen, pub, {"public_loan": pub}, True, np.array([0.0]), 5.0,
                    fee=z, dsra_years=0.5)
    plant = type("P", (), {"n": 1, "T": 6, "first_prod_year": np.array([1]),
                           "s": np.array([1.0]), "ramp": np.array([0.0])})()
    cfads = np.array([[0, 12, 12, 1, 12, 12.0]])  # service 8: year 3 short 7 > reserve 4
    risk = DefaultRisk(fin, cfads, plant)
    assert risk.default_year[0] == 3
    assert risk.short[0] == pytest.approx(18 + 6)  # balances at the start of year 3
    s = {"recovery_rate": 0.4, "rate": 0.0}
    b = LEVERS["public_loan"].public_flows(s, risk, AidTerms(0.05, 0.02, 0.038))
    # public share 10 / 40 of 24 = 6, 60 % lost = 3.6: written off in year 3
    np.testing.assert_allclose(b.outlays - pub.draw, [[0, 0, 0, 3.6, 0, 0]], atol=1e-12)


def test_bank_debt_over_a_run_keeps_the_audit_identities(write):
    """Debt sized as a bank would, with a public loan and a guarantee, on uncertain
    prices: the lines add up to the equity cash flow, numpy_financial reproduces both
    NPVs, and the state's default losses fall in the default years."""
    from simcrm.model.business_case import PLANT_LINES
    from tests.conftest import SMALL_NEW

    text = SMALL_NEW.replace("debt_gearing = 0.4", 'debt_gearing = 0.6\ndebt_sizing = "dscr"')
    sc = simcrm.load_scenario(write(text + "\n[options.loan.public_loan]\nshare = 0.3\n"
                                    "[options.guarantee.loan_guarantee]\ngearing = 0.7\n",
                                    "bank.toml"))
    res = simcrm.simulate(sc, draws=400, keep_cashflows=400)
    r, cf = res.results, res.cashflows
    total = sum(cf[k] for k in PLANT_LINES if k in cf)
    np.testing.assert_allclose(total.values, cf["net_cash_flow"].values, atol=1e-9)
    assert float(abs(cf["debt_reserve"]).max()) > 0
    for view, line in (("", "net_cash_flow"), ("project_", "project_cash_flow")):
        rows = cf[line].values.reshape(-1, cf.sizes["year"])
        want = np.array([npf.npv(0.09, x) for x in rows])
        np.testing.assert_allclose(r[f"{view}npv"].values.reshape(-1), want, rtol=1e-10,
                                   atol=1e-9)
    # a call on the guarantee (its budget cash above the fees it earns back) is booked
    # in one year at most per draw
    fee = cf["guarantee_fee"].sel(option="guarantee").values  # paid by the plant: -fee
    g = cf["budget_cash_loan_guarantee"].sel(option="guarantee").values - fee
    assert ((g > 1e-12).sum(axis=-1) <= 1).all()
