"""The fused compiled path (``simulation.kernel = "fused"``) against the numpy reference."""

from __future__ import annotations

import numpy as np
import pytest

import simcrm
from simcrm.engine.evaluate import evaluate_chunk
from simcrm.kernels import fused
from simcrm.model.breakeven import breakeven, flat_price_npv
from simcrm.spec.registry import ALL_PARAMS
from tests.golden.golden import scenarios

REL = 1e-9


def _close(a: np.ndarray, b: np.ndarray) -> float:
    """Largest relative difference of ``a`` and ``b`` (NaN where both are NaN)."""
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    if not ok.any():
        return 0.0
    x, y = a[ok], b[ok]
    return float(np.max(np.abs(x - y) / np.maximum(np.maximum(np.abs(x), np.abs(y)), 1e-300)))


@pytest.mark.parametrize("path", scenarios(), ids=lambda p: p.stem)
def test_every_metric_of_every_library_scenario_agrees_with_the_numpy_reference(path):
    sc = simcrm.load_scenario(path)
    ref = evaluate_chunk(sc.with_settings(kernel="numpy"), 0, 256, 0)["metrics"]
    got = evaluate_chunk(sc.with_settings(kernel="fused"), 0, 256, 0)["metrics"]
    assert set(got) == set(ref)
    for k in ref:
        assert _close(ref[k], got[k]) <= REL, k
        if k != "breakeven_price":  # the fused cash flows are the same to the bit
            assert np.array_equal(ref[k], got[k], equal_nan=True), k


def _case(rng, n=64, T=30):
    """A chunk of plants with losses early on (carried forward), idle years (no output)
    and one row that never produces."""
    production = rng.uniform(5e3, 2e4, (n, T))
    production[:, :3] = 0.0                      # construction
    production[rng.uniform(size=(n, T)) < 0.1] = 0.0  # idle years
    production[0] = 0.0                          # never produces
    esc = np.ones(T)
    rate = rng.uniform(0.05, 0.12, n)
    dfac = (1.0 + rate[:, None]) ** -np.arange(T)
    capex = np.zeros((n, T))
    capex[:, :3] = -rng.uniform(100, 300, (n, 3))
    opex = -rng.uniform(20, 60, (n, T)) * (production > 0) - 5.0
    dep = np.zeros((n, T))
    dep[:, 3:18] = -capex.sum(axis=1)[:, None] / 15
    fixed = opex + capex
    profit0 = opex - dep - rng.uniform(0, 80, (n, 1)) * (np.arange(T) < 8)  # early losses
    wc = rng.uniform(0.0, 0.2, (n, 1))
    tax = rng.uniform(0.2, 0.3, n)
    return esc, production, dfac, wc, fixed, profit0, tax


@pytest.mark.parametrize(("thr", "share"), [(1.0, 0.5), (0.0, 1.0), (1e9, 0.0)])
def test_breakeven_kernel_agrees_with_the_numpy_reference(thr, share):
    rng = np.random.default_rng(7)
    esc, production, dfac, wc, fixed, profit0, tax = _case(rng)
    lcop = rng.uniform(500, 5000, production.shape[0])
    lcop[1], lcop[2] = np.nan, np.inf             # no first guess
    npv_at = flat_price_npv(esc, production, dfac, wc, fixed, profit0, tax, thr, share, [])
    want = breakeven(npv_at, lcop, production)
    got = fused.breakeven(esc, production, dfac, wc, fixed, profit0, tax, thr, share, lcop)
    assert np.isnan(got[0]) and np.isnan(want[0])  # never produces
    assert _close(want, got) <= REL
    ok = np.isfinite(got)
    assert np.all(np.abs(npv_at(got[ok], np.nonzero(ok)[0])) < 1e-6)  # a root


def test_breakeven_kernel_without_tax_is_the_closed_form():
    """Without tax the NPV is linear in the price: zero at -PV(fixed) / PV(revenue and
    working capital per EUR/t)."""
    rng = np.random.default_rng(3)
    esc, production, dfac, wc, fixed, profit0, _ = _case(rng)
    production[0] = 1e4
    unit = production / 1e6
    wdf = np.diff(dfac, axis=1, append=dfac[:, -1:])
    slope = (unit * dfac).sum(axis=1) + wc[:, 0] * (unit * wdf).sum(axis=1)
    want = np.maximum(-(fixed * dfac).sum(axis=1) / slope, 0.0)
    got = fused.breakeven(esc, production, dfac, wc, fixed, profit0, np.zeros(len(wc)), 1.0,
                          0.5, np.full(len(wc), 1000.0))
    assert got == pytest.approx(want, rel=1e-9)


def test_the_fused_path_is_the_default():
    assert ALL_PARAMS["simulation.kernel"].default == "fused"


