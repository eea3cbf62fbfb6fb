"""Public money as the ministry counts it: budget cash, grant equivalent, fiscal return,
the EU state-aid check and the honest ranking, against hand-worked numbers."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
import xarray as xr

import simcrm
from simcrm.analysis import ranking
from simcrm.engine.evaluate import base_case

from .conftest import HAND_PLANT, SMALL_NEW

PUBLIC_RATE = 0.0225  # the registry default of finance.public_discount_rate


def _hand(write, extra: str, decide: bool = False, price: float = 2000.0) -> simcrm.Scenario:
    """The hand plant (capex 50 MEUR in 2026, 10 000 t/yr in 2027-2031, 200 EUR/t of
    costs, 25 % tax, 5-year straight-line depreciation), optionally with an investor who
    decides (every draw identical: the decision is the sign of the NPV)."""
    text = HAND_PLANT.format(tax=0.25).replace("start = 2000", f"start = {price:g}")
    if decide:
        text = text.replace('investor = "always"', 'investor = "expected-npv"\npilot_draws = 256')
        text = text.replace("draws = 1\n", "draws = 300\n")
    return simcrm.load_scenario(write(text + extra, "hand.toml"))


GRANT = """
[options.grant.capex_grant]
share = 0.2
"""


def test_baseline_has_no_public_money(write):
    sc = simcrm.load_scenario(write(SMALL_NEW + GRANT, "small.toml"))
    res = simcrm.simulate(sc, draws=512).results.sel(option="baseline")
    for k in ("budget_cash_pv", "gross_grant_equivalent", "fiscal_return", "public_cost_net"):
        assert np.all(res[k].values == 0.0), k


def test_grant_of_known_size_when_the_plant_is_built_anyway(write):
    # 20 % of 50 MEUR paid in 2026 (year 0, so no discounting): budget cash = grant
    # equivalent = 10 MEUR; the plant is built with or without it, so no fiscal return
    sc = _hand(write, GRANT)
    met, lines = base_case(sc, option="grant")
    assert met["budget_cash_pv"] == pytest.approx(10.0, abs=1e-12)
    assert met["gross_grant_equivalent"] == pytest.approx(10.0, abs=1e-12)
    assert met["aid_intensity"] == pytest.approx(0.2, abs=1e-12)
    assert met["fiscal_return"] == 0.0
    assert met["public_cost_net"] == pytest.approx(10.0, abs=1e-12)
    assert lines["budget_cash"].sum() == pytest.approx(10.0, abs=1e-12)


def test_grant_that_changes_the_decision_earns_the_tax_it_brings(write):
    # at 1 600 EUR/t: EBITDA 14 MEUR/yr. Without the grant: tax 0.25 (14 - 10) = 1 a year,
    # NPV = -50 + 13 * annuity(10 %, 5) = -0.72 < 0: not built. With 20 % (depreciation
    # base 40, 8 a year): tax 0.25 (14 - 8) = 1.5, NPV = -40 + 12.5 * 3.7908 = +7.4: built.
    sc = _hand(write, GRANT, decide=True, price=1600)
    res = simcrm.simulate(sc).results.sel(world="base")
    assert np.all(res["built"].sel(option="baseline").values == 0)
    assert np.all(res["built"].sel(option="grant").values == 1)
    fr = sum(1.5 / (1 + PUBLIC_RATE) ** t for t in range(1, 6))  # tax 2027-2031
    np.testing.assert_allclose(res["fiscal_return"].sel(option="grant").values, fr, rtol=1e-12)
    np.testing.assert_allclose(res["budget_cash_pv"].sel(option="grant").values, 10.0,
                               rtol=1e-12)
    np.testing.assert_allclose(res["public_cost_net"].sel(option="grant").values, 10.0 - fr,
                               rtol=1e-12)
    assert np.all(res["fiscal_return"].sel(option="baseline").values == 0.0)


def test_fiscal_return_is_the_discounted_tax_line_over_baseline(write):
    sc = _hand(write, GRANT, decide=True, price=1600)
    r = simcrm.simulate(sc, keep_cashflows=3)
    cf = r.cashflows.sel(world="base", option="grant").isel(draw=0)
    tax_base = r.cashflows.sel(world="base", option="baseline").isel(draw=0)["tax"].values
    # the year-0 flow is undiscounted: numpy_financial.npv's convention
    want = npf.npv(PUBLIC_RATE, tax_base - cf["tax"].values)
    assert cf["tax_over_baseline"].values.sum() == pytest.approx(
        (tax_base - cf["tax"].values).sum())
    assert float(r.results["fiscal_return"].sel(world="base", option="grant")[0]) == (
        pytest.approx(want, rel=1e-12))


LOAN = """
[state_aid]
base_rate = 0.01
reference_margin = 0.04
[options.loan-at-reference.public_loan]
share = 0.3
rate = 0.05
[options.loan-cheap.public_loan]
share = 0.3
rate = 0.03
"""


def test_loan_at_the_reference_rate_is_no_aid_and_its_cash_is_lent_less_repaid(write):
    sc = _hand(write, LOAN)
    met, ln = base_case(sc, option="loan-at-reference")
    assert met["gross_grant_equivalent"] == 0.0
    # no senior debt in the hand plant: every loan line is the state's loan
    lent_less_repaid = ln["debt_drawdown"] + ln["interest"] + ln["principal"]
    np.testing.assert_allclose(ln["budget_cash_public_loan"], lent_less_repaid, atol=1e-12)
    assert ln["debt_drawdown"].sum() == pytest.approx(15.0)
    # a loan at 3 % against a 5 % reference rate: aid = 2 % of the opening balance a
    # year, discounted at the EU discount rate (base + 1 % = 2 %)
    met3, ln3 = base_case(sc, option="loan-cheap")
    end = 15.0 + np.cumsum(ln3["principal"])  # drawn in 2026, balance at each year's end
    opening = np.concatenate([[0.0], end[:-1]])
    want = sum(0.02 * b / 1.02 ** t for t, b in enumerate(opening))
    assert met3["gross_grant_equivalent"] == pytest.approx(want, rel=1e-9)
    assert want > 0


RELIEF = """
[state_aid]
method = "tender"   # only the instrument limits and the cap are judged here
[options.relief-15y.energy_relief]
power_price_reduction = 49.0
first_year = 2028
last_year = 2042
[options.relief-cisaf.energy_relief]
power_price_reduction = 40.0   # at most half of the 95 EUR/MWh wholesale price
consumption_share = 0.5
floor_eur_mwh = 50.0
first_year = 2028
last_year = 2030
"""


def test_energy_relief_is_judged_by_the_cisaf_limits(write):
    sc = simcrm.load_scenario(write(SMALL_NEW + RELIEF, "relief.toml"))
    full = simcrm.simulate(sc, draws=512).summary
    sm = full.sel(world="base")
    why = str(sm["state_aid_reason"].sel(option="relief-15y").values)
    assert float(sm["state_aid_ok"].sel(option="relief-15y")) == 0.0
    assert "15 years" in why and "at most 3 years" in why
    assert "consumption" in why and "floor" in why
    assert float(sm["state_aid_ok"].sel(option="relief-cisaf")) == 1.0
    assert str(sm["state_aid_reason"].sel(option="relief-cisaf").values) == ""
    assert float(sm["state_aid_ok"].sel(option="baseline")) == 1.0
    # the same verdict in Dutch, for the Dutch charts and report: reason for reason
    nl = str(sm["state_aid_reason_nl"].sel(option="relief-15y").values)
    assert "15 jaar" in nl and "ten hoogste 3 jaar" in nl
    assert "verbruik" in nl and "bodem" in nl and "consumption" not in nl
    assert nl.count("; ") == why.count("; ")
    assert str(sm["state_aid_reason_nl"].sel(option="relief-cisaf").values) == ""
    # the report states it in its own language
    from types import SimpleNamespace

    from simcrm.present.report import _state_aid_notes

    f = SimpleNamespace(sm=full, options=list(full["option"].values),
                        label=lambda o, lang: str(o))
    assert nl.split("; ")[0] in _state_aid_notes(f, "nl", "base")
    assert why.split("; ")[0] in _state_aid_notes(f, "en", "base")
    assert "consumption" not in _state_aid_notes(f, "nl", "base")


def test_relief_floor_and_consumption_share_in_the_plant_line(write):
    # 3 MWh/t: a 60 EUR/MWh cut on half the use with the price held at a 50 floor
    text = SMALL_NEW + """
