"""Financial kernels against numpy_financial and hand calculations."""

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simcrm.kernels.finance import annuity_debt, irr, npv, payback, tax_with_loss_carry_forward


def conventional_rows(rng, n=300, T=25):
    c = rng.uniform(5, 60, size=(n, T))
    k = rng.integers(1, 6, size=n)
    for i in range(n):
        c[i, : k[i]] = -rng.uniform(50, 400, size=k[i])
    return c


def test_npv_matches_numpy_financial():
    rng = np.random.default_rng(1)
    c = rng.normal(0, 50, size=(50, 30))
    for rate in (0.0, 0.05, 0.1, -0.02):
        got = npv(c, rate)
        want = [npf.npv(rate, row) for row in c]
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
    rates = rng.uniform(0.01, 0.2, size=50)
    np.testing.assert_allclose(npv(c, rates), [npf.npv(r, row) for r, row in zip(rates, c)],
                               rtol=1e-12)


def test_irr_matches_numpy_financial_on_conventional_flows():
    rng = np.random.default_rng(2)
    c = conventional_rows(rng)
    got = irr(c)
    want = np.array([npf.irr(row) for row in c])
    ok = np.isfinite(want)
    assert ok.mean() > 0.95
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-9, atol=1e-12)


def test_irr_textbook_example():
    # numpy_financial docstring: irr([-100, 39, 59, 55, 20]) = 0.28095
    assert irr(np.array([[-100.0, 39, 59, 55, 20]]))[0] == pytest.approx(0.2809484211599611,
                                                                         rel=1e-12)


def test_irr_nan_when_no_root():
    c = np.array([[-5.0, -5, -5, -5], [0.0, 0, 0, 0], [-100.0, 0, 0, 0]])
    assert np.isnan(irr(c)).all()
    assert np.isnan(npf.irr(c[0]))


def test_irr_of_a_loss_making_plant_is_negative_like_numpy_financial():
    row = np.array([-100.0, 10, 10, 10])
    assert irr(row[None])[0] == pytest.approx(npf.irr(row), rel=1e-9)
    assert irr(row[None])[0] < -0.4


def test_irr_leading_zero_years_do_not_change_it():
    c = np.array([[0.0, 0.0, -100, 39, 59, 55, 20]])
    assert irr(c)[0] == pytest.approx(0.2809484211599611, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(1, 100), min_size=3, max_size=30), st.floats(10, 500))
def test_irr_is_a_root_and_matches_npf(inflows, outlay):
    row = np.array([-outlay] + inflows)
    r = irr(row[None, :])[0]
    want = npf.irr(row)
    if np.isnan(want):
        assert np.isnan(r)
    else:
        assert r == pytest.approx(want, rel=1e-9, abs=1e-12)
        assert abs(npv(row[None, :], r)[0]) < 1e-7 * outlay


def test_payback_by_hand():
    c = np.array([[-100.0, 30, 30, 30, 30], [-100.0, 10, 10, 10, 10], [0.0, -50, 25, 25, 25]])
    got = payback(c)
    # year t's flow comes in over [t, t + 1): -100 in year 0, then 30 a year; the
    # cumulative flow is -10 at the end of year 3, and year 4 earns 30
    assert got[0] == pytest.approx(4 + 10 / 30)
    assert np.isnan(got[1])
    assert got[2] == pytest.approx(4.0)  # cumulative 0, -50, -25, 0 at the end of year 3


def test_tax_loss_carry_forward_by_hand():
    # year 0 loss 10 -> pool 10. Year 1 profit 4: offset limit 1 + 0.5 * 3 = 2.5, taxable 1.5.
    # Year 2 profit 20: limit 1 + 0.5 * 19 = 10.5 > pool 7.5, taxable 12.5.
    profit = np.array([[-10.0, 4.0, 20.0]])
    tax = tax_with_loss_carry_forward(profit, 0.25, 1.0, 0.5)
    np.testing.assert_allclose(tax, [[0.0, 0.375, 3.125]])


