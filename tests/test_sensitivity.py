"""Sensitivity: rank correlations, PRCC and Sobol' indices against known answers."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import special

import simcrm
from simcrm.analysis.sensitivity import (
    _design_model,
    prcc,
    rank_table,
    sobol,
    sobol_factors,
    sobol_indices,
    sobol_table,
    spearman,
)
from simcrm.engine.evaluate import evaluate_chunk, investor_fits, random_numbers
from simcrm.spec.distributions import Dist

from .conftest import legacy

DOMINANT = """
[scenario]
name = "dominant"
[simulation]
draws = 2048
seed = 3
horizon_years = 20
[plant]
capacity_tpa = 20000
capex_meur = { dist = "uniform", low = 100, high = 1500 }
construction_months = { dist = "uniform", low = 24, high = 30 }
life_years = 15
[operations]
reagents_eur_per_t = 1000
[markets.product]
start = 10000
volatility = 0.05
[permitting]
permit_months = { dist = "uniform", low = 12, high = 18 }
appeal_prob = 0.2
appeal_months = 6
[options.fast.permit_fast_track]
cap_months = 15
"""
"""A tiny plant whose capex has a huge spread: capex must come out as the driver."""


@pytest.fixture(scope="module")
def dominant(tmp_path_factory) -> simcrm.Scenario:
    p = tmp_path_factory.mktemp("dom") / "dominant.toml"
    p.write_text(legacy(textwrap.dedent(DOMINANT)), encoding="utf-8")
    return simcrm.load_scenario(p)


@pytest.fixture(scope="module")
def dominant_run(dominant) -> xr.Dataset:
    return simcrm.simulate(dominant, keep_cashflows=0).results


# --------------------------------------------------------------------------------------
# Sobol' indices of test functions with known answers
# --------------------------------------------------------------------------------------

A, B = 7.0, 0.1


def _ishigami_analytic():
    """Exact indices of the Ishigami function (Ishigami & Homma 1990; Sobol' 1993)."""
    v = A**2 / 8 + B * np.pi**4 / 5 + B**2 * np.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + B * np.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * np.pi**8 * (1 / 18 - 1 / 50)
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def _ishigami(U):
    x = -np.pi + 2 * np.pi * U
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_ishigami_indices_within_their_intervals():
    s1, st = _ishigami_analytic()
    np.testing.assert_allclose(s1, [0.3139, 0.4424, 0.0], atol=5e-4)
    np.testing.assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=5e-4)
    r = sobol_indices(_ishigami, ["x1", "x2", "x3"], 1024, seed=5)
    assert r["evaluations"] == 1024 * (3 + 2)
    assert np.all(np.abs(r["S1"] - s1) <= r["S1_conf"])
    assert np.all(np.abs(r["ST"] - st) <= r["ST_conf"])
    # the intervals are informative, not just wide
    assert np.all(r["S1_conf"] < 0.1)
    assert np.all(r["ST_conf"] < 0.1)


def test_second_order_design_size_and_ishigami_interaction():
    r = sobol_indices(_ishigami, ["x1", "x2", "x3"], 512, seed=2, calc_second_order=True)
    assert r["evaluations"] == 512 * (2 * 3 + 2)
    s1, st = _ishigami_analytic()
    s13 = st[2]  # the only interaction is x1·x3
    assert abs(r["S2"][0, 2] - s13) <= max(r["S2_conf"][0, 2], 0.02)
    assert abs(r["S2"][0, 1]) <= max(r["S2_conf"][0, 1], 0.02)


def test_linear_model_through_distributions():
    """y = 2a + b with a ~ N(0, 1) and b ~ U(0, 6): S_a = 4 / (4 + 3), S_b = 3 / 7, no
    interactions, so S1 = ST."""
    da = Dist.from_table({"dist": "normal", "mean": 0, "sd": 1})
    db = Dist.from_table({"dist": "uniform", "low": 0, "high": 6})

    def f(U):
        return 2 * da.ppf(U[:, 0]) + db.ppf(U[:, 1])

    r = sobol_indices(f, ["a", "b"], 2048, seed=1)
    exact = np.array([4 / 7, 3 / 7])
    assert np.all(np.abs(r["S1"] - exact) <= r["S1_conf"])
    assert np.all(np.abs(r["ST"] - exact) <= r["ST_conf"])


