"""The break-even product price: the flat price that makes the investor's NPV zero."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simcrm.kernels.finance import tax_with_loss_carry_forward
from simcrm.kernels.fused import BREAKEVEN_STEPS
from simcrm.model.plant import pv


def flat_price_npv(esc, production, dfac, wc_share, fixed, profit0, tax_rate, thr,
                   share_above, levers: list[tuple[Callable, np.ndarray]]) -> Callable:
    """NPV as a function of a flat product price, for the break-even search.

    The NPV of revenue and working capital is linear in the price, so it is
    computed once; only the price-dependent levers and the tax (loss carry-forward)
    are evaluated per price.  Equal to the NPV of
    :func:`simcrm.model.business_case.cash_flows` up to the order of the additions.

    Parameters
    ----------
    esc : ndarray, shape (year,)
        Price escalation (ones in real terms) [1].
    production : ndarray, shape (draw, year)
        Production [t/yr].
    dfac : ndarray, shape (year,) or (draw, year)
        The investor's discount factors [1].
    wc_share : ndarray, shape (draw, 1)
        Working capital as a share of revenue [1].
    fixed : ndarray, shape (draw, year)
        Net cash flow to the investor without revenue, working capital,
        price-dependent levers and tax [MEUR/yr].
    profit0 : ndarray, shape (draw, year)
        Taxable profit without revenue and price-dependent levers [MEUR/yr].
    tax_rate : ndarray, shape (draw,)
        Corporate tax rate [1].
    thr, share_above : float
        Loss offset threshold [MEUR] and share above it [1].
    levers : list of (callable, ndarray)
        The price-dependent levers in the fixed order: ``line(basis, price)`` gives the
        plant line [MEUR/yr] for the rows ``basis`` (draw, year) of its basis at the
        price path ``price`` [EUR/t].

    Returns
    -------
    callable
        ``npv_at(flat, rows=None)``: NPV [MEUR] of the draws ``rows`` (all if None)
        at the flat prices ``flat`` [EUR/t of the price year], one per row.
    """
    unit_rev = esc * production / 1e6  # MEUR/yr per EUR/t
    dfac2 = np.broadcast_to(dfac, production.shape)
    # NPV of the change in working capital per unit of revenue (released at the end)
    wdf = np.diff(dfac2, axis=-1, append=dfac2[:, -1:])
    slope = pv(unit_rev, dfac) + wc_share[:, 0] * pv(unit_rev, wdf)
    pv_fixed = pv(fixed, dfac)
    tax_rate = np.broadcast_to(tax_rate, pv_fixed.shape)

    def npv_at(flat: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        R = (lambda x: x) if rows is None else (lambda x: x[rows])  # noqa: E731
        profit = R(profit0) + flat[:, None] * R(unit_rev)
        value = R(pv_fixed) + flat * R(slope)
        if levers:
            price = flat[:, None] * esc
            extra = 0.0
            for line, basis in levers:
                extra = extra + line(R(basis), price)
            profit += extra
        else:
            extra = 0.0
        tax = tax_with_loss_carry_forward(profit, R(tax_rate), thr, share_above)
        return value + pv(extra - tax, R(dfac2))

    return npv_at


def breakeven(npv_at: Callable, lcop: np.ndarray, production: np.ndarray,
              iters: int = BREAKEVEN_STEPS) -> np.ndarray:
    """Flat product price [EUR/t, price-year money] that makes the NPV zero (secant).

    Each draw iterates on its own until its step is below 1e-9 relative, so the
    result of a draw does not depend on the other draws of its chunk.

    Parameters
    ----------
    npv_at : callable
        From :func:`flat_price_npv`.
    lcop : ndarray, shape (draw,)
        Levelised cost of production, the first guess [EUR/t].
    production : ndarray, shape (draw, year)
        Production [t/yr]; draws that never produce get NaN.
    iters : int
        Most secant steps (:data:`BREAKEVEN_STEPS`).

    Returns
    -------
    ndarray, shape (draw,)
        Break-even price [EUR/t].
    """
    operating = production.sum(axis=1) > 0
    p0 = np.where(np.isfinite(lcop), lcop, 0.0)
    f0 = npv_at(p0)
    p1 = np.where(np.isfinite(lcop), lcop * 1.25 + 1.0, 1000.0)
    f1 = npv_at(p1)
    active = np.ones(p1.shape, bool)
    for _ in range(iters):
        with np.errstate(divide="ignore", invalid="ignore"):
            p2 = np.where(f1 != f0, p1 - f1 * (p1 - p0) / (f1 - f0), p1)
        p2 = np.where(np.isfinite(p2), np.maximum(p2, 0.0), p1)
        step_small = np.abs(p2 - p1) <= 1e-9 * np.maximum(np.abs(p1), 1.0)
        p0, f0 = np.where(active, p1, p0), np.where(active, f1, f0)
        p1 = np.where(active, p2, p1)
        active &= ~step_small
        if not active.any():
            break
        # only the draws still iterating are evaluated
        idx = np.nonzero(active)[0]
        f1 = f1.copy()
        f1[idx] = npv_at(p1[idx], idx)
    return np.where(operating, p1, np.nan)
