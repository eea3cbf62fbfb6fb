"""Robustness across worlds (regret) and Monte Carlo convergence (standard errors)."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import xarray as xr

import simcrm
from simcrm.analysis.robustness import (
    convergence_table,
    quantile_ci,
    quantile_se,
    ranking,
    regret,
    robustness,
    running,
)
from simcrm.analysis.summary import summarise

from .conftest import legacy

TINY = """
[scenario]
name = "tiny"
[simulation]
draws = 1024
seed = 1
horizon_years = 20
[plant]
capacity_tpa = 20000
capex_meur = { dist = "pert", low = 300, mode = 550, high = 900 }
construction_months = { dist = "uniform", low = 24, high = 30 }
life_years = 15
[operations]
reagents_eur_per_t = 1000
[markets.product]
start = 7000
volatility = 0.2
[permitting]
permit_months = { dist = "lognormal", median = 18, p90 = 36 }
appeal_prob = 0.2
appeal_months = 6
"""


def _toy() -> xr.Dataset:
    """Two options, two worlds, constant NPV per cell: regrets by hand."""
    npv = np.array([[[10.0], [-5.0]],    # option a: world x, world y
                    [[4.0], [2.0]]])     # option b
    cost = np.array([[[0.0], [0.0]],
                     [[30.0], [50.0]]])
    npv = np.repeat(npv, 4, axis=-1)
    cost = np.repeat(cost, 4, axis=-1)
    return xr.Dataset({"npv": (("option", "world", "draw"), npv),
                       "budget_cash_pv": (("option", "world", "draw"), cost)},
                      coords={"option": ["a", "b"], "world": ["x", "y"]})


def test_regret_by_hand():
    r = regret(_toy())
    np.testing.assert_allclose(r["regret_npv"].values, [[0, 7], [6, 0]])
    np.testing.assert_allclose(r["regret_public_cost"].values, [[0, 0], [30, 50]])
    np.testing.assert_allclose(r["regret_p_npv_pos"].values, [[0, 1], [0, 0]])
    assert list(r["best_option"].values) == ["a", "b"]
    np.testing.assert_allclose(r["regret_npv_se"].values, 0.0)
    rb = robustness(_toy())
    np.testing.assert_allclose(rb["regret_npv"].values, [7, 6])
    assert list(rb["regret_npv_world"].values) == ["y", "x"]
    np.testing.assert_allclose(rb["p_npv_pos_worst"].values, [0, 1])
    assert list(rb["worst_world"].values) == ["y", "x"]


def test_ranking_minimax_regret_and_maximin():
    rk = ranking(_toy())
    assert list(rk["option"]) == ["b", "a"]  # worst regret 6 < 7
    assert list(rk["rank"]) == [1, 2]
    assert rk.attrs["criterion"] == "regret_npv"
    assert list(ranking(_toy(), by="regret_public_cost")["option"]) == ["a", "b"]
    assert list(ranking(_toy(), by="p_npv_pos_worst")["option"]) == ["b", "a"]
    with pytest.raises(ValueError, match="unknown criterion"):
        ranking(_toy(), by="nope")


def test_an_option_outside_the_state_aid_rules_is_never_the_most_robust():
    rk = ranking(_toy(), aid_ok={"b": False})
    assert list(rk["option"]) == ["a", "b"] and list(rk["rank"]) == [1, 2]
    assert list(rk["state_aid_ok"]) == [True, False]


def test_quantile_interval_by_hand_and_coverage():
    x = np.arange(1.0, 101.0)  # 1 .. 100
    est, lo, hi = quantile_ci(x, 0.5)
    assert est == 50.5
    # Binomial(100, 0.5): 2.5 % quantile 40, 97.5 % quantile 60 -> x_(40), x_(61)
    assert (lo, hi) == (40.0, 61.0)
    g = np.random.default_rng(0)
    reps = 400
    hits = {0.1: 0, 0.5: 0}
    for _ in range(reps):
        s = g.normal(size=300)
        for q in hits:
            _, lo, hi = quantile_ci(s, q)
            hits[q] += lo <= stats_norm_ppf(q) <= hi
    for q, h in hits.items():
        # at least nominal coverage up to 3 binomial standard errors
        assert h / reps >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / reps), q


def stats_norm_ppf(q):
    from scipy import stats

    return stats.norm.ppf(q)


@pytest.fixture(scope="module")
def repeated(tmp_path_factory):
    """The tiny plant run with 20 seeds of 1024 draws."""
    p = tmp_path_factory.mktemp("tiny") / "tiny.toml"
    # the investor's decision is fitted on the run's own draws, which ties the draws
    # together a little; the standard-error formulas are checked without it
    p.write_text(legacy(textwrap.dedent(TINY)), encoding="utf-8")
    sc = simcrm.load_scenario(p)
    return [simcrm.simulate(sc, seed=s, keep_cashflows=0, breakeven=False).results
            for s in range(100, 120)]


def test_standard_errors_match_the_spread_over_seeds(repeated):
    """The sd over 20 independent runs equals the average reported standard error,
    within 3 standard errors of a standard deviation (relative se 1/sqrt(2·19))."""
    k = len(repeated)
    tol = 3 / np.sqrt(2 * (k - 1))
    sms = [summarise(ds).sel(option="baseline", world="base") for ds in repeated]
    for stat in ("p_npv_pos", "npv_mean", "p_production_by_deadline"):
        est = np.array([float(s[stat]) for s in sms])
        se = np.mean([float(s[f"{stat}_se"]) for s in sms])
        assert 0.05 < est.mean() < 0.95 or stat == "npv_mean"
        assert abs(est.std(ddof=1) / se - 1) < tol, stat
    for q in (0.1, 0.5, 0.9):
        xs = [ds["npv"].sel(option="baseline", world="base").values for ds in repeated]
        est = np.array([np.quantile(x, q) for x in xs])
        se = np.mean([quantile_se(x, q) for x in xs])
        assert abs(est.std(ddof=1) / se - 1) < tol, q


def test_convergence_table_and_running(repeated):
    ds = repeated[0]
    t = convergence_table(ds)
    assert set(t["statistic"]) == {"npv_mean", "p_npv_pos", "npv_p10", "npv_p50", "npv_p90"}
    sm = summarise(ds).sel(option="baseline", world="base")
    row = t.set_index("statistic").loc["p_npv_pos"]
    assert row["se"] == pytest.approx(float(sm["p_npv_pos_se"]))
    assert row["draws_needed"] == np.ceil(row["estimate"] * (1 - row["estimate"]) / 1e-4)
    assert t.set_index("statistic").loc["npv_mean", "se"] == pytest.approx(
        float(sm["npv_mean_se"]))
    assert (t["lower"] <= t["estimate"]).all()
    assert (t["estimate"] <= t["upper"]).all()
    r = running(ds, "baseline", "base", points=30)
    assert r["draws"].iloc[-1] == ds.sizes["draw"]
    assert np.all(np.diff(r["draws"]) > 0)
    assert r["p_npv_pos"].iloc[-1] == pytest.approx(float(sm["p_npv_pos"]))
    assert r["npv_mean"].iloc[-1] == pytest.approx(float(sm["npv_mean"]))
    assert (r["p_lo"] <= r["p_npv_pos"] + 1e-12).all()
    assert (r["p_npv_pos"] <= r["p_hi"] + 1e-12).all()
    # the band narrows like 1/sqrt(n)
    w = (r["npv_hi"] - r["npv_lo"]).to_numpy()
    assert w[-1] < w[len(w) // 2] < w[0]


@pytest.fixture(scope="module")
def two_worlds(tmp_path_factory):
    p = tmp_path_factory.mktemp("tiny2") / "tiny2.toml"
    extra = """
