"""The national view: portfolio files, the joint simulation on common random numbers,
what the country gets, and the allocation under the budget envelopes (MILP)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from simcrm.analysis import allocation as alloc
from simcrm.analysis import portfolio as pfa
from simcrm.cli import main
from simcrm.engine.evaluate import world_draws
from simcrm.engine.run import simulate
from simcrm.spec.portfolio import load_portfolio

ROOT = Path(__file__).resolve().parents[1]
LITHIUM = (ROOT / "scenarios" / "lithium-hydroxide-refinery.toml").as_posix()
GALLIUM = (ROOT / "scenarios" / "gallium-germanium-recovery.toml").as_posix()

MATERIALS = """
[materials.lithium]
demand = [[2030, 550000, 650000, 792000]]
source = "assumption: test"
[materials.gallium]
demand = [[2030, 40, 45, 50]]
source = "assumption: test"
"""
ENVELOPES = """
[envelopes.grants]
levers = ["capex_grant"]
budget_meur = [[2026, {grants}]]
source = "assumption: test"
[envelopes.other]
levers = ["public_loan", "permit_fast_track", "price_floor", "offtake", "energy_relief"]
budget_meur = [[2026, 30.0]]
source = "assumption: test"
"""


def _write(tmp_path, body, grants=40.0, name="p.toml"):
    f = tmp_path / name
    f.write_text(body + MATERIALS + ENVELOPES.format(grants=grants))
    return f


def _plant(name, scenario, material, options, extra=""):
    opts = ", ".join(f'"{o}"' for o in options)
    return (f'[plants.{name}]\nscenario = "{scenario}"\nmaterial = "{material}"\n'
            f"options = [{opts}]\n{extra}")


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    """Lithium (two capex grants, a loan) and gallium (a grant, a price floor), base world."""
    d = tmp_path_factory.mktemp("pf")
    body = ('[portfolio]\nworlds = ["base"]\n[simulation]\ndraws = 1024\n'
            + _plant("li", LITHIUM, "lithium", ["capex-grant-0.2", "capex-grant-0.3",
                                                "public-loan"])
            + _plant("ga", GALLIUM, "gallium", ["capex-grant-0.1", "price-floor"]))
    pf = load_portfolio(_write(d, body))
    return pf, pfa.simulate_portfolio(pf)


def test_a_portfolio_of_one_plant_reproduces_its_own_run_exactly(tmp_path):
    body = ('[portfolio]\nworlds = ["base", "china-dumping"]\n[simulation]\ndraws = 1100\n'
            + _plant("li", LITHIUM, "lithium", ["capex-grant-0.2", "public-loan"]))
    pf = load_portfolio(_write(tmp_path, body))
    res = pfa.simulate_portfolio(pf, chunk=1024)  # chunks never change the numbers
    sc = pf.plants["li"].scenario.with_options(["capex-grant-0.2", "public-loan"])
    own = simulate(sc, draws=1100)
    for k in pfa.METRICS:
        a = res.ds[k].sel(plant="li", world=["base", "china-dumping"])
        b = own.results[k].sel(world=["base", "china-dumping"]).transpose(*a.dims)
        np.testing.assert_array_equal(a.values, b.values, err_msg=k)
    # the expected budget cash per year, as the run's budget.csv (float32 storage)
    cash = res.ds["budget_cash"].sel(plant="li").sum("envelope").mean("draw")
    ob = own.budget.sel(world=cash.world, year=cash.year).transpose(*cash.dims)
    np.testing.assert_allclose(cash.values, ob.values, rtol=1e-5, atol=1e-6)


def test_identical_plants_see_identical_markets_and_their_capacity_sums(tmp_path):
    twin = _plant("a", LITHIUM, "lithium", ["capex-grant-0.3"]) + _plant(
        "b", LITHIUM, "lithium", ["capex-grant-0.3"])
    pf = load_portfolio(_write(tmp_path, '[portfolio]\nworlds = ["base"]\n' + twin))
    scs = pfa.plant_scenarios(pf)
    ra, rb = (pfa.plant_numbers(pf, p, 0, 1024, scs) for p in ("a", "b"))
    pa = world_draws(scs["a"], "base", ra).prices
    pb = world_draws(scs["b"], "base", rb).prices
    for m in pa:
        np.testing.assert_array_equal(pa[m], pb[m], err_msg=m)
    assert not np.array_equal(ra.u, rb.u)  # plant risks drawn per plant
    assert not np.array_equal(ra.appeal, rb.appeal)
    # with common plant risks the two are the same plant twice: capacity exactly doubles
    common = load_portfolio(_write(tmp_path, '[portfolio]\nworlds = ["base"]\n'
                                   'plant_risks = "common"\n[simulation]\ndraws = 1024\n' + twin,
                                   name="c.toml"))
    res = pfa.simulate_portfolio(common)
    cap = res.ds["capacity_online"]
    np.testing.assert_array_equal(cap.sel(plant="a").values, cap.sel(plant="b").values)
    out = pfa.outcome(res.ds, common, {"a": "capex-grant-0.3", "b": "capex-grant-0.3"})
    np.testing.assert_allclose(out["capacity"].sel(material="lithium").values,
                               2 * cap.sel(plant="a", option="capex-grant-0.3").values,
                               rtol=1e-6)


def test_a_second_material_gets_its_own_product_shocks_but_shares_the_energy_markets(two):
    pf, _ = two
    scs = pfa.plant_scenarios(pf)
    li, ga = (pfa.plant_numbers(pf, p, 0, 1024, scs) for p in ("li", "ga"))
    T = min(li.z.shape[1], ga.z.shape[1])
    for i, m in enumerate(pfa.MARKETS):
        same = np.array_equal(li.z[:, :T, i], ga.z[:, :T, i])
        assert same == (m not in pfa.MATERIAL_MARKETS), m
    # a correlation between materials: the second material's shocks correlate with the first
    from dataclasses import replace
    rho = replace(pf, product_correlation=0.6)
    li2, ga2 = (pfa.plant_numbers(rho, p, 0, 4096, pfa.plant_scenarios(rho)) for p in ("li", "ga"))
    r = np.corrcoef(li2.z[:, 0, 0], ga2.z[:, 0, 0])[0, 1]
    assert abs(r - 0.6) < 3 / np.sqrt(4096)
    np.testing.assert_array_equal(li2.z, pfa.plant_numbers(pf, "li", 0, 4096, scs).z)


def test_capacity_online_is_the_share_of_the_year_between_first_and_last_production():
    cap = pfa.capacity_online(np.array([2028.5, np.nan]), np.array([2030.25, np.nan]),
                              np.array([100.0, 0.0]), np.arange(2027, 2032))
    np.testing.assert_allclose(cap, [[0, 50, 100, 25, 0], [0, 0, 0, 0, 0]])


def test_the_allocation_keeps_every_envelope_in_expectation(two):
    pf, res = two
    pr = alloc.problem(res.ds, pf)
    a = alloc.solve(pr)
    assert set(a.choice) == {"li", "ga"}
    assert (a.expected_cash <= pr.caps + 1e-9).all()
    assert a.objective == pytest.approx(alloc.enumerate_best(pr), abs=1e-12)


def test_the_chance_constraint_holds_and_equals_enumeration(two):
    pf, res = two
    for grants in (5.0, 20.0, 60.0):
        pr = alloc.problem(res.ds, pf)
        pr.caps[:, 0] = grants
        for alpha in (0.02, 0.1, 0.3):
            a = alloc.solve(pr, alpha, chance_draws=1024)
            assert a.exceed_share <= alpha + 1e-12
            assert (a.expected_cash <= pr.caps + 1e-9).all()
            assert a.objective == pytest.approx(alloc.enumerate_best(pr, alpha, 1024), abs=1e-12)


def test_milp_equals_enumeration_on_random_small_problems():
    rng = np.random.default_rng(7)
    for _ in range(20):
        menu = [(p, o) for p in "abc" for o in ("baseline", "x", "y", "z")]
        value = np.where([o == "baseline" for _, o in menu], 0.0, rng.random(len(menu)))
        cash = rng.gamma(1.0, 10.0, (len(menu), 200, 3, 2))
        cash[[o == "baseline" for _, o in menu]] = 0.0
        pr = alloc.Problem(menu, value, cash, np.array([[15.0, 20.0]] * 3), np.arange(3), {})
        for alpha in (1.0, 0.1):
            a = alloc.solve(pr, alpha, 200)
            assert a.objective == pytest.approx(alloc.enumerate_best(pr, alpha, 200), abs=1e-12)


def test_the_frontier_never_falls_as_the_budget_rises(two):
    pf, res = two
    fr = alloc.frontier(res.ds, pf, [0, 5, 10, 20, 40, 80, 200])
    values = [v for _, v, _ in fr]
    assert all(b >= a - 1e-12 for a, b in zip(values, values[1:]))
    # no budget: no grant (a loan repaid with interest can cost the pooled budget nothing)
    assert not fr[0][2]["li"].startswith("capex-grant")


def test_what_the_country_gets_adds_the_plants_draw_by_draw(two):
    pf, res = two
    out = pfa.outcome(res.ds, pf, {"li": "capex-grant-0.3"})
    li = res.ds["production"].sel(plant="li", option="capex-grant-0.3")
    np.testing.assert_allclose(out["tonnes"].sel(material="lithium").values,
                               li.transpose("world", "draw", "year").values
                               * pf.plants["li"].material_per_tonne, rtol=1e-6)
    rows = pfa.capacity_table(out, pf, "base")
    r = next(r for r in rows if r["material"] == "gallium" and r["year"] == 2035)
    t = out["tonnes"].sel(material="gallium", world="base", year=2035).values
    assert r["p_target"] == pytest.approx(np.mean(t >= 0.06 * 0.40 * 45))
    b = pfa.budget_table(out, pf, "base")
    assert {x["envelope"] for x in b} == {"grants", "other"}


def test_the_library_portfolio_loads_with_sources():
    pf = load_portfolio(ROOT / "scenarios" / "portfolios" / "nl.toml")
    assert len(pf.plants) >= 6 and pf.deadline_year == 2030
    assert all(m.source for m in pf.materials.values())
    assert all(e.source for e in pf.envelopes.values())
    assert pf.envelopes["ikc-ets"].cap_in(np.array([2025]))[0] == pytest.approx(16.74)


@pytest.mark.parametrize(("change", "key"), [
    ('material = "lithium"', "material"),
    ("deadline_year = 1990", "portfolio.deadline_year"),
    ('levers = ["capex_grant"]', "public_loan"),
])
def test_a_bad_portfolio_file_is_one_clear_message_and_exit_2(tmp_path, change, key):
    body = "[portfolio]\n" + _plant("li", LITHIUM, "lithium", ["public-loan"])
    text = body + MATERIALS + ENVELOPES.format(grants=1.0)
    if change.startswith("material"):
        text = text.replace(change, 'material = "copper"')
    elif change.startswith("deadline"):
        text = text.replace("[portfolio]\n", "[portfolio]\n" + change + "\n")
    else:
        text = text.replace('levers = ["public_loan", ', "levers = [")
    f = tmp_path / "bad.toml"
    f.write_text(text)
    r = CliRunner().invoke(main, ["portfolio", str(f)])
    assert r.exit_code == 2, r.output
    assert "bad.toml" in r.output and key in r.output and "Traceback" not in r.output


# --------------------------------------------------------------------------------------
# Charts and report (both languages)
# --------------------------------------------------------------------------------------


def test_every_portfolio_chart_fits_a4_and_its_title_is_the_finding(two):
    from simcrm.present import layout
    from simcrm.present import portfolio_charts as pc
    from simcrm.present.charts import title_of

    pf, res = two
    rep = pfa.report(res)
    meta = pc.meta_of(res.ds, pf, "base")
    bad = {}
    for lang in ("en", "nl"):
        said = pc.findings(rep, pf, lang)
        for name, draw in pc.chart_set(rep, pf, meta).items():
            fig = draw(lang)
            problems = layout.check(fig) + layout.red_green(fig)
            if problems:
                bad[(lang, name)] = problems[:3]
            assert title_of(fig) == said[name]
    assert not bad, bad
    assert "2030" in pc.findings(rep, pf, "en")["capacity"]
    assert pc.findings(rep, pf, "en") != pc.findings(rep, pf, "nl")


def _rep(frontier, today, p_exceed=0.0, mean=1.0):
    from types import SimpleNamespace

    return {"frontier": [{"pooled_meur_per_yr": b, "objective": v} for b, v in frontier],
            "allocation_obj": SimpleNamespace(objective=today),
            "budget_allocated": [{"envelope": "grants", "year": 2029, "mean": mean, "p90": 2.0,
                                  "envelope_meur": 5.0, "p_exceed": p_exceed}]}


def test_the_frontier_title_names_the_budget_for_90_percent_and_todays_share():
    from simcrm.present import portfolio_charts as pc

    # gain over no budget: 0.5; 90 % of it (0.45) first reached at 25; today 0.25 of 0.5
    rep = _rep([(0, 0.1), (10, 0.5), (25, 0.55), (50, 0.6)], 0.35)
    assert pc.frontier_finding(rep, "en") == ("A pooled 25\u00a0MEUR a year buys 90 % of what "
                                              "budget can add; today's envelopes buy "
                                              "50\u00a0% of it")
    assert "25\u00a0mln EUR" in pc.frontier_finding(rep, "nl")
    assert "without budget cash" in pc.frontier_finding(_rep([(0, 0.2), (10, 0.2)], 0.2), "en")


def test_the_budget_title_names_the_envelope_most_often_exceeded(two):
    from simcrm.present import portfolio_charts as pc

    pf, _ = two
    assert "more than 90 %" in pc.budget_finding(_rep([], 0, p_exceed=0.05), pf, "en")
    msg = pc.budget_finding(_rep([], 0, p_exceed=0.3), pf, "en")
    assert "grants" in msg and "30\u00a0%" in msg and "2029" in msg
    assert "in expectation in 2029" in pc.budget_finding(_rep([], 0, mean=6.0), pf, "en")


def test_simcrm_portfolio_writes_charts_and_the_report_in_both_languages(tmp_path):
    body = ('[portfolio]\nworlds = ["base"]\n[simulation]\ndraws = 256\n'
            + _plant("li", LITHIUM, "lithium", ["capex-grant-0.2", "public-loan"])
            + _plant("ga", GALLIUM, "gallium", ["capex-grant-0.1"]))
    f = _write(tmp_path, body)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["portfolio", str(f), "--out", str(out)])
    assert r.exit_code == 0, r.output
    for lang in ("en", "nl"):
        assert {p.name for p in (out / "charts" / lang).glob("*.png")} == {
            "capacity.png", "frontier.png", "allocation.png", "budget.png"}
    en = (out / "portfolio.html").read_text(encoding="utf-8")
    nl = (out / "portfolio.nl.html").read_text(encoding="utf-8")
    assert 'src="charts/en/capacity.png"' in en and 'src="charts/nl/budget.png"' in nl
    assert "optimal for the model and the menus given" in en
    assert "optimaal voor het model en de gegeven menu&#x27;s" in nl
    assert "What the charts say" in r.output


# --------------------------------------------------------------------------------------
# Market size: the portfolio's output lowers the product price (one pass)
# --------------------------------------------------------------------------------------


def _with_flexibility(pf, material, flex, market):
    from dataclasses import replace

    mats = dict(pf.materials)
    mats[material] = replace(mats[material], price_flexibility=flex,
                             market=((2020.0, market),), market_source="assumption: test")
    return replace(pf, materials=mats)


def test_the_price_factor_is_the_inverse_demand_curve_at_the_expected_output(two):
    pf, res = two
    pf1 = _with_flexibility(pf, "lithium", 1.0, 20000.0)
    choice = {"li": "capex-grant-0.3"}
    f, q = pfa.price_factors(res.ds, pf1, choice)
    li = res.ds["production"].sel(plant="li", option="capex-grant-0.3", world="base")
    expected = li.mean("draw").values * pf.plants["li"].material_per_tonne
    np.testing.assert_allclose(q.sel(material="lithium", world="base").values, expected,
                               rtol=1e-6)
    # flexibility 1: the price falls in proportion to the market's growth, M / (M + Q)
    np.testing.assert_allclose(f.sel(material="lithium", world="base").values,
                               20000.0 / (20000.0 + expected), rtol=1e-6)
    np.testing.assert_array_equal(f.sel(material="gallium").values, 1.0)


def test_the_lowered_price_reaches_the_product_market_only(two):
    pf, _ = two
    pf1 = _with_flexibility(pf, "lithium", 1.0, 20000.0)
    scs = pfa.plant_scenarios(pf1)
    sc = scs["li"]
    rd = pfa.plant_numbers(pf1, "li", 0, 64, scs)
    wd = world_draws(sc, "base", rd)
    years = pf1.years
    import xarray as xr
    f = xr.DataArray(np.linspace(1.0, 0.5, len(years))[None, None, :].repeat(2, 0),
                     dims=("material", "world", "year"),
                     coords={"material": ["lithium", "gallium"], "world": ["base"],
                             "year": years})
    lowered = pfa._priced(pf1, "li", sc, "base", wd, f)
    T = wd.prices["product"].shape[1]
    g = np.interp(2026 + np.arange(T), years, np.linspace(1.0, 0.5, len(years)))
    np.testing.assert_allclose(lowered.prices["product"], wd.prices["product"] * g, rtol=1e-12)
    for m in wd.prices:
        if m != "product":
            assert lowered.prices[m] is wd.prices[m]


def test_market_size_lowers_the_plants_value_and_says_when_it_binds(two):
    pf, res = two
    pf1 = _with_flexibility(pf, "lithium", 0.5, 20000.0)
    res1 = pfa.simulate_portfolio(pf1)
    ds0, ds1 = res.ds, res1.ds
    # gallium has no flexibility: its numbers do not move
    for k in ("npv", "built", "tonnes_by_deadline"):
        np.testing.assert_array_equal(ds1[k].sel(plant="ga").values, ds0[k].sel(plant="ga").values)
    # a lower price makes the investor build less, so fewer tonnes (the mean NPV over all
    # draws can even rise: fewer plants built at a loss; not a test of the price)
    sel = dict(plant="li", world="base")
    b0, b1 = (float(ds["built"].sel(**sel).sum()) for ds in (ds0, ds1))
    assert b1 < b0
    t0, t1 = (float(ds["tonnes_by_deadline"].sel(**sel).mean()) for ds in (ds0, ds1))
    assert t1 <= t0
    rows = pfa.report(res1)["market"]
    assert [r["material"] for r in rows] == ["lithium"] and rows[0]["binds"]
    f = ds1["price_factor"].sel(material_market="lithium", world="base").values
    assert rows[0]["max_price_fall"] == pytest.approx(1 - f.min())
    from simcrm.present import portfolio_charts as pc
    assert "binds for lithium" in pc.market_lines(pfa.report(res1), pf1, "en")[0]
    # without a flexibility nothing is added to the results
    assert "price_factor" not in ds0 and pfa.report(res)["market"] == []


def test_a_price_flexibility_needs_its_source(tmp_path):
    body = "[portfolio]\n" + _plant("li", LITHIUM, "lithium", ["public-loan"])
    text = (body + MATERIALS + ENVELOPES.format(grants=1.0)).replace(
        'demand = [[2030, 550000, 650000, 792000]]',
        'demand = [[2030, 550000, 650000, 792000]]\nprice_flexibility = 0.5')
    f = tmp_path / "bad.toml"
    f.write_text(text)
    r = CliRunner().invoke(main, ["portfolio", str(f)])
    assert r.exit_code == 2, r.output
    assert "materials.lithium.market_source" in r.output and "Traceback" not in r.output


def test_options_off_the_menu_say_why_in_english_and_dutch(two):
    """An option that fails the state-aid check leaves the allocation's menu with its
    reason in both languages (the Dutch portfolio report shows the Dutch one)."""
    import xarray as xr

    pf, _ = two
    plant = pf.plants["li"]
    opts = [o for o in plant.options if o != alloc.NONE]
    ds = xr.Dataset({k: (("option", "draw"), np.full((len(opts), 4), v))
                     for k, v in (("gross_grant_equivalent", 500.0), ("aid_intensity", 0.9),
                                  ("npv", 1000.0))}, coords={"option": opts})
    bad = alloc._state_aid(ds, plant, "base")
    assert set(bad) == set(opts)  # 500 MEUR of aid is above the 200 MEUR cap
    for r in bad.values():
        assert "per-project cap of 200 MEUR" in r.en
        assert "plafond per project van 200\u00a0mln EUR" in r.nl
        assert r.en.count("; ") == r.nl.count("; ")
