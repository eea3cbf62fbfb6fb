"""The business case of one plant for a chunk of draws, one world and one option.

:func:`business_case` turns sampled inputs and market paths into the yearly
cash-flow lines of the plant and of the government, and the metrics per draw.
It is vectorised over draws; the only loops run over years where the maths is
sequential (tax loss carry-forward, debt balances).

The option's levers act through the hooks of :class:`simcrm.levers.base.Lever`,
called stage by stage (schedule, capex, operating support, financing, tax,
price-dependent lines, default losses) and within a stage in the fixed lever order;
this module names no lever.

Sign convention: every cash-flow line is seen from the investor, inflows
positive and outflows negative, in MEUR per year (money of the scenario's price
year in real terms).  Government lines (``gov_*``) are positive outlays of the
state.  Discounting: see :data:`simcrm.kernels.finance.DISCOUNTING`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from simcrm import levers
from simcrm.kernels.finance import (
    discount_factors,
    irr,
    npv,
    payback,
    tax_with_loss_carry_forward,
)
from simcrm.model.breakeven import breakeven as _breakeven
from simcrm.model.breakeven import flat_price_npv
from simcrm.model.financing import FINANCING_LINES, DefaultRisk, Financing, financing
from simcrm.model.plant import OPERATING_LINES, Plant, arr, plant_case


class _FromLevers(Mapping):
    """A read-only mapping rebuilt from the lever registry at every use, so that a
    lever registered at run time has its lines too."""

    def __init__(self, make: Callable[[], dict]):
        self._make = make

    def __getitem__(self, key):
        return self._make()[key]

    def __iter__(self) -> Iterator:
        return iter(self._make())

    def __len__(self) -> int:
        return len(self._make())

    def __repr__(self) -> str:
        return repr(self._make())


class _NamesFromLevers(Sequence):
    """A read-only sequence rebuilt from the lever registry at every use."""

    def __init__(self, make: Callable[[], tuple]):
        self._make = make

    def __getitem__(self, i):
        return self._make()[i]

    def __len__(self) -> int:
        return len(self._make())

    def __repr__(self) -> str:
        return repr(self._make())


def _plant_lines() -> dict[str, str]:
    return {**OPERATING_LINES, **levers.plant_lines(financing=False),
            "tax": "Corporate income tax", **FINANCING_LINES,
            **levers.plant_lines(financing=True)}


PLANT_LINES: Mapping[str, str] = _FromLevers(_plant_lines)
"""Plant line -> long name, the levers' lines included (in the fixed lever order)."""
GOV_LEVERS: Sequence[str] = _NamesFromLevers(
    lambda: tuple(k.removeprefix("gov_") for k in levers.gov_lines()))
"""Names of the levers that book a government flow ``gov_<name>``, in the fixed order."""

@dataclass
class Context:
    """Per-world inputs of a chunk.

    Attributes
    ----------
    inputs : dict
        Dotted key -> float or ndarray (draw,), in registry units.
    prices : dict
        Market name -> ndarray (draw, year) [EUR per unit].
    appeal : ndarray, shape (draw,)
        1 where the permit is appealed [1].
    settings : dict
        Run settings of the scenario.
    """

    inputs: dict
    prices: dict
    appeal: np.ndarray
    settings: dict
    cache: dict = field(default_factory=dict)
    """Work shared by the options of this world: the :class:`~simcrm.model.plant.Plant`
    of each schedule, keyed by the schedule settings of the option's levers."""

    @property
    def n(self) -> int:
        return self.appeal.shape[0]


