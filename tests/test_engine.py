"""Engine: reproducibility, sampling accuracy, the audit trail and per-draw properties."""

from dataclasses import replace

import numpy as np
import numpy_financial as npf
import pytest
import xarray as xr
from scipy import stats

import simcrm
from simcrm.bench import BENCHMARK, irr_share, single_draw_seconds
from simcrm.engine.evaluate import (
    base_case,
    base_draws,
    evaluate,
    evaluate_chunk,
    random_numbers,
    world_draws,
)
from simcrm.engine.sampling import BLOCK, EVENTS, concat, sample_block, sample_blocks
from simcrm.kernels import finance
from simcrm.kernels.finance import discount_factors
from simcrm.model import business_case
from simcrm.model.business_case import PLANT_LINES
from simcrm.spec.distributions import Dist
from simcrm.spec.names import input_variable


def data_only(ds: xr.Dataset) -> xr.Dataset:
    """Per-draw data without attributes (creation time) and run-wide summaries."""
    ds = ds.drop_vars([k for k in ds.data_vars if k.startswith("summary_")])
    return ds.drop_attrs() if hasattr(ds, "drop_attrs") else ds.assign_attrs({})


def test_same_seed_same_numbers_and_chunk_size_does_not_matter(small_path):
    sc = simcrm.load_scenario(small_path)
    a = simcrm.simulate(sc, draws=2500, keep_cashflows=10)
    b = simcrm.simulate(sc, draws=2500, keep_cashflows=10)
    c = simcrm.simulate(sc, draws=2500, keep_cashflows=10, chunk_size=1)  # 1 block per chunk
    xr.testing.assert_identical(data_only(a.results), data_only(b.results))
    xr.testing.assert_identical(data_only(a.results), data_only(c.results))
    xr.testing.assert_identical(data_only(a.cashflows), data_only(c.cashflows))
    d = simcrm.simulate(sc, draws=2500, seed=12, keep_cashflows=0)
    assert not np.array_equal(a.results["npv"].values, d.results["npv"].values)


def test_draws_are_prefix_stable(small_path):
    sc = simcrm.load_scenario(small_path)
    short = simcrm.simulate(sc, draws=700, keep_cashflows=0).results
    long = simcrm.simulate(sc, draws=2100, keep_cashflows=0).results
    xr.testing.assert_identical(data_only(short), data_only(long.isel(draw=slice(0, 700))))


def test_cashflows_reproduce_npv_and_irr_with_numpy_financial(levers_run):
    res, cf = levers_run.results, levers_run.cashflows
    rate = (res["input_finance_discount_rate"].values if "input_finance_discount_rate" in res
            else 0.09)
    assert np.isscalar(rate) or rate.ndim == 0
    ncf = cf["net_cash_flow"]
    checked = 0
    for o in ncf["option"].values[:6]:
        for w in ncf["world"].values:
            rows = ncf.sel(option=o, world=w).values[:200]
            want_npv = np.array([npf.npv(0.09, r) for r in rows])
            got_npv = res["npv"].sel(option=o, world=w).values[:200]
            np.testing.assert_allclose(got_npv, want_npv, rtol=1e-9, atol=1e-9)
            want_irr = np.array([npf.irr(r) for r in rows])
            got_irr = res["irr"].sel(option=o, world=w).values[:200]
            ok = np.isfinite(want_irr)
            np.testing.assert_allclose(got_irr[ok], want_irr[ok], rtol=1e-9, atol=1e-12)
            checked += ok.sum()
    assert checked > 1000


def test_cash_flow_lines_add_up_to_net_cash_flow(levers_run):
    cf = levers_run.cashflows
    plant = [k for k in PLANT_LINES if k in cf]
    total = sum(cf[k] for k in plant)
    np.testing.assert_allclose(total.values, cf["net_cash_flow"].values, atol=1e-9)
    for k in cf.data_vars:
        assert cf[k].attrs["simcrm_units"] in ("MEUR/yr", "t/yr")
        assert cf[k].attrs["long_name"]