def test_groups_give_one_index_per_group():
    """Two columns in one group: the group's index is the share of both."""

    def f(U):
        return U[:, 0] + U[:, 1] + 2 * U[:, 2]

    r = sobol_indices(f, ["a", "b", "c"], 1024, groups=["ab", "ab", "c"], seed=3)
    assert r["factors"] == ["ab", "c"]
    assert r["evaluations"] == 1024 * (2 + 2)
    exact = np.array([2 / 6, 4 / 6])
    assert np.all(np.abs(r["ST"] - exact) <= r["ST_conf"])


def test_several_outputs_on_one_design_are_each_a_single_output():
    """``sobol`` evaluates every option on one design: a (rows, k) output gives, column
    by column, exactly the indices of that output alone."""

    def both(U):
        return np.column_stack([_ishigami(U), U[:, 0] + 2 * U[:, 1]])

    r = sobol_indices(both, ["x1", "x2", "x3"], 256, seed=4)
    one = sobol_indices(_ishigami, ["x1", "x2", "x3"], 256, seed=4)
    assert r["S1"].shape == (2, 3)
    for k in ("S1", "S1_conf", "ST", "ST_conf"):
        np.testing.assert_array_equal(r[k][0], one[k])
    assert r["output_var"][0] == pytest.approx(one["output_var"], rel=1e-12)
    assert r["factors"] == one["factors"]


@pytest.mark.parametrize("n", [1000, 3, 0])
def test_n_must_be_a_power_of_two(n):
    with pytest.raises(ValueError, match="power of two"):
        sobol_indices(_ishigami, ["x1", "x2", "x3"], n)


def test_constant_output_gives_zero_indices():
    r = sobol_indices(lambda U: np.ones(U.shape[0]), ["a", "b"], 64)
    assert np.all(r["S1"] == 0)
    assert np.all(r["ST"] == 0)


# --------------------------------------------------------------------------------------
# Sobol' indices of a scenario
# --------------------------------------------------------------------------------------


def test_sobol_of_scenario_finds_the_dominant_input(dominant):
    s = sobol(dominant, n=256)
    assert list(s["option"].values) == ["baseline", "fast"]
    f = list(s["factor"].values)
    assert f == ["plant.capex_meur", "plant.construction_months", "permitting.permit_months",
                 "permitting.appeal", "markets.product.shocks"]
    assert s.attrs["evaluations"] == 256 * (5 + 2)
    assert "grouped" in s.attrs["note"]
    assert "rank correlations" in s.attrs["note"]
    st = s["ST"].sel(option="baseline")
    assert st.idxmax().item() == "plant.capex_meur"
    # capex is uniform over a 1400 MEUR range and NPV is linear in capex: it explains
    # almost all of the variance
    assert float(st.sel(factor="plant.capex_meur")) > 0.9
    assert float(s["S1"].sel(option="baseline", factor="plant.capex_meur")) > 0.8
    tab = sobol_table(s, "baseline")
    assert tab["factor"].iloc[0] == "plant.capex_meur"
    assert list(tab.columns) == ["option", "factor", "long_name", "S1", "S1_conf", "ST",
                                 "ST_conf"]


def test_sobol_fixed_markets_drops_market_factors(dominant):
    f = [x.name for x in sobol_factors(dominant, "base", markets="fixed")]
    assert not any(x.startswith("markets.") for x in f)
    s = sobol(dominant, options=["baseline"], n=128, markets="fixed")
    assert "deterministic" in s.attrs["note"]
    assert s.attrs["evaluations"] == 128 * (4 + 2)


def test_sobol_design_maps_inputs_like_the_engine(dominant, dominant_run):
    """Every design row is a draw from the same joint distribution as the engine's draws,
    so the spread of NPV over the design matches the run's (sd of an sd: ~2 % here)."""
    s = sobol(dominant, options=["baseline"], n=512)
    run = dominant_run["npv"].sel(option="baseline", world="base").values
    sd = float(np.sqrt(s["output_var"].sel(option="baseline")))
    assert sd == pytest.approx(run.std(ddof=1), rel=0.08)


LINKED = """
[scenario]
name = "linked"
[simulation]
draws = 1024
seed = 7
horizon_years = 15
[plant]
capacity_tpa = 20000
capex_meur = { dist = "uniform", low = 300, high = 500 }
[operations]
electricity_mwh_per_t = 5.0
gas_mwh_per_t = 40.0
feedstock_t_per_t = 1.5
[markets.product]
start = 10000
volatility = 0.2
[markets.feedstock]
start = 2000
crash_prob = 0.2
crash_size = 0.5
jumps_with_product = true
[markets.electricity]
start = 90
volatility = 0.0
[markets.gas]
start = 60
volatility = 0.3
[markets]
correlations = [["electricity", "gas", 0.8]]
[permitting]
appeal_prob = 0.3
"""
"""Feedstock crashes come with the product's crash events (the product has none of its
own), and the electricity shocks, with no volatility of their own, move the gas price
through the correlation: both belong in the design."""


