"""Operating the plant: years it idles, restarts, and a sponsor who walks away.

* **Idling.**  In a year whose variable margin is negative — revenue and per-tonne
  support (the per-tonne payments of the levers) less feedstock,
  energy, carbon and reagents — the plant produces nothing that year.  It still
  pays ``operations.care_maintenance_share`` of its fixed costs (care and
  maintenance), and ``operations.restart_cost_share`` × the capex estimate in the
  first year it produces again.
* **Walking away.**  After ``finance.walkaway_years`` consecutive operating years
  with a negative cash flow from operations after tax (idle years included), and if
  the plant's expected continuation value is negative — its cash margin at the
  world's long-run prices (to which prices revert within a few years) does not cover
  its fixed costs — the sponsor closes the plant for good at the end of that year
  (limited liability):
  no production, costs, tax or debt service after it; the lenders take what is
  left of their loans (:class:`simcrm.model.financing.DefaultRisk` books the public
  share); the decommissioning cost is met by the sponsor's financial security and
  the rest falls on the state (``gov_contingent``).
* **Decommissioning** of a plant that runs its life: the sponsor pays
  ``finance.decommissioning_share`` × the capex estimate in the year its life ends
  (if within the horizon), deductible from taxable profit.

All masks are shaped (draw, year): 1.0 in a year the plant runs (or is alive),
0.0 when it idles (or after closure).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from simcrm.kernels.plant_rows import (
    alive_rows,
    closure_rows,
    decommissioning_rows,
    idle_cost_rows,
    idle_rows,
    shaped,
)

if TYPE_CHECKING:  # pragma: no cover
    from simcrm.model.plant import Plant

VARIABLE_LINES = ("feedstock", "electricity", "gas", "carbon")
"""Plant cost lines that are proportional to output (reagents are in ``other_opex``)."""


def idle_mask(plant: Plant, revenue: np.ndarray, per_tonne: np.ndarray) -> np.ndarray | None:
    """1.0 in years the plant produces, 0.0 in years it idles; None if it never idles.

    Parameters
    ----------
    plant : Plant
    revenue : ndarray, shape (draw, year)
        Revenue at market prices [MEUR/yr].
    per_tonne : ndarray, shape (draw, year)
        Support that comes with output (operating and price-dependent levers) [MEUR/yr].

    A year the plant produces (``plant.production > 0``) idles where its variable margin
    ``revenue + per_tonne - plant.reagents + feedstock + electricity + gas + carbon``
    (the plant's lines) is negative; computed row by row by
    :func:`simcrm.kernels.plant_rows.idle_rows`.
    """
    shape = (plant.n, plant.T)
    lines = [shaped(plant.lines[k], shape) for k in VARIABLE_LINES]
    run, idle = idle_rows(shaped(revenue, shape), shaped(per_tonne, shape),
                          shaped(plant.reagents, shape), *lines, shaped(plant.production, shape))
    return run if idle else None


def idle_costs(plant: Plant, run: np.ndarray, care_share, restart_share) -> dict:
    """Cost lines in a world where the plant idles in the years ``run == 0``.

    A variable line is ``where(run > 0, line, 0.0)``; ``other_opex`` is
    ``where(run > 0, other_opex, -plant.fixed_opex * care_share)``; ``restart`` is
    ``0.0 - back * restart_share * plant.capex_estimate * plant.esc`` (``0.0 - x``: a
    year with no restart costs +0.0, whichever draws share the chunk), ``back`` 1.0 in a
    year the plant produces again after an idle year, ``run[t] * (1.0 - run[t - 1])``.
    Computed row by row by :func:`simcrm.kernels.plant_rows.idle_cost_rows`.

    Returns
    -------
    dict
        ``feedstock``, ``electricity``, ``gas``, ``carbon`` and ``other_opex`` (reagents,
        full fixed costs when running, care and maintenance when idle) and ``restart``
        [MEUR/yr], negative.
    """
    n, T = plant.n, plant.T
    shape = (n, T)
    lines = [shaped(plant.lines[k], shape) for k in (*VARIABLE_LINES, "other_opex")]
    out = idle_cost_rows(shaped(run, shape), *lines, shaped(plant.fixed_opex, shape),
                         shaped(care_share, (n,)), shaped(restart_share, (n,)),
                         shaped(plant.capex_estimate, (n,)), shaped(plant.esc, (T,)))
    return dict(zip((*VARIABLE_LINES, "other_opex", "restart"), out, strict=True))


def long_run_viable(inputs: dict, plant: Plant) -> np.ndarray:
    """Whether the plant's cash margin at the long-run prices covers its fixed costs.

    The proxy for the sponsor's expected continuation value: prices revert to their
    long-run levels, so a plant that earns its fixed costs there is worth keeping (it
    idles through bad years instead of closing).

    Returns
    -------
    ndarray of bool, shape (draw,)
    """
    g = lambda k: np.asarray(inputs[k], float)  # noqa: E731 - a number or (draw,)
    lr = lambda m: g(f"markets.{m}.long_run")  # noqa: E731
    per_t = (lr("product") - g("operations.feedstock_t_per_t") * lr("feedstock")
             - g("operations.electricity_mwh_per_t")
             * (lr("electricity") + g("markets.electricity.grid_tariff"))
             - g("operations.gas_mwh_per_t") * lr("gas")
             - g("operations.co2_t_per_t") * (1.0 - g("operations.free_allocation_share"))
             * lr("carbon")
             - g("operations.reagents_eur_per_t"))  # EUR/t
    fixed = (g("operations.labour_meur_per_yr") + g("operations.other_fixed_meur_per_yr")
             + g("operations.maintenance_share") * plant.capex_final)  # MEUR/yr
    return per_t * plant.cap_t / 1e6 > fixed


def closure_year(cfads: np.ndarray, plant: Plant, years,
                 viable: np.ndarray | None = None) -> np.ndarray:
    """Year index in which the sponsor walks away, or -1 where it never does.

    Parameters
    ----------
    cfads : ndarray, shape (draw, year)
        Cash flow from operations after tax [MEUR/yr].
    plant : Plant
    years : float
        Consecutive operating years with a negative cash flow before the sponsor
        walks away [years] (``finance.walkaway_years``, a whole number of years is used,
        rounded up).
    viable : ndarray of bool, shape (draw,), optional
        Plants worth keeping (:func:`long_run_viable`): their sponsor never walks away.

    Returns
    -------
    ndarray of int, shape (draw,)
        The first year that ends a run of ``need`` bad years: years of operation
        (``plant.op_share > 0``) with ``cfads < 0``; -1 for every draw where no draw
        has a bad year.  Computed row by row by
        :func:`simcrm.kernels.plant_rows.closure_rows`.
    """
    need = math.ceil(float(years))
    n, T = plant.n, plant.T
    close = np.full(n, -1)
    if need > T:
        return close
    keep = np.zeros(n, bool) if viable is None else np.broadcast_to(viable, (n,))
    rows, bad = closure_rows(shaped(cfads, (n, T)), shaped(plant.op_share, (n, T)), keep, need)
    return rows if bad else close


def alive_mask(close: np.ndarray, T: int) -> np.ndarray | None:
    """1.0 up to and including the closure year, 0.0 after; None if no draw closes
    (:func:`simcrm.kernels.plant_rows.alive_rows`)."""
    if not np.any(close >= 0):
        return None
    return alive_rows(close, int(T))


def decommissioning(plant: Plant, close: np.ndarray, security_share,
                    flag: bool = False) -> tuple:
    """The sponsor's decommissioning line and the state's contingent cost [MEUR/yr].

    A plant that runs its life pays ``plant.decom`` in the year its life ends (if that
    year is within the horizon); a plant closed early is cleaned up in the year after
    its closure, from the sponsor's financial security (``security_share`` of the cost)
    and by the state for the rest.  Computed row by row by
    :func:`simcrm.kernels.plant_rows.decommissioning_rows`.

    Returns
    -------
    sponsor : ndarray, shape (draw, year)
        Negative (a cost of the plant).
    state : ndarray, shape (draw, year)
        Positive (an outlay of the state).
    some : bool
        With ``flag``: whether either has a value that is not zero.
    """
    n, T = plant.n, plant.T
    end = np.floor(plant.s + plant.life).astype(int)  # the year the life ends
    sponsor, state = np.zeros((n, T)), np.zeros((n, T))  # calloc: pages zeroed when touched
    some = decommissioning_rows(np.broadcast_to(end, (n,)), np.asarray(close),
                                shaped(plant.decom, (n,)), shaped(security_share, (n,)),
                                shaped(plant.esc, (T,)), sponsor, state)
    return (sponsor, state, some) if flag else (sponsor, state)
