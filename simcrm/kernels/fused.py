"""Fused compiled kernels: one pass per option × world over the draws of a chunk.

The numpy layer (:func:`simcrm.model.business_case._settle_numpy`,
:func:`simcrm.model.breakeven.flat_price_npv` and :func:`simcrm.model.breakeven.breakeven`)
is the readable reference; the kernels here do the same arithmetic row by row in machine
code, without the temporaries of the numpy layer.  :func:`settle_rows` does the
reference's operations in the same order, so its results are the same to the bit;
:func:`breakeven` takes Newton steps on the NPV and its slope from one pass (the
secant of the reference where a step is not safe) and agrees with the reference to
about 1e-12 relative (its roots are the closer ones: the secant stops up to 1e-9 away).
Both are used with ``simulation.kernel = "fused"``, the default.

Each draw's row is processed on its own (the break-even search takes many rows side by
side, sharing no values), so a draw's result never depends on the other draws of its
chunk.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from simcrm.kernels.compiled import _JIT

BREAKEVEN_STEPS = 60
"""Most steps of the break-even search.  A draw stops as soon as its step is below 1e-9
relative (three to five evaluations for most); six steps, the limit before, left the
secant short of the root near a price floor's kink in about 1 draw in 1 200 (by up to
1.2 % of the price)."""

LANES = 32
"""Rows whose searches :func:`breakeven_lines` takes side by side.  The
loop over the lanes (:func:`_npv_lanes`) is compiled to vector instructions only from
as many lanes as a vector holds times the vectors unrolled (16 with AVX-512); fewer run
one lane at a time, slower than one row alone (8 lanes: +15 %).  16 and 32 are as fast
(32 also covers wider unrolling); two or four rows interleaved in scalar code were no
faster than one: a row's year already keeps the floating-point units busy."""


@nb.njit(**_JIT)
def _npv_at(flat, unit_rev, dfac, profit0, pv_fixed, slope, rate, thr, share_above,
            tw, ta, tb, two, i):
    """NPV [MEUR] of one row at the flat product price ``flat`` [EUR/t] and its right
    derivative in the price [MEUR per EUR/t]: the part linear in the price, the
    price-dependent terms and the discounted tax with loss carry-forward (as
    :func:`simcrm.kernels.compiled.tax_rows`).

    The terms of row ``i`` (``tw``, ``ta``, ``tb`` shaped (term, draw, year), ``two``
    (term,), as :func:`breakeven_rows` takes them) add ``w · g(a + b · flat)`` to each
    year's taxable profit and its present value to the NPV, ``g`` the identity where
    ``two`` else ``max(·, 0)`` (:meth:`simcrm.levers.base.Lever.price_terms`); the
    derivative adds ``w · b`` where ``g`` is the identity or its argument is positive (or
    zero and rising).  With no terms the value is computed with the same operations in
    the same order as without the derivative (and as before the terms).  The
    derivative is carried through the tax recursion alongside (forward mode); the NPV is
    piecewise linear in the price and at a kink (a term's argument or a year's profit at
    zero, its positive part at the threshold, the loss pool used up exactly) the
    derivative is the one just above ``flat``.  :func:`breakeven_rows` calls it only with
    ``unit_rev >= 0`` and ``share_above >= 0``."""
    value = pv_fixed + flat * slope
    pool = 0.0
    dpool = 0.0
    taxes = 0.0
    dsum = 0.0
    dext = 0.0  # derivative of the terms' present value
    K = tw.shape[0]
    for t in range(unit_rev.shape[0]):
        u = unit_rev[t]
        y = profit0[t] + flat * u
        extra = 0.0
        dy = u
        if K > 0:
            dextra = 0.0
            for k in range(K):
                b = tb[k, i, t]
                z = ta[k, i, t] + b * flat
                if two[k]:
                    extra += tw[k, i, t] * z
                    dextra += tw[k, i, t] * b
                else:
                    extra += tw[k, i, t] * (z if z > 0.0 else 0.0)
                    if z > 0.0 or (z == 0.0 and b > 0.0):
                        dextra += tw[k, i, t] * b
            y = y + extra
            dy = u + dextra
            dext += dextra * dfac[t]
        pos = y if y > 0.0 else 0.0
        above = pos - thr
        limit = min(pos, thr) + share_above * (above if above > 0.0 else 0.0)
        offset = min(pool, limit)
        if K == 0:  # dy = u >= 0, then dpool <= 0 <= dlimit
            dpos = u if y >= 0.0 else 0.0
            dlimit = dpos if pos < thr else share_above * dpos  # above >= 0 iff pos >= thr
            used_up = pool <= limit  # the offset is the pool, else the limit
        else:  # the same for a slope dy of either sign: the right derivatives
            dpos = dy if (y > 0.0 or (y == 0.0 and dy > 0.0)) else 0.0
            dlimit = dpos if (pos < thr or (pos == thr and dpos < 0.0)) else share_above * dpos
            used_up = pool < limit or (pool == limit and dpool <= dlimit)
        dneg = dpos - dy
        dsum += (dpos - (dpool if used_up else dlimit)) * dfac[t]
        dpool = dneg if used_up else dpool + (dneg - dlimit)
        taxes += (extra - rate * (pos - offset)) * dfac[t]  # extra 0.0 without terms
        pool += (-y if y < 0.0 else 0.0) - offset
    if K == 0:
        return value + taxes, slope - rate * dsum
    return value + taxes, (slope + dext) - rate * dsum


