"""Financial kernels: discounting, IRR, payback, tax with loss carry-forward, debt.

All functions are pure and vectorised over draws.  Cash-flow arrays have shape
``(draw, year)``; year index ``t = 0`` is the FID year.  Sign convention: inflows
to the investor are positive, outflows negative [MEUR].

Discounting convention: the cash flow of year index ``t`` is discounted by
``(1 + r) ** -t`` (the FID year's flows are not discounted), so
``numpy_financial.npv(r, row)`` of a draw's row equals its NPV.
"""

from __future__ import annotations

import numpy as np

DISCOUNTING = (
    "The cash flow of year index t (t = 0 is the FID year) is discounted by (1 + r)^-t, "
    "so numpy_financial.npv(r, net_cash_flow[draw]) equals npv[draw]."
)

_IRR_GRID = np.array([
    -0.99, -0.95, -0.9, -0.8, -0.7, -0.6, -0.5, -0.4, -0.3, -0.25, -0.2, -0.15, -0.1, -0.07,
    -0.05, -0.03, -0.02, -0.01, 0.0, 0.01, 0.02, 0.03, 0.045, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2,
    0.25, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0,
])
_IRR_DENSE = np.unique(np.concatenate([
    [-0.9999, -0.9995, -0.999, -0.998, -0.995], np.linspace(-0.99, -0.5, 99),
    np.linspace(-0.5, 0.5, 401), np.geomspace(0.5, 10.0, 60),
]))


def discount_factors(rate, n_years: int) -> np.ndarray:
    """Discount factors ``(1 + rate) ** -t`` for ``t = 0 .. n_years - 1``.

    Parameters
    ----------
    rate : float or ndarray, shape (draw,)
        Discount rate [1/yr].
    n_years : int

    Returns
    -------
    ndarray, shape (n_years,) or (draw, n_years) [1]
    """
    t = np.arange(n_years)
    rate = np.asarray(rate, dtype=float)
    if rate.ndim == 0:
        return (1.0 + rate) ** -t
    return (1.0 + rate[:, None]) ** -t


def npv(cash_flow: np.ndarray, rate) -> np.ndarray:
    """Net present value of each row.

    Parameters
    ----------
    cash_flow : ndarray, shape (draw, year)
        Net cash flow [MEUR].
    rate : float or ndarray, shape (draw,)
        Discount rate [1/yr].

    Returns
    -------
    ndarray, shape (draw,)
        NPV in money of the FID year [MEUR].
    """
    df = discount_factors(rate, cash_flow.shape[-1])
    if df.ndim == 1:
        return cash_flow @ df
    return np.einsum("dt,dt->d", cash_flow, df)


