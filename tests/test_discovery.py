"""Scenario discovery: PRIM recovers planted failure boxes and states them in words."""

from __future__ import annotations

import re

import numpy as np
import pytest
import xarray as xr

from simcrm.analysis.discovery import discover, discovery_table, failure, prim, score


def _planted(seed: int, n: int = 5000, inside: float = 0.9, outside: float = 0.05):
    """Failure in 90 % of draws with x0 < 0.3 and x1 > 0.6, in 5 % elsewhere; x2..x4 noise."""
    g = np.random.default_rng(seed)
    X = g.random((n, 5))
    box = (X[:, 0] < 0.3) & (X[:, 1] > 0.6)
    y = np.where(box, g.random(n) < inside, g.random(n) < outside)
    return X, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prim_recovers_a_planted_box(seed):
    X, y = _planted(seed)
    r = prim(X, y, ["a", "b", "c", "d", "e"])
    # only the two planted inputs are restricted, each on the planted side
    assert np.isinf(r.box.lower[0])
    assert np.isinf(r.box.upper[1])
    assert np.all(np.isinf(r.box.lower[2:]))
    assert np.all(np.isinf(r.box.upper[2:]))
    # bounds: the box holds about 600 draws, so a bound is known to about one peel
    # step (5 % of the box) of the range of x: allow 0.03
    assert r.box.upper[0] == pytest.approx(0.3, abs=0.03)
    assert r.box.lower[1] == pytest.approx(0.6, abs=0.03)
    # density ~0.9 (binomial se over ~600 draws ≈ 0.012: allow 4 se)
    assert r.density == pytest.approx(0.9, abs=0.05)
    # the planted box holds 0.108 / (0.108 + 0.044) ≈ 71 % of failures
    assert r.coverage == pytest.approx(0.108 / 0.152, abs=0.05)
    assert set(r.restrictions()["input"]) == {"a", "b"}


def test_trajectory_is_a_peeling_path():
    X, y = _planted(4)
    r = prim(X, y, mass_min=0.05, peel_alpha=0.05)
    t = r.trajectory
    assert t["coverage"].iloc[0] == 1.0
    assert t["mass"].iloc[0] == 1.0
    assert np.all(np.diff(t["n"]) < 0)
    assert np.all(np.diff(t["coverage"]) <= 1e-12)
    assert t["mass"].iloc[-1] >= 0.05
    assert t["density"].iloc[r.chosen] > 0.8
    assert len(r.boxes) == len(t)
    # the chosen box maximises the score
    sc = score(t["coverage"], t["density"], y.mean())
    assert r.chosen == int(np.argmax(sc))


def test_threshold_chooses_the_first_box_dense_enough():
    X, y = _planted(5)
    r = prim(X, y, threshold=0.6)
    d = r.trajectory["density"].to_numpy()
    assert d[r.chosen] >= 0.6
    assert np.all(d[: r.chosen] < 0.6)


def test_binary_input_and_no_failure():
    g = np.random.default_rng(3)
    n = 4000
    appeal = (g.random(n) < 0.3).astype(float)
    months = g.uniform(10, 50, n)
    y = (appeal == 1) & (months > 30)
    r = prim(np.column_stack([appeal, months]), y, ["permitting.appeal",
                                                    "permitting.permit_months"])
    r.units = {"permitting.appeal": "1", "permitting.permit_months": "months"}
    assert r.box.lower[0] == 1.0
    assert r.box.lower[1] == pytest.approx(30, abs=1.0)
    text = r.describe("en").replace("\u00a0", " ")
    assert "the permit is appealed" in text
    assert "above 30 months" in text
    assert "100 %" in text  # density inside the box
    nl = r.describe("nl").replace("\u00a0", " ")
    assert "beroep tegen de vergunning" in nl
    assert "boven 30 maanden" in nl
    none = prim(np.column_stack([appeal, months]), np.zeros(n, bool))
    none.what, none.deadline = "npv", 2030
    assert "never" in none.describe("en")