@nb.njit(**_JIT)
def _year_plain(flat, u, dfac, profit0, rate, thr, share_above, pool, dpool, taxes, dsum):
    """One year of :func:`_npv_plain`: its unit revenue ``u``, discount factor ``dfac``
    and profit without revenue ``profit0``; returns the loss pool, its derivative, and
    the sums of discounted tax and of the discounted derivative, updated."""
    y = profit0 + flat * u
    pos = y if y > 0.0 else 0.0
    above = pos - thr
    limit = min(pos, thr) + share_above * (above if above > 0.0 else 0.0)
    offset = min(pool, limit)
    dpos = u if y >= 0.0 else 0.0
    dlimit = dpos if pos < thr else share_above * dpos  # above >= 0 iff pos >= thr
    dneg = dpos - u
    used_up = pool <= limit  # the offset is the pool, else the limit
    dsum += (dpos - (dpool if used_up else dlimit)) * dfac
    dpool = dneg if used_up else dpool + (dneg - dlimit)
    taxes += (0.0 - rate * (pos - offset)) * dfac
    pool += (-y if y < 0.0 else 0.0) - offset
    return pool, dpool, taxes, dsum


@nb.njit(**_JIT)
def _npv_plain(flat, unit_rev, dfac, profit0, pv_fixed, slope, rate, thr, share_above):
    """:func:`_npv_at` without terms: the same value and derivative, in the code before
    the terms (which compiles to faster machine code; :func:`breakeven_rows` takes its
    Newton steps with it where there are no terms), a year at a time
    (:func:`_year_plain`)."""
    pool = 0.0
    dpool = 0.0
    taxes = 0.0
    dsum = 0.0
    for t in range(unit_rev.shape[0]):
        pool, dpool, taxes, dsum = _year_plain(flat, unit_rev[t], dfac[t], profit0[t], rate,
                                               thr, share_above, pool, dpool, taxes, dsum)
    return (pv_fixed + flat * slope) + taxes, slope - rate * dsum


