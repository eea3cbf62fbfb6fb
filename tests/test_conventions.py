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