def test_sobol_design_row_is_evaluated_as_the_runs_draw(write):
    """Design rows built from a run's random numbers give the run's NPVs, row by row:
    the design and the run share one evaluator and one layout of random numbers."""
    sc = simcrm.load_scenario(write(LINKED))
    factors = sobol_factors(sc, "base")
    assert [(f.name, f.columns) for f in factors] == [
        ("plant.capex_meur", 1), ("permitting.appeal", 1),
        ("development.refusal", 1), ("development.window", 1),  # the default hazards
        ("markets.product.shocks", 30),  # its shocks and the crash events feedstock uses
        ("markets.electricity.shocks", 15), ("markets.gas.shocks", 15)]
    rd = random_numbers(sc, 0, 1024)
    cols = [rd.u[:, 0], rd.appeal, rd.events["refusal"], rd.events["window"],
            *special.ndtr(rd.z[:, :, 0]).T, *rd.jumps[("product", "crash")].T,
            *special.ndtr(rd.z[:, :, 2]).T, *special.ndtr(rd.z[:, :, 3]).T]
    U = np.column_stack(cols)
    fits = investor_fits(sc, 1024)  # the run's investor: the same pilot draws
    model = _design_model(sc, "base", factors, "grouped", [sc.options["baseline"].levers],
                          "npv", [fits[("baseline", "base")]])
    run = evaluate_chunk(replace(sc, value_fits=fits), 0, 1024, 0,
                         breakeven=False)["metrics"]["npv"][0, 0]
    built = evaluate_chunk(replace(sc, value_fits=fits), 0, 1024, 0,
                           breakeven=False)["metrics"]["built"][0, 0]
    assert 0 < built.mean() < 1  # some draws are declined or stopped: the test has teeth
    np.testing.assert_allclose(model(U)[:, 0], run, rtol=1e-9, atol=1e-9)


def test_sobol_fixed_markets_keep_an_uncertain_reversion(write):
    """On a deterministic path the reversion rate still sets how fast the price goes
    from ``start`` to ``long_run``, so it stays a factor with ``markets="fixed"``."""
    sc = simcrm.load_scenario(write(legacy("""
        [plant]
        capacity_tpa = 1000
        capex_meur = { dist = "uniform", low = 10, high = 20 }
        [markets.product]
        start = 1000
        long_run = 2000
        volatility = 0.2
        reversion = { dist = "uniform", low = 0.1, high = 0.5 }
        crash_prob = { dist = "uniform", low = 0.0, high = 0.1 }
        """)))
    fixed = [f.name for f in sobol_factors(sc, "base", markets="fixed")]
    assert fixed == ["plant.capex_meur", "markets.product.reversion"]


def test_sobol_bad_arguments(dominant):
    with pytest.raises(ValueError, match="power of two"):
        sobol(dominant, n=100)
    with pytest.raises(ValueError, match="unknown option"):
        sobol(dominant, options=["nope"], n=64)
    with pytest.raises(ValueError, match="unknown world"):
        sobol(dominant, world="nope", n=64)
    with pytest.raises(ValueError, match="unknown output"):
        sobol(dominant, output="nope", n=64)


# --------------------------------------------------------------------------------------
# Rank measures
# --------------------------------------------------------------------------------------


def test_spearman_ranks_planted_dominant_input_first(dominant_run):
    sp = spearman(dominant_run, "baseline", "base")
    assert list(sp.columns) == ["input", "long_name", "units", "rho"]
    assert sp["input"].iloc[0] == "plant.capex_meur"
    assert sp["rho"].iloc[0] < -0.95


def _synthetic(n=4000, seed=0) -> xr.Dataset:
    """y = x1 + 0.3·x2 + noise; x3 is x1 plus noise (correlated, no own effect)."""
    g = np.random.default_rng(seed)
    x1, x2, e = g.normal(size=n), g.normal(size=n), g.normal(size=n)
    x3 = x1 + 0.5 * g.normal(size=n)
    y = x1 + 0.3 * x2 + 0.2 * e
    inp = {"role": "input", "units": "1"}
    return xr.Dataset(
        {"npv": (("option", "world", "draw"), y[None, None], {"units": "MEUR"}),
         "x1": (("world", "draw"), x1[None], dict(inp, long_name="one")),
         "x2": (("world", "draw"), x2[None], dict(inp, long_name="two")),
         "x3": (("world", "draw"), x3[None], dict(inp, long_name="three")),
         "c": (("world", "draw"), np.zeros((1, n)), dict(inp, long_name="constant"))},
        coords={"option": ["baseline"], "world": ["base"]})