@nb.njit(**_JIT)
def _npv_lanes(flat, unit_rev, dfac, profit0, pv_fixed, slope, rate, thr, share_above,
               state, value, deriv):
    """:func:`_npv_plain` of the rows in the lanes of :func:`breakeven_lines`, year by
    year across the lanes: ``flat``, ``pv_fixed``, ``slope`` and ``rate`` of shape
    (lane,); ``unit_rev``, ``dfac`` and ``profit0`` (year, lane), a lane's row in a
    column; ``state`` (at least 4, lane) scratch for the loss pool, its derivative and the two
    sums.  The NPV and its derivative go to ``value`` and ``deriv`` (lane,).

    Each lane's operations are those of :func:`_npv_plain` in the same order
    (:func:`_year_plain`), so its bits are the same.  One row's year is some thirty
    floating-point operations on one value each, a chain from year to year through the
    loss pool; the lanes share nothing, and the loop over them (innermost, without
    branches) is compiled to vector instructions that do each operation for several
    lanes at once (8 with AVX-512): about a quarter of the time per row's evaluation
    (:data:`LANES`)."""
    L = flat.shape[0]
    state[:4] = 0.0
    pool = state[0]
    dpool = state[1]
    taxes = state[2]
    dsum = state[3]
    for t in range(unit_rev.shape[0]):
        for k in range(L):
            pool[k], dpool[k], taxes[k], dsum[k] = _year_plain(
                flat[k], unit_rev[t, k], dfac[t, k], profit0[t, k], rate[k], thr, share_above,
                pool[k], dpool[k], taxes[k], dsum[k])
    for k in range(L):
        value[k] = (pv_fixed[k] + flat[k] * slope[k]) + taxes[k]
        deriv[k] = slope[k] - rate[k] * dsum[k]


@nb.njit(**_JIT)
def _npv_lanes_terms(flat, unit_rev, dfac, profit0, pv_fixed, slope, rate, thr, share_above,
                     lw, la, lb, two, state, value, deriv):
    """:func:`_npv_at` with terms, of the rows in the lanes of :func:`breakeven_lines`,
    year by year across the lanes, as :func:`_npv_lanes` without terms: the lanes' terms
    ``lw``, ``la`` and ``lb`` shaped (term, year, lane), a lane's row in a column;
    ``state`` (7, lane) scratch.  Each lane's operations are those of :func:`_npv_at` in
    the same order, so its bits are the same; the loops over the lanes (innermost,
    their conditions without branches: ``|`` and ``&``, not ``or`` and ``and``) are
    compiled to vector instructions, where :func:`_solve_row` takes a row at a time
    (2.5 times as long per row's evaluation as a row without terms)."""
    L = flat.shape[0]
    K = lw.shape[0]
    state[:5] = 0.0
    pool = state[0]
    dpool = state[1]
    taxes = state[2]
    dsum = state[3]
    dext = state[4]
    extra = state[5]
    dextra = state[6]
    for t in range(unit_rev.shape[0]):
        for k in range(L):
            extra[k] = 0.0
            dextra[k] = 0.0
        for j in range(K):
            if two[j]:
                for k in range(L):
                    b = lb[j, t, k]
                    z = la[j, t, k] + b * flat[k]
                    extra[k] += lw[j, t, k] * z
                    dextra[k] += lw[j, t, k] * b
            else:
                for k in range(L):
                    b = lb[j, t, k]
                    z = la[j, t, k] + b * flat[k]
                    extra[k] += lw[j, t, k] * (z if z > 0.0 else 0.0)
                    up = (z > 0.0) | ((z == 0.0) & (b > 0.0))
                    dextra[k] = dextra[k] + lw[j, t, k] * b if up else dextra[k]
        for k in range(L):
            u = unit_rev[t, k]
            y = profit0[t, k] + flat[k] * u
            y = y + extra[k]
            dy = u + dextra[k]
            dext[k] += dextra[k] * dfac[t, k]
            pos = y if y > 0.0 else 0.0
            above = pos - thr
            limit = min(pos, thr) + share_above * (above if above > 0.0 else 0.0)
            offset = min(pool[k], limit)
            dpos = dy if (y > 0.0) | ((y == 0.0) & (dy > 0.0)) else 0.0
            dlimit = dpos if (pos < thr) | ((pos == thr) & (dpos < 0.0)) else share_above * dpos
            used_up = (pool[k] < limit) | ((pool[k] == limit) & (dpool[k] <= dlimit))
            dneg = dpos - dy
            dsum[k] += (dpos - (dpool[k] if used_up else dlimit)) * dfac[t, k]
            dpool[k] = dneg if used_up else dpool[k] + (dneg - dlimit)
            taxes[k] += (extra[k] - rate[k] * (pos - offset)) * dfac[t, k]
            pool[k] += (-y if y < 0.0 else 0.0) - offset
    for k in range(L):
        value[k] = (pv_fixed[k] + flat[k] * slope[k]) + taxes[k]
        deriv[k] = (slope[k] + dext[k]) - rate[k] * dsum[k]