def test_results_explain_themselves(levers_run):
    ds = levers_run.results
    for k, v in ds.data_vars.items():
        assert "units" in v.attrs and v.attrs.get("long_name"), k
    for k in ("scenario_toml", "seed", "sampler", "simcrm_version", "created", "discounting"):
        assert k in ds.attrs
    assert "(1 + r)^-t" in ds.attrs["discounting"]


KS = """
[scenario]
name = "ks"
[simulation]
draws = 20000
seed = 3
sampler = "{sampler}"
horizon_years = 5
rank_correlations = [["plant.capex_meur", "plant.capex_overrun", 0.6],
                     ["plant.capex_overrun", "plant.construction_months", 0.4],
                     ["plant.capex_meur", "permitting.permit_months", -0.3]]
[plant]
capacity_tpa = 1000
capex_meur = {{ dist = "pert", low = 400, mode = 600, high = 900 }}
capex_overrun = {{ dist = "lognormal", median = 1.2, p90 = 1.6 }}
construction_months = {{ dist = "triangular", low = 20, mode = 30, high = 48 }}
utilisation = {{ dist = "uniform", low = 0.7, high = 0.95 }}
life_years = {{ dist = "discrete", values = [15, 20, 25], probs = [0.2, 0.5, 0.3] }}
[markets.product]
start = 10000
[permitting]
permit_months = {{ dist = "normal", mean = 24, sd = 4 }}
appeal_prob = {{ dist = "bernoulli", p = 0.3 }}
"""


@pytest.mark.parametrize("sampler", ["random", "lhs", "sobol"])
def test_sampled_marginals_match_their_distributions(write, sampler):
    sc = simcrm.load_scenario(write(KS.format(sampler=sampler)))
    ds = simcrm.simulate(sc, keep_cashflows=0, breakeven=False).results
    for k in ("plant.capex_meur", "plant.capex_overrun", "plant.construction_months",
              "plant.utilisation", "permitting.permit_months"):
        d = sc.worlds["base"].inputs[k]
        assert isinstance(d, Dist)
        x = ds[input_variable(k)].sel(world="base").values
        p = stats.kstest(x, d.cdf).pvalue
        assert p > 1e-3, (k, p)
    life = ds["input_plant_life_years"].sel(world="base").values
    n = life.size
    for v, q in ((15, 0.2), (20, 0.5), (25, 0.3)):
        assert abs((life == v).mean() - q) < 4 * np.sqrt(q * (1 - q) / n)
    app = ds["input_permitting_appeal_prob"].sel(world="base").values
    assert abs(app.mean() - 0.3) < 4 * np.sqrt(0.21 / n)


def test_rank_correlations_are_achieved(write):
    sc = simcrm.load_scenario(write(KS.format(sampler="random")))
    ds = simcrm.simulate(sc, draws=100_000, keep_cashflows=0, breakeven=False).results
    x = {ds[k].attrs["key"]: ds[k].sel(world="base").values for k in ds.data_vars
         if ds[k].attrs.get("role") == "input"}
    pairs = [("plant.capex_meur", "plant.capex_overrun", 0.6),
             ("plant.capex_overrun", "plant.construction_months", 0.4),
             ("plant.capex_meur", "permitting.permit_months", -0.3),
             ("plant.capex_meur", "plant.utilisation", 0.0)]
    for a, b, rho in pairs:
        got = stats.spearmanr(x[a], x[b]).statistic
        assert got == pytest.approx(rho, abs=0.02), (a, b, got)


def test_world_overrides_share_the_draws(small_path):
    ds = simcrm.simulate(simcrm.load_scenario(small_path), draws=1000,
                         keep_cashflows=0).results
    # the gas price is 2.5 × base in high-energy, draw by draw (common random numbers)
    base = ds["input_markets_gas_path_mean"].sel(world="base").values
    high = ds["input_markets_gas_path_mean"].sel(world="high-energy").values
    np.testing.assert_allclose(high, 2.5 * base, rtol=1e-12)
    np.testing.assert_array_equal(ds["input_plant_capex_meur"].sel(world="base"),
                                  ds["input_plant_capex_meur"].sel(world="high-energy"))