def test_tax_never_exceeds_rate_times_profit_and_total_is_conserved():
    rng = np.random.default_rng(3)
    profit = rng.normal(2, 10, size=(500, 20))
    tax = tax_with_loss_carry_forward(profit, 0.258, 1.0, 0.5)
    assert (tax >= 0).all()
    assert (tax <= 0.258 * np.maximum(profit, 0) + 1e-12).all()
    # with full offset allowed, total tax = rate * max(sum of profits since losses, ...) lower bound
    full = tax_with_loss_carry_forward(profit, 0.258, np.inf, 1.0)
    assert (full.sum(1) <= tax.sum(1) + 1e-9).all()


def test_annuity_debt_by_hand():
    draws = np.array([[100.0, 0, 0, 0]])
    it, pr, bal = annuity_debt(draws, 0.10, 2.0, np.array([1]))
    pay = 100 * 0.1 / (1 - 1.1**-2)  # 57.619...
    np.testing.assert_allclose(it[0], [0, 10, 0.1 * (100 - (pay - 10)), 0], atol=1e-12)
    np.testing.assert_allclose(pr[0], [0, pay - 10, 100 - (pay - 10), 0], atol=1e-12)
    np.testing.assert_allclose(bal[0], [100, 100 - (pay - 10), 0, 0], atol=1e-12)
    np.testing.assert_allclose(pr.sum(), draws.sum())


def test_irr_grid_four_points_per_pass_gives_the_one_point_values():
    """The scan evaluates four rates per pass; each value must be the one-point value."""
    from simcrm.kernels import compiled as k

    rng = np.random.default_rng(7)
    for _ in range(200):
        c = rng.normal(0, 100, size=rng.integers(2, 45))
        xs = 1.0 / (1.0 + rng.uniform(-0.9999, 10.0, size=4))
        fs, ds = k._horner4(c, *xs)
        for x, f, d in zip(xs, fs, ds, strict=True):
            assert (f, d) == k._horner(c, x)


def test_irr_of_rows_with_several_sign_changes_is_the_root_nearest_zero_as_npf():
    """Plants with a late clean-up cost (several sign changes): the root nearest zero,
    as numpy_financial picks it, refined to a rounding-level residual."""
    rng = np.random.default_rng(11)
    rows = []
    for _ in range(300):
        T = 30
        c = np.r_[-rng.uniform(50, 300, 3), rng.uniform(5, 60, T - 5), -rng.uniform(0, 400, 2)]
        c[rng.random(T) < 0.1] *= -0.5  # a few loss years
        rows.append(c)
    c = np.array(rows)
    got = irr(c)
    want = np.array([npf.irr(row) for row in c])
    ok = np.isfinite(want)
    assert ok.mean() > 0.4
    assert np.array_equal(np.isfinite(got), ok)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-9, atol=1e-12)
    x = 1 / (1 + got[ok])
    pw = x[:, None] ** np.arange(c.shape[1])
    resid = np.abs((c[ok] * pw).sum(1)) / (np.abs(c[ok]) * pw).sum(1)
    assert np.median(resid) < 1e-15 and resid.max() < 1e-12


def test_irr_of_a_row_that_never_changes_sign_is_nan():
    c = np.array([[0.0, 0, 0], [5.0, 0, 3], [-1.0, -2, 0], [0.0, 0, -7]])
    assert np.isnan(irr(c)).all()


def _row_with_roots(rates, tail):
    """Cash flow whose NPV has roots at ``rates`` (and those of ``tail``'s polynomial)."""
    c = np.asarray(tail, dtype=float)
    for r in rates:  # multiply the polynomial in x = 1/(1+r) by (x - 1/(1+r))
        x0 = 1.0 / (1.0 + r)
        c = np.r_[0.0, c] - x0 * np.r_[c, 0.0]
    return c