@nb.njit(**_JIT)
def _newton_step(p, f, g, lo, hi):
    """One safeguarded Newton step of :func:`_solve_row` from ``p``, where the NPV is
    ``f`` and its derivative ``g``, within the bracket ``(lo, hi)``.

    Returns
    -------
    state : int
        0: go on from ``p``; 1: ``p`` is the root; 2: fall back to the secant method.
    p, lo, hi : float
        The next price (the root where ``state`` is 1) and the bracket.
    """
    if f == 0.0:
        return 1, p, lo, hi
    if f < 0.0:
        lo = max(lo, p)
    elif f > 0.0:
        hi = min(hi, p)
    else:
        return 2, p, lo, hi  # NaN
    if not (g > 0.0 and math.isfinite(g)):
        return 2, p, lo, hi
    p2 = p - f / g
    if not math.isfinite(p2):
        return 2, p, lo, hi
    p2 = max(p2, 0.0)
    if abs(p2 - p) <= 1e-9 * max(abs(p), 1.0):
        return 1, p2, lo, hi
    if not (lo < p2 < hi):
        return 2, p, lo, hi
    return 0, p2, lo, hi


@nb.njit(**_JIT)
def _secant(u, d, p0r, pv_f, slope, r, thr, share_above, lc, iters, tw, ta, tb, two, i):
    """The fallback of :func:`_solve_row`: the secant method of the reference (same
    first guesses, steps and stopping rule) on row ``i``."""
    finite = math.isfinite(lc)
    p0 = lc if finite else 0.0
    f0 = _npv_at(p0, u, d, p0r, pv_f, slope, r, thr, share_above, tw, ta, tb, two, i)[0]
    p1 = lc * 1.25 + 1.0 if finite else 1000.0
    f1 = _npv_at(p1, u, d, p0r, pv_f, slope, r, thr, share_above, tw, ta, tb, two, i)[0]
    for _ in range(iters):
        if f1 != f0:
            p2 = p1 - f1 * (p1 - p0) / (f1 - f0)
        else:
            p2 = p1
        p2 = max(p2, 0.0) if math.isfinite(p2) else p1
        small = abs(p2 - p1) <= 1e-9 * max(abs(p1), 1.0)
        p0, f0 = p1, f1
        p1 = p2
        if small:
            break
        f1 = _npv_at(p1, u, d, p0r, pv_f, slope, r, thr, share_above, tw, ta, tb, two, i)[0]
    return p1


@nb.njit(inline="always", **_JIT)
def _prepass(u, d, fx, share_above):
    """The pass before a row's search: whether it produces (any ``u`` > 0), whether its
    derivative can be taken (``u`` and ``share_above`` not negative, as :func:`_npv_at`
    takes it), and the present values of the unit revenue, of its working capital
    (released a year later) and of the fixed line.  Inlined where it is called (as a
    call, :func:`breakeven_lines` took about 20 % longer)."""
    T = u.shape[0]
    produces = False
    nonneg = share_above >= 0.0
    pv_u = 0.0
    pv_w = 0.0
    pv_f = 0.0
    for t in range(T):
        if u[t] > 0.0:
            produces = True
        elif not u[t] >= 0.0:
            nonneg = False
        w = (d[t + 1] - d[t]) if t + 1 < T else 0.0
        pv_u += u[t] * d[t]
        pv_w += u[t] * w
        pv_f += fx[t] * d[t]
    return produces, nonneg, pv_u, pv_w, pv_f


