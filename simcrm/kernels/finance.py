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

TIMING_OFFSET = {"start-of-year": 0.0, "mid-year": 0.5, "end-of-year": 1.0}
"""When in its year a cash flow is taken to fall, for discounting: years after 1 January
of year index t.  ``start-of-year`` is simcrm's own convention (the numpy_financial one);
``mid-year`` is the feasibility-study habit of flows spread over the year; ``end-of-year``
that of a spreadsheet's NPV() over the yearly flows, the first one discounted a full year."""


def discounting_text(timing: str = "start-of-year") -> str:
    """The discounting convention of ``timing`` (:data:`TIMING_OFFSET`) in words, with
    how the metrics map onto ``numpy_financial`` (for the results' attributes)."""
    off = TIMING_OFFSET[timing]
    if off == 0.0:
        return DISCOUNTING
    return (f"Cash flows are taken {'in the middle' if off == 0.5 else 'at the end'} of their "
            f"year ({timing}): the flow of year index t (t = 0 is the valuation year) is "
            f"discounted by (1 + r)^-(t + {off:g}), so npv[draw] = numpy_financial.npv(r, "
            f"net_cash_flow[draw]) × (1 + r)^-{off:g} (likewise project_npv with "
            "project_cash_flow); the IRR does not depend on the convention.")


def timing_factor(rate, timing: str = "start-of-year"):
    """``(1 + rate) ** -offset`` of the convention ``timing`` (:data:`TIMING_OFFSET`): the
    factor from simcrm's start-of-year NPV to the NPV of that convention [1].

    A common shift of every flow by ``offset`` years scales every discount factor by the
    same number, so the NPV scales by it and the IRR is unchanged.

    Parameters
    ----------
    rate : float or ndarray, shape (draw,)
        Discount rate [1/yr].
    timing : str
        A key of :data:`TIMING_OFFSET`.

    Returns
    -------
    float or ndarray, shape (draw,) [1]
    """
    off = TIMING_OFFSET[timing]
    if off == 0.0:
        return 1.0
    return (1.0 + np.asarray(rate, dtype=float)) ** -off

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
        Read-only, one row broadcast, when ``rate`` is one number broadcast to every
        draw (the same values: the same operation per element).
    """
    t = np.arange(n_years)
    rate = np.asarray(rate, dtype=float)
    if rate.ndim == 0:
        return (1.0 + rate) ** -t
    if rate.shape[0] > 1 and rate.strides[0] == 0:  # one number for every draw (broadcast)
        return np.broadcast_to((1.0 + rate[:1, None]) ** -t, (rate.shape[0], n_years))
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
    return present_value(cash_flow, discount_factors(rate, cash_flow.shape[-1]))


def present_value(x: np.ndarray, dfac: np.ndarray) -> np.ndarray:
    """Present value of each row of ``x`` (draw, year) with discount factors (year,) or
    (draw, year) [same unit as ``x``].

    Summed row by row by numpy's own loop (``einsum``), not by BLAS: a BLAS
    matrix-vector product sums a row in an order that depends on where the row sits in
    the matrix, so a draw's value would depend on the other draws of its chunk."""
    if dfac.ndim == 1:
        return np.einsum("dt,t->d", x, dfac)
    return np.einsum("dt,dt->d", x, dfac)