def test_irr_of_two_roots_inside_one_grid_step_is_the_nearer():
    """Two roots 1 percentage point apart inside one step of the fine grid (the ends of
    the step have the same sign): found by the extremum check, nearer one returned, on
    both sides of zero and with more roots further out."""
    cases = [
        ([0.045, 0.055], [1.0, 2.0, 1.0]),
        ([0.125, 0.135, 0.6], [3.0, 1.0]),
        ([-0.045, -0.055], [1.0, 2.0, 1.0]),
        ([-0.165, -0.175, 0.5], [2.0, 1.0, 1.0]),
        ([0.215, 0.225, -0.4], [1.0, 1.0]),
    ]
    for rates, tail in cases:
        c = _row_with_roots(rates, tail)
        want = min(rates, key=abs)
        assert irr(c[None])[0] == pytest.approx(want, rel=1e-9, abs=1e-12), rates
        assert irr(-c[None])[0] == pytest.approx(want, rel=1e-9, abs=1e-12), rates
        assert irr(c[None])[0] == pytest.approx(npf.irr(c), rel=1e-9, abs=1e-12), rates


def test_irr_where_the_partial_sums_change_sign_once_but_the_flows_often():
    """Loss years among the income years make the flows change sign many times, but the
    cumulative flow from the front (rates above zero) or from the back (rates below
    zero) changes sign once: at most one root on that side (Norstrom), found on the
    coarse grid; the result is numpy_financial's."""
    from simcrm.kernels import compiled as k

    rng = np.random.default_rng(5)
    rows = []
    for _ in range(400):
        T = int(rng.integers(8, 40))
        c = np.r_[-rng.uniform(50, 300, int(rng.integers(1, 5))), rng.uniform(5, 60, T)]
        c[rng.random(c.size) < 0.15] *= -0.3
        if rng.random() < 0.3:
            c = np.r_[c, -rng.uniform(0, 300, 2)]
        if rng.random() < 0.3:
            c = np.r_[c, np.zeros(int(rng.integers(1, 10)))]
        rows.append(np.r_[c, np.zeros(60 - c.size)])
    c = np.array(rows)
    counts = np.array([k._sum_sign_changes(np.trim_zeros(row, "b"))[:2] for row in c])
    flows = np.array([(np.diff(np.sign(row[row != 0])) != 0).sum() for row in c])
    assert ((counts.max(1) <= 1) & (flows > 2)).mean() > 0.3
    got = irr(c)
    want = np.array([npf.irr(row) for row in c])
    want[want > 10.0] = np.nan  # beyond the grid's 1000 %: no IRR
    assert np.array_equal(np.isfinite(got), np.isfinite(want))
    ok = np.isfinite(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-9, atol=1e-12)


def test_irr_with_partial_sums_of_exactly_zero():
    """A cumulative flow of exactly zero (or within rounding of it) has no sure sign:
    the row is scanned as one with several roots."""
    rows = np.array([[-100.0, 100, -50, 60, 0], [-100.0, 50, 50, -30, 40],
                     [-0.1, 0.2, -0.1, 0.05, 0.0], [-100.0, 60, 40, 0, 0]])
    got = irr(rows)
    for g, row in zip(got, rows, strict=True):
        want = npf.irr(row)
        if np.isnan(want):
            assert np.isnan(g)
        else:
            assert g == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert got[3] == 0.0  # the flows add up to zero: IRR zero


def test_irr_second_derivative_pass_matches_horner():
    from simcrm.kernels import compiled as k

    rng = np.random.default_rng(8)
    for n in (2, 3, 4, 17, 30, 31, 40):
        c = rng.normal(0, 100, size=n)
        for x in (0.09, 0.5, 0.97, 1.0, 1.3, 20.0):
            t = np.arange(n)
            want = ((c * x**t).sum(), (c[1:] * t[1:] * x ** (t[1:] - 1)).sum(),
                    (c[2:] * t[2:] * (t[2:] - 1) * x ** (t[2:] - 2)).sum())
            size = ((np.abs(c) * x**t).sum(), (np.abs(c[1:]) * t[1:] * x ** (t[1:] - 1)).sum(),
                    (np.abs(c[2:]) * t[2:] * (t[2:] - 1) * x ** (t[2:] - 2)).sum())
            got = k._horner2(c, x)
            for g, w, s in zip(got, want, size, strict=True):
                assert abs(g - w) <= 1e-13 * s
