"""The plant without policy: schedule, production and the costs no price-dependent lever touches.

Everything here is the same for every option with the same schedule (permit and
grid levers), so :func:`plant_case` is computed once per world and chunk and
cached in :attr:`simcrm.model.business_case.Context.cache`.

Sign convention: cost lines are negative, in MEUR per year of the scenario's price
year (escalated with ``finance.inflation`` in nominal terms).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import MISSING, dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np

from simcrm.kernels.development import development_outcome, time_to_event
from simcrm.kernels.finance import depreciation_shares, discount_factors, present_value
from simcrm.kernels.plant_rows import cost_rows, depreciation_rows, shaped
from simcrm.kernels.schedule import (
    overlap,
    production_factor,
    project_timeline,
    spending_share,
)

if TYPE_CHECKING:  # pragma: no cover
    from simcrm.model.business_case import Context

OPERATING_LINES = {
    # name: long_name
    "revenue": "Revenue from product sales at market prices",
    "byproduct": "By-product sales",
    "royalty": "Royalty on revenue above the threshold",
    "feedstock": "Feedstock purchases",
    "electricity": "Electricity including grid tariff",
    "gas": "Natural gas",
    "carbon": "EU ETS allowances for direct emissions beyond free allocation",
    "other_opex": "Reagents, labour, maintenance and other operating costs",
    "capex": "Capital expenditure including overrun",
    "sustaining_capex": "Sustaining capital expenditure (capitalised and depreciated)",
    "working_capital": "Change in working capital (released at the end)",
    "development": "Development spending before FID (lost if the project stops)",
    "decommissioning": "Closure and site clean-up at the end of life",
    "financial_security": "Cost of the financial security for the clean-up during operation",
    "restart": "Cost of restarting after a year idle",
}
"""Plant lines before policy support, in the order of the audit trail."""


@dataclass
class Plant:
    """Schedule, production and costs of a chunk of draws for one world and schedule,
    as if the plant is built (the investor's decision and closures come later).

    Arrays are shaped (draw,) or (draw, year); money in MEUR (per year), production
    in t/yr, times in years from 1 January of the valuation year.  ``calendar``
    [year] and ``esc`` [1] (price escalation, ones in real terms) are shaped (year,).
    ``c0`` is the final investment decision (= start of construction) and ``s`` the
    start of production; ``reached`` says whether development reached FID (not
    refused, market window still open), ``dev_end`` when development ended.
    ``fixed_opex`` and ``reagents`` are the fixed and per-tonne parts of
    ``lines["other_opex"]`` (for idle years), ``decom`` the decommissioning cost
    [MEUR].  ``memo`` holds work shared by the options with this schedule.
    """

    n: int
    T: int
    calendar: np.ndarray
    esc: np.ndarray
    prices: dict
    c0: np.ndarray
    s: np.ndarray
    life: np.ndarray
    ramp: np.ndarray
    cap_t: np.ndarray
    production: np.ndarray
    spend_share: np.ndarray
    capex_final: np.ndarray
    mwh: np.ndarray
    tariff: np.ndarray
    lines: dict
    capex_spend: np.ndarray
    costs_opex: np.ndarray
    first_prod_year: np.ndarray
    dfac: np.ndarray
    lcop: np.ndarray
    zeros: np.ndarray
    start: float
    reached: np.ndarray
    dev_end: np.ndarray
    capex_estimate: np.ndarray
    op_share: np.ndarray
    fixed_opex: np.ndarray
    reagents: np.ndarray
    decom: np.ndarray
    memo: dict = field(default_factory=dict)

    def take(self, rows: np.ndarray, prices: dict) -> Plant:
        """The plant of the draws ``rows`` (indices into this chunk), with the market
        paths ``prices`` of those draws (:class:`_PlantRows`).  Each draw's row is
        computed on its own, so a row is the same in both."""
        return _PlantRows(self, rows, prices)


def take_rows(x, rows: np.ndarray):
    """The rows ``rows`` of an array (draw, ...); anything else as it is.

    An axis that is broadcast (stride 0: one row for every draw, one value for every
    year) stays broadcast, so that a reduction over a part of a chunk sees the memory
    layout it sees over the whole chunk (numpy picks its summation loop by the strides,
    and loops sum in different orders) and nothing is copied for it."""
    if not isinstance(x, np.ndarray) or not x.ndim:
        return x
    if 0 not in x.strides or not x.size:
        return np.take(x, rows, axis=0)  # as x[rows], faster for rows of a 2-D array
    core = x[tuple(slice(0, 1) if st == 0 else slice(None) for st in x.strides)]
    if x.strides[0] != 0:
        core = np.take(core, rows, axis=0)
    shape = (len(rows), *x.shape[1:])
    return core if core.shape == shape else np.broadcast_to(core, shape)


class RowsOf(MutableMapping):
    """The rows ``rows`` of each array (draw, ...) of the mapping ``parent``, taken when
    first read; what is set here stays here.  With ``n`` (the parent's draws), only
    arrays with ``n`` rows are taken and anything else is read as it is (inputs mix
    numbers and arrays (draw,))."""

    def __init__(self, parent: Mapping, rows: np.ndarray, n: int | None = None):
        self._parent, self._rows, self._own, self._n = parent, rows, {}, n

    def __getitem__(self, key):
        try:
            return self._own[key]
        except KeyError:
            x = self._parent[key]
        if self._n is None or (isinstance(x, np.ndarray) and x.ndim and x.shape[0] == self._n):
            x = take_rows(x, self._rows)
        self._own[key] = x
        return x

    def __setitem__(self, key, value):
        self._own[key] = value

    def __delitem__(self, key):
        self[key]  # noqa: B018 - raises KeyError if absent
        raise TypeError("a line of the parent plant cannot be removed")

    def __contains__(self, key) -> bool:
        return key in self._own or key in self._parent

    def __iter__(self):
        yield from self._own
        yield from (k for k in self._parent if k not in self._own)

    def __len__(self) -> int:
        return len(set(self._own) | set(self._parent))


class _PlantRows(Plant):
    """The :class:`Plant` of some draws of another: every array of the draws is indexed
    alike when first used (the business case of an option uses some of them), the
    calendar and escalation (shaped (year,)) are the parent's, the memo starts empty and
    ``zeros`` is new (not copied).
    """

    def __init__(self, parent: Plant, rows: np.ndarray, prices: dict):  # noqa: D107
        d = self.__dict__
        d["_parent"], d["_rows"] = parent, rows
        d.update(n=len(rows), T=parent.T, calendar=parent.calendar, esc=parent.esc,
                 start=parent.start, prices=prices, memo={},
                 lines=RowsOf(parent.lines, rows), zeros=zero_lines(len(rows), parent.T))
        for f in fields(Plant):  # a field with a default is a class attribute: set now
            if f.name not in d and f.default is not MISSING:
                self._take(f.name)

    def _take(self, name: str):
        v = take_rows(getattr(self._parent, name), self._rows)
        self.__dict__[name] = v
        return v

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._take(name)


def zero_lines(n: int, T: int) -> np.ndarray:
    """A read-only (draw, year) array of +0.0: :attr:`Plant.zeros`, the line of every flow
    an option does not have (no grant, no fee, no public loan), shared by the options of
    the plant; the break-even kernel skips it (``business_case._flat_price_terms``)."""
    z = np.zeros((n, T))
    z.flags.writeable = False
    return z


def arr(x, n: int) -> np.ndarray:
    """``x`` (a number or an array (draw,)) as a read-only float array (draw,): the view
    ``np.broadcast_to`` gives, made directly for a number or an array of ``n`` values
    (a third of the time; it is called a few thousand times per chunk)."""
    a = np.asarray(x, dtype=float)
    if a.ndim == 0:  # a number: one value for every draw (stride 0)
        v = np.ndarray((n,), float, a, 0, (0,))
    elif a.shape == (n,):
        v = a.view()
    else:
        return np.broadcast_to(a, (n,))
    v.flags.writeable = False
    return v


def plant_case(ctx: Context, schedule: dict, calendar: np.ndarray, esc: np.ndarray) -> Plant:
    """Schedule, production and the costs that no price-dependent lever touches.

    Parameters
    ----------
    ctx : Context
        Inputs and market paths of the world.
    schedule : dict
        Keyword arguments of :func:`~simcrm.kernels.schedule.project_dates` set by the
        option's levers (permit and grid caps).
    calendar : ndarray, shape (year,)
        Calendar years of the horizon [year].
    esc : ndarray, shape (year,)
        Price escalation (ones in real terms) [1].

    Returns
    -------
    Plant
    """
    inp, n, T = ctx.inputs, ctx.n, calendar.shape[0]
    g = lambda k: arr(inp[k], n)  # noqa: E731
    start = float(ctx.settings["simulation.start_year"] - ctx.settings["simulation.valuation_year"])
    dev = _development(ctx, g, schedule, start)
    c0, s = dev["c0"], dev["s"]
    life, ramp = g("plant.life_years"), g("plant.rampup_years")
    cap_t = g("plant.capacity_tpa") * g("plant.utilisation")  # t/yr at full output
    production = production_factor(s, life, ramp, T, capacity=cap_t)  # t/yr
    op_share = overlap(s, s + life, T)  # years of operation in each year
    spend_share = spending_share(c0, s, T, inp.get("plant.capex_profile") or ())
    capex_final = dev["estimate"] * g("plant.capex_overrun")  # MEUR
    lines, x = _cost_lines(ctx, g, production, op_share, capex_final, spend_share, esc)
    dfac = discount_factors(g("finance.discount_rate"), T)
    pv_prod = pv(production, dfac)
    _study_lines(ctx, g, lines, production, op_share, capex_final, esc)
    capital = lines["capex"]
    if "sustaining_capex" in lines:
        capital = capital + lines["sustaining_capex"]
    with np.errstate(divide="ignore", invalid="ignore"):
        lcop = np.where(pv_prod > 0, pv(-(x["costs_opex"] + capital), dfac) / pv_prod * 1e6,
                        np.nan)
    if np.any(dev["spend"]):
        lines["development"] = -dev["spend"] * esc
    return Plant(
        n=n, T=T, calendar=calendar, esc=esc, prices=ctx.prices, c0=c0, s=s, life=life,
        ramp=ramp, cap_t=cap_t, production=production, spend_share=spend_share,
        capex_final=capex_final, mwh=x["mwh"], tariff=x["tariff"], lines=lines,
        capex_spend=x["capex_spend"], costs_opex=x["costs_opex"],
        first_prod_year=np.minimum(np.floor(s).astype(int), T - 1),
        dfac=dfac, lcop=lcop, zeros=zero_lines(n, T),
        start=start, reached=dev["reached"], dev_end=dev["end"],
        capex_estimate=dev["estimate"], op_share=op_share, fixed_opex=x["fixed_opex"],
        reagents=x["reagents"], decom=g("finance.decommissioning_share") * dev["estimate"])


def _development(ctx, g, schedule: dict, start: float) -> dict:
    """Permit, FID and production dates, whether development reaches FID, its spending
    and the capex estimate at FID (see :mod:`simcrm.kernels.development`)."""
    n = ctx.n
    permit, c0, s = project_timeline(
        g("permitting.permit_months"), ctx.appeal, g("permitting.appeal_months"),
        g("permitting.grid_wait_months"), g("plant.construction_months"), **schedule)
    ev = ctx.events
    refusal = (time_to_event(ev["refusal"], g("permitting.refusal_hazard"))
               if "refusal" in ev else np.full(n, np.inf))
    window = (time_to_event(ev["window"], g("development.window_hazard"))
              if "window" in ev else np.full(n, np.inf))
    end, reached, _, _ = development_outcome(start, permit, c0, refusal, window)
    T = ctx.prices["product"].shape[1]
    rate = g("development.cost_share_per_yr")
    spend = (rate * g("plant.capex_meur"))[:, None] * overlap(np.full(n, start), end, T)
    growth = g("development.capex_escalation")
    estimate = g("plant.capex_meur")
    if np.any(growth != 0):
        estimate = estimate * (1.0 + growth) ** c0
    if start:
        c0, s = c0 + start, s + start
    return {"c0": c0, "s": s, "reached": reached, "end": end, "spend": spend,
            "estimate": estimate}


def capex_depreciation(inp: dict, plant: Plant, base: np.ndarray) -> np.ndarray:
    """Tax depreciation [MEUR/yr], shape (draw, year): of the capex ``base`` [MEUR],
    shape (draw,), from first production by ``finance.depreciation_method``
    (:func:`simcrm.kernels.finance.depreciation_shares`), plus the sustaining capex, each
    year's spending straight-line over ``finance.depreciation_years`` from that year.

    Straight-line, ``base / D * overlap(s, s + D)`` (``D`` the years, ``s`` first
    production), computed row by row by :func:`simcrm.kernels.plant_rows.depreciation_rows`."""
    D = float(inp["finance.depreciation_years"])
    method = inp.get("finance.depreciation_method") or "straight-line"
    if method == "straight-line":
        dep = depreciation_rows(shaped(base, (plant.n,)), shaped(plant.s, (plant.n,)), D,
                                plant.T)
    else:
        shares = depreciation_shares(
            method, D, float(inp["finance.declining_balance_factor"]),
            float(inp["finance.accelerated_share"]), inp.get("finance.depreciation_schedule"))
        dep = np.zeros((plant.n, plant.T))
        for i, x in enumerate(shares):
            a = plant.s + i
            dep += x * overlap(a, a + 1.0, plant.T)
        dep = base[:, None] * dep
    sus = plant.lines.get("sustaining_capex")
    if sus is not None:
        for i, x in enumerate(depreciation_shares("straight-line", D)):
            dep = dep.copy()
            dep[:, i:] -= x * sus[:, :plant.T - i]
    return dep


def operating_margin(inputs: dict, plant: Plant, prices: dict) -> np.ndarray:
    """EBITDA before support of the plant at the market paths ``prices`` (every year
    produced, no idling or closure): revenue, by-products, royalty, the cost lines and
    the financial security [MEUR/yr] — the lenders' sizing case."""
    g = lambda k: arr(inputs[k], plant.n)  # noqa: E731
    shim = type("Prices", (), {"prices": prices})()
    lines, _ = _cost_lines(shim, g, plant.production, plant.op_share, plant.capex_final,
                           plant.spend_share, plant.esc)
    revenue = prices["product"] * plant.production / 1e6 + plant.lines.get("byproduct", 0.0)
    royalty = g("finance.royalty_share")[:, None] * np.maximum(
        revenue - float(inputs["finance.royalty_threshold_meur"]) * plant.esc, 0.0)
    out = revenue - royalty + plant.lines.get("financial_security", 0.0)
    for k in ("feedstock", "electricity", "gas", "carbon", "other_opex"):
        out = out + lines[k]
    return out


def _study_lines(ctx, g, lines: dict, production, op_share, capex_final, esc) -> None:
    """By-product sales and sustaining capex into ``lines`` [MEUR/yr] where the scenario
    has any (a plant that idles sells no by-product: see the business case)."""
    byp = g("operations.byproduct_t_per_t") * g("operations.byproduct_eur_per_t")
    if np.any(byp):
        lines["byproduct"] = byp[:, None] * production / 1e6 * esc
    sus = g("operations.sustaining_capex_share")
    if np.any(sus):
        lines["sustaining_capex"] = -(sus * capex_final)[:, None] * op_share * esc
    fee = (g("finance.financial_security_fee") * g("finance.financial_security_share")
           * g("finance.decommissioning_share"))
    if np.any(fee):
        estimate = capex_final / g("plant.capex_overrun")
        lines["financial_security"] = -(fee * estimate)[:, None] * op_share * esc


def _fixed(g, capex_final) -> np.ndarray:
    """Fixed operating costs per year of operation [MEUR/yr]: staff, other, maintenance."""
    return (g("operations.labour_meur_per_yr") + g("operations.other_fixed_meur_per_yr")
            + g("operations.maintenance_share") * capex_final)


def _cost_lines(ctx, g, production, op_share, capex_final, spend_share, esc) -> tuple:
    """Feedstock, energy, carbon, other operating costs and capex [MEUR/yr], negative,
    and the arrays derived from them, shape (draw, year).

    With ``P`` the market paths [EUR per unit] and the inputs per draw:

    * ``mwh = production * electricity_mwh_per_t`` [MWh/yr] and
      ``tariff = grid_tariff * esc`` [EUR/MWh];
    * ``feedstock = -P["feedstock"] * production * feedstock_t_per_t / 1e6``,
      ``electricity = -(P["electricity"] + tariff) * mwh / 1e6``,
      ``gas = -P["gas"] * production * gas_mwh_per_t / 1e6``,
      ``carbon = -P["carbon"] * production * net_co2 / 1e6`` (``net_co2`` the emissions
      beyond free allocation [t/t]),
      ``other_opex = -(reagents_eur_per_t * production / 1e6 + fixed * op_share) * esc``
      (``fixed`` from :func:`_fixed`) and ``capex = -capex_final * spend_share * esc``;
    * ``costs_opex`` the sum of the five operating lines, ``fixed_opex = fixed * op_share
      * esc`` and ``reagents = reagents_eur_per_t * production / 1e6 * esc`` (the fixed
      and per-tonne parts of ``other_opex``, for idle years) and ``capex_spend = -capex``.

    Computed in one pass by :func:`simcrm.kernels.plant_rows.cost_rows`.

    Returns
    -------
    lines : dict
        ``feedstock``, ``electricity``, ``gas``, ``carbon``, ``other_opex``, ``capex``.
    derived : dict
        ``mwh``, ``tariff``, ``costs_opex``, ``fixed_opex``, ``reagents``, ``capex_spend``.
    """
    P = ctx.prices
    n, T = production.shape
    path = lambda m: shaped(P[m], (n, T))  # noqa: E731
    net_co2 = g("operations.co2_t_per_t") * (1.0 - g("operations.free_allocation_share"))
    out = cost_rows(
        shaped(production, (n, T)), shaped(op_share, (n, T)), shaped(spend_share, (n, T)),
        shaped(esc, (T,)), path("feedstock"), path("electricity"), path("gas"), path("carbon"),
        g("operations.feedstock_t_per_t"), g("operations.electricity_mwh_per_t"),
        g("operations.gas_mwh_per_t"), net_co2, g("markets.electricity.grid_tariff"),
        g("operations.reagents_eur_per_t"), _fixed(g, capex_final), shaped(capex_final, (n,)))
    mwh, tariff, *six, costs_opex, fixed_opex, reagents, capex_spend = out
    lines = dict(zip(("feedstock", "electricity", "gas", "carbon", "other_opex", "capex"), six,
                     strict=True))
    return lines, {"mwh": mwh, "tariff": tariff, "costs_opex": costs_opex,
                   "fixed_opex": fixed_opex, "reagents": reagents, "capex_spend": capex_spend}


def pv(x: np.ndarray, dfac: np.ndarray) -> np.ndarray:
    """Present value of ``x`` (draw, year) with factors (year,) or (draw, year) [MEUR]."""
    return present_value(x, dfac)