@nb.njit(**_JIT)
def _solve_row(u, d, fx, p0r, wc, r, thr, share_above, lc, iters, tw, ta, tb, two, i):
    """Break-even price of one row (:func:`breakeven_rows`): ``u``, ``d``, ``fx`` and
    ``p0r`` the row's unit revenue, discount factors, fixed and profit lines (year,),
    ``wc``, ``r`` and ``lc`` its working-capital share, tax rate and levelised cost;
    the terms of row ``i``.

    The statement of the search, one row at a time: :func:`breakeven_lines` takes the
    same steps on many rows side by side, with the same bits."""
    K = tw.shape[0]
    produces, nonneg, pv_u, pv_w, pv_f = _prepass(u, d, fx, share_above)
    if not produces:
        return math.nan
    slope = pv_u + wc * pv_w
    # Newton, safeguarded by the bracket [lo, hi] of the points seen so far
    p = lc if math.isfinite(lc) else 0.0
    lo = -math.inf
    hi = math.inf
    for _ in range(iters if nonneg else 0):
        if K == 0:
            f, g = _npv_plain(p, u, d, p0r, pv_f, slope, r, thr, share_above)
        else:
            f, g = _npv_at(p, u, d, p0r, pv_f, slope, r, thr, share_above, tw, ta, tb,
                           two, i)
        state, p, lo, hi = _newton_step(p, f, g, lo, hi)
        if state == 1:
            return p
        if state == 2:
            break
    return _secant(u, d, p0r, pv_f, slope, r, thr, share_above, lc, iters, tw, ta, tb, two,
                   i)


@nb.njit(**_JIT)
def breakeven_rows(unit_rev, dfac, wc_share, fixed, profit0, rate, thr, share_above, lcop,
                   iters, tw, ta, tb, two):
    """Break-even flat product price of each row [EUR/t], as
    :func:`simcrm.model.breakeven.breakeven` with
    :func:`simcrm.model.breakeven.flat_price_npv` and price-dependent lines given as
    terms ``w · g(a + b · p)`` (:meth:`simcrm.levers.base.Lever.price_terms`).

    Newton's method from the levelised cost, with the derivative of the NPV computed in
    the same pass as its value (:func:`_npv_at`).  The NPV is piecewise linear in the
    price, so once an iterate is on the root's linear piece the next step lands on the
    root: typically two evaluations instead of five for the secant method.  The points
    with a negative and a positive NPV seen so far bracket the root.  Where the derivative
    is not positive and finite, a step leaves the bracket, ``iters`` steps do not
    converge, or ``unit_rev`` or ``share_above`` is negative, the row falls back to the
    secant method of the reference (same first guesses, steps and stopping rule).  Steps
    stop at a step of at most 1e-9 relative, as the reference's, and the price stays
    non-negative.

    Parameters
    ----------
    unit_rev : ndarray, shape (draw, year)
        Revenue per EUR/t of flat price: escalation × production / 1e6 [MEUR/yr per EUR/t].
    dfac : ndarray, shape (draw, year)
        The investor's discount factors [1].
    wc_share : ndarray, shape (draw,)
        Working capital as a share of revenue [1].
    fixed, profit0 : ndarray, shape (draw, year)
        Net cash flow without revenue, working capital and tax, and taxable profit
        without revenue [MEUR/yr].
    rate : ndarray, shape (draw,)
        Tax rate [1].
    thr, share_above : float
        Loss offset threshold [MEUR] and share above it [1].
    lcop : ndarray, shape (draw,)
        Levelised cost, the first guess [EUR/t].
    iters : int
        Most Newton steps, and most secant steps of the fallback.
    tw, ta, tb : ndarray, shape (term, draw, year)
        The price-dependent lines in the order of the reference's levers: ``w``
        [MEUR/yr per unit of ``a``], ``a`` and ``b`` [per EUR/t]; shape (0, draw, year)
        where there is none (then the NPV is computed as without terms, to the bit).
    two : ndarray of bool, shape (term,)
        Whether a term is two-sided (``g`` the identity), else ``g = max(·, 0)``.

    Returns
    -------
    ndarray, shape (draw,)
        Break-even price [EUR/t]; NaN where the plant never produces.
    """
    n = unit_rev.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = _solve_row(unit_rev[i], dfac[i], fixed[i], profit0[i], wc_share[i], rate[i],
                            thr, share_above, lcop[i], iters, tw, ta, tb, two, i)
    return out


