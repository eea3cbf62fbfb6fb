"""The fused compiled path (``simulation.kernel = "fused"``) against the numpy reference."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

import simcrm
from simcrm.engine.evaluate import evaluate_chunk
from simcrm.kernels import fused
from simcrm.levers import LEVERS
from simcrm.model import business_case
from simcrm.model.breakeven import breakeven, flat_price_npv
from simcrm.spec.registry import ALL_PARAMS
from tests.golden.golden import scenarios

REL = 1e-9
CONVERGED = functools.partial(breakeven, iters=100)
"""The reference's secant run to its stopping rule: its six steps stop short of the root
in a few draws where a one-sided price floor puts kinks near it (the fused Newton search
lands on the root)."""


def _no_terms(T):
    """No price-dependent terms for :func:`simcrm.kernels.fused._npv_at` (row 0)."""
    return (np.empty((0, 1, T)), np.empty((0, 1, T)), np.empty((0, 1, T)),
            np.empty(0, np.bool_), 0)


def _spy_paths(monkeypatch) -> tuple[list, list]:
    """Record the break-even searches: the number of terms of each fused call, and each
    numpy reference call."""
    fused_calls: list = []
    numpy_calls: list = []
    real_fused, real_numpy = fused.breakeven, business_case._breakeven

    def spy_fused(*a, terms=(), **k):
        fused_calls.append(len(terms))
        return real_fused(*a, terms=terms, **k)

    def spy_numpy(*a, **k):
        numpy_calls.append(1)
        return real_numpy(*a, **k)
    monkeypatch.setattr(fused, "breakeven", spy_fused)
    monkeypatch.setattr(business_case, "_breakeven", spy_numpy)
    return fused_calls, numpy_calls


def _priced_levers(sc) -> bool:
    """Whether an option of ``sc`` has a price-dependent lever."""
    return any(LEVERS[k].stage == "price" for o in sc.options.values() for k in o.levers)


def priced_variants(sc, royalty: bool = False):
    """``sc`` with options of every kind of price-dependent line: one- and two-sided
    floors on the product and on the spread, with a volume cap and a window, offtake
    resold and stockpiled, a floor and an offtake together; with a royalty if asked."""
    floor = dict(strike=15000.0, two_sided=False, years=10.0, basis="product",
                 volume_cap_tpa=None, first_year=None, last_year=None)
    offtake = dict(volume_tpa=5000.0, price=15000.0, years=5.0, resale_share=0.9,
                   mode="resale", holding_years=5.0, release_trigger=1.5,
                   holding_cost_share=0.01, finance_rate=0.0, first_year=None, last_year=None)
    variants = {
        "floor-capped": {"price_floor": {**floor, "volume_cap_tpa": 8000.0,
                                         "first_year": 2031, "last_year": 2038}},
        "floor-spread": {"price_floor": {**floor, "basis": "spread", "strike": 9000.0}},
        "floor-spread-two": {"price_floor": {**floor, "basis": "spread", "strike": 9000.0,
                                             "two_sided": True}},
        "offtake-resale": {"offtake": {**offtake, "first_year": 2032}},
        "offtake-stockpile": {"offtake": {**offtake, "mode": "stockpile"}},
        "floor-and-offtake": {"price_floor": floor, "offtake": offtake},
    }
    base = sc.options["baseline"]
    opts = dict(sc.options)
    for name, levers in variants.items():
        opts[name] = dataclasses.replace(base, name=name, levers=levers)
    sc = simcrm.Scenario(sc.path, sc.settings, sc.worlds, opts, sc.sources)
    if royalty:
        sc = sc.with_inputs({"finance.royalty_share": 0.05,
                             "finance.royalty_threshold_meur": 20.0})
    return sc


def _close(a: np.ndarray, b: np.ndarray) -> float:
    """Largest relative difference of ``a`` and ``b`` (NaN where both are NaN)."""
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    if not ok.any():
        return 0.0
    x, y = a[ok], b[ok]
    return float(np.max(np.abs(x - y) / np.maximum(np.maximum(np.abs(x), np.abs(y)), 1e-300)))


@pytest.mark.parametrize("path", scenarios(), ids=lambda p: p.stem)
def test_every_metric_of_every_library_scenario_agrees_with_the_numpy_reference(
        path, monkeypatch):
    """The break-even price of every option, those with price-dependent levers included,
    is the fused kernel's, and agrees with the reference's (run to convergence)."""
    sc = simcrm.load_scenario(path)
    monkeypatch.setattr(business_case, "_breakeven", CONVERGED)
    ref = evaluate_chunk(sc.with_settings(kernel="numpy"), 0, 256, 0)["metrics"]
    fused_calls, numpy_calls = _spy_paths(monkeypatch)
    got = evaluate_chunk(sc.with_settings(kernel="fused"), 0, 256, 0)["metrics"]
    assert not numpy_calls and fused_calls  # every option on the fused path
    assert (max(fused_calls) > 0) == _priced_levers(sc)
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
                                thr, share, *_no_terms(unit.shape[1]))
                  for q in (p - h, p, p + h)]
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
    args = (u[0], dfac[0], profit0[0], pv_f[0], slope[0], rate[0], thr, share, *_no_terms(T))
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


# --------------------------------------------------------------------------------------
# Price-dependent lines as terms w · g(a + b · p)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("royalty", [False, True], ids=["levers", "levers-and-royalty"])
def test_every_kind_of_price_dependent_line_takes_the_fused_path_and_agrees(
        royalty, monkeypatch):
    from simcrm.spec.library import library_file

    sc = priced_variants(simcrm.load_scenario(library_file("benchmark")), royalty)
    monkeypatch.setattr(business_case, "_breakeven", CONVERGED)
    ref = evaluate_chunk(sc.with_settings(kernel="numpy"), 0, 256, 0)["metrics"]
    fused_calls, numpy_calls = _spy_paths(monkeypatch)
    got = evaluate_chunk(sc.with_settings(kernel="fused"), 0, 256, 0)["metrics"]
    assert not numpy_calls
    assert max(fused_calls) == 2 + royalty  # the floor, the offtake and the royalty
    assert (min(fused_calls) > 0) == royalty
    assert _close(ref["breakeven_price"], got["breakeven_price"]) <= REL


def _floor_line(basis, price):
    """Reference line of a one-sided floor: basis (w, strike) stacked on the last axis."""
    return basis[..., 0] * np.maximum(basis[..., 1] - price, 0.0)


def _two_sided_line(basis, price):
    return basis[..., 0] * (basis[..., 1] - price)


def _with_term(rng, n=64, T=30):
    """The rows of :func:`_case`, their break-even without terms and the covered tonnes
    (years 3-12, at most the production) of a floor or an offtake [t/yr]."""
    esc, production, dfac, wc, fixed, profit0, tax = _case(rng, n, T)
    lcop = rng.uniform(500, 5000, n)
    args = (esc, production, dfac, wc, fixed, profit0, tax, 1.0, 0.5)
    root0 = fused.breakeven(*args, lcop)
    vol = production * rng.uniform(0.3, 1.0, (n, 1)) * ((np.arange(T) >= 3) & (np.arange(T) < 13))
    return args, lcop, root0, vol


def test_breakeven_with_a_one_sided_floor_binding_at_the_root():
    """A floor above each row's break-even without it: at the root it tops up the price
    in the covered years (a flat piece of their profit), and the kernel finds the root
    of the reference."""
    rng = np.random.default_rng(5)
    args, lcop, root0, vol = _with_term(rng)
    esc = args[0]
    strike = np.where(np.isfinite(root0), root0, 1000.0) * rng.uniform(1.05, 1.5, len(lcop))
    w, a, b = vol / 1e6, strike[:, None] * esc, np.broadcast_to(-esc, vol.shape)
    basis = np.stack([w, a], axis=-1)
    npv_at = flat_price_npv(*args, [(_floor_line, basis)])
    want = CONVERGED(npv_at, lcop, args[1])
    got = fused.breakeven(*args, lcop, terms=[(w, a, b, False)])
    ok = np.isfinite(got)
    assert ok.sum() == len(got) - 1                # row 0 never produces
    assert np.all(got[ok] < strike[ok])            # the floor binds at the root
    assert np.all(got[ok] < root0[ok])             # and lowers it
    assert _close(want, got) <= REL
    assert np.all(np.abs(npv_at(got[ok], np.nonzero(ok)[0])) < 1e-6)


def test_breakeven_with_a_two_sided_term():
    """A two-sided contract (an offtake at a fixed price) on part of the output."""
    rng = np.random.default_rng(9)
    args, lcop, root0, vol = _with_term(rng)
    esc = args[0]
    fixed_price = rng.uniform(500, 6000, len(lcop))
    w, a, b = vol / 1e6, fixed_price[:, None] * esc, np.broadcast_to(-esc, vol.shape)
    npv_at = flat_price_npv(*args, [(_two_sided_line, np.stack([w, a], axis=-1))])
    want = CONVERGED(npv_at, lcop, args[1])
    got = fused.breakeven(*args, lcop, terms=[(w, a, b, True)])
    ok = np.isfinite(got)
    assert _close(want, got) <= REL
    assert not np.allclose(got[ok], root0[ok])     # the contract moves the root
    assert np.all(np.abs(npv_at(got[ok], np.nonzero(ok)[0])) < 1e-6)


def test_breakeven_on_the_kink_of_a_one_sided_floor():
    """A plant whose break-even price is the floor's strike: below it the floor tops up
    the covered years (the NPV rises more slowly), above it it pays nothing.  The kernel
    finds the strike from first guesses on either side; the derivative at the kink is
    the one above it."""
    strike, T = 1000.0, 12
    production = np.full((1, T), 1e4)
    production[0, 0] = 0.0
    esc = np.ones(T)
    rate = np.array([0.25])
    dfac = 1.08 ** -np.arange(T)[None, :]
    wc = np.array([[0.1]])
    profit0 = np.full((1, T), -6.0)
    profit0[0, 0] = 0.0
    fixed = np.full((1, T), -4.0)
    fixed[0, 0] = 0.0
    vol = production * (np.arange(T) < 6)
    w, a, b = vol / 1e6, strike * esc[None, :], -esc[None, :]
    line = [(_floor_line, np.stack([w, a], axis=-1))]
    terms = [(w, a, b, False)]
    thr, share = 1.0, 0.5
    args = (esc, production, dfac, wc, fixed, profit0, rate, thr, share)
    fixed[0, 0] = -flat_price_npv(*args, line)(np.array([strike]))[0]  # NPV zero there
    npv_at = flat_price_npv(*args, line)
    u, pv_f, slope = _rows(esc, production, dfac, wc, fixed)
    tw, ta, tb = (np.broadcast_to(x, (1, 1, T)) for x in (w, a, b))
    row = (u[0], dfac[0], profit0[0], pv_f[0], slope[0], rate[0], thr, share, tw, ta, tb,
           np.array([False]), 0)
    left = fused._npv_at(strike * (1 - 1e-6), *row)[1]
    right = fused._npv_at(strike * (1 + 1e-6), *row)[1]
    assert left < right * 0.9                      # a kink: the floor flattens the NPV below
    assert fused._npv_at(strike, *row)[1] == pytest.approx(right, rel=1e-12)  # right side
    for guess in (300.0, 990.0, strike, 1010.0, 5000.0, np.nan):
        lcop = np.array([guess])
        got = fused.breakeven(*args, lcop, terms=terms)
        want = CONVERGED(npv_at, lcop, production)
        assert got[0] == pytest.approx(strike, rel=1e-12), guess
        assert _close(want, got) <= REL, guess


def test_the_npv_derivative_with_terms_matches_a_finite_difference_away_from_kinks():
    rng = np.random.default_rng(13)
    esc, production, dfac, wc, fixed, profit0, tax = _case(rng, n=200)
    unit, pv_f, slope = _rows(esc, production, dfac, wc, fixed)
    n, T = unit.shape
    vol = production * rng.uniform(0.2, 1.0, (n, 1))
    tw = np.stack([vol / 1e6, vol / 2e6, np.broadcast_to(-rng.uniform(0, 0.1, (n, 1)), (n, T))])
    ta = np.stack([np.broadcast_to(rng.uniform(500, 5000, (n, 1)), (n, T)),
                   np.broadcast_to(rng.uniform(500, 5000, (n, 1)), (n, T)),
                   -rng.uniform(0, 30, (n, T))])
    tb = np.stack([np.broadcast_to(-esc, (n, T)), np.broadcast_to(-esc, (n, T)), unit])
    two = np.array([False, True, False])
    checked = 0
    for i in range(1, n):
        p, h = rng.uniform(200, 8000), 1e-3
        at = [fused._npv_at(q, unit[i], dfac[i], profit0[i], pv_f[i], slope[i], tax[i], 1.0,
                            0.5, tw, ta, tb, two, i) for q in (p - h, p, p + h)]
        (f0, g0), (_, g), (f1, g1) = at
        if not (g0 == pytest.approx(g, rel=1e-12) and g1 == pytest.approx(g, rel=1e-12)):
            continue  # a kink within h
        assert (f1 - f0) / (2 * h) == pytest.approx(g, rel=1e-6, abs=1e-9)
        checked += 1
    assert checked > 150


def test_the_npv_without_terms_is_the_same_in_both_kernels():
    """:func:`fused._npv_plain` (the Newton steps of rows without terms) and
    :func:`fused._npv_at` with no terms give the same value and derivative, to the bit."""
    rng = np.random.default_rng(17)
    esc, production, dfac, wc, fixed, profit0, tax = _case(rng, n=100)
    unit, pv_f, slope = _rows(esc, production, dfac, wc, fixed)
    for thr, share in [(1.0, 0.5), (0.0, 1.0), (1e9, 0.0)]:
        for i in range(len(unit)):
            p = rng.uniform(0, 8000)
            row = (unit[i], dfac[i], profit0[i], pv_f[i], slope[i], tax[i], thr, share)
            assert fused._npv_plain(p, *row) == fused._npv_at(p, *row, *_no_terms(unit.shape[1]))


@pytest.mark.parametrize("n", [1, 7, fused.LANES, 2 * fused.LANES + 5, 301])
def test_the_break_even_lanes_give_the_bits_of_the_single_row_search(n):
    """:func:`fused.breakeven_lines` takes the searches of many rows side by side
    (lanes, :func:`fused._npv_lanes`); each row's result is the bits of
    :func:`fused._solve_row` alone (:func:`fused.breakeven_rows`): rows that never
    produce, that fall back to the secant method (negative unit revenue, NaN profit, too
    few steps), without a first guess, discount factors per draw or shared, odd counts."""
    rng = np.random.default_rng(n)
    T = 30
    esc, production, dfac, wc, fixed, profit0, tax = _case(rng, max(n, 2), T)
    production, dfac, wc, fixed, profit0, tax = (
        x[:n] for x in (production, dfac, wc, fixed, profit0, tax))
    esc = rng.uniform(0.9, 1.1, T)
    rows = rng.permutation(n)
    production[rows[1::9], 5] = -1e3              # negative unit revenue: the secant
    profit0[rows[2::11], 7] = np.nan              # a NaN NPV: falls back after a step
    lcop = rng.uniform(500, 5000, n)
    lcop[rows[3::5]] = np.nan                     # no first guess
    lcop[rows[4::13]] = np.inf
    unit = esc * production / 1e6                 # the kernel's operations, whole
    shared = dfac[:1]
    none = np.empty((0, n, T))
    for d in (dfac, shared):
        for thr, share, iters in [(1.0, 0.5, 60), (0.0, 1.0, 60), (1e9, 0.0, 60),
                                  (1.0, 0.5, 2), (1.0, -0.5, 60)]:
            got = fused.breakeven(esc, production, d, wc, ["+", fixed, "-", profit0, "+",
                                                           profit0], profit0, tax, thr,
                                  share, lcop, iters)
            want = fused.breakeven_rows(unit, np.broadcast_to(d, (n, T)).copy(), wc[:, 0],
                                        fixed - profit0 + profit0, profit0, tax, thr, share,
                                        lcop, iters, none, none, none, np.empty(0, np.bool_))
            assert got.tobytes() == want.tobytes(), (d.shape, thr, share, iters)
    assert np.isnan(got[production.max(axis=1) <= 0]).all()  # never produces
    # with terms (a floor; a floor and a two-sided contract): in lanes too, the bits of
    # the row-by-row search, with the same fall-backs; a term that is zero (z = 0, b = 0)
    w, a, b = unit * 0.5, np.full((n, T), 2000.0), -np.ones((n, T))
    a[rows[::7], 3], b[rows[::7], 3] = 0.0, 0.0
    w2, a2, b2 = np.full((n, T), 0.002), rng.uniform(-3000, 3000, (n, T)), np.ones((n, T))
    for terms in ([(w, a, b, False)], [(w, a, b, False), (w2, a2, b2, True)]):
        for d, thr, share, iters in [(dfac, 1.0, 0.5, 60), (dfac[:1], 0.0, 1.0, 60),
                                     (dfac, 1.0, 0.5, 2), (dfac, 1.0, -0.5, 60)]:
            got = fused.breakeven(esc, production, d, wc, fixed, profit0, tax, thr, share,
                                  lcop, iters, terms=terms)
            want = fused.breakeven_rows(
                unit, np.broadcast_to(d, (n, T)).copy(), wc[:, 0], fixed, profit0, tax, thr,
                share, lcop, iters, *(np.stack([t[m] for t in terms]) for m in range(3)),
                np.array([t[3] for t in terms]))
            assert got.tobytes() == want.tobytes(), (len(terms), d.shape, thr, share, iters)
            assert n == 1 or np.isfinite(got).sum() > n // 2
