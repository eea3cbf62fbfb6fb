"""Schedule and production kernels: permits, grid, construction, ramp-up.

Time is measured in years from 1 January of the valuation year (year index 0
covers ``[0, 1)``); durations count from the start of development.  Events fall
at fractional times, and each year's share of an
activity is the overlap of ``[t, t + 1)`` with the activity, so a delay moves
the results smoothly rather than in whole-year steps.
"""

from __future__ import annotations

import numpy as np

from simcrm.kernels.plant_rows import overlap_rows, production_rows, shaped, spend_rows


def project_timeline(permit_months, appeal_event, appeal_months, grid_wait_months,
                     construction_months, permit_cap_months=None, permit_scale=1.0,
                     grid_cap_months=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Irrevocable permit, start of construction (FID) and start of production.

    The permit (plus an appeal where one happens) comes first; construction then
    starts, but no earlier than needed to finish when the grid connection is
    ready: ``production = max(permit + construction, grid wait)``.

    Parameters
    ----------
    permit_months, appeal_months, grid_wait_months, construction_months : array_like
        Durations from the start of development [months].
    appeal_event : array_like
        1 where the permit is appealed, else 0 [1].
    permit_cap_months : float, optional
        Cap on the permit time including appeal (e.g. a fast track) [months].
    permit_scale : float
        Multiplier on the permit and appeal time [1].
    grid_cap_months : float, optional
        Cap on the grid-connection wait [months].

    Returns
    -------
    permit, construction_start, production_start : ndarray, shape (draw,)
        [years from the start of development]
    """
    permit = (np.asarray(permit_months, float) + appeal_event * np.asarray(appeal_months, float))
    permit = permit * permit_scale
    if permit_cap_months is not None:
        permit = np.minimum(permit, permit_cap_months)
    grid = np.asarray(grid_wait_months, float)
    if grid_cap_months is not None:
        grid = np.minimum(grid, grid_cap_months)
    cons = np.asarray(construction_months, float)
    start_cons = np.maximum(permit, grid - cons)
    return permit / 12.0, start_cons / 12.0, (start_cons + cons) / 12.0


def spending_share(c0, s, T: int, profile=()) -> np.ndarray:
    """Share of the capex spent in each year of the horizon.

    Without a ``profile`` the capex is spent evenly over construction, ``[c0, s)``.  A
    profile of ``k`` shares spends share ``i`` evenly over the ``i``-th of ``k`` equal
    parts of the construction period, so ``[0.3, 0.7]`` over a two-year build from
    1 January spends 30 % in the first year and 70 % in the second.

    Parameters
    ----------
    c0, s : ndarray, shape (draw,)
        Start of construction and of production [years].
    T : int
        Years of the horizon.
    profile : sequence of float
        Shares of the equal parts, adding up to 1 [1].

    Returns
    -------
    ndarray, shape (draw, year) [1/yr], rows adding up to 1 where construction lies in
    the horizon.
    """
    if not len(profile):  # overlap(c0, s, T) / max(s - c0, 1e-9), row by row
        return spend_rows(*_rows(c0, s), int(T))
    build = np.maximum(s - c0, 1e-9)
    k = len(profile)
    part = build / k
    out = np.zeros((np.shape(c0)[0], T))
    for i, share in enumerate(profile):
        if share:
            a = c0 + i * part
            out += share * overlap(a, a + part, T) / part[:, None]
    return out


def project_dates(*args, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """Start of construction and of production [years from the start of development]
    (:func:`project_timeline` without the permit date)."""
    _, c0, s = project_timeline(*args, **kwargs)
    return c0, s


def overlap(a, b, n_years: int) -> np.ndarray:
    """Length of the overlap of ``[a, b)`` with each year ``[t, t + 1)``:
    ``max(min(t + 1, b) - max(t, a), 0)``.

    Parameters
    ----------
    a, b : ndarray, shape (draw,)
        Start and end of the activity [years from the start of the FID year].

    Returns
    -------
    ndarray, shape (draw, n_years) [years], each in [0, 1]

    Computed row by row by :func:`simcrm.kernels.plant_rows.overlap_rows`.
    """
    shape = np.broadcast_shapes(np.shape(a), np.shape(b))
    a, b = _rows(a, b)
    return overlap_rows(a, b, int(n_years)).reshape(*shape, int(n_years))


def production_factor(start, life, ramp, n_years: int, capacity=1.0) -> np.ndarray:
    """Full-output equivalent years produced in each year.

    Output rises linearly from zero at ``start`` to full after ``ramp`` years and
    stops ``life`` years after ``start``: with ``R(x)`` the integral from 0 to ``x`` of
    ``min(1, y / ramp)`` (``x - ramp / 2`` from ``ramp`` on, ``x`` where ``ramp`` is 0),
    year ``t`` produces ``R(clip(t + 1 - start, 0, life)) - R(clip(t - start, 0, life))``.

    Parameters
    ----------
    start : ndarray, shape (draw,)
        First production [years from the start of the FID year].
    life, ramp : array_like
        Operating life and ramp-up time [years].
    capacity : array_like
        Output at full production [t/yr]: the factor times ``capacity`` (the same bits as
        ``capacity[:, None] * production_factor(...)``), 1 for the factor itself.

    Returns
    -------
    ndarray, shape (draw, n_years) [1], each in [0, 1] (times ``capacity``)

    Computed row by row by :func:`simcrm.kernels.plant_rows.production_rows`.
    """
    shape = np.broadcast_shapes(np.shape(start), np.shape(life), np.shape(ramp),
                                np.shape(capacity))
    start, life, ramp, capacity = _rows(start, life, ramp, capacity)
    out = production_rows(start, life, ramp, capacity, int(n_years))
    return out.reshape(*shape, int(n_years))


def _rows(*xs) -> list[np.ndarray]:
    """``xs`` broadcast together as float arrays, flattened to one dimension (the rows of a
    row kernel; a number or broadcast axis stays a read-only view, not a copy)."""
    shape = np.broadcast_shapes(*(np.shape(x) for x in xs))
    return [shaped(x, shape).reshape(-1) for x in xs]