@nb.njit(**_JIT)
def breakeven_lines(esc, production, dfac, wc_share, fixed, profit, rate, thr, share_above,
                    lcop, iters, tw, ta, tb, two):
    """:func:`breakeven_rows` with its unit revenue made row by row and the Newton steps
    of :data:`LANES` rows taken side by side: the same bits.

    The unit revenue is made from the escalation ``esc`` (year,) and ``production``
    (draw, year) as ``esc * production / 1e6`` (the operations of the line made whole,
    so the same bits, without an array of it); ``fixed`` and ``profit`` are the fixed
    and profit lines (draw, year); the discount factors ``dfac`` (draw, year), or
    (1, year) for every draw alike.

    Each of the lanes works on one row's search: all lanes' NPVs are evaluated in one
    pass (:func:`_npv_lanes`, or :func:`_npv_lanes_terms` with terms; vector
    instructions), then each lane takes its row's Newton step as :func:`_solve_row` does
    (:func:`_newton_step`).  When a row is done (its root found, or it falls back to the
    secant method, row by row and rare) the lane stores its result and takes the next
    row; rows that never produce or take the secant method from the start are solved
    when a lane comes to them.  Lanes without a row (at the end) are evaluated and
    ignored.  The lanes share no values, so each row's result is that of
    :func:`_solve_row`, whatever the other rows.  With terms a lane also holds its row's
    terms (term, year, lane); row by row they took 45 % of the benchmark's break-even
    time for a quarter of its rows.  Fewer rows than lanes (a draw at a time through
    the API) are taken row by row, since every lane is evaluated in every pass."""
    n, T = production.shape
    K = tw.shape[0]
    out = np.empty(n)
    u = np.empty(T)  # the row being taken
    L = LANES
    lu = np.zeros((T, L))  # the lanes' rows in columns
    ld = np.zeros((T, L))
    lp0 = np.zeros((T, L))
    row = np.full(L, -1)  # each lane's row, -1 for none
    p = np.zeros(L)  # the lanes' iterates, brackets, steps taken and constants
    lo = np.zeros(L)
    hi = np.zeros(L)
    steps = np.zeros(L, np.int64)
    pv_f = np.zeros(L)
    slope = np.zeros(L)
    r = np.zeros(L)
    f = np.empty(L)  # the NPV and its derivative at the iterates
    g = np.empty(L)
    lw = np.zeros((K, T, L))  # the lanes' terms
    la = np.zeros((K, T, L))
    lb = np.zeros((K, T, L))
    state = np.empty((7, L))
    busy = 0
    nxt = 0
    while True:
        # each lane without a row takes the next one that takes Newton steps
        for k in range(L):
            while row[k] < 0 and nxt < n:
                i = nxt
                nxt += 1
                for t in range(T):
                    u[t] = esc[t] * production[i, t] / 1e6
                fx = fixed[i]
                p0 = profit[i]
                d = dfac[0] if dfac.shape[0] == 1 else dfac[i]
                if n < L:  # too few rows to fill the lanes: row by row
                    out[i] = _solve_row(u, d, fx, p0, wc_share[i], rate[i], thr, share_above,
                                        lcop[i], iters, tw, ta, tb, two, i)
                    continue
                produces, nonneg, pv_u, pv_w, pv_fi = _prepass(u, d, fx, share_above)
                if not produces:
                    out[i] = math.nan
                    continue
                si = pv_u + wc_share[i] * pv_w
                if not (nonneg and iters > 0):
                    out[i] = _secant(u, d, p0, pv_fi, si, rate[i], thr, share_above, lcop[i],
                                     iters, tw, ta, tb, two, i)
                    continue
                for t in range(T):
                    lu[t, k] = u[t]
                    ld[t, k] = d[t]
                    lp0[t, k] = p0[t]
                for j in range(K):
                    for t in range(T):
                        lw[j, t, k] = tw[j, i, t]
                        la[j, t, k] = ta[j, i, t]
                        lb[j, t, k] = tb[j, i, t]
                row[k] = i
                p[k] = lcop[i] if math.isfinite(lcop[i]) else 0.0
                lo[k] = -math.inf
                hi[k] = math.inf
                steps[k] = 0
                pv_f[k] = pv_fi
                slope[k] = si
                r[k] = rate[i]
                busy += 1
        if busy == 0:
            return out
        if K == 0:
            _npv_lanes(p, lu, ld, lp0, pv_f, slope, r, thr, share_above, state, f, g)
        else:
            _npv_lanes_terms(p, lu, ld, lp0, pv_f, slope, r, thr, share_above, lw, la, lb,
                             two, state, f, g)
        for k in range(L):
            i = row[k]
            if i < 0:
                continue
            status, p[k], lo[k], hi[k] = _newton_step(p[k], f[k], g[k], lo[k], hi[k])
            steps[k] += 1
            if status == 1:
                out[i] = p[k]
            elif status == 2 or steps[k] == iters:
                out[i] = _secant(lu[:, k], ld[:, k], lp0[:, k], pv_f[k], slope[k], r[k], thr,
                                 share_above, lcop[i], iters, tw, ta, tb, two, i)
            else:
                continue
            row[k] = -1
            busy -= 1