# ---- per-draw properties of the levers (issue: policy levers) --------------------------

def test_levers_per_draw_properties(levers_run):
    ds = levers_run.results
    base = ds.sel(option="baseline")
    for o in ds["option"].values:
        x = ds.sel(option=o)
        assert (x["gross_grant_equivalent"] >= 0).all(), o
        if o.startswith(("grant", "floor", "relief", "eia", "subsidy")):
            assert (x["npv"] >= base["npv"] - 1e-9).all(), o
        if o in ("fast", "grid"):
            assert (x["first_production"] <= base["first_production"]).all(), o
    fast = ds.sel(option="fast")
    assert (fast["first_production"] < base["first_production"]).mean() > 0.5


def test_budget_cash_equals_discounted_booked_flows(levers_run):
    ds, cf = levers_run.results, levers_run.cashflows
    gdf = discount_factors(0.0225, cf.sizes["year"])
    levers = [k for k in cf.data_vars if k.startswith("budget_cash_")]
    total = sum(cf[k] for k in levers)
    np.testing.assert_allclose(total.values, cf["budget_cash"].values, atol=1e-9)
    np.testing.assert_allclose(cf["budget_cash"].values,
                               (cf["gov_outlays"] - cf["gov_receipts"]).values, atol=1e-9)
    pv = (cf["budget_cash"] * xr.DataArray(gdf, dims="year")).sum("year")
    np.testing.assert_allclose(pv.values, ds["budget_cash_pv"].values, rtol=1e-12, atol=1e-9)


def test_option_without_levers_is_exactly_baseline(levers_run):
    ds = levers_run.results
    for k in ("npv", "irr", "payback", "lcop", "first_production", "breakeven_price"):
        np.testing.assert_array_equal(ds[k].sel(option="empty"), ds[k].sel(option="baseline"))
    for k in ("budget_cash_pv", "gross_grant_equivalent", "fiscal_return"):
        assert (ds[k].sel(option="empty") == 0).all(), k


def test_adding_or_removing_options_leaves_baseline_bit_identical(levers_path):
    sc = simcrm.load_scenario(levers_path)
    full = simcrm.simulate(sc, draws=1500, keep_cashflows=0).results
    few = simcrm.simulate(sc.with_options(["fast"]), draws=1500, keep_cashflows=0).results
    xr.testing.assert_identical(data_only(full.sel(option="baseline")),
                                data_only(few.sel(option="baseline")))


def test_more_capex_never_raises_npv(small_path):
    sc = simcrm.load_scenario(small_path)
    a = simcrm.simulate(sc, draws=1000, keep_cashflows=0).results
    capex = sc.worlds["base"].inputs["plant.capex_meur"]
    more = sc.with_inputs({"plant.capex_meur": capex.shifted(1.1)}, world="base")
    b = simcrm.simulate(more, draws=1000, keep_cashflows=0).results
    assert sc.worlds["base"].inputs["plant.capex_meur"] is capex  # the scenario is unchanged
    assert (b["npv"].sel(world="base") <= a["npv"].sel(world="base") + 1e-9).all()
    assert (b["npv"].sel(world="base") < a["npv"].sel(world="base")).mean() > 0.99


def test_longer_permit_never_brings_production_earlier(small_path):
    sc = simcrm.load_scenario(small_path)
    a = simcrm.simulate(sc, draws=1000, keep_cashflows=0).results
    permit = sc.worlds["base"].inputs["permitting.permit_months"]
    longer = sc.with_inputs({"permitting.permit_months": permit.shifted(1.0, 6)}, world="base")
    b = simcrm.simulate(longer, draws=1000, keep_cashflows=0).results
    fa, fb = (x["first_production"].sel(world="base") for x in (a, b))
    assert (fb >= fa).all()
    assert (fb > fa).mean() > 0.3  # where the grid is not the bottleneck