def _poly(c: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """p(x) = sum_t c_t x^t and p'(x), by Horner's rule, row-wise."""
    p = np.zeros_like(x)
    dp = np.zeros_like(x)
    for t in range(c.shape[1] - 1, -1, -1):
        dp = dp * x + p
        p = p * x + c[:, t]
    return p, dp


def _poly_t(cT: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`_poly` with the coefficients year-major, ``cT`` shaped (year, row)."""
    if x.size <= 8:
        # a few rows left: Python floats do the same IEEE operations without the
        # per-call overhead of numpy
        p, dp = np.empty_like(x), np.empty_like(x)
        for j, xj in enumerate(x.tolist()):
            pj = dpj = 0.0
            for ct in cT[::-1, j].tolist():
                dpj = dpj * xj + pj
                pj = pj * xj + ct
            p[j], dp[j] = pj, dpj
        return p, dp
    p = np.zeros_like(x)
    dp = np.zeros_like(x)
    for t in range(cT.shape[0] - 1, -1, -1):
        dp *= x
        dp += p
        p *= x
        p += cT[t]
    return p, dp


def irr(cash_flow: np.ndarray, tol: float = 1e-14, max_iter: int = 60) -> np.ndarray:
    """Internal rate of return of each row (vectorised).

    Finds the root of ``sum_t c_t (1 + r)^-t`` closest to zero — the same root that
    ``numpy_financial.irr`` returns — by bracketing on a grid of rates up to 1000 %
    and refining with safeguarded Newton steps in ``x = 1 / (1 + r)``.  Rows with one
    sign change have a single IRR and use a coarse grid; rows with several sign
    changes, which may have several IRRs, use a dense grid down to -99.99 %.

    Parameters
    ----------
    cash_flow : ndarray, shape (draw, year)
        Net cash flow [MEUR].

    Returns
    -------
    ndarray, shape (draw,)
        IRR [1/yr]; NaN where the cash flows change sign nowhere on the grid
        (no IRR exists, e.g. a plant that never earns its capex back).
    """
    c = np.asarray(cash_flow, dtype=float)
    n, T = c.shape
    out = np.full(n, np.nan)
    # Conventional rows (one sign change) have exactly one IRR (Descartes' rule of signs),
    # which the coarse grid brackets.  Rows whose sign changes more often can have
    # several roots, two of them possibly close together: search those on a dense grid.
    many = sign_changes(c) > 1
    for rows, grid in ((np.nonzero(~many)[0], _IRR_GRID), (np.nonzero(many)[0], _IRR_DENSE)):
        if rows.size:
            out[rows] = _irr_on_grid(c[rows], grid, tol, max_iter)
    return out


def sign_changes(c: np.ndarray) -> np.ndarray:
    """Number of sign changes along each row, zeros skipped (Descartes' rule)."""
    s = np.sign(c)
    T = c.shape[1]
    idx = np.where(s != 0, np.arange(T), 0)
    np.maximum.accumulate(idx, axis=1, out=idx)
    ff = np.take_along_axis(s, idx, axis=1)  # sign of the last non-zero entry so far
    return (ff[:, 1:] * ff[:, :-1] < 0).sum(axis=1)


_GRID_CELLS_PER_BATCH = 131072
"""Rows × grid points evaluated at once when bracketing (about 1 MB of float64, so the
grid values stay in cache)."""


def _irr_on_grid(c, grid, tol, max_iter):
    n, T = c.shape
    xg = 1.0 / (1.0 + grid)  # decreasing in rate
    powers = xg[None, :] ** np.arange(T)[:, None]  # (T, G)
    # The grid holds 0, so every cell lies on one side of zero.  The root closest to
    # zero is in the lowest changing cell at or above 0 or the highest one below it:
    # refine both where both exist and keep the one nearer to zero.
    G = grid.size - 1
    i0 = int(np.count_nonzero(grid[:-1] < 0))  # cells 0 .. i0-1 lie below zero
    pos_cell = np.zeros(n, np.intp)
    neg_cell = np.zeros(n, np.intp)
    has_pos = np.zeros(n, bool)
    has_neg = np.zeros(n, bool)
    fk = np.empty((4, n))  # f at both ends of the positive and the negative cell
    step = max(1, _GRID_CELLS_PER_BATCH // (G + 1))
    for a in range(0, n, step):
        f = c[a:a + step] @ powers  # (rows, G + 1)
        r = np.arange(f.shape[0])
        pos, neg = f > 0, f < 0
        nz = pos | neg
        # a cell changes sign where its ends are not both of one strict sign and not
        # both zero (as sign(f_k) * sign(f_k+1) <= 0 and not both 0)
        change = ~((pos[:, :-1] & pos[:, 1:]) | (neg[:, :-1] & neg[:, 1:]))
        change &= nz[:, :-1] | nz[:, 1:]
        pc = change[:, i0:]
        has_pos[a:a + step] = pc.any(1)
        k = i0 + np.argmax(pc, axis=1)
        pos_cell[a:a + step] = k
        fk[0, a:a + step], fk[1, a:a + step] = f[r, k], f[r, k + 1]
        if i0:
            nc = change[:, :i0]
            has_neg[a:a + step] = nc.any(1)
            k = i0 - 1 - np.argmax(nc[:, ::-1], axis=1)
        else:
            k = np.full(f.shape[0], G - 1)
        neg_cell[a:a + step] = k
        fk[2, a:a + step], fk[3, a:a + step] = f[r, k], f[r, k + 1]
    out = np.full(n, np.nan)
    if has_pos.any():
        rows = np.nonzero(has_pos)[0]
        out[rows] = _refine(c[rows], xg, fk[0, rows], fk[1, rows], pos_cell[rows], tol,
                            max_iter)
    if has_neg.any():
        rows = np.nonzero(has_neg)[0]
        r = _refine(c[rows], xg, fk[2, rows], fk[3, rows], neg_cell[rows], tol, max_iter)
        better = ~np.isfinite(out[rows]) | (np.abs(r) < np.abs(out[rows]))
        out[rows] = np.where(better, r, out[rows])
    return out


def _refine(cc, xg, fa, fb, k, tol, max_iter):
    """Root of each row's polynomial in the grid cell ``k`` (safeguarded Newton), as a rate.

    ``fa``, ``fb`` are the polynomial's values at the cell's ends ``xg[k]``, ``xg[k + 1]``.
    """
    a, b = xg[k], xg[k + 1]  # x brackets (a > b)
    # start from the secant point
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(fa != fb, a - fa * (b - a) / (fb - fa), 0.5 * (a + b))
    x = np.where(fa == 0, a, np.where(fb == 0, b, x))
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    flo = np.where(a < b, fa, fb)
    # iterate on the rows still active only, year-major so Horner reads contiguous rows;
    # each row's arithmetic is that of a row-by-row Newton iteration
    idx = np.nonzero((fa != 0) & (fb != 0))[0]
    cT = np.ascontiguousarray(cc[idx].T)
    xa, loa, hia, floa = x[idx], lo[idx], hi[idx], flo[idx]
    for _ in range(max_iter):
        if not idx.size:
            break
        p, dp = _poly_t(cT, xa)
        # shrink the bracket
        same = np.sign(p) == np.sign(floa)
        loa = np.where(same, xa, loa)
        floa = np.where(same, p, floa)
        hia = np.where(same, hia, xa)
        with np.errstate(divide="ignore", invalid="ignore"):
            xn = xa - p / dp
        bad = ~np.isfinite(xn) | (xn <= loa) | (xn >= hia)
        xn = np.where(bad, 0.5 * (loa + hia), xn)
        done = (np.abs(xn - xa) <= tol * np.abs(xn)) | (p == 0)
        xa = np.where(p == 0, xa, xn)
        if done.any():
            x[idx[done]] = xa[done]
            keep = ~done
            idx, xa, loa, hia, floa = idx[keep], xa[keep], loa[keep], hia[keep], floa[keep]
            cT = cT[:, keep]
    x[idx] = xa
    return 1.0 / x - 1.0


def payback(cash_flow: np.ndarray) -> np.ndarray:
    """Payback time: years from the start of the FID year until the cumulative net
    cash flow, having been negative, first returns to zero or above.

    Year ``t``'s flow is taken at time ``t`` (as in the discounting convention);
    within the year of recovery the time is interpolated linearly, so flows of
    ``[-100, 30, 30, 30, 30]`` pay back after ``3 + 10/30`` years.

    Returns
    -------
    ndarray, shape (draw,)
        Payback [years]; NaN if the outlay is never recovered within the horizon.
    """
    cum = np.cumsum(cash_flow, axis=1)
    neg_before = np.maximum.accumulate(cum < 0, axis=1)
    neg_before = np.concatenate([np.zeros((cum.shape[0], 1), bool), neg_before[:, :-1]], axis=1)
    hit = (cum >= 0) & neg_before
    any_hit = hit.any(axis=1)
    t = np.argmax(hit, axis=1)
    rows = np.arange(cum.shape[0])
    prev = cum[rows, np.maximum(t - 1, 0)]
    flow = cash_flow[rows, t]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(flow > 0, -prev / flow, 0.0)
    return np.where(any_hit, t - 1 + frac, np.nan)


def tax_with_loss_carry_forward(profit: np.ndarray, rate, threshold, share_above) -> np.ndarray:
    """Corporate income tax with the Dutch loss carry-forward rule.

    Losses are carried forward without time limit.  In a profitable year they can
    be set off against the first ``threshold`` of taxable profit in full and
    against ``share_above`` of the profit above it (NL from 2022: EUR 1 million
    and 50 %).  Carry-back is not modelled.

    Parameters
    ----------
    profit : ndarray, shape (draw, year)
        Taxable profit before loss relief [MEUR].
    rate : float or ndarray, shape (draw,)
        Tax rate [1].
    threshold : float
        [MEUR]
    share_above : float
        [1]

    Returns
    -------
    ndarray, shape (draw, year)
        Tax paid, positive [MEUR].

    References
    ----------
    Belastingdienst, "Verliesverrekening" (rules from 1 January 2022).
    """
    n, T = profit.shape
    rate = np.broadcast_to(np.asarray(rate, dtype=float), (n,))
    pool = np.zeros(n)
    # year-major copies: the loop then works on contiguous rows (same arithmetic)
    pt = np.ascontiguousarray(np.asarray(profit, dtype=float).T)
    tax = np.empty_like(pt)
    pos = np.empty(n)
    limit = np.empty(n)
    tmp = np.empty(n)
    for t in range(T):
        y = pt[t]
        np.maximum(y, 0.0, out=pos)
        np.subtract(pos, threshold, out=tmp)
        np.maximum(tmp, 0.0, out=tmp)
        np.multiply(share_above, tmp, out=tmp)
        np.minimum(pos, threshold, out=limit)
        np.add(limit, tmp, out=limit)
        np.minimum(pool, limit, out=limit)  # the offset
        np.subtract(pos, limit, out=tmp)
        np.multiply(rate, tmp, out=tax[t])
        np.negative(y, out=tmp)
        np.maximum(tmp, 0.0, out=tmp)
        np.subtract(tmp, limit, out=tmp)
        pool += tmp
    return np.ascontiguousarray(tax.T)


def annuity_debt(draws: np.ndarray, rate, tenor, first_repayment: np.ndarray,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interest and principal of a loan drawn over time and repaid as an annuity.

    Interest in year ``t`` is ``rate`` times the balance at the start of year ``t``
    (draws come at the end of their year).  From year index ``first_repayment``
    the balance then outstanding is repaid in equal yearly payments over
    ``tenor`` years; what is left at the end of the horizon is repaid in the last
    year.

    Parameters
    ----------
    draws : ndarray, shape (draw, year)
        Loan drawn each year [MEUR], ≥ 0.
    rate : float or ndarray, shape (draw,)
        Interest rate [1/yr].
    tenor : float
        Repayment period [years].
    first_repayment : ndarray of int, shape (draw,)
        Year index of the first repayment.

    Returns
    -------
    interest, principal, balance : ndarray, shape (draw, year)
        Interest and principal paid (positive) and the balance at the end of
        each year [MEUR].
    """
    n, T = draws.shape
    rate = np.broadcast_to(np.asarray(rate, dtype=float), (n,))
    with np.errstate(divide="ignore", invalid="ignore"):
        afactor = np.where(rate > 0, rate / (1.0 - (1.0 + rate) ** -tenor), 1.0 / tenor)
    bal = np.zeros(n)
    payment = np.zeros(n)
    interest = np.empty_like(draws)
    principal = np.empty_like(draws)
    balance = np.empty_like(draws)
    for t in range(T):
        it = rate * bal
        start = first_repayment == t
        payment = np.where(start, bal * afactor, payment)
        pr = np.where(first_repayment <= t, np.minimum(np.maximum(payment - it, 0.0), bal), 0.0)
        if t == T - 1:
            pr = bal.copy()
        interest[:, t] = it
        principal[:, t] = pr
        bal = bal - pr + draws[:, t]
        balance[:, t] = bal
    # what is drawn in the last year is repaid at once
    principal[:, -1] += draws[:, -1]
    balance[:, -1] = 0.0
    return interest, principal, balance