def _chain(*terms):
    """``a + b + ... - c - ...`` from left to right (the same bits as the expression),
    into one new array where the shapes allow: the terms, with ``"+"`` and ``"-"``
    switching between adding and subtracting the terms that follow."""
    sign, acc = "+", None
    for x in terms:
        if isinstance(x, str):
            sign = x
            continue
        if acc is None:
            acc = x
            continue
        op = np.add if sign == "+" else np.subtract
        fits = (acc is not terms[0] and isinstance(acc, np.ndarray)
                and np.broadcast_shapes(acc.shape, np.shape(x)) == acc.shape)
        acc = op(acc, x, out=acc) if fits else op(acc, x)
    return acc


def _added(chain):
    """A chain of :func:`_chain` (or an array) added up by numpy: one array, the bits of
    the chain's expression."""
    if isinstance(chain, np.ndarray):
        return chain
    return _chain(*chain)


def breakeven(esc, production, dfac, wc_share, fixed, profit0, tax_rate, thr, share_above,
              lcop, iters: int = BREAKEVEN_STEPS, terms=()) -> np.ndarray:
    """Break-even flat product price [EUR/t] of each draw in one compiled pass: the
    arguments of :func:`simcrm.model.breakeven.flat_price_npv` but its levers, the first
    guess ``lcop`` (draw,) of :func:`simcrm.model.breakeven.breakeven`, and the
    price-dependent lines (the levers', then the royalty) as ``terms``: a sequence of
    ``(w, a, b, two_sided)``, ``w · g(a + b · p)`` with ``w``, ``a``, ``b`` broadcast to
    (draw, year) (:meth:`simcrm.levers.base.Lever.price_terms`).  ``fixed`` and
    ``profit0`` are arrays or the chains of lines that add up to them (:func:`_chain`:
    lines with ``"+"`` and ``"-"`` between them), added up here by numpy
    (:func:`_added`, the same bits): one streaming pass over each line was faster than
    the kernel adding a row of each of a dozen lines for every row (a chunk 3.5 %
    faster, measured in one process alternating the two ways)."""
    n, T = production.shape
    c = lambda x, shape: np.ascontiguousarray(np.broadcast_to(np.asarray(x, float), shape))  # noqa: E731
    K = len(terms)
    tw, ta, tb = (np.empty((K, n, T)) for _ in range(3))
    for k, (w, a, b, _) in enumerate(terms):
        tw[k], ta[k], tb[k] = (np.broadcast_to(x, (n, T)) for x in (w, a, b))
    two = np.array([bool(x[3]) for x in terms], dtype=np.bool_)
    d = np.asarray(dfac, float)
    if d.ndim == 1:
        d = d[None, :]
    elif d.shape[0] == n and d.strides[0] == 0:  # one row for every draw
        d = d[:1]
    return breakeven_lines(c(esc, (T,)), c(production, (n, T)), c(d, (d.shape[0], T)),
                           c(np.reshape(wc_share, (-1,)), (n,)), c(_added(fixed), (n, T)),
                           c(_added(profit0), (n, T)), c(tax_rate, (n,)), float(thr),
                           float(share_above), c(lcop, (n,)), int(iters), tw, ta, tb, two)


