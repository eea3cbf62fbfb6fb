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
def production_rows(start, life, ramp, T):
    """Full-output equivalent years produced in each year [1], shape (draw, T)
    (:func:`simcrm.kernels.schedule.production_factor`): the ramp integral between
    ``clip(t - start, 0, life)`` and ``clip(t + 1 - start, 0, life)``.  The integral
    at the end of a year is the one at the start of the next (the same operations on
    the same numbers), so it is computed once."""
    n = start.shape[0]
    out = np.empty((n, T))
    for i in range(n):
        si = start[i]
        li = life[i]
        ri = ramp[i]
        r0 = _ramp_integral(_clip(0.0 - si, 0.0, li), ri)
        for t in range(T):
            r1 = _ramp_integral(_clip(float(t) + 1.0 - si, 0.0, li), ri)
            out[i, t] = r1 - r0
            r0 = r1
    return out