def test_feedstock_jumps_can_come_with_the_product_jumps(write):
    text = """
[simulation]
draws = 4000
seed = 5
horizon_years = 10
[plant]
capacity_tpa = 1000
capex_meur = 10
[markets.product]
start = 1000
crash_prob = 0.1
crash_size = 0.3
[markets.feedstock]
start = 100
crash_prob = 0.1
crash_size = 0.5
jumps_with_product = {linked}
"""
    ds = {}
    for linked in ("true", "false"):
        sc = simcrm.load_scenario(write(text.format(linked=linked), f"j{linked}.toml"))
        ds[linked] = simcrm.simulate(sc, keep_cashflows=0, breakeven=False).results
    # with linked jumps the two prices crash together: their path means move together
    def corr(d):
        return stats.spearmanr(d["input_markets_product_path_mean"].sel(world="base"),
                               d["input_markets_feedstock_path_mean"].sel(world="base")).statistic
    assert corr(ds["true"]) > 0.9
    assert abs(corr(ds["false"])) < 0.05


# ---- one evaluator for the run, the base case and the benchmark -------------------------


def test_the_run_is_the_evaluator_chunk_by_chunk(small_path):
    sc = simcrm.load_scenario(small_path).with_settings(draws=2500)
    res = simcrm.simulate(sc, keep_cashflows=0).results
    part = evaluate_chunk(sc, 1024, 2500, 0)
    for k in ("npv", "irr", "first_production", "budget_cash_pv", "fiscal_return"):
        np.testing.assert_array_equal(res[k].values[..., 1024:], part["metrics"][k])
    for k in part["inputs"]:
        np.testing.assert_array_equal(res[input_variable(k)].values[:, 1024:], part["inputs"][k])


def test_worlds_of_a_slice_share_what_they_have_in_common_to_the_bit():
    # the worlds evaluated on one slice's numbers share a distribution's values, a
    # market path and the jump years through the slice's memo: each world gets what it
    # would get alone, and a world's own inputs stay its own
    sc = simcrm.load_scenario(BENCHMARK)
    rd = random_numbers(sc, 1000, 3100)
    together = {w: world_draws(sc, w, rd) for w in sc.worlds}
    assert rd.memo
    for w, wd in together.items():
        alone = world_draws(sc, w, replace(rd, memo={}))
        for k, v in alone.inputs.items():
            assert np.asarray(wd.inputs[k]).tobytes() == np.asarray(v).tobytes(), (w, k)
        for m, v in alone.prices.items():
            assert wd.prices[m].tobytes() == v.tobytes(), (w, m)
            assert not wd.prices[m].flags.writeable
        assert wd.stress.tobytes() == alone.stress.tobytes()
    base, high = together["base"], together["high-energy"]
    assert base.prices["product"] is high.prices["product"]  # same product market
    assert base.prices["gas"] is not high.prices["gas"]  # gas starts higher
    assert base.inputs["plant.capex_meur"] is not high.inputs["plant.capex_meur"]


def test_blocks_are_drawn_into_one_array_as_joined_one_by_one():
    keys, markets, streams = ["a", "b", "c"], ("x", "y"), [("x", "crash"), ("y", "spike")]
    chol = np.linalg.cholesky(np.array([[1.0, 0.6], [0.6, 1.0]]))
    for sampler in ("random", "lhs", "sobol"):
        joined = sample_blocks(3, range(2, 5), keys, 7, markets, streams, sampler, chol, [0, 2])
        one_by_one = concat([sample_block(3, b, keys, 7, markets, streams, sampler, chol, [0, 2])
                             for b in range(2, 5)], 3 * BLOCK)
        for a, b in ((joined.u, one_by_one.u), (joined.z, one_by_one.z),
                     (joined.appeal, one_by_one.appeal),
                     *((joined.jumps[k], one_by_one.jumps[k]) for k in streams),
                     *((joined.events[k], one_by_one.events[k]) for k in EVENTS)):
            assert a.tobytes() == b.tobytes(), sampler