def _results(n=3000, seed=0) -> xr.Dataset:
    """A results-like Dataset: NPV < 0 when the price is low and the capex high."""
    g = np.random.default_rng(seed)
    price = g.uniform(8000, 20000, n)
    capex = g.uniform(400, 800, n)
    noise = g.uniform(0, 1, n)
    npv = np.where((price < 12000) & (capex > 600), -100.0, 50.0)
    npv = np.where(g.random(n) < 0.03, -npv, npv)
    fp = np.where(noise > 0.8, 2032.5, 2029.0)
    inp = {"role": "input"}
    return xr.Dataset(
        {"npv": (("option", "world", "draw"), npv[None, None], {"units": "MEUR"}),
         "first_production": (("option", "world", "draw"), fp[None, None], {"units": "year"}),
         "markets.product.path_mean": (("world", "draw"), price[None], dict(inp, units="EUR/t")),
         "plant.capex_meur": (("world", "draw"), capex[None], dict(inp, units="MEUR")),
         "plant.utilisation": (("world", "draw"), noise[None], dict(inp, units="1"))},
        coords={"option": ["baseline"], "world": ["base"]},
        attrs={"decision_production_deadline_year": 2030})


def test_discover_states_the_box_in_plain_words():
    ds = _results()
    r = discover(ds, "baseline", "base", "npv")
    en = r.describe("en").replace("\u00a0", " ")
    assert "product price (average) is below 12,000 EUR/t" in en
    assert "investment cost is above 600 MEUR" in en
    assert en.startswith("The plant loses money (NPV < 0) in 9")
    nl = r.describe("nl").replace("\u00a0", " ")
    assert "productprijs (gemiddeld) onder 12.000 EUR/t ligt" in nl
    assert "investeringskosten boven 600 MEUR ligt" in nl
    tab = discovery_table(r, "nl")
    assert set(tab["input"]) == {"markets.product.path_mean", "plant.capex_meur"}
    assert tab.attrs["statement"] == r.describe("nl")


def test_failure_kinds():
    ds = _results()
    npv = ds["npv"].values[0, 0]
    fp = ds["first_production"].values[0, 0]
    assert np.array_equal(failure(ds, "baseline", "base", "npv"), npv < 0)
    assert np.array_equal(failure(ds, "baseline", "base", "deadline"), fp >= 2031)
    assert np.array_equal(failure(ds, "baseline", "base", "either"), (npv < 0) | (fp >= 2031))
    assert failure(ds, "baseline", "base", "deadline", deadline=2033).sum() == 0
    with pytest.raises(ValueError, match="failure must be one of"):
        failure(ds, "baseline", "base", "nope")
    r = discover(ds, "baseline", "base", "deadline")
    assert "plant.utilisation" in set(r.restrictions()["input"])
    assert "after 2030" in r.describe("en")


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_prim_chart(lang):
    from matplotlib.figure import Figure

    from simcrm.present.analysis_charts import prim_chart
    from simcrm.present.charts import title_of

    ds = _results()
    r = discover(ds, "baseline", "base", "npv")
    fig = prim_chart(r, lang, "baseline", "base")
    assert isinstance(fig, Figure)
    assert title_of(fig) == r.describe(lang, top=2).split(". ")[0]
    traj, box = fig.axes[:2]
    assert len(traj.lines[0].get_xdata()) == len(r.trajectory)
    assert len(box.patches) == 1  # the box


def test_cost_overrun_reads_as_percent_over_budget():
    """A multiplier input (1 = on budget) is stated as the overrun, 1.1 → "10 %"."""
    g = np.random.default_rng(5)
    n = 4000
    over = g.uniform(0.9, 2.0, n)
    months = g.uniform(10, 50, n)
    y = over > 1.1
    r = prim(np.column_stack([over, months]), y, ["plant.capex_overrun",
                                                  "permitting.permit_months"])
    r.units = {"plant.capex_overrun": "1", "permitting.permit_months": "months"}
    en = r.describe("en").replace("\u00a0", " ")
    nl = r.describe("nl").replace("\u00a0", " ")
    assert re.search(r"cost overrun is above (9|10|11) %", en), en
    assert re.search(r"kostenoverschrijding boven (9|10|11) % ligt", nl), nl
    assert "110 %" not in en + nl
    assert "gemiddeld" not in nl and "over alle simulaties" in nl
