"""Compiled row kernels for the sequential parts of the cash-flow maths.

These loops run year by year (loss carry-forward, loan balances) or iterate per draw
(root finding), which numpy can only express as many small array operations.  numba
compiles them to machine code; each draw's row is processed on its own, so a draw's
result never depends on the other draws of its chunk.  The public, documented
functions are in :mod:`simcrm.kernels.finance`.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

_JIT = {"cache": True, "nogil": True}


def _rate_grid() -> tuple[np.ndarray, np.ndarray]:
    """Rates scanned outward from zero when bracketing an IRR: steps of two percentage
    points near zero, coarser further out, down to -99.99 % and up to 1000 %.  A pair of
    roots inside one step is caught by the extremum check in :func:`_nearest_root`."""
    up = np.concatenate([np.arange(0, 15) * 0.02, 0.3 + np.arange(0, 14) * 0.05,
                         np.geomspace(1.0, 10.0, 13)[1:]])
    down = -np.concatenate([np.arange(0, 15) * 0.02, 0.3 + np.arange(0, 13) * 0.05,
                            [0.92, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999]])
    return np.unique(up), -np.unique(-down)  # up ascending, down descending


IRR_UP, IRR_DOWN = _rate_grid()
IRR_UP_COARSE = np.array([0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.45, 0.7, 1.0, 1.5, 2.5, 4.0,
                          10.0])
IRR_DOWN_COARSE = np.array([0.0, -0.02, -0.05, -0.1, -0.15, -0.2, -0.3, -0.45, -0.6, -0.75,
                            -0.9, -0.97, -0.99, -0.999, -0.9999])
"""A row whose sign changes once has exactly one IRR (Descartes' rule of signs), which
a coarse scan brackets as surely as a fine one."""


@nb.njit(**_JIT)
def _horner(c, x):
    """p(x) = sum_t c_t x^t and p'(x)."""
    p = 0.0
    dp = 0.0
    for t in range(c.shape[0] - 1, -1, -1):
        dp = dp * x + p
        p = p * x + c[t]
    return p, dp


@nb.njit(**_JIT)
def _horner2(c, x):
    """p(x), p'(x) and p''(x) in one pass: Horner in ``y = x^2`` on the even and the odd
    coefficients side by side (``p = E(y) + x O(y)``), so six independent chains of
    half the length: half the wait of one chain of multiply-adds."""
    n = c.shape[0]
    y = x * x
    top = n - (n & 1)
    e = c[n - 1] if n & 1 else 0.0
    de = dde = o = do = ddo = 0.0
    for t in range(top - 2, -1, -2):
        dde = dde * y + de
        de = de * y + e
        e = e * y + c[t]
        ddo = ddo * y + do
        do = do * y + o
        o = o * y + c[t + 1]
    p = e + x * o
    dp = 2.0 * x * de + o + 2.0 * y * do
    ddp = 2.0 * de + 8.0 * y * dde + 6.0 * x * do + 8.0 * x * y * ddo
    return p, dp, ddp


@nb.njit(**_JIT)
def _refine(c, a, b, fa, fb, da, db, tol, max_iter):
    """Root in x of the row polynomial between a and b (f changes sign, slopes ``da``
    and ``db`` at the ends, NaN if not known): safeguarded Newton, falling back to
    bisection when a step leaves the bracket.

    Newton starts where the cubic through the ends with these slopes, taken as x of f,
    is zero (inverse Hermite interpolation: some 1e-8 from the root on a step of the
    grid, so two or three evaluations), or from the secant if f is not monotone."""
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    lo = min(a, b)
    hi = max(a, b)
    flo = fa if a < b else fb
    h = fb - fa
    x = a - fa * (b - a) / h if h != 0.0 else 0.5 * (a + b)
    g = h * (b - a)  # its sign: the slope's
    if da * g > 0.0 and db * g > 0.0:
        u = -fa / h
        u2 = u * u
        u3 = u2 * u
        xh = ((2.0 * u3 - 3.0 * u2 + 1.0) * a + (-2.0 * u3 + 3.0 * u2) * b
              + (u3 - 2.0 * u2 + u) * h / da + (u3 - u2) * h / db)
        if xh > lo and xh < hi:
            x = xh
    for _ in range(max_iter):
        p, dp, ddp = _horner2(c, x)
        if p == 0.0:
            return x
        if (p > 0.0) == (flo > 0.0):
            lo = x
            flo = p
        else:
            hi = x
        if dp == 0.0:
            xn = math.nan
        else:
            step = p / dp
            xn = x - step
            if abs(xn - x) <= tol * abs(xn):
                # converged: checked before the bracket, because at the root a step of
                # less than an ulp leaves ``x`` where it is, on the bracket's end, and
                # bisecting from there cost some 40 more evaluations for a less
                # accurate root
                return xn
            k2 = 0.5 * ddp / dp
            if abs(k2) * step * step <= 0.01 * tol * abs(xn):
                # Newton's next step would be at most tol / 10: the root, to rounding
                return xn
            hal = 1.0 - step * k2  # Halley: cubic convergence
            if hal > 0.5:
                xn = x - step / hal
        if not (xn > lo and xn < hi):
            xn = 0.5 * (lo + hi)
            if abs(xn - x) <= tol * abs(xn):
                return xn
        x = xn
    return x


@nb.njit(**_JIT)
def _horner4(c, x0, x1, x2, x3):
    """:func:`_horner` at four points in one pass over the coefficients: the same
    operations per point, so the same values, but four independent chains of
    multiply-adds keep the processor's pipelines full (one chain waits on itself)."""
    p0 = p1 = p2 = p3 = 0.0
    d0 = d1 = d2 = d3 = 0.0
    for t in range(c.shape[0] - 1, -1, -1):
        ct = c[t]
        d0 = d0 * x0 + p0
        p0 = p0 * x0 + ct
        d1 = d1 * x1 + p1
        p1 = p1 * x1 + ct
        d2 = d2 * x2 + p2
        p2 = p2 * x2 + ct
        d3 = d3 * x3 + p3
        p3 = p3 * x3 + ct
    return (p0, p1, p2, p3), (d0, d1, d2, d3)


@nb.njit(**_JIT)
def _nearest_root(c, rates, f0, df0, stop, check_pairs, tol, max_iter):
    """First root met when scanning ``rates`` (starting at 0) outward; NaN if none or
    if the scan passes ``|stop|`` first.

    The grid is evaluated four rates per pass (:func:`_horner4`) and then walked one
    step at a time.  With ``check_pairs``, a step whose ends have the same sign but
    whose slopes differ (an extremum inside) is searched for the extremum; if that
    crosses zero, the step holds two roots and the first one is refined.
    """
    xa = 1.0
    fa = f0
    da = df0
    n = rates.shape[0]
    for k0 in range(1, n, 4):
        if abs(rates[k0 - 1]) >= stop:
            return math.nan
        xs = (1.0 / (1.0 + rates[k0]), 1.0 / (1.0 + rates[min(k0 + 1, n - 1)]),
              1.0 / (1.0 + rates[min(k0 + 2, n - 1)]), 1.0 / (1.0 + rates[min(k0 + 3, n - 1)]))
        fs, ds = _horner4(c, xs[0], xs[1], xs[2], xs[3])
        for j in range(min(4, n - k0)):
            if abs(rates[k0 + j - 1]) >= stop:
                return math.nan
            xb, fb, db = xs[j], fs[j], ds[j]
            same = (fa > 0.0 and fb > 0.0) or (fa < 0.0 and fb < 0.0)
            if same and check_pairs and (da > 0.0) != (db > 0.0) and da != 0.0 and db != 0.0:
                xm, fm = _extremum(c, xa, xb, fa, da, db)
                if not ((fm > 0.0) == (fa > 0.0) and fm != 0.0):
                    return 1.0 / _refine(c, xa, xm, fa, fm, da, 0.0, tol, max_iter) - 1.0
            if same or (fa == 0.0 and fb == 0.0):
                xa, fa, da = xb, fb, db
                continue
            return 1.0 / _refine(c, xa, xb, fa, fb, da, db, tol, max_iter) - 1.0
    return math.nan


@nb.njit(**_JIT)
def _extremum(c, xa, xb, fa, da, db):
    """The extremum of the row polynomial between ``xa`` and ``xb`` (slopes ``da`` and
    ``db`` of opposite signs at the ends), with its value: safeguarded Newton on the
    slope, from where the slope's secant is zero, until a step is at most 1e-7
    relative (f is flat there); stops early at a point where f has crossed zero from
    its sign ``fa`` at ``xa`` (the step holds two roots)."""
    lo = min(xa, xb)
    hi = max(xa, xb)
    dlo = da if xa < xb else db
    x = xa - da * (xb - xa) / (db - da)
    if not (x > lo and x < hi):
        x = 0.5 * (lo + hi)
    p = fa
    for _ in range(60):
        p, dp, ddp = _horner2(c, x)
        if p == 0.0 or (p > 0.0) != (fa > 0.0) or dp == 0.0:
            return x, p
        if (dp > 0.0) == (dlo > 0.0):
            lo = x
            dlo = dp
        else:
            hi = x
        xn = x - dp / ddp if ddp != 0.0 else math.nan
        if not (xn > lo and xn < hi):
            xn = 0.5 * (lo + hi)
        if abs(xn - x) <= 1e-7 * abs(x):
            return x, p
        x = xn
    return x, p


@nb.njit(**_JIT)
def _sum_sign_changes(c):
    """Sign changes of the partial sums of ``c`` from the front (``S_t = c_0 + … + c_t``)
    and from the back (``R_t = c_t + … + c_T``), skipping zeros; a sum within rounding
    of zero counts as two changes (its sign is not known).

    With ``p(x) = sum_t c_t x^t``, ``p(x) / (1 - x) = sum_t S_t x^t`` (``S_t = S_T``
    beyond ``T``) on ``0 < x < 1``, so by Descartes' rule for power series p has at
    most as many roots in ``0 < x < 1`` (rates above zero) as the ``S_t`` change sign
    (Norstrøm's criterion); the same on the reversed row bounds the roots in ``x > 1``
    (rates between -100 % and zero) by the changes of the ``R_t``.  An even count less
    the roots is even, so one change means exactly one root on that side."""
    n = c.shape[0]
    s = 0.0  # S_t
    r = 0.0  # R_(n-1-t), summed from the back at the same time (two chains side by side)
    size = 0.0
    slope = 0.0
    vs = 0
    vr = 0
    last_s = 0.0
    last_r = 0.0
    min_s = math.inf
    min_r = math.inf
    for t in range(n):
        ct = c[t]
        s += ct
        r += c[n - 1 - t]
        size += abs(ct)
        slope += t * ct
        vs += last_s * s < 0.0
        last_s = s if s != 0.0 else last_s
        vr += last_r * r < 0.0
        last_r = r if r != 0.0 else last_r
        min_s = min(min_s, abs(s))
        min_r = min(min_r, abs(r))
    # a sum of n terms is off by less than n ulp of the sum of their sizes: a sum within
    # 1e-13 of that of zero may have either sign (or be zero), and the count is not sure
    if min_s <= 1e-13 * size:
        vs += 1000
    if min_r <= 1e-13 * size:
        vr += 1000
    total = s
    return vs, vr, total, slope


@nb.njit(**_JIT)
def irr_rows(C, up_fine, down_fine, up_coarse, down_coarse, tol, max_iter):
    n = C.shape[0]
    out = np.empty(n)
    for i in range(n):
        row = C[i]
        lo = 0
        hi = row.shape[0]
        while hi > 0 and row[hi - 1] == 0.0:  # trailing zeros: a lower degree
            hi -= 1
        while lo < hi and row[lo] == 0.0:  # leading zeros: a factor x^lo, no root at x > 0
            lo += 1
        c = row[lo:hi]
        if hi - lo < 2:  # a constant: no root (or none to pick)
            out[i] = math.nan
            continue
        vs, vr, f0, df0 = _sum_sign_changes(c)
        if vs == 0 and vr == 0:
            out[i] = math.nan
            continue
        if f0 == 0.0:
            out[i] = 0.0
            continue
        rp = math.nan
        if vs > 0:
            up = up_fine if vs > 1 else up_coarse
            rp = _nearest_root(c, up, f0, df0, math.inf, vs > 1, tol, max_iter)
        if vr > 0:
            stop = abs(rp) if rp == rp else math.inf
            down = down_fine if vr > 1 else down_coarse
            rn = _nearest_root(c, down, f0, df0, stop, vr > 1, tol, max_iter)
            if rn == rn and (rp != rp or abs(rn) < abs(rp)):
                rp = rn
        out[i] = rp
    return out


@nb.njit(**_JIT)
def tax_rows(profit, rate, threshold, share_above):
    n, T = profit.shape
    tax = np.empty((n, T))
    for i in range(n):
        pool = 0.0
        r = rate[i]
        for t in range(T):
            y = profit[i, t]
            pos = y if y > 0.0 else 0.0
            above = pos - threshold
            limit = min(pos, threshold) + share_above * (above if above > 0.0 else 0.0)
            offset = min(pool, limit)
            tax[i, t] = r * (pos - offset)
            pool += (-y if y < 0.0 else 0.0) - offset
    return tax


@nb.njit(**_JIT)
def debt_rows(draws, rate, afactor, first_repayment):
    n, T = draws.shape
    interest = np.empty((n, T))
    principal = np.empty((n, T))
    balance = np.empty((n, T))
    for i in range(n):
        bal = 0.0
        payment = 0.0
        r = rate[i]
        f = first_repayment[i]
        for t in range(T):
            it = r * bal
            if f == t:
                payment = bal * afactor[i]
            if t == T - 1:
                pr = bal
            elif f <= t:
                pr = min(max(payment - it, 0.0), bal)
            else:
                pr = 0.0
            interest[i, t] = it
            principal[i, t] = pr
            bal = bal - pr + draws[i, t]
            balance[i, t] = bal
        # what is drawn in the last year is repaid at once
        principal[i, T - 1] += draws[i, T - 1]
        balance[i, T - 1] = 0.0
    return interest, principal, balance


@nb.njit(**_JIT)
def payback_rows(C):
    n, T = C.shape
    out = np.full(n, math.nan)
    for i in range(n):
        cum = 0.0
        neg = False
        for t in range(T):
            prev = cum
            cum += C[i, t]
            if neg and cum >= 0.0:
                flow = C[i, t]
                out[i] = t + (-prev / flow if flow > 0.0 else 0.0)
                break
            if cum < 0.0:
                neg = True
    return out


@nb.njit(**_JIT)
def running_sums(acc, x, first, n, block, out):
    """Add the rows of ``x`` (draw, year) to the running sum ``acc`` (year,) one after
    another, in place, as ``numpy.sum`` over the draws adds them (from 0.0, each draw
    in turn: the same bits, -0.0 included); the rows are draws ``first`` .. of a chunk
    of ``n`` draws (``acc`` starts again at its first), and after every ``block``-th
    draw and the chunk's last the sum so far goes into ``out`` (block, year).
    """
    m, T = x.shape
    if first == 0:
        acc[:] = 0.0
    for i in range(m):
        j = first + i
        for t in range(T):
            acc[t] = acc[t] + x[i, t]
        if (j + 1) % block == 0 or j == n - 1:
            for t in range(T):
                out[j // block, t] = acc[t]