def test_base_case_is_one_draw_of_the_evaluator(small_path):
    sc = simcrm.load_scenario(small_path)
    m, lines = base_case(sc, "high-energy")
    [(met, ln)] = evaluate(sc, base_draws(sc, "high-energy"), [sc.options["baseline"].levers],
                           keep_lines=True)
    assert m == {k: float(v[0]) for k, v in met.items()}
    np.testing.assert_array_equal(lines["net_cash_flow"], ln["net_cash_flow"][0])
    assert m["npv"] == pytest.approx(npf.npv(0.09, lines["net_cash_flow"]), rel=1e-9)


def test_bench_measures_without_patching_the_model(small_path):
    sc = simcrm.load_scenario(small_path)
    share = irr_share(sc, draws=1024)
    assert 0 < share < 1
    assert single_draw_seconds(sc, k=2) > 0
    assert business_case.irr is finance.irr


def test_bench_reports_the_shares_the_fixed_cost_and_the_worker_speed(small_path):
    """Figures only (timings are never asserted): every field is there and in range."""
    from simcrm.bench import format_bench, run_bench

    r = run_bench(small_path, draws=2048, chunk_size=1024, workers=2, single=2,
                  post_draws=1024)
    for k in ("cells_per_cpu_second", "cells_per_wall_second", "speedup_over_single_draw"):
        assert r[k] > 0, k
    # the wall-clock window is the whole run, around its evaluating and storing of draws
    assert r["seconds"] >= r["draws_seconds"] > 0
    assert 0 <= r["breakeven_share_of_time"] < 1 and 0 < r["irr_share_of_time"] < 1
    f = r["fixed_cost"]
    assert f["draws"] == 1024 and 0 < f["post_processing_share"] < 1
    # the parts of one process's CPU time: they add up to at most its total
    assert 0 < f["chunks_cpu_seconds"] < f["simulate_cpu_seconds"]
    assert f["startup_cpu_seconds"] + f["simulate_cpu_seconds"] + f["write_cpu_seconds"] \
        <= f["total_cpu_seconds"] + 2.1e-3  # four numbers rounded to 1 ms
    assert f["fixed_cost_cpu_seconds"] == pytest.approx(f["total_cpu_seconds"]
                                                        - f["chunks_cpu_seconds"], abs=2e-3)
    # (the seconds are rounded to 1 ms, the share is not)
    assert f["post_processing_share"] == pytest.approx(
        f["write_cpu_seconds"] / f["total_cpu_seconds"], abs=1.1e-3 / f["total_cpu_seconds"])
    w = r["worker_speed"]
    assert w["worker_scheduler"] == "processes" and w["worker_cells_per_cpu_second"] > 0
    assert w["in_process_cells_per_cpu_second"] > 0
    assert w["in_process_alone_cells_per_cpu_second"] > 0
    assert w["worker_over_in_process_alone"] > 0
    text = format_bench(r)
    assert "fixed cost" in text and "dask workers" in text


def test_running_budget_sums_are_numpys_sums_over_the_draws_to_the_bit():
    """The budget cash is summed over a chunk's draws as they are evaluated, slice by
    slice (kernels.compiled.running_sums), with the bits of numpy's sum over the draws of
    the whole array, up to the end of every block (where a precision run may stop)."""
    from simcrm.kernels.compiled import running_sums

    rng = np.random.default_rng(3)
    n, T, block = 2500, 7, 1024
    x = rng.standard_normal((n, T)) * 10.0 ** rng.uniform(-6, 6, (n, T))
    x[:, 0] = -0.0  # signed zeros as numpy keeps them
    acc, out = np.empty(T), np.empty((3, T))
    for a in range(0, n, 700):  # slices that straddle the blocks
        running_sums(acc, x[a:a + 700], a, n, block, out)
    for k, end in enumerate((1024, 2048, 2500)):
        assert out[k].tobytes() == x[:end].sum(axis=0).tobytes()