@dataclass
class Case:
    """Everything of one option that does not depend on the product price.

    Money in MEUR per year, arrays shaped (draw, year) unless stated.  ``lines`` are
    the plant lines known so far, ``gov`` the government outlays by lever and
    ``receipts`` the state's receipts known so far.  ``support`` is operating support
    (part of EBITDA), ``grant`` money towards the investment, ``taxable_extra`` and
    ``deduction`` additions to and deductions from the taxable profit (a scalar 0.0
    when none).  ``priced`` holds the price-dependent levers as (lever, settings,
    basis) and ``deductions`` the deducting levers as (lever, deduction).
    """

    fid: int
    plant: Plant
    fin: Financing
    lines: dict
    gov: dict
    receipts: np.ndarray
    support: np.ndarray
    grant: np.ndarray
    interest: np.ndarray
    depreciation: np.ndarray
    taxable_extra: np.ndarray | float
    deduction: np.ndarray | float
    deductions: list
    priced: list
    tax_rate: np.ndarray
    thr: float
    share_above: float
    wc_share: np.ndarray

    def tax(self, profit: np.ndarray) -> np.ndarray:
        """Corporate tax on ``profit`` with loss carry-forward [MEUR/yr]."""
        return tax_with_loss_carry_forward(profit, self.tax_rate, self.thr, self.share_above)


def business_case(ctx: Context, option_levers: dict, keep_lines: bool = False,
                  breakeven: bool = True) -> tuple[dict, dict | None]:
    """Cash flows and metrics of one option in one world for a chunk of draws.

    Parameters
    ----------
    ctx : Context
    option_levers : dict
        Lever name -> settings (defaults filled in), as in :class:`simcrm.spec.scenario.Option`.
    keep_lines : bool
        Return the yearly cash-flow lines too (for the audit trail).
    breakeven : bool
        Compute the break-even product price (a few extra evaluations).

    Returns
    -------
    metrics : dict of ndarray, shape (draw,)
        See :data:`simcrm.spec.outputs.METRICS`.
    lines : dict of ndarray, shape (draw, year), or None
        Plant lines (:data:`PLANT_LINES`), ``net_cash_flow`` and government lines.
    """
    active = levers.active(option_levers)
    case = _prepare(ctx, active)
    pd, gov, rec, cfads = cash_flows(case, ctx.prices["product"])
    risk = DefaultRisk(case.fin, cfads, case.plant)
    for lev, s in active:
        loss = lev.default_loss(s, risk)
        if loss is not None:
            case.gov[lev.name] = loss
    case.gov.update(gov)
    for r in rec:
        case.receipts = case.receipts + r
    metrics = _investor_metrics(ctx, case, pd["net_cash_flow"], breakeven)
    outlays = _public_metrics(ctx, case, pd, metrics)
    if not keep_lines:
        return metrics, None
    return metrics, _audit_lines(case, pd, outlays)


def _prepare(ctx: Context, active: list) -> Case:
    """The option's plant, support, financing and tax terms (the stages before price)."""
    inp, st, n = ctx.inputs, ctx.settings, ctx.n
    T = int(st["simulation.horizon_years"])
    fid = int(st["simulation.fid_year"])
    nominal = st["scenario.terms"] == "nominal"
    esc = (1.0 + inp["finance.inflation"]) ** np.arange(T) if nominal else np.ones(T)
    schedule: dict = {}
    for lev, s in active:
        schedule.update(lev.schedule(s))
    key = tuple(sorted(schedule.items()))
    if key not in ctx.cache:
        ctx.cache[key] = plant_case(ctx, schedule, fid + np.arange(T), esc)
    plant = ctx.cache[key]
    lines: dict[str, np.ndarray] = dict(plant.lines)
    gov: dict[str, np.ndarray] = {}
    grant, support, receipts = _support(plant, active, lines, gov)
    fin = financing(inp, plant, active)
    for lev, _ in active:
        if lev.name in fin.fees:
            lines[lev.line] = -fin.fees[lev.name]
            receipts = receipts + fin.fees[lev.name]
    depreciation, taxable_extra, deduction, deductions = _tax_terms(inp, plant, active, lines)
    priced = [(lev, s, b) for lev, s in active if (b := lev.price_basis(s, plant)) is not None]
    return Case(
        fid=fid, plant=plant, fin=fin, lines=lines, gov=gov, receipts=receipts,
        support=support, grant=grant, interest=fin.senior.interest + fin.public.interest,
        depreciation=depreciation, taxable_extra=taxable_extra, deduction=deduction,
        deductions=deductions, priced=priced, tax_rate=arr(inp["finance.tax_rate"], n),
        thr=float(inp["finance.loss_offset_threshold_meur"]),
        share_above=float(inp["finance.loss_offset_share_above"]),
        wc_share=arr(inp["finance.working_capital_share"], n)[:, None])


