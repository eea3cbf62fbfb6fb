"""Stochastic annual market paths.

Each price follows a mean-reverting process in logs with occasional jumps:

    d_0 = ln(start / long_run)
    d_t = (1 - reversion) d_{t-1} + volatility z_t + J_t,   t >= 1
    P_t = long_run * exp(d_t)

where ``z_t`` are (correlated) standard-normal shocks and ``J_t`` is
``ln(crash_size)`` with probability ``crash_prob`` plus ``ln(spike_size)`` with
probability ``spike_prob`` each year.  A jump moves the level, which then fades
back at the reversion speed, as in the lithium bust of 2023 or the dysprosium
spike after China's export controls of April 2025.  ``long_run`` is thus the
long-run *median*: with volatility the mean lies above it by the factor
``exp(var/2)``.

References
----------
Schwartz, E. S. (1997). The stochastic behavior of commodity prices. Journal of
Finance 52(3), 923–973 (one-factor mean-reverting log price).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from simcrm.kernels.compiled import _JIT

_NO_JUMPS = np.zeros((0, 0), bool)
"""The jump years of a path without jumps of a kind (:func:`_log_gaps`)."""
_NO_JUMPS.flags.writeable = False


def price_path(z, start, long_run, reversion, volatility, crash=None, crash_size=1.0,
               spike=None, spike_size=1.0, escalation=None, deck=None) -> np.ndarray:
    """One market's annual price path for every draw.

    Parameters
    ----------
    z : ndarray, shape (draw, year)
        Standard-normal shocks (column 0 is not used).
    start, long_run : float or ndarray, shape (draw,)
        Level in the FID year and long-run median level [EUR per unit].
    reversion : float or ndarray
        Share of the log gap closed per year [1/yr].
    volatility : float or ndarray
        Standard deviation of the yearly log shock [1/sqrt(yr)].
    crash, spike : ndarray of bool, shape (draw, year), optional
        Whether a crash / spike happens in the year.
    crash_size, spike_size : float or ndarray
        Price multipliers of a crash (< 1) and a spike (> 1) [1].
    escalation : ndarray, shape (year,), optional
        Multiplier for nominal terms, ``(1 + inflation) ** t``.
    deck : ndarray, shape (year,), optional
        A price deck [EUR per unit]: the median path instead of ``long_run``, with
        ``d_0 = 0`` (the path starts on the deck; ``start`` is not used).

    Returns
    -------
    ndarray, shape (draw, year) [EUR per unit]; zero where the long-run level is zero.
    """
    n, T = z.shape
    start = np.broadcast_to(np.asarray(start, float), (n,))
    long_run = np.broadcast_to(np.asarray(long_run, float), (n,))
    keep = 1.0 - np.broadcast_to(np.asarray(reversion, float), (n,))
    vol = np.broadcast_to(np.asarray(volatility, float), (n,))
    live = (start > 0) & (long_run > 0)
    if deck is not None:
        live = np.ones(n, bool)
        d = np.zeros(n)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(live, np.log(np.where(live, start, 1.0)
                                      / np.where(live, long_run, 1.0)), 0.0)
    lc = np.log(np.broadcast_to(np.asarray(crash_size, float), (n,)))
    ls = np.log(np.broadcast_to(np.asarray(spike_size, float), (n,)))
    out = _log_gaps(d, keep, np.ascontiguousarray(vol), z, _NO_JUMPS if crash is None else crash,
                    lc, _NO_JUMPS if spike is None else spike, ls)
    level = long_run[:, None] if deck is None else np.asarray(deck, float)[None, :]
    prices = np.exp(out, out=out)
    prices *= level
    prices[~live] = 0.0
    if escalation is not None:
        prices *= escalation
    return prices


@nb.njit(**_JIT)
def _log_gaps(d0, keep, vol, z, crash, lc, spike, ls):
    """The log gaps ``d_t`` of the paths (the recursion of the module docstring), shape
    (draw, year), from ``d_0`` = ``d0``, shape (draw,).

    Each draw's row on its own, in the order of operations of the numpy recursion
    ``d = keep * d + vol * z[:, t]``, ``d = d + where(crash[:, t], lc, 0)``, ``d = d +
    where(spike[:, t], ls, 0)``, so the gaps are the same to the bit.  ``crash`` and
    ``spike`` are bool, shape (draw, year), or shape (0, 0) for no jumps of the kind.
    """
    n, T = z.shape
    has_crash, has_spike = crash.shape[0] > 0, spike.shape[0] > 0
    out = np.empty((n, T))
    for r in range(n):
        d = d0[r]
        out[r, 0] = d
        for t in range(1, T):
            d = keep[r] * d + vol[r] * z[r, t]
            if has_crash:
                d = d + (lc[r] if crash[r, t] else 0.0)
            if has_spike:
                d = d + (ls[r] if spike[r, t] else 0.0)
            out[r, t] = d
    return out