@nb.njit(**_JIT)
def _tax_row(y, r, thr, share_above, pool):
    """One year of :func:`simcrm.kernels.compiled.tax_rows`: (tax, new pool)."""
    pos = y if y > 0.0 else 0.0
    above = pos - thr
    limit = min(pos, thr) + share_above * (above if above > 0.0 else 0.0)
    offset = min(pool, limit)
    return r * (pos - offset), pool + ((-y if y < 0.0 else 0.0) - offset)


@nb.njit(**_JIT)
def _at(x, i, t, T):
    """``x[i, t]``, or 0.0 where ``x`` is (draw, 0): a line that is not there."""
    return x[i, t] if x.shape[1] == T else 0.0


@nb.njit(**_JIT)
def settle_rows(revenue, wc_share, ebitda, dep, interest, fee, taxable_extra, deduction,
                capex, grant, senior_draw, public_draw, senior_principal, public_principal,
                sustaining, alive, rate, thr, share_above, unlevered):
    """Working capital, tax with loss carry-forward, the project's and the sponsor's
    cash flows of each row in one pass, with the operations of
    :func:`simcrm.model.business_case._settle_numpy` in the same order (so the same
    bits) for a plant without an interest limit or untaxed support.  ``sustaining`` is
    the sustaining capex and ``alive`` the mask of the years up to the sponsor's walking
    away (1.0) and after (0.0); these two, ``taxable_extra``, ``deduction``, ``fee``,
    ``grant`` and the loans' draws and principal are arrays of shape (draw, 0) where
    there are none (0.0 in the same operations, so the same bits, without reading an
    array of zeros);
    ``unlevered`` computes the tax without loans for the project's cash flow of the draws
    with any interest or fee (else it is the project's cash flow).  Money in MEUR/yr,
    ``wc_share`` and ``rate`` (draw,).

    Returns
    -------
    dwc, profit, tax, cfads, project, project_cash_flow, equity : ndarray, shape (draw, year)
    """
    n, T = revenue.shape
    dwc = np.empty((n, T))
    profit = np.empty((n, T))
    tax = np.empty((n, T))
    cfads = np.empty((n, T))
    project = np.empty((n, T))
    unlev = np.empty((n, T))
    equity = np.empty((n, T))
    for i in range(n):
        r = rate[i]
        pool = 0.0
        pool2 = 0.0
        prev = 0.0
        levered = False  # the project's tax without loans differs: decided draw by draw
        if unlevered:
            for t in range(T):
                if interest[i, t] != 0.0 or _at(fee, i, t, T) != 0.0:
                    levered = True
                    break
        for t in range(T):
            wc = wc_share[i] * revenue[i, t]
            d = -(wc - prev)
            if t == T - 1:
                d += wc
            prev = wc
            e = ebitda[i, t]
            f = _at(fee, i, t, T)
            walk = alive.shape[1] == T
            extra = _at(taxable_extra, i, t, T)
            ded = _at(deduction, i, t, T)
            if walk:
                a = alive[i, t]
                y = (e - dep[i, t] * a - (interest[i, t] + f) * a) + extra
            else:
                y = (e - dep[i, t] - (interest[i, t] + f)) + extra
            tx, pool = _tax_row(y - ded, r, thr, share_above, pool)
            cf = e - tx
            pj = e + capex[i, t] + _at(grant, i, t, T) + d - tx
            if sustaining.shape[1] == T:
                cf = cf + sustaining[i, t]
                pj = pj + sustaining[i, t]
            u = pj
            if levered:
                fc = interest[i, t] + f
                if walk:
                    fc = fc * alive[i, t]
                t2, pool2 = _tax_row(y + fc - ded, r, thr, share_above, pool2)
                u = pj + tx - t2
            dwc[i, t] = d
            profit[i, t] = y
            tax[i, t] = tx
            cfads[i, t] = cf
            project[i, t] = pj
            unlev[i, t] = u
            debt = (interest[i, t] + _at(senior_principal, i, t, T)
                    + _at(public_principal, i, t, T) + f)
            if walk:
                debt = debt * alive[i, t]
            equity[i, t] = pj + _at(senior_draw, i, t, T) + _at(public_draw, i, t, T) - debt
    return dwc, profit, tax, cfads, project, unlev, equity