def _add(total, x):
    """``total + x``, or ``x`` itself when there is no total yet (keeps the bits)."""
    return x if total is None else total + x


def _support(plant: Plant, active: list, lines: dict, gov: dict) -> tuple:
    """Capex-stage and operating-stage levers: grant, operating support and receipts.

    Books each lever's plant line into ``lines`` and its outlays into ``gov``.

    Returns
    -------
    grant, support, receipts : ndarray, shape (draw, year)
        [MEUR/yr].
    """
    zeros = (plant.n, plant.T)
    grant, support, receipts = None, np.zeros(zeros), np.zeros(zeros)
    for hook in ("capex", "operating"):
        for lev, s in active:
            b = getattr(lev, hook)(s, plant)
            if b is None:
                continue
            if lev.line:
                lines[lev.line] = b.plant
            gov[lev.name] = b.outlays
            if b.receipts is not None:
                receipts = receipts + b.receipts
            if hook == "capex":
                grant = _add(grant, b.plant)
            else:
                support = support + b.plant
    return (np.zeros(zeros) if grant is None else grant), support, receipts


def _tax_terms(inp: dict, plant: Plant, active: list, lines: dict) -> tuple:
    """Depreciation [MEUR/yr] and the levers' additions to and deductions from profit.

    Returns
    -------
    depreciation : ndarray, shape (draw, year)
    taxable_extra, deduction : ndarray, shape (draw, year), or 0.0
    deductions : list of (Lever, ndarray)
    """
    dep_base = plant.capex_spend.sum(axis=1)
    taxable_extra = None
    for lev, s in active:
        own = lines.get(lev.line) if lev.line else None
        dep_base = lev.depreciation_base(s, dep_base, own)
        x = lev.taxable_income(s, own)
        if x is not None:
            taxable_extra = _add(taxable_extra, x)
    D = float(inp["finance.depreciation_years"])
    depreciation = dep_base[:, None] / D * plant.dep_share
    deductions = [(lev, d) for lev, s in active if (d := lev.deduction(s, plant)) is not None]
    deduction = None
    for _, d in deductions:
        deduction = _add(deduction, d)
    return (depreciation, 0.0 if taxable_extra is None else taxable_extra,
            0.0 if deduction is None else deduction, deductions)


def cash_flows(case: Case, price: np.ndarray) -> tuple[dict, dict, list, np.ndarray]:
    """The lines that depend on the product price path ``price`` (draw, year) [EUR/t].

    Returns
    -------
    lines : dict of ndarray
        Revenue, the price-dependent levers' lines, working capital, tax and
        ``net_cash_flow`` (to equity) [MEUR/yr].
    gov : dict of ndarray
        Outlays of the price-dependent levers, then the tax forgone through each
        deduction [MEUR/yr].
    receipts : list of ndarray
        Receipts of the price-dependent levers [MEUR/yr].
    cfads : ndarray
        Cash flow available for debt service [MEUR/yr].
    """
    p, fin = case.plant, case.fin
    out, gov, rec = {}, {}, []
    revenue = price * p.production / 1e6
    out["revenue"] = revenue
    sup = case.support
    for lev, s, basis in case.priced:
        b = lev.price_line(s, basis, price, p)
        if lev.line:
            out[lev.line] = b.plant
        gov[lev.name] = b.outlays
        if b.receipts is not None:
            rec.append(b.receipts)
        sup = sup + b.plant
    wc = case.wc_share * revenue
    dwc = -np.diff(wc, axis=1, prepend=0.0)
    dwc[:, -1] += wc[:, -1]
    out["working_capital"] = dwc
    ebitda = revenue + p.costs_opex + sup
    profit = ebitda - case.depreciation - case.interest - fin.fee + case.taxable_extra
    tax = case.tax(profit - case.deduction)
    out["tax"] = -tax
    for lev, d in case.deductions:
        gov[lev.name] = case.tax(profit - (case.deduction - d)) - tax
    cfads = ebitda - tax
    project = ebitda + p.lines["capex"] + case.grant + dwc - tax
    equity = (project + fin.senior.draw + fin.public.draw - case.interest
              - fin.senior.principal - fin.public.principal - fin.fee)
    out["net_cash_flow"] = equity
    return out, gov, rec, cfads


