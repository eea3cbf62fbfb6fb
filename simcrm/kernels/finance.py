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

from simcrm.kernels import compiled as _k

DISCOUNTING = (
    "The cash flow of year index t (t = 0 is the FID year) is discounted by (1 + r)^-t, "
    "so numpy_financial.npv(r, net_cash_flow[draw]) equals npv[draw]."
)

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


def irr(cash_flow: np.ndarray, tol: float = 1e-14, max_iter: int = 60) -> np.ndarray:
    """Internal rate of return of each row (vectorised).

    Finds the root of ``sum_t c_t (1 + r)^-t`` closest to zero — the same root that
    ``numpy_financial.irr`` returns — by scanning a grid of rates outward from zero on
    both sides (steps of 0.5 percentage points near zero, down to -99.99 % and up to
    1000 %) to the first sign change, and refining it with safeguarded Newton steps in
    ``x = 1 / (1 + r)``.  A row whose sign changes once has a single IRR (Descartes'
    rule of signs) and is scanned on a coarse grid, a row whose sign never changes has
    none (NaN at once); on rows with several sign changes two roots closer together
    than a fine grid step can be missed.  The grid is evaluated four rates per pass over
    the row.

    Tolerance: the refinement stops when a Newton step in ``x`` is at most ``tol``
    relative (1e-14), so the IRR is within about ``tol · (1 + r)`` of the root; the
    net present value at the returned rate is typically a few units of rounding of
    ``sum_t |c_t| (1 + r)^-t`` (median 2e-16 relative on the benchmark's flows).

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
    c = np.ascontiguousarray(cash_flow, dtype=float)
    return _k.irr_rows(c, _k.IRR_UP, _k.IRR_DOWN, _k.IRR_UP_COARSE, _k.IRR_DOWN_COARSE, tol,
                       max_iter)


def payback(cash_flow: np.ndarray) -> np.ndarray:
    """Payback time: years from the start of year 0 (1 January of the valuation year)
    until the cumulative net cash flow, having been negative, first returns to zero.

    Year ``t``'s flow comes in evenly over ``[t, t + 1)``, as the schedule puts it, so
    flows of ``[-100, 30, 30, 30, 30]`` pay back within year 4, after ``4 + 10/30``
    years: the cumulative flow is -10 at the end of year 3 and year 4 earns 30.

    Returns
    -------
    ndarray, shape (draw,)
        Payback [years]; NaN if the outlay is never recovered within the horizon.
    """
    return _k.payback_rows(np.ascontiguousarray(cash_flow, dtype=float))


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
    profit = np.ascontiguousarray(profit, dtype=float)
    rate = np.ascontiguousarray(np.broadcast_to(np.asarray(rate, dtype=float),
                                                (profit.shape[0],)))
    return _k.tax_rows(profit, rate, float(threshold), float(share_above))


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
    draws = np.ascontiguousarray(draws, dtype=float)
    n = draws.shape[0]
    rate = np.ascontiguousarray(np.broadcast_to(np.asarray(rate, dtype=float), (n,)))
    with np.errstate(divide="ignore", invalid="ignore"):
        afactor = np.where(rate > 0, rate / (1.0 - (1.0 + rate) ** -tenor), 1.0 / tenor)
    first = np.ascontiguousarray(np.broadcast_to(np.asarray(first_repayment, np.int64), (n,)))
    return _k.debt_rows(draws, rate, afactor, first)
