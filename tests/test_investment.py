"""When delay costs money: development, hazards, the investor's decision, idling.

The checks of the investment-decision model: waiting never adds value in expectation,
faster permits and grid never take value away, a plant that is not built has only
its development spending, idle years cost exactly care and maintenance and a restart,
the decisions are reproducible, and the audit identity with numpy_financial holds.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy_financial as npf
import pytest

import simcrm
from simcrm.engine.evaluate import base_draws, evaluate, evaluate_chunk, investor_fits
from simcrm.kernels.finance import discount_factors

from .conftest import HAND_PLANT, OPTIONS, SMALL_NEW

TWO_SE = 2.0


@pytest.fixture(scope="module")
def new_path(tmp_path_factory):
    p = tmp_path_factory.mktemp("invest") / "invest.toml"
    p.write_text(SMALL_NEW + OPTIONS, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def new_run(new_path):
    sc = simcrm.load_scenario(new_path).with_options(["fast", "grid", "grant", "floor"])
    return simcrm.simulate(sc, draws=6144, keep_cashflows=400)


def _paired(a, b):
    """Mean of a - b and its paired standard error, per option × world."""
    d = a - b
    return d.mean("draw"), d.std("draw", ddof=1) / np.sqrt(d.sizes["draw"])


METRICS = ("npv", "built", "tonnes_by_deadline")


@pytest.mark.parametrize("delay", [
    {"permitting.permit_months": {"plus": 12}},
    {"permitting.appeal_prob": 1.0},
    {"permitting.grid_wait_months": {"plus": 18}},
], ids=["permit", "appeal", "grid"])
def test_a_longer_wait_never_raises_value_p_built_or_tonnes(new_path, new_run, delay):
    sc = simcrm.load_scenario(new_path).with_options(["fast", "grid", "grant", "floor"])
    values = {}
    for k, v in delay.items():
        w = sc.worlds["base"].inputs[k]
        if isinstance(v, dict):  # relative to the base value
            values[k] = (w.shifted(1.0, v["plus"]) if hasattr(w, "shifted") else w + v["plus"])
        else:
            values[k] = v
    slow = simcrm.simulate(sc.with_inputs(values), draws=6144, keep_cashflows=0).results
    for m in METRICS:
        d, se = _paired(slow[m], new_run.results[m])
        worst = float((d - TWO_SE * se).max())
        assert worst <= 1e-9, f"{m} rises with the delay {delay}: {d.values}"


def test_fast_track_and_grid_priority_never_lower_value_p_built_or_tonnes(write):
    """On a plant whose expected prices are flat.  Where prices are expected to rise (the
    small scenario: 14 000 now, 17 000 in the long run) an earlier FID makes the investor
    decide while prices are still low, and a few marginal projects it would have built
    two years later are declined (P(built) about 0.2 points lower with grid priority):
    the model forces the decision at the first possible FID and has no option to defer
    it, which an investor in fact has."""
    text = (SMALL_NEW + OPTIONS).replace("long_run = 17000", "long_run = 17000\n").replace(
        "start = 14000", "start = 21000").replace("long_run = 17000\n", "long_run = 21000")
    sc = simcrm.load_scenario(write(text, "flat.toml")).with_options(["fast", "grid"])
    r = simcrm.simulate(sc, draws=6144, keep_cashflows=0, breakeven=False).results
    assert 0.05 < float(r["built"].sel(option="baseline").mean()) < 0.95
    for option in ("fast", "grid"):
        for m in METRICS:
            d, se = _paired(r[m].sel(option=option), r[m].sel(option="baseline"))
            assert float((d + TWO_SE * se).min()) >= -1e-9, (option, m, d.values)


def test_a_draw_that_is_not_built_has_only_its_development_spending(new_run):
    r, cf = new_run.results, new_run.cashflows
    n = cf.sizes["draw"]
    built = r["built"].isel(draw=slice(0, n))
    assert 0 < float(built.mean()) < 1
    np.testing.assert_array_equal(np.isnan(r["first_production"].values),
                                  r["built"].values == 0)
    no = built == 0
    dev = cf["development"]
    # the tax over the baseline is the baseline's plant's tax, not this option's; the
    # project view carries the development spending too
    after = [k for k in cf.data_vars if k not in ("development", "net_cash_flow",
                                                  "project_cash_flow", "tax_over_baseline")]
    for k in after:
        assert float(abs(cf[k].where(no)).max()) == 0.0, k
    np.testing.assert_array_equal(cf["net_cash_flow"].where(no).fillna(0).values,
                                  dev.where(no).fillna(0).values)
    np.testing.assert_array_equal(cf["project_cash_flow"].where(no).fillna(0).values,
                                  dev.where(no).fillna(0).values)
    rate = 0.09  # the scenario's discount rate
    pv = (dev * discount_factors(rate, cf.sizes["year"])).sum("year")
    np.testing.assert_allclose(r["npv"].isel(draw=slice(0, n)).where(no).fillna(0).values,
                               pv.where(no).fillna(0).values, rtol=1e-12, atol=1e-12)
    assert float(dev.where(no).min()) < 0  # development money was spent and lost


def test_npv_and_irr_reproduce_from_the_audited_cash_flows(new_run):
    r, cf = new_run.results, new_run.cashflows
    n = cf.sizes["draw"]
    ncf = cf["net_cash_flow"].values.reshape(-1, cf.sizes["year"])
    want = np.array([npf.npv(0.09, row) for row in ncf])
    np.testing.assert_allclose(r["npv"].isel(draw=slice(0, n)).values.reshape(-1), want,
                               rtol=1e-10, atol=1e-9)


def test_build_decisions_are_bit_identical_whatever_the_chunking(new_path):
    sc = simcrm.load_scenario(new_path).with_options(["grant"])
    a = simulate_built(sc, chunk_size=1024)
    b = simulate_built(sc, chunk_size=3072, workers=2)
    assert np.array_equal(a, b)
    assert 0 < a.mean() < 1


def simulate_built(sc, **kw):
    return simcrm.simulate(sc, draws=5000, keep_cashflows=0, breakeven=False,
                           **kw).results["built"].values


def test_the_investor_builds_where_the_expected_value_is_positive(new_path):
    """Draws the investor declines have a lower realised value of building, on average,
    than the draws it builds — and its fit explains a good part of the value."""
    sc = simcrm.load_scenario(new_path).with_options(["grant"])
    fits = investor_fits(sc, 4096)
    # what is known at FID explains little of a plant's value (prices revert within a few
    # years; the overrun and ramp-up come later), but not nothing
    assert all(f.n > 1000 and 0.01 < f.r2 < 0.5 for f in fits.values())
    part = evaluate_chunk(replace(sc, value_fits=fits), 0, 2048, 0, breakeven=False)
    forced = evaluate_chunk(replace(sc, settings={**sc.settings,
                                                  "decision.investor": "always"}),
                            0, 2048, 0, breakeven=False)
    built = part["metrics"]["built"] == 1
    value = forced["metrics"]["npv"]
    assert value[built].mean() > value[~built].mean()


def test_grid_congestion_is_no_better_than_base_in_the_default_scenario():
    """Mean NPV and tonnes by the deadline: never better.  P(built): never better by more
    than a fraction of a point — the lithium price is expected to rise (14 000 now,
    15 000 in the long run), so a later FID lets the investor decide at higher prices,
    and a handful of marginal projects (0.1 % of draws at baseline) get built that would
    be declined at an earlier FID; the model has no option to defer FID."""
    sc = simcrm.load_scenario("scenarios/lithium-hydroxide-refinery.toml").with_options(
        ["permit-fast-track", "package"])
    r = simcrm.simulate(sc, draws=4096, keep_cashflows=0, breakeven=False).results
    for m in METRICS:
        d, se = _paired(r[m].sel(world="grid-congestion"), r[m].sel(world="base"))
        slack = 0.005 if m == "built" else 1e-9
        assert float((d - TWO_SE * se).max()) <= slack, (m, d.values)
    d, _ = _paired(r["built"].sel(world="grid-congestion"), r["built"].sel(world="base"))
    assert float(d.sel(option="package")) < -0.05  # where it matters, congestion costs


def test_idle_year_pays_care_and_maintenance_and_a_restart(write):
    """The hand plant (18 MEUR/yr margin at 2000 EUR/t) with one year at 100 EUR/t:
    it idles that year, pays 30 % of its fixed costs and 1 % of capex to restart."""
    text = HAND_PLANT.format(tax=0.0).replace(
        "maintenance_share = 0", "maintenance_share = 0\nlabour_meur_per_yr = 2\n"
        "idle_when_unprofitable = true\ncare_maintenance_share = 0.3\nrestart_cost_share = 0.01"
    ).replace("idle_when_unprofitable = false\n", "")
    sc = simcrm.load_scenario(write(text, "idle.toml"))
    wd = base_draws(sc)
    prices = dict(wd.prices)
    prices["product"] = prices["product"].copy()
    prices["product"][0, 3] = 100.0  # 2029: 100 EUR/t cannot pay 200 EUR/t of reagents
    wd = replace(wd, prices=prices)
    [(met, lines)] = evaluate(sc, wd, [{}], keep_lines=True)
    prod = lines["production"][0]
    np.testing.assert_allclose(prod, [0, 10_000, 10_000, 0, 10_000, 10_000, 0, 0])
    # running years: labour 2 MEUR; idle year: 0.3 × 2 MEUR of care and maintenance
    np.testing.assert_allclose(lines["other_opex"][0, 1:6], [-4, -4, -0.6, -4, -4], atol=1e-12)
    np.testing.assert_allclose(lines["restart"][0], [0, 0, 0, 0, -0.5, 0, 0, 0], atol=1e-12)
    assert lines["revenue"][0, 3] == 0.0
    assert met["idle_years"][0] == 1.0


def test_capacity_online_by_year_and_a_delay_never_raises_a_plants_value(write):
    """The hand plant (always built, 10 000 t/yr, production 2027-2031) is online from
    2027 to 2031; a longer permit, with development money spent while waiting, lowers
    its NPV at every step (the decision held fixed: it is built in every case)."""
    from simcrm.analysis.summary import capacity_online

    text = HAND_PLANT.format(tax=0.25).replace("cost_share_per_yr = 0",
                                               "cost_share_per_yr = 0.02")
    sc = simcrm.load_scenario(write(text, "dev.toml"))
    r = simcrm.simulate(sc, draws=1, keep_cashflows=0).results
    cap = capacity_online(r).sel(option="baseline", world="base")
    on = {int(y): float(v) for y, v in zip(cap["year"].values, cap.values)}
    assert [on[y] for y in range(2026, 2033)] == [0, 10_000, 10_000, 10_000, 10_000, 10_000, 0]
    npvs = []
    for months in (0, 6, 12, 24, 36):
        sc2 = sc.with_inputs({"permitting.permit_months": float(months)})
        met, _ = simcrm.engine.evaluate.base_case(sc2)
        assert met["built"] == 1.0
        npvs.append(met["npv"])
    assert all(a > b for a, b in zip(npvs, npvs[1:])), npvs