def _investor_metrics(ctx: Context, case: Case, ncf: np.ndarray, breakeven: bool) -> dict:
    """NPV, IRR, payback, levelised cost, first production and break-even price."""
    p = case.plant
    metrics: dict[str, np.ndarray] = {}
    metrics["npv"] = npv(ncf, arr(ctx.inputs["finance.discount_rate"], ctx.n))
    metrics["irr"] = irr(ncf)
    metrics["payback"] = payback(ncf)
    metrics["lcop"] = p.lcop
    metrics["first_production"] = case.fid + p.s
    if breakeven:
        metrics["breakeven_price"] = _breakeven(_npv_at_flat_price(case), metrics["lcop"],
                                                p.production)
    else:
        metrics["breakeven_price"] = np.full(ctx.n, np.nan)
    return metrics


def _npv_at_flat_price(case: Case) -> Callable:
    """The option's NPV as a function of a flat product price (for the break-even)."""
    p, fin = case.plant, case.fin
    sen, pub = fin.senior, fin.public
    fixed = (p.costs_opex + case.support + p.lines["capex"] + case.grant + sen.draw + pub.draw
             - case.interest - sen.principal - pub.principal - fin.fee)
    profit0 = (p.costs_opex + case.support - case.depreciation - case.interest - fin.fee
               + case.taxable_extra - case.deduction)
    priced = [(lambda basis, price, lev=lev, s=s: lev.price_line(s, basis, price, p).plant,
               basis) for lev, s, basis in case.priced]
    return flat_price_npv(p.esc, p.production, p.dfac, case.wc_share, fixed, profit0,
                          case.tax_rate, case.thr, case.share_above, priced)


def _public_metrics(ctx: Context, case: Case, pd: dict, metrics: dict) -> np.ndarray:
    """Gross, net and per-capacity public cost into ``metrics``; returns the outlays."""
    n, T = case.plant.n, case.plant.T
    gdf = discount_factors(float(ctx.inputs["finance.public_discount_rate"]), T)
    outlays = sum(case.gov.values()) if case.gov else np.zeros((n, T))
    metrics["public_cost_gross"] = np.asarray(outlays @ gdf if np.ndim(outlays) == 2
                                              else np.zeros(n))
    metrics["public_cost_net"] = (metrics["public_cost_gross"] - case.receipts @ gdf
                                  - (-pd["tax"]) @ gdf)
    metrics["public_cost_per_tpa"] = (metrics["public_cost_gross"] * 1e6
                                      / arr(ctx.inputs["plant.capacity_tpa"], n))
    return outlays


def _audit_lines(case: Case, pd: dict, outlays) -> dict:
    """Every yearly line of the option: plant, debt, production and government."""
    n, T = case.plant.n, case.plant.T
    sen, pub = case.fin.senior, case.fin.public
    out = {k: case.lines.get(k, pd.get(k)) for k in PLANT_LINES}
    out["debt_drawdown"] = sen.draw + pub.draw
    out["interest"] = -case.interest
    out["principal"] = -(sen.principal + pub.principal)
    out = {k: v for k, v in out.items() if v is not None}
    out["net_cash_flow"] = pd["net_cash_flow"]
    out["production"] = case.plant.production
    for k in GOV_LEVERS:
        out[f"gov_{k}"] = case.gov.get(k, np.zeros((n, T)))
    out["gov_outlays"] = outlays if np.ndim(outlays) == 2 else np.zeros((n, T))
    out["gov_receipts"] = case.receipts
    return out