[worlds.dear]
plant.capex_meur = { times = 1.3 }
[options.grant.capex_grant]
share = 0.3
"""
    p.write_text(textwrap.dedent(TINY) + extra, encoding="utf-8")
    sc = simcrm.load_scenario(p)
    return sc, simcrm.simulate(sc, keep_cashflows=0, breakeven=False).results


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_charts_and_report_sections(two_worlds, lang):
    from matplotlib.figure import Figure

    from simcrm.present.analysis_charts import convergence_chart, report_sections, robustness_chart
    from simcrm.present.charts import title_of

    sc, ds = two_worlds
    fig = robustness_chart(ds, lang)
    assert ("robuust" if lang == "nl" else "robust") in title_of(fig)
    # a grant raises NPV in both worlds: it is the most robust option
    assert ranking(ds)["option"].iloc[0] == "grant"
    fig = convergence_chart(ds, "baseline", "base", lang)
    assert "1.024" in title_of(fig) if lang == "nl" else "1,024" in title_of(fig)
    assert len(fig.axes) == 2
    secs = report_sections(ds, lang, scenario=sc, sobol_n=64)
    assert len(secs) == 4
    for title, items in secs:
        assert isinstance(title, str)
        assert items
        assert all(isinstance(it, (Figure, str)) for it in items)
    none = report_sections(ds, lang)
    assert len(none) == 3  # no Sobol' section without the scenario
