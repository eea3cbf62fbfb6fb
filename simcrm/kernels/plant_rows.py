"""Compiled row kernels of the plant and its operation: schedule shares, cost lines,
idling and walking away.

The documented functions (:mod:`simcrm.kernels.schedule`, :mod:`simcrm.model.plant`,
:mod:`simcrm.model.operations`) say what each computes as numpy expressions on
(draw, year) arrays; the kernels here do the same operations in the same order element
by element, in one pass and without the temporaries, so the results are the same to the
bit.  numpy's ``maximum`` and ``minimum`` are :func:`_max` and :func:`_min` (NaN from
either side, the second operand on a tie, so signed zeros come out alike), ``clip`` is
:func:`_clip`.  Each draw's row is computed on its own, so a draw's result never
depends on the other draws of its chunk.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from simcrm.kernels.compiled import _JIT


def shaped(x, shape: tuple) -> np.ndarray:
    """``x`` as a float array of ``shape`` for a kernel: ``x`` itself where it is one,
    else a broadcast view (``np.broadcast_to`` costs some microseconds a call)."""
    if isinstance(x, np.ndarray) and x.shape == shape and x.dtype == np.float64:
        return x
    return np.broadcast_to(np.asarray(x, float), shape)


@nb.njit(**_JIT)
def _max(a, b):
    """``np.maximum(a, b)`` of two floats."""
    return a if a > b or a != a else b


@nb.njit(**_JIT)
def _min(a, b):
    """``np.minimum(a, b)`` of two floats."""
    return a if a < b or a != a else b


@nb.njit(**_JIT)
def _clip(x, lo, hi):
    """``np.clip(x, lo, hi)`` of floats (numpy's ``max`` then ``min``: a NaN ``x`` stays)."""
    y = x if x > lo or x != x else lo
    return y if y < hi or y != y else hi


@nb.njit(**_JIT)
def overlap_rows(a, b, T):
    """Overlap of ``[a, b)`` with each year ``[t, t + 1)`` [years], shape (draw, T):
    ``max(min(t + 1, b) - max(t, a), 0)`` (:func:`simcrm.kernels.schedule.overlap`)."""
    n = a.shape[0]
    out = np.empty((n, T))
    for i in range(n):
        ai = a[i]
        bi = b[i]
        for t in range(T):
            tf = float(t)
            out[i, t] = _max(_min(tf + 1.0, bi) - _max(tf, ai), 0.0)
    return out


@nb.njit(**_JIT)
def _ramp_integral(x, ramp):
    """Integral from 0 to x of min(1, y / ramp) dy (ramp may be 0): numpy's
    ``where(x < ramp, where(ramp > 0, x * x / (2 * ramp), x), x - ramp / 2)``."""
    if x < ramp:
        return x * x / (2.0 * ramp) if ramp > 0.0 else x
    return x - ramp / 2.0


@nb.njit(**_JIT)
def production_rows(start, life, ramp, scale, T):
    """Full-output equivalent years produced in each year times ``scale``, shape
    (draw, T) (:func:`simcrm.kernels.schedule.production_factor`): ``scale`` times the
    ramp integral between ``clip(t - start, 0, life)`` and ``clip(t + 1 - start, 0, life)``.
    The integral at the end of a year is the one at the start of the next (the same
    operations on the same numbers), so it is computed once."""
    n = start.shape[0]
    out = np.empty((n, T))
    for i in range(n):
        si = start[i]
        li = life[i]
        ri = ramp[i]
        ki = scale[i]
        r0 = _ramp_integral(_clip(0.0 - si, 0.0, li), ri)
        for t in range(T):
            r1 = _ramp_integral(_clip(float(t) + 1.0 - si, 0.0, li), ri)
            out[i, t] = ki * (r1 - r0)
            r0 = r1
    return out


@nb.njit(**_JIT)
def spend_rows(c0, s, T):
    """Share of the capex spent in each year [1/yr], shape (draw, T), spent evenly over
    construction (:func:`simcrm.kernels.schedule.spending_share` without a profile):
    ``overlap(c0, s) / max(s - c0, 1e-9)`` (:func:`overlap_rows`)."""
    n = c0.shape[0]
    out = np.empty((n, T))
    for i in range(n):
        a = c0[i]
        b = s[i]
        build = _max(b - a, 1e-9)
        for t in range(T):
            tf = float(t)
            out[i, t] = _max(_min(tf + 1.0, b) - _max(tf, a), 0.0) / build
    return out


@nb.njit(**_JIT)
def cost_rows(production, op_share, spend_share, esc, p_feed, p_elec, p_gas, p_carbon,
              feed_t, elec_mwh, gas_mwh, net_co2, tariff_mwh, reagents_t, fixed, capex_final):
    """The plant's cost lines [MEUR/yr] of :func:`simcrm.model.plant._cost_lines` and the
    arrays :func:`simcrm.model.plant.plant_case` derives from them, shape (draw, year),
    in one pass.  Per draw ``i`` and year ``t`` (``x`` for ``x[i, t]`` of a (draw, year)
    array, ``x[i]`` of a (draw,) one and ``esc[t]``), in numpy's order of operations:

    * ``mwh = production * elec_mwh`` [MWh/yr], ``tariff = tariff_mwh * esc`` [EUR/MWh];
    * ``feedstock = -p_feed * production * feed_t / 1e6``,
      ``electricity = -(p_elec + tariff) * mwh / 1e6``,
      ``gas = -p_gas * production * gas_mwh / 1e6``,
      ``carbon = -p_carbon * production * net_co2 / 1e6``,
      ``other_opex = -(reagents_t * production / 1e6 + fixed * op_share) * esc``,
      ``capex = -capex_final * spend_share * esc``;
    * ``costs_opex = feedstock + electricity + gas + carbon + other_opex``,
      ``fixed_opex = fixed * op_share * esc``,
      ``reagents = reagents_t * production / 1e6 * esc`` and ``capex_spend = -capex``.

    Returns the arrays in that order (mwh, tariff, the six lines, then the four
    others)."""
    n, T = production.shape
    mwh = np.empty((n, T))
    tariff = np.empty((n, T))
    feedstock = np.empty((n, T))
    electricity = np.empty((n, T))
    gas = np.empty((n, T))
    carbon = np.empty((n, T))
    other = np.empty((n, T))
    capex = np.empty((n, T))
    costs = np.empty((n, T))
    fixed_opex = np.empty((n, T))
    reagents = np.empty((n, T))
    capex_spend = np.empty((n, T))
    for i in range(n):
        for t in range(T):
            q = production[i, t]
            e = esc[t]
            m = q * elec_mwh[i]
            tar = tariff_mwh[i] * e
            f = -p_feed[i, t] * q * feed_t[i] / 1e6
            el = -(p_elec[i, t] + tar) * m / 1e6
            g = -p_gas[i, t] * q * gas_mwh[i] / 1e6
            c = -p_carbon[i, t] * q * net_co2[i] / 1e6
            r = reagents_t[i] * q / 1e6
            fx = fixed[i] * op_share[i, t]
            o = -(r + fx) * e
            k = -capex_final[i] * spend_share[i, t] * e
            mwh[i, t] = m
            tariff[i, t] = tar
            feedstock[i, t] = f
            electricity[i, t] = el
            gas[i, t] = g
            carbon[i, t] = c
            other[i, t] = o
            capex[i, t] = k
            costs[i, t] = f + el + g + c + o
            fixed_opex[i, t] = fx * e
            reagents[i, t] = r * e
            capex_spend[i, t] = -k
    return (mwh, tariff, feedstock, electricity, gas, carbon, other, capex, costs, fixed_opex,
            reagents, capex_spend)



@nb.njit(**_JIT)
def idle_rows(revenue, per_tonne, reagents, feedstock, electricity, gas, carbon, production):
    """Years a plant produces (1.0) or idles (0.0), shape (draw, year), and whether any
    year idles (:func:`simcrm.model.operations.idle_mask`): a year idles where it
    produces and its variable margin ``revenue + per_tonne - reagents + feedstock +
    electricity + gas + carbon`` [MEUR/yr] (added in that order) is negative."""
    n, T = revenue.shape
    run = np.empty((n, T))
    idle = False
    for i in range(n):
        for t in range(T):
            margin = (revenue[i, t] + per_tonne[i, t] - reagents[i, t] + feedstock[i, t]
                      + electricity[i, t] + gas[i, t] + carbon[i, t])
            x = (margin < 0.0) & (production[i, t] > 0.0)  # no branch: faster
            run[i, t] = 1.0 - x
            idle |= x
    return run, idle


@nb.njit(**_JIT)
def idle_cost_rows(run, feedstock, electricity, gas, carbon, other_opex, fixed_opex, care,
                   restart, capex_estimate, esc):
    """The cost lines of a plant that idles in the years ``run == 0`` [MEUR/yr], shape
    (draw, year), in numpy's operations (:func:`simcrm.model.operations.idle_costs`):
    ``where(run > 0, line, 0.0)`` for the four variable lines,
    ``where(run > 0, other_opex, -fixed_opex * care)`` and the restart cost
    ``0.0 - back * restart * capex_estimate * esc``, ``back`` 1.0 in a year that runs
    after one that does not (``run[t] * (1.0 - run[t - 1])``, 0.0 in the first year).
    ``care``, ``restart`` and ``capex_estimate`` are shaped (draw,)."""
    n, T = run.shape
    f = np.empty((n, T))
    el = np.empty((n, T))
    g = np.empty((n, T))
    c = np.empty((n, T))
    o = np.empty((n, T))
    back = np.empty((n, T))
    for i in range(n):
        care_i = care[i]
        cost_i = restart[i]
        cap_i = capex_estimate[i]
        for t in range(T):  # selects, no branch: faster
            on = run[i, t] > 0.0
            f[i, t] = feedstock[i, t] if on else 0.0
            el[i, t] = electricity[i, t] if on else 0.0
            g[i, t] = gas[i, t] if on else 0.0
            c[i, t] = carbon[i, t] if on else 0.0
            o[i, t] = other_opex[i, t] if on else -fixed_opex[i, t] * care_i
        if T:
            back[i, 0] = 0.0 - 0.0 * cost_i * cap_i * esc[0]
        for t in range(1, T):
            back[i, t] = 0.0 - run[i, t] * (1.0 - run[i, t - 1]) * cost_i * cap_i * esc[t]
    return f, el, g, c, o, back


@nb.njit(**_JIT)
def closure_rows(cfads, op_share, keep, need):
    """Year index in which the sponsor walks away, or -1 where it never does, shape
    (draw,), and whether any draw has a bad year
    (:func:`simcrm.model.operations.closure_year`): the first year ending a run of
    ``need`` bad years, a bad year one of operation (``op_share > 0``) with
    ``cfads < 0`` of a draw not kept (``keep`` False).  A kept draw has no bad year, and
    a row is read no further than its closure once a bad year is seen."""
    n, T = cfads.shape
    close = np.full(n, -1, dtype=np.int64)
    bad = False
    for i in range(n):
        if keep[i]:
            continue
        count = 0
        for t in range(T):
            if cfads[i, t] < 0.0 and op_share[i, t] > 0.0:
                count += 1
                bad = True
            else:
                count = 0
            if close[i] < 0 and count >= need:
                close[i] = t
                if bad:
                    break
    return close, bad


@nb.njit(**_JIT)
def depreciation_rows(base, s, D, T):
    """Straight-line depreciation of ``base`` [MEUR] over ``D`` years from ``s`` [MEUR/yr],
    shape (draw, T): ``base / D * overlap(s, s + D)`` (:func:`overlap_rows`)."""
    n = base.shape[0]
    out = np.empty((n, T))
    for i in range(n):
        per_yr = base[i] / D
        a = s[i]
        b = a + D
        for t in range(T):
            tf = float(t)
            out[i, t] = per_yr * _max(_min(tf + 1.0, b) - _max(tf, a), 0.0)
    return out


@nb.njit(**_JIT)
def alive_rows(close, T):
    """1.0 up to and including the year ``close`` (every year where it is negative), 0.0
    after, shape (draw, T) (:func:`simcrm.model.operations.alive_mask`)."""
    n = close.shape[0]
    out = np.empty((n, T))
    for i in range(n):
        c = close[i]
        for t in range(T):
            out[i, t] = 1.0 if c < 0 or t <= c else 0.0
    return out


@nb.njit(**_JIT)
def decommissioning_rows(end, close, decom, security, esc, sponsor, state):
    """The sponsor's decommissioning line and the state's contingent cost [MEUR/yr] into
    ``sponsor`` and ``state`` (zeros, shaped (draw, T))
    (:func:`simcrm.model.operations.decommissioning`): where ``close`` is negative,
    ``-decom * esc[end]`` in the year ``end`` (the end of life, an index as numpy takes
    it: negative from the end) if ``end < T``; else
    ``decom * max(1.0 - security, 0.0) * esc[w]`` in the year ``w = min(close + 1, T - 1)``.
    Returns whether any value written is not zero (``np.any`` of the two)."""
    n, T = sponsor.shape
    some = False
    for i in range(n):
        c = close[i]
        if c < 0:
            e = end[i]
            if e < T:
                if e < 0:
                    e += T
                if e < 0:
                    raise IndexError("end of life before the horizon")
                sponsor[i, e] = -decom[i] * esc[e]
                some = some or sponsor[i, e] != 0.0
        else:
            w = min(c + 1, T - 1)
            state[i, w] = decom[i] * _max(1.0 - security[i], 0.0) * esc[w]
            some = some or state[i, w] != 0.0
    return some