def irr(cash_flow: np.ndarray, tol: float = 1e-14, max_iter: int = 60) -> np.ndarray:
    """Internal rate of return of each row (vectorised).

    Finds the root of ``sum_t c_t (1 + r)^-t`` closest to zero — the same root that
    ``numpy_financial.irr`` returns — by scanning a grid of rates outward from zero on
    both sides (steps of 2 percentage points near zero, down to -99.99 % and up to
    1000 %) to the first sign change, and refining it in ``x = 1 / (1 + r)``.  Years of
    zero at the ends of the row are dropped.  How many roots a side of zero can hold is
    bounded by how often the cumulative cash flow changes sign — summed from the first
    year for rates above zero, from the last year for rates below (Norstrøm's
    criterion): a side with no change has no root and is not scanned, a side with one
    change has exactly one root and is scanned on a coarse grid, a side with more is
    scanned on the fine grid, where a step whose ends have the same sign but opposite
    slopes is searched (Newton on the slope) for a pair of roots inside it; a pair in a
    step that holds more than one extremum can still be missed.  The grid is evaluated
    four rates per pass over the row.

    Tolerance: the refinement (Halley steps, safeguarded by bisection, from the inverse
    Hermite interpolation of the bracketing step) stops when a Newton step in ``x`` is
    at most ``tol`` relative (1e-14) or is predicted, from ``p''``, to be below
    ``tol / 100``; so the IRR is within about ``tol · (1 + r)`` of the root, in practice
    a few units of rounding (at most 6e-15 on the benchmark's flows), and the net
    present value at the returned rate is typically a few units of rounding of
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


def depreciation_shares(method: str, years: float, factor: float = 2.0,
                        first_share: float = 0.75, schedule=()) -> np.ndarray:
    """Share of an asset written off in each year of use, first year first.

    Parameters
    ----------
    method : str
        ``straight-line`` (``1 / years`` a year, the last year the remainder),
        ``declining-balance`` (``factor / years`` of the book value a year, switching to
        straight-line over the remaining years when that is more; all written off by the
        end of year ``ceil(years)``), ``accelerated`` (``first_share`` in the first year,
        the rest straight-line over ``years``) or ``schedule`` (``schedule`` as given).
    years : float
        Depreciation period [years].
    factor, first_share : float
        [1]
    schedule : sequence of float
        Shares by year [1].

    Returns
    -------
    ndarray, shape (k,)
        Shares adding up to 1 [1].

    Examples
    --------
    Double declining balance over 5 years: 40 %, 24 %, 14.4 %, then straight-line
    10.8 % twice.
    """
    if method == "schedule":
        return np.asarray(schedule, dtype=float)
    k = int(np.ceil(years))
    sl = np.full(k, 1.0 / years)
    sl[-1] = 1.0 - (k - 1) / years
    if method == "straight-line":
        return sl
    if method == "accelerated":
        out = (1.0 - first_share) * sl
        out[0] += first_share
        return out
    if method != "declining-balance":
        raise ValueError(f"unknown depreciation method {method!r}")
    out, book = np.zeros(k), 1.0
    for i in range(k):
        rest = years - i
        x = book if rest <= 1.0 else min(book, max(factor / years * book, book / rest))
        out[i], book = x, book - x
    return out


def sculpted_debt(profile: np.ndarray, service: np.ndarray, rate, cap: np.ndarray,
                  first: np.ndarray, years: int) -> tuple:
    """Debt sized on a cover ratio: the most the lenders lend, and its schedule.

    The loan is drawn by ``profile`` (draws at the end of their year) and repaid in the
    ``years`` years from year index ``first`` (interest is paid before that); in those
    years its debt service is ``scale × service``, where ``service`` is the most the
    sizing case can carry (its CFADS divided by the target cover ratio).  The largest
    loan that this repays exactly by the last repayment year is

        D_max = Σ_t service_t g_t / Σ_t profile_t g_t,  g_t = (1 + rate)^(repayment years after t)

    (both sides carried to the end of the last repayment year); the loan is
    ``D = min(cap, D_max)`` and ``scale = D / D_max`` ≤ 1, so the sizing case's cover
    ratio is the target in every repayment year where the cap does not bind, and above
    it where it does.  Repayment years beyond the horizon are dropped (the loan is sized
    to be repaid within it); a year whose service is below the interest adds the
    difference to the balance.

    Parameters
    ----------
    profile : ndarray, shape (draw, year)
        Share of the loan drawn each year [1], rows adding up to 1 (or 0).
    service : ndarray, shape (draw, year)
        Debt service the sizing case carries in each year [MEUR/yr]; < 0 counts as 0.
    rate : float or ndarray, shape (draw,)
        Interest rate [1/yr].
    cap : ndarray, shape (draw,)
        Largest loan (gearing × capex estimate) [MEUR].
    first : ndarray of int, shape (draw,)
        Year index of the first repayment.
    years : int
        Number of repayment years.

    Returns
    -------
    draws, interest, principal, balance : ndarray, shape (draw, year) [MEUR/yr; MEUR]
    """
    n, T = profile.shape
    rate = np.broadcast_to(np.asarray(rate, dtype=float), (n,))
    t = np.arange(T)
    rep = (t >= first[:, None]) & (t < first[:, None] + years)
    after = rep[:, ::-1].cumsum(axis=1)[:, ::-1] - rep  # repayment years after t
    g = (1.0 + rate[:, None]) ** after
    svc = np.where(rep, np.maximum(service, 0.0), 0.0)
    fv_s, fv_d = (svc * g).sum(axis=1), (profile * g).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        loan = np.minimum(cap, np.where(fv_d > 0, fv_s / fv_d, 0.0))
        scale = np.where(fv_s > 0, loan * fv_d / fv_s, 0.0)
    draws = loan[:, None] * profile
    paid = scale[:, None] * svc
    interest, principal, balance = (np.zeros((n, T)) for _ in range(3))
    bal = np.zeros(n)
    for k in range(T):
        interest[:, k] = rate * bal
        principal[:, k] = np.where(rep[:, k], paid[:, k] - interest[:, k], 0.0)
        if k == T - 1:
            principal[:, k] = bal + draws[:, k]
        bal = bal + draws[:, k] - principal[:, k]
        balance[:, k] = bal
    balance[np.abs(balance) < 1e-12] = 0.0
    return draws, interest, principal, balance


def reserve_account(cfads: np.ndarray, service: np.ndarray, years: float,
                    start: np.ndarray | None = None) -> tuple:
    """A debt service reserve account, year by year, and the year of default.

    The reserve is filled from the cash flow left after debt service up to ``years`` ×
    the next year's debt service, released when that target falls, drawn in a year the
    cash flow does not cover the debt service, and paid out at the end.  The loan
    defaults in the first year with debt service that the cash flow and the reserve
    together do not cover (DSCR < 1 with the reserve exhausted).

    Parameters
    ----------
    cfads : ndarray, shape (draw, year)
        Cash flow available for debt service [MEUR/yr].
    service : ndarray, shape (draw, year)
        Debt service due (interest, principal, fees) [MEUR/yr].
    years : float
        Reserve target in years of the next year's debt service [years].
    start : ndarray of int, shape (draw,), optional
        Year index of the first production: before it the sponsor pays the interest
        during construction and the account is not used.

    Returns
    -------
    flow : ndarray, shape (draw, year)
        Cash from (+) or into (−) the reserve, seen by the equity [MEUR/yr].
    default : ndarray of int, shape (draw,)
        Year index of the default, -1 where none.
    """
    n, T = cfads.shape
    if start is not None:
        on = np.arange(T) >= np.asarray(start)[:, None]
        cfads, service = np.where(on, cfads, 0.0), np.where(on, service, 0.0)
    target = years * np.concatenate([service[:, 1:], np.zeros((n, 1))], axis=1)
    res, flow, default = np.zeros(n), np.zeros((n, T)), np.full(n, -1)
    for k in range(T):
        surplus = cfads[:, k] - service[:, k]
        short = np.maximum(-surplus, 0.0)
        draw = np.minimum(short, res)
        hit = (short - draw > 1e-9) & (default < 0) & (service[:, k] > 0)
        default[hit] = k
        fill = np.minimum(np.maximum(surplus, 0.0), np.maximum(target[:, k] - res + draw, 0.0))
        res = res - draw + fill
        release = np.maximum(res - target[:, k], 0.0)
        res = res - release
        flow[:, k] = draw - fill + release
    flow[:, -1] += res
    return flow, default


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