def test_prcc_removes_the_effect_of_correlated_inputs():
    ds = _synthetic()
    sp = spearman(ds, "baseline", "base").set_index("input")
    pr = prcc(ds, "baseline", "base").set_index("input")
    assert "c" not in pr.index
    assert sp.loc["x3", "rho"] > 0.7  # high rank correlation through x1 ...
    assert abs(pr.loc["x3", "prcc"]) < 0.1  # ... but no partial effect
    assert pr.index[0] == "x1"
    assert pr.loc["x1", "prcc"] > 0.85
    assert pr.loc["x2", "prcc"] > 0.6
    assert pr.loc["x2", "p_value"] < 1e-10
    assert (pr["prcc_lo"] <= pr["prcc"]).all()
    assert (pr["prcc"] <= pr["prcc_hi"]).all()


def _residual_correlation(X, y, j):
    """PRCC by its definition: regress ranks (with intercept) on the other ranks."""
    from scipy import stats

    R = np.column_stack([stats.rankdata(x) for x in X.T])
    ry = stats.rankdata(y)
    D = np.column_stack([np.ones(len(y)), np.delete(R, j, axis=1)])
    ex = R[:, j] - D @ np.linalg.lstsq(D, R[:, j], rcond=None)[0]
    ey = ry - D @ np.linalg.lstsq(D, ry, rcond=None)[0]
    return ex @ ey / np.sqrt((ex @ ex) * (ey @ ey))


def test_prcc_from_one_inverse_equals_the_residual_definition():
    ds = _synthetic(n=3000, seed=5)
    X = np.column_stack([ds[k].values[0] for k in ("x1", "x2", "x3")])
    y = ds["npv"].values[0, 0]
    pr = prcc(ds, "baseline", "base").set_index("input")
    for j, k in enumerate(("x1", "x2", "x3")):
        assert pr.loc[k, "prcc"] == pytest.approx(_residual_correlation(X, y, j), rel=1e-10)


def test_partial_correlation_of_three_variables_has_the_textbook_form():
    """r_xy.z = (r_xy - r_xz r_yz) / sqrt((1 - r_xz^2)(1 - r_yz^2))."""
    from simcrm.analysis.sensitivity import partial_correlations

    g = np.random.default_rng(1)
    z = g.normal(size=500)
    x = z + g.normal(size=500)
    y = 0.5 * x - z + g.normal(size=500)
    c = np.corrcoef([x, y, z])
    want = (c[0, 1] - c[0, 2] * c[1, 2]) / np.sqrt((1 - c[0, 2] ** 2) * (1 - c[1, 2] ** 2))
    X = np.column_stack([x, z])
    got = partial_correlations(X - X.mean(0), y - y.mean())
    assert got[0] == pytest.approx(want, rel=1e-12)


def test_prcc_of_an_input_repeated_exactly_is_undefined_and_the_rest_unchanged():
    """A singular rank-correlation matrix falls back to the fit per input."""
    ds = _synthetic(n=2000, seed=2)
    twin = ds.assign(x4=ds["x1"].copy())
    pr = prcc(twin, "baseline", "base").set_index("input")
    ref = prcc(ds, "baseline", "base").set_index("input")
    assert np.isnan(pr.loc["x1", "prcc"]) and np.isnan(pr.loc["x4", "prcc"])
    for k in ("x2", "x3"):  # x4 adds nothing the other inputs did not hold
        assert pr.loc[k, "prcc"] == pytest.approx(ref.loc[k, "prcc"], rel=1e-9)


def test_sensitivity_table_runs_blas_on_one_thread_and_restores_it(dominant_run):
    import threadpoolctl

    from simcrm.analysis import sensitivity

    seen = []
    real = sensitivity.rank_table

    def spy(*a, **k):
        seen.extend(i["num_threads"] for i in threadpoolctl.threadpool_info()
                    if i["user_api"] == "blas")
        return real(*a, **k)

    before = [i["num_threads"] for i in threadpoolctl.threadpool_info()]
    sensitivity.rank_table = spy
    try:
        t = sensitivity.sensitivity_table(dominant_run)
    finally:
        sensitivity.rank_table = real
    assert seen and set(seen) == {1}
    assert [i["num_threads"] for i in threadpoolctl.threadpool_info()] == before
    one = rank_table(dominant_run, "baseline", "base")  # no shared ranks
    mine = t[(t["option"] == "baseline") & (t["world"] == "base")].reset_index(drop=True)
    assert np.array_equal(mine["prcc"].to_numpy(), one["prcc"].to_numpy(), equal_nan=True)
    assert np.array_equal(mine["rho"].to_numpy(), one["rho"].to_numpy(), equal_nan=True)