def test_fused_cash_flows_are_bit_identical_to_the_numpy_reference():
    """The fused settlement (working capital, tax with loss carry-forward, project and
    equity cash flows; with idling, walking away, debt and every lever kind of the
    benchmark) does the reference's operations in the same order: every yearly line and
    every metric but the break-even price is the same to the bit."""
    from simcrm.spec.library import library_file

    sc = simcrm.load_scenario(library_file("benchmark"))
    ref = evaluate_chunk(sc.with_settings(kernel="numpy"), 0, 512, 512)
    got = evaluate_chunk(sc.with_settings(kernel="fused"), 0, 512, 512)
    assert (ref["metrics"]["idle_years"] > 0).any() and (ref["metrics"]["abandoned"] > 0).any()
    for part in ("metrics", "lines"):
        for k, v in ref[part].items():
            if k != "breakeven_price":
                assert np.array_equal(v, got[part][k], equal_nan=True), (part, k)


def _rows(esc, production, dfac, wc, fixed):
    """Per row: unit revenue, PV of the fixed cash flows and the NPV's linear slope, as
    :func:`simcrm.kernels.fused.breakeven_rows` computes them."""
    unit = np.ascontiguousarray(esc * production / 1e6)
    wdf = np.diff(dfac, axis=1, append=dfac[:, -1:])
    slope = (unit * dfac).sum(axis=1) + wc[:, 0] * (unit * wdf).sum(axis=1)
    return unit, (fixed * dfac).sum(axis=1), slope


def test_the_npv_derivative_matches_a_finite_difference_away_from_kinks():
    """The NPV is piecewise linear in the price; where its derivative is the same at
    p - h, p and p + h the three points are on one piece (no kink between), and the
    forward-mode derivative is the central difference there."""
    rng = np.random.default_rng(11)
    esc, production, dfac, wc, fixed, profit0, tax = _case(rng, n=200)
    unit, pv_f, slope = _rows(esc, production, dfac, wc, fixed)
    checked = 0
    for thr, share in [(1.0, 0.5), (0.0, 1.0), (1e9, 0.0)]:
        for i in range(1, len(unit)):
            p, h = rng.uniform(200, 8000), 1e-3
            at = [fused._npv_at(q, unit[i], dfac[i], profit0[i], pv_f[i], slope[i], tax[i],
                                thr, share) for q in (p - h, p, p + h)]
            (f0, g0), (_, g), (f1, g1) = at
            if not (g0 == pytest.approx(g, rel=1e-12) and g1 == pytest.approx(g, rel=1e-12)):
                continue  # a kink within h
            assert g > 0.0
            assert (f1 - f0) / (2 * h) == pytest.approx(g, rel=1e-6, abs=1e-9)
            checked += 1
    assert checked > 300


def test_breakeven_on_a_kink_of_the_tax():
    """A plant whose break-even price makes the last year's taxable profit exactly zero:
    a kink of the NPV, as above that price the year is taxed and below it its loss is
    never used.  The kernel finds that price from first guesses on either side, as the
    numpy reference does."""
    price = 1000.0
    T = 10
    production = np.full((1, T), 1e4)
    production[0, 0] = 0.0
    production[0, -1] = 5e4
    esc = np.ones(T)
    rate = np.array([0.3])
    dfac = 1.08 ** -np.arange(T)[None, :]
    wc = np.array([[0.1]])
    unit = esc * production / 1e6
    profit0 = np.full((1, T), -5.0)
    profit0[0, 0] = 0.0
    profit0[0, 1] = -30.0                          # a loss carried forward (used up)
    profit0[0, -1] = -(price * unit[0, -1])        # taxable profit zero at the price
    fixed = np.full((1, T), -4.0)
    fixed[0, 0] = 0.0
    thr, share = 1.0, 0.5
    npv_at = flat_price_npv(esc, production, dfac, wc, fixed, profit0, rate, thr, share, [])
    fixed[0, 0] = -npv_at(np.array([price]))[0]    # NPV zero at the price
    npv_at = flat_price_npv(esc, production, dfac, wc, fixed, profit0, rate, thr, share, [])
    u, pv_f, slope = _rows(esc, production, dfac, wc, fixed)
    args = (u[0], dfac[0], profit0[0], pv_f[0], slope[0], rate[0], thr, share)
    left = fused._npv_at(price * (1 - 1e-6), *args)[1]
    right = fused._npv_at(price * (1 + 1e-6), *args)[1]
    assert right < left * 0.9                      # a kink: the NPV rises more slowly
    assert fused._npv_at(price, *args)[1] == pytest.approx(right, rel=1e-12)  # right side
    for guess in (300.0, 990.0, price, 1010.0, 5000.0, np.nan):
        lcop = np.array([guess])
        got = fused.breakeven(esc, production, dfac, wc, fixed, profit0, rate, thr, share,
                              lcop)
        want = breakeven(npv_at, lcop, production)
        assert got[0] == pytest.approx(price, rel=1e-12), guess
        assert _close(want, got) <= REL, guess