[options.r.energy_relief]
power_price_reduction = 60.0
consumption_share = 0.5
floor_eur_mwh = 50.0
"""
    sc = simcrm.load_scenario(write(text, "r.toml"))
    _, ln = base_case(sc, option="r")
    mwh = ln["production"] * 3.0
    cut = min(60.0, 95.0 - 50.0)  # electricity 95 EUR/MWh on the deterministic path
    np.testing.assert_allclose(ln["energy_relief"], 0.5 * cut * mwh / 1e6, rtol=1e-12)


def _summary(rows: dict, effect: str = "p_built") -> xr.Dataset:
    names = list(rows)
    cols = {k: np.array([[rows[o][k]] for o in names], float) for k in rows[names[0]]}
    ds = xr.Dataset({k: (("option", "world"), v) for k, v in cols.items()},
                    coords={"option": names, "world": ["base"]})
    ds.attrs["effect"] = effect
    return ds


def _row(d=0.0, se=0.001, dnpv=0.0, dnpv_se=1.0, cost=0.0, ok=1.0, inv=0.0, p=0.1):
    return dict(d_p_built=d, d_p_built_se=se, d_npv_mean=dnpv, d_npv_mean_se=dnpv_se,
                budget_cash_pv_mean=cost, state_aid_ok=ok, investable=inv, p_built=p + d,
                d_tonnes_by_deadline=0.0, gross_grant_equivalent_mean=cost,
                fiscal_return_mean=0.0, gain_per_100meur=np.nan, tonnes_per_100meur=np.nan)


def test_ranking_never_names_noise_a_loss_maker_or_unlawful_aid():
    sm = _summary({
        "baseline": _row(),
        "noise": _row(d=0.004, se=0.003, cost=1.0),     # within two paired se
        "lowers": _row(d=0.30, dnpv=-40.0, dnpv_se=5.0, cost=1.0),
        "unlawful": _row(d=0.50, cost=1.0, ok=0.0),
        "good": _row(d=0.10, cost=100.0),
        "cheap": _row(d=0.05, cost=10.0),
    })
    why = ranking.assess(sm, "base")
    assert why == {"noise": ranking.NOISE, "lowers": ranking.LOWERS_NPV,
                   "unlawful": ranking.FAILS_AID, "good": "", "cheap": ""}
    # most extra chance per 100 MEUR of budget cash: 0.05/10 beats 0.10/100
    assert ranking.best_option(sm, "base") == "cheap"
    table = ranking.ranking_table(sm, "base")
    assert list(table.index[:2]) == ["cheap", "good"]
    assert np.isnan(table.loc["unlawful", "rank"])


def test_an_option_that_makes_the_plant_investable_comes_first():
    sm = _summary({"baseline": _row(), "good": _row(d=0.10, cost=100.0, inv=1.0),
                   "cheap": _row(d=0.05, cost=10.0)})
    assert ranking.best_option(sm, "base") == "good"


def test_nothing_helps_names_the_baseline():
    sm = _summary({"baseline": _row(), "noise": _row(d=0.004, se=0.003, cost=1.0)})
    assert ranking.best_option(sm, "base") == "baseline"