def test_prcc_interval_covers_the_spread_of_repeated_samples():
    """The Fisher-z interval of the PRCC is about as wide as the spread over seeds."""
    est, half = [], []
    for seed in range(20):
        pr = prcc(_synthetic(n=500, seed=seed), "baseline", "base").set_index("input")
        est.append(pr.loc["x2", "prcc"])
        half.append((pr.loc["x2", "prcc_hi"] - pr.loc["x2", "prcc_lo"]) / 2 / 1.96)
    sd, se = np.std(est, ddof=1), np.mean(half)
    # the sd of 20 values has a relative standard error of 1/sqrt(2·19) ≈ 16 %; allow 3 se
    assert abs(sd / se - 1) < 3 / np.sqrt(2 * 19)


def test_rank_table_joins_both(dominant_run):
    t = rank_table(dominant_run, "baseline", "base")
    assert list(t.columns) == ["input", "long_name", "units", "rho", "rho_lo", "rho_hi", "prcc",
                               "prcc_lo", "prcc_hi", "p_value"]
    assert t["input"].iloc[0] == "plant.capex_meur"
    assert t.attrs["draws"] == 2048
    assert isinstance(t, pd.DataFrame)


# --------------------------------------------------------------------------------------
# Chart and command line
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "word"), [("en", "investment cost"),
                                            ("nl", "investeringskosten")])
def test_sobol_chart_states_the_driver(dominant, dominant_run, lang, word):
    from matplotlib.figure import Figure

    from simcrm.present.analysis_charts import sobol_chart
    from simcrm.present.charts import title_of

    s = sobol(dominant, options=["baseline"], n=64)
    fig = sobol_chart(s, "baseline", lang, ds=dominant_run)
    assert isinstance(fig, Figure)
    assert word in title_of(fig)
    ax = fig.axes[0]
    assert len(ax.patches) == 2 * s.sizes["factor"]  # ST and S1 bars
    assert len(ax.get_yticklabels()) == s.sizes["factor"]


def test_cli_sensitivity(dominant, dominant_run, tmp_path):
    from click.testing import CliRunner

    from simcrm.cli import main

    runner = CliRunner()
    out = tmp_path / "sens"
    r = runner.invoke(main, ["sensitivity", str(dominant.path), "--option", "baseline",
                             "--n", "64", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "plant.capex_meur" in r.output
    assert "N = 64" in r.output
    df = pd.read_csv(out / "sensitivity-sobol.csv")
    assert df["factor"].iloc[0] == "plant.capex_meur"
    again = runner.invoke(main, ["sensitivity", str(dominant.path), "--n", "64", "--out",
                                 str(out)])
    assert again.exit_code == 2
    assert "already exists" in again.output
    bad = runner.invoke(main, ["sensitivity", str(dominant.path), "--n", "100"])
    assert bad.exit_code == 2
    assert "power of two" in bad.output
    nc = tmp_path / "results.nc"
    dominant_run.to_netcdf(nc)
    r = runner.invoke(main, ["sensitivity", str(nc), "--option", "fast", "--out", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out / "sensitivity-rank.csv")
    assert df["input"].iloc[0] == "plant.capex_meur"
    assert {"rho", "prcc", "prcc_lo", "prcc_hi"} <= set(df.columns)
    r = runner.invoke(main, ["sensitivity", str(nc), "--option", "nope"])
    assert r.exit_code == 2


def test_rankdata_is_scipys_bit_for_bit():
    import numpy as np
    from scipy import stats

    from simcrm.analysis.sensitivity import rankdata

    g = np.random.default_rng(3)
    for x in (g.random(20_000), g.integers(0, 7, 5000).astype(float),
              np.round(g.normal(size=3000), 1) * (g.random(3000) > 0.5),
              np.array([0.0, -0.0, 1.0, -0.0]), g.integers(-3, 3, 100), np.array([2.5]),
              np.array([1.0, np.nan, 0.5])):
        a, b = rankdata(x), stats.rankdata(x)
        assert a.dtype == b.dtype
        assert np.array_equal(a, b, equal_nan=True)
        assert np.array_equal(a[np.isfinite(a)].view(np.uint64), b[np.isfinite(b)].view(np.uint64))
