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
year in real terms).  Public lines (:mod:`simcrm.model.public`) are seen from the
state.  Discounting: see :data:`simcrm.kernels.finance.DISCOUNTING`.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from simcrm import levers
from simcrm.kernels import fused
from simcrm.kernels.decision import ValueFit
from simcrm.kernels.finance import (
    irr,
    npv,
    payback,
    reserve_account,
    tax_with_loss_carry_forward,
    timing_factor,
)
from simcrm.levers.base import AidTerms, Booking, EquityView, Lever
from simcrm.model.breakeven import breakeven as _breakeven
from simcrm.model.breakeven import flat_price_npv
from simcrm.model.financing import (
    FINANCING_LINES,
    DefaultRisk,
    Financing,
    completion_year,
    financing,
)
from simcrm.model.operations import (
    alive_mask,
    closure_year,
    decommissioning,
    idle_costs,
    idle_mask,
    long_run_viable,
)
from simcrm.model.plant import (
    OPERATING_LINES,
    Plant,
    RowsOf,
    arr,
    capex_depreciation,
    operating_margin,
    plant_case,
)
from simcrm.model.public import budget_cash, public_lines, public_metrics


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
    events: dict = field(default_factory=dict)
    """Uniforms of the events of development (``refusal``, ``window``), shape (draw,);
    a missing event never happens (the base case, a design)."""
    stress: np.ndarray | None = None
    """Years with a crash or spike of the product price [bool], shape (draw, year)."""
    sizing_prices: dict | None = None
    """Market -> median price paths (draw, year), the lenders' P50 sizing case; None when
    no debt is sized on a cover ratio."""
    """Work shared by the options of this world: the :class:`~simcrm.model.plant.Plant`
    of each schedule, keyed by the schedule settings of the option's levers."""

    @property
    def n(self) -> int:
        return self.appeal.shape[0]

    def take(self, rows: np.ndarray) -> Context:
        """The context of the draws ``rows`` (indices into this chunk): every per-draw
        input, path and event indexed alike, the plants already computed too."""
        n = self.n
        prices = RowsOf(self.prices, rows)
        # taken when first read: an option's case reads a fraction of the inputs
        sub = Context(RowsOf(self.inputs, rows, n), prices, self.appeal[rows],
                      self.settings, events=RowsOf(self.events, rows, n),
                      stress=None if self.stress is None else self.stress[rows],
                      sizing_prices=None if self.sizing_prices is None else
                      RowsOf(self.sizing_prices, rows))
        sub.cache = {k: p.take(rows, prices) for k, p in self.cache.items()}
        return sub


@dataclass
class Case:
    """Everything of one option that does not depend on the product price.

    Money in MEUR per year, arrays shaped (draw, year) unless stated.  ``lines`` are
    the plant lines known so far, ``gov`` the government outlays, ``receipts`` the
    state's receipts and ``aid`` the state-aid transfers, each by lever, known so far.
    ``support`` is operating support (part of EBITDA), ``grant`` money towards the
    investment, ``taxable_extra`` and ``deduction`` additions to and deductions from the
    taxable profit (a scalar 0.0 when none).  ``priced`` holds the price-dependent
    levers as (lever, settings, basis) and ``deductions`` the deducting levers as
    (lever, deduction).
    """

    fid: int
    plant: Plant
    fin: Financing
    lines: dict
    gov: dict
    receipts: dict
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
    operating: list = field(default_factory=list)
    operation: dict = field(default_factory=dict)
    fused: bool = False
    """Use the fused compiled kernels (``simulation.kernel = "fused"``)."""
    aid: dict = field(default_factory=dict)
    study: dict = field(default_factory=dict)
    """Royalty (``royalty`` share (draw,), ``royalty_thr`` MEUR/yr), the interest limit
    (``limit``: (share of fiscal EBITDA, MEUR/yr) or None) and the operating-support lines
    that are not taxed (``untaxed``)."""

    def tax(self, profit: np.ndarray) -> np.ndarray:
        """Corporate tax on ``profit`` with loss carry-forward [MEUR/yr]."""
        return tax_with_loss_carry_forward(profit, self.tax_rate, self.thr, self.share_above)


def business_case(ctx: Context, option_levers: dict, keep_lines: bool = False,
                  breakeven: bool = True, fit: ValueFit | None = None,
                  pilot: bool = False, yearly: bool = False) -> tuple[dict, dict | None]:
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
    fit : ValueFit, optional
        The investor's estimate of the value of building given the state at FID
        (:func:`simcrm.engine.evaluate.investor_fits`); the plant is built where it is
        at least zero.  None builds every draw that reaches FID.
    pilot : bool
        Build every draw that reaches FID and return as metrics ``_state`` (draw, k) and
        ``_value`` (draw,) [MEUR] only, for the investor's fit (with ``keep_lines`` or
        ``yearly``, every metric too).
    yearly : bool
        Add ``_budget_cash`` (draw, year) [MEUR/yr] to the metrics: the budget cash of
        every draw and year, for the expected budget per year.

    Returns
    -------
    metrics : dict of ndarray, shape (draw,)
        See :data:`simcrm.spec.outputs.METRICS`.
    lines : dict of ndarray, shape (draw, year), or None
        Plant lines (:data:`PLANT_LINES`), ``net_cash_flow`` and government lines.
    """
    active = levers.active(option_levers)
    if fit is not None and fit.n and not pilot:
        # the investor decides at FID, before any price-dependent line: the cash flows
        # of the draws it does not build are never needed, so the draws are split
        plant = _plant(ctx, active)
        built = plant.reached & (fit.predict(fid_state(ctx, plant)) >= 0.0)
        if not built.all():
            return _split(ctx, active, built, keep_lines, breakeven, yearly)
    return _business_case(ctx, active, keep_lines, breakeven, fit, pilot, yearly)


def _split(ctx: Context, active: list, built: np.ndarray, keep_lines: bool, breakeven: bool,
           yearly: bool) -> tuple[dict, dict | None]:
    """:func:`business_case` with the investor's decision ``built`` (draw,) known: the
    built draws are evaluated in full, the others as not built (:func:`_not_built`),
    and the rows put back in order.  Each draw's row is computed on its own, so it is
    the row the whole chunk would give."""
    n = ctx.n
    if np.count_nonzero(built) <= IN_PLACE_SHARE * n:
        return _split_in_place(ctx, active, built, keep_lines, breakeven, yearly)
    parts = []
    for rows, build in ((np.flatnonzero(built), True), (np.flatnonzero(~built), False)):
        if rows.size == 0:
            continue
        sub = ctx.take(rows)
        if build:
            met, ln = _business_case(sub, active, keep_lines, breakeven, None, False, yearly)
        else:
            met, ln = _not_built(sub, active, keep_lines, breakeven, yearly)
        parts.append((rows, met, ln))
    return (_merge(n, [(r, m) for r, m, _ in parts]),
            _merge(n, [(r, ln) for r, _, ln in parts]) if keep_lines else None)


IN_PLACE_SHARE = 0.25
"""Where at most this share of a chunk's draws is built, :func:`_split` evaluates every
draw as not built where it is (no rows taken: those draws need the plant, the
financing and the break-even price, the work of a built draw before its price-dependent
lines) and only the built draws apart (:func:`_split_in_place`)."""


def _split_in_place(ctx: Context, active: list, built: np.ndarray, keep_lines: bool,
                    breakeven: bool, yearly: bool) -> tuple[dict, dict | None]:
    """:func:`_split` for a chunk in which few draws are built: every draw evaluated as not
    built (:func:`_not_built`), then the rows of the built draws replaced by their full
    case, whose break-even price is the one already computed (the same case up to the
    price-dependent lines).  A name that the built case lacks is zero in its rows, as
    :func:`_merge` makes it."""
    metrics, lines = _not_built(ctx, active, keep_lines, breakeven, yearly)
    rows = np.flatnonzero(built)
    if rows.size == 0:
        return metrics, lines
    met, ln = _business_case(ctx.take(rows), active, keep_lines, False, None, False, yearly)
    met.pop("breakeven_price")
    _put_rows(metrics, rows, met, keep=("breakeven_price",))
    if keep_lines:
        _put_rows(lines, rows, ln)
    return metrics, lines


def _put_rows(out: dict, rows: np.ndarray, part: dict, keep: tuple = ()) -> None:
    """Write the arrays of ``part`` into the rows ``rows`` of ``out``, in place; a name
    of ``out`` that ``part`` lacks (but those in ``keep``) is zero in those rows."""
    n = next(iter(out.values())).shape[0]
    for k in out.keys() - part.keys() - set(keep):
        out[k] = np.array(out[k])  # writable
        out[k][rows] = 0
    for k, v in part.items():
        if k not in out:
            out[k] = np.zeros((n, *np.shape(v)[1:]), dtype=np.asarray(v).dtype)
        elif not out[k].flags.writeable:
            out[k] = np.array(out[k])
        out[k][rows] = v


def _merge(n: int, parts: list) -> dict:
    """Rows of several parts of a chunk into arrays of all ``n`` draws; a name that one
    part lacks (a line it never books) is zero in that part's rows."""
    out: dict = {}
    for rows, d in parts:
        for k, v in d.items():
            if k not in out:
                out[k] = np.zeros((n, *np.shape(v)[1:]), dtype=np.asarray(v).dtype)
            out[k][rows] = v
    return out


def _not_built(ctx: Context, active: list, keep_lines: bool, breakeven: bool,
               yearly: bool) -> tuple[dict, dict | None]:
    """:func:`business_case` of draws the investor does not build: the net and project
    cash flows are the development spending alone, no public money flows, and the
    break-even price is that of the case as if built (where development reached FID).
    With ``keep_lines`` the full case is computed and cleared (:func:`_unbuilt`), for
    the audit trail."""
    if keep_lines:
        return _business_case(ctx, active, True, breakeven, None, False, yearly,
                              build=np.zeros(ctx.n, bool))
    case = _prepare(ctx, active)
    p = case.plant
    dev = p.lines.get("development")
    ncf = p.zeros if dev is None else dev
    built = np.zeros(p.n, bool)
    metrics = _investor_metrics(ctx, case, ncf, breakeven, built)
    # the project's cash flow is the sponsor's: the same NPV and IRR (as
    # _project_metrics computes them)
    metrics.update(project_npv=metrics["npv"].copy(), project_irr=metrics["irr"].copy())
    metrics.update(public_metrics(ctx, {}, {}, {}, p.zeros, p.lines["capex"], None,
                                  tuple(lev.name for lev, _ in case.deductions)))
    metrics.update(_delivery(ctx, case, {}, built))
    if yearly:
        metrics["_budget_cash"] = budget_cash({}, {}, (p.n, p.T))
    return metrics, None


def _business_case(ctx: Context, active: list, keep_lines: bool, breakeven: bool,
                   fit: ValueFit | None, pilot: bool, yearly: bool,
                   build: np.ndarray | None = None) -> tuple[dict, dict | None]:
    """:func:`business_case` on all draws of ``ctx``; ``build`` (draw,) overrides the
    investor's decision."""
    case = _prepare(ctx, active)
    pd, public, cfads = cash_flows(case, ctx.prices["product"])
    contingent = public["gov"].pop("_contingent", None)
    for k in ("gov", "receipts", "aid"):
        getattr(case, k).update(public[k])
    risk = DefaultRisk(case.fin, cfads, case.plant)
    terms = AidTerms.from_settings(ctx.settings)
    for lev, s in active:
        b = lev.public_flows(s, risk, terms)
        if b is not None:
            _book(case, lev.name, b)
    _equity_stage(ctx, case, pd, active)
    built, extra = decide(ctx, case, pd, fit, pilot) if build is None else (build, {})
    if pilot and not keep_lines and not yearly:  # the investor's fit needs no other metric
        return extra, None
    if built is not None:
        contingent = _unbuilt(case, pd, built, contingent)
    metrics = _investor_metrics(ctx, case, pd["net_cash_flow"], breakeven, built)
    metrics.update(_project_metrics(ctx, pd))
    metrics.update(public_metrics(ctx, case.gov, case.receipts, case.aid, pd["tax"],
                                  case.plant.lines["capex"], contingent,
                                  tuple(lev.name for lev, _ in case.deductions)))
    metrics.update(_delivery(ctx, case, pd, built))
    metrics.update(extra)
    if yearly:
        metrics["_budget_cash"] = budget_cash(case.gov, case.receipts,
                                              (case.plant.n, case.plant.T))
    if not keep_lines:
        return metrics, None
    return metrics, _audit_lines(case, pd, contingent, built)


def _book(case: Case, name: str, b: Booking) -> None:
    """Add a lever's :class:`~simcrm.levers.base.Booking` to the public flows of ``case``."""
    case.gov[name] = _add(case.gov.get(name), b.outlays)
    if b.receipts is not None:
        case.receipts[name] = _add(case.receipts.get(name), b.receipts)
    case.aid[name] = _add(case.aid.get(name), b.aid_flow())


def _equity_stage(ctx: Context, case: Case, pd: dict, active: list) -> None:
    """The levers on the sponsor's equity cash flow (:meth:`~simcrm.levers.base.Lever.equity`),
    in the fixed order, each on the flow the ones before left: their lines go into
    ``pd`` and the net cash flow, their public money into ``case``; then the levers that
    pay part of that money from another budget (:meth:`~simcrm.levers.base.Lever.cofunding`)."""
    view = None
    for lev, s in active:
        if view is None:
            view = EquityView(pd["net_cash_flow"], case.plant, case.grant, pd.get("_close"),
                              arr(ctx.inputs["finance.discount_rate"], ctx.n))
        b = lev.equity(s, view)
        if b is None:
            continue
        _book(case, lev.name, b)
        pd[lev.line] = _add(pd.get(lev.line), b.plant)
        pd["net_cash_flow"] = pd["net_cash_flow"] + b.plant
        view.ncf = pd["net_cash_flow"]
    for lev, s in active:  # then another budget's share of the money booked so far
        if type(lev).cofunding is Lever.cofunding:  # the lever has no other budget
            continue
        zeros = np.zeros_like(pd["net_cash_flow"])
        others = [(o, case.gov[o.name] - case.receipts.get(o.name, zeros)) for o, _ in active
                  if o is not lev and o.name in case.gov]
        b = lev.cofunding(s, others)
        if b is not None:
            _book(case, lev.name, b)


def _plant(ctx: Context, active: list) -> Plant:
    """The plant of the option's schedule (computed once per schedule, in ``ctx.cache``)."""
    inp, st = ctx.inputs, ctx.settings
    T = int(st["simulation.horizon_years"])
    fid = int(st["simulation.valuation_year"])
    schedule: dict = {}
    for lev, s in active:
        for k, v in lev.schedule(s).items():  # two caps on one wait: the tighter holds
            tighter = k.endswith("_cap_months") and schedule.get(k) is not None and v is not None
            schedule[k] = min(schedule[k], v) if tighter else v
    key = tuple(sorted(schedule.items()))
    if key not in ctx.cache:
        nominal = st["scenario.terms"] == "nominal"
        esc = (1.0 + inp["finance.inflation"]) ** np.arange(T) if nominal else np.ones(T)
        ctx.cache[key] = plant_case(ctx, schedule, fid + np.arange(T), esc)
    return ctx.cache[key]


def _prepare(ctx: Context, active: list) -> Case:
    """The option's plant, support, financing and tax terms (the stages before price)."""
    inp, st, n = ctx.inputs, ctx.settings, ctx.n
    fid = int(st["simulation.valuation_year"])
    plant = _plant(ctx, active)
    lines = ChainMap({}, plant.lines)  # the plant's lines and the option's
    gov: dict[str, np.ndarray] = {}
    receipts: dict[str, np.ndarray] = {}
    aid: dict[str, np.ndarray] = {}
    grant, support = _support(plant, active, lines, (gov, receipts, aid))
    sizing = (_sizing_cfads(ctx, plant, support) if inp.get("finance.debt_sizing") == "dscr"
              else None)
    fin = financing(inp, plant, active, sizing)
    for lev, _ in active:
        if lev.name in fin.fees:
            lines[lev.line] = -fin.fees[lev.name]
            receipts[lev.name] = fin.fees[lev.name]
    depreciation, taxable_extra, deduction, deductions = _tax_terms(inp, plant, active, lines)
    priced = [(lev, s, b) for lev, s in active if (b := lev.price_basis(s, plant)) is not None]
    return Case(
        fid=fid, plant=plant, fin=fin, lines=lines, gov=gov, receipts=receipts, aid=aid,
        support=support, grant=grant, interest=fin.senior.interest + fin.public.interest,
        depreciation=depreciation, taxable_extra=taxable_extra, deduction=deduction,
        deductions=deductions, priced=priced, tax_rate=arr(inp["finance.tax_rate"], n),
        thr=float(inp["finance.loss_offset_threshold_meur"]),
        share_above=float(inp["finance.loss_offset_share_above"]),
        wc_share=arr(inp["finance.working_capital_share"], n)[:, None],
        operating=[(lev, s) for lev, s in active if lev.stage == "operating"
                   and lev.line in lines and lev.name in gov],
        operation={"idle": bool(inp["operations.idle_when_unprofitable"]),
                   "care_share": inp["operations.care_maintenance_share"],
                   "restart_share": inp["operations.restart_cost_share"],
                   "walkaway_years": float(inp["finance.walkaway_years"]),
                   "security_share": inp["finance.financial_security_share"],
                   "viable": _viable(inp, plant)},
        study=_study_terms(inp, n, active), fused=st.get("simulation.kernel", "fused") == "fused")


def _viable(inp, plant: Plant) -> np.ndarray:
    """:func:`~simcrm.model.operations.long_run_viable`, worked out once for the options
    that share this plant and these inputs."""
    known = plant.memo.get("viable")
    if known is not None and known[0] is inp:
        return known[1]
    viable = long_run_viable(inp, plant)
    plant.memo["viable"] = (inp, viable)
    return viable


def _sizing_cfads(ctx: Context, plant: Plant, support: np.ndarray) -> np.ndarray:
    """CFADS of the lenders' sizing case [MEUR/yr]: EBITDA at the median market paths
    (``finance.sizing_case = "p50"``) or the draw's own (``"draw"``), with the operating
    support, less the tax without loans and the sustaining capex."""
    inp = ctx.inputs
    prices = ctx.sizing_prices if ctx.sizing_prices is not None else ctx.prices
    ebitda = operating_margin(inp, plant, prices) + support
    dep = capex_depreciation(inp, plant, plant.capex_spend.sum(axis=1))
    tax = tax_with_loss_carry_forward(ebitda - dep, arr(inp["finance.tax_rate"], ctx.n),
                                      float(inp["finance.loss_offset_threshold_meur"]),
                                      float(inp["finance.loss_offset_share_above"]))
    return ebitda - tax + plant.lines.get("sustaining_capex", 0.0)


def _study_terms(inp: dict, n: int, active: list) -> dict:
    """Royalty, interest-limit and untaxed-support terms of :attr:`Case.study`."""
    limit = None
    if inp.get("finance.interest_limit"):
        limit = (float(inp["finance.interest_limit_share"]),
                 float(inp["finance.interest_limit_meur"]))
    share = arr(inp.get("finance.royalty_share", 0.0), n)
    untaxed = [lev.line for lev, s in active
               if lev.stage == "operating" and lev.line and s.get("taxable") is False]
    return {"royalty": share if np.any(share) else None,
            "royalty_thr": float(inp.get("finance.royalty_threshold_meur", 0.0)),
            "limit": limit, "untaxed": untaxed}


def _add(total, x):
    """``total + x``, or ``x`` itself when there is no total yet (keeps the bits)."""
    return x if total is None else total + x


def _support(plant: Plant, active: list, lines: dict, public: tuple) -> tuple:
    """Capex-stage and operating-stage levers: grant and operating support.

    Books each lever's plant line into ``lines`` and its outlays, receipts and aid
    into the dicts of ``public`` (gov, receipts, aid).

    Returns
    -------
    grant, support : ndarray, shape (draw, year)
        [MEUR/yr].
    """
    gov, receipts, aid = public
    grant, support = None, plant.zeros
    for hook in ("capex", "operating"):
        for lev, s in active:
            b = getattr(lev, hook)(s, plant)
            if b is None:
                continue
            if lev.line:
                lines[lev.line] = b.plant
            gov[lev.name] = b.outlays
            aid[lev.name] = b.aid_flow()
            if b.receipts is not None:
                receipts[lev.name] = b.receipts
            if hook == "capex":
                grant = _add(grant, b.plant)
            else:
                support = support + b.plant
    return (plant.zeros if grant is None else grant), support


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
    depreciation = capex_depreciation(inp, plant, dep_base)
    deductions = [(lev, d) for lev, s in active if (d := lev.deduction(s, plant)) is not None]
    deduction = None
    for _, d in deductions:
        deduction = _add(deduction, d)
    return (depreciation, 0.0 if taxable_extra is None else taxable_extra,
            0.0 if deduction is None else deduction, deductions)


def cash_flows(case: Case, price: np.ndarray) -> tuple[dict, dict, np.ndarray]:
    """The lines that depend on the product price path ``price`` (draw, year) [EUR/t].

    The plant idles in years with a negative variable margin and the sponsor may walk
    away (:mod:`simcrm.model.operations`); the lines are those of a plant that is
    built (the investor's decision is applied by :func:`business_case`).

    Returns
    -------
    lines : dict of ndarray
        Revenue, the cost and support lines changed by idling or closure, the
        price-dependent levers' lines, working capital, tax, decommissioning and
        ``net_cash_flow`` (to equity) [MEUR/yr]; ``_run`` and ``_alive`` masks.
    public : dict
        ``gov``, ``receipts`` and ``aid``: lever name -> [MEUR/yr] of the operating
        levers changed by idling or closure, the price-dependent levers and the tax
        forgone through each deduction; ``gov["_contingent"]`` the state's share of an
        early clean-up.
    cfads : ndarray
        Cash flow available for debt service [MEUR/yr].
    """
    p = case.plant
    revenue = price * p.production / 1e6
    books = [(lev, lev.price_line(s, basis, price, p)) for lev, s, basis in case.priced]
    run = None
    if case.operation["idle"]:
        per_tonne = case.support
        for _, b in books:
            per_tonne = per_tonne + b.plant
        byp = p.lines.get("byproduct")
        run = idle_mask(p, revenue if byp is None else revenue + byp, per_tonne)
    security = case.operation["security_share"]
    never = np.full(p.n, -1)
    memo: dict = {}  # the idle costs, the same in both passes
    flows = _with_decommissioning(_operated(case, revenue, books, run, None, memo), p, never,
                                  security)
    out, cfads = _settle(case, flows)  # one pass unless some sponsor walks away
    close = closure_year(cfads, p, case.operation["walkaway_years"], case.operation["viable"])
    alive = alive_mask(close, p.T)
    if alive is not None:
        flows = _with_decommissioning(_operated(case, revenue, books, run, alive, memo), p,
                                      close, security)
        out, cfads = _settle(case, flows)
    out["_run"], out["_alive"], out["_close"] = run, alive, close
    return out, {k: flows[k] for k in ("gov", "receipts", "aid")}, cfads


def _with_decommissioning(flows: dict, plant: Plant, close: np.ndarray, security) -> dict:
    """``flows`` with the sponsor's decommissioning line and the state's contingent
    clean-up (:func:`simcrm.model.operations.decommissioning`) where there is any."""
    sponsor, state, some = decommissioning(plant, close, security, flag=True)
    if some:
        flows["lines"]["decommissioning"] = sponsor
        flows["gov"]["_contingent"] = state
    return flows


def _operated(case: Case, revenue, books, run, alive, memo: dict | None = None) -> dict:
    """Revenue, costs, support and government flows of a plant that idles in the years
    ``run == 0`` and is closed in the years ``alive == 0`` (None: never); ``memo`` keeps
    the idle costs for another call with the same ``run``."""
    p = case.plant
    mask = run if alive is None else (alive if run is None else run * alive)
    lines: dict = {"revenue": revenue}
    gov: dict = {}
    for k, m in (("byproduct", mask), ("sustaining_capex", alive),
                 ("financial_security", alive)):
        if k in p.lines:
            lines[k] = p.lines[k] if m is None else p.lines[k] * m
    if mask is None:
        costs = {k: p.lines[k] for k in ("feedstock", "electricity", "gas", "carbon",
                                          "other_opex")}
    else:
        memo = {} if memo is None else memo
        if "idle_costs" not in memo:
            memo["idle_costs"] = idle_costs(p, np.ones_like(mask) if run is None else run,
                                            case.operation["care_share"],
                                            case.operation["restart_share"])
        costs = memo["idle_costs"]
        costs = {k: v * alive if alive is not None else v for k, v in costs.items()}
        lines["revenue"] = revenue * mask
    support = case.support
    receipts: dict = {}
    aid: dict = {}
    if mask is not None:
        support = np.zeros_like(mask)
        for lev, _ in case.operating:
            lines[lev.line] = case.lines[lev.line] * mask
            gov[lev.name] = case.gov[lev.name] * mask
            aid[lev.name] = case.aid[lev.name] * mask
            if lev.name in case.receipts:
                receipts[lev.name] = case.receipts[lev.name] * mask
            support = support + lines[lev.line]
    for lev, b in books:
        own = mask is not None and b.remask is not None
        if own:  # flows of one year that follow from the output of another
            b = b.remask(mask)
        plant, outlays, rec, a = b.plant, b.outlays, b.receipts, b.aid_flow()
        if mask is not None and not own:  # no tonnes, no per-tonne payments
            plant, outlays, a = plant * mask, outlays * mask, a * mask
            rec = None if rec is None else rec * mask
        if lev.line:
            lines[lev.line] = plant
        gov[lev.name] = outlays
        aid[lev.name] = a
        if rec is not None:
            receipts[lev.name] = rec
        support = support + plant
    if mask is not None:
        lines.update(costs)
    return {"lines": lines, "gov": gov, "receipts": receipts, "aid": aid, "costs": costs,
            "support": support, "alive": alive}


def _settle(case: Case, flows: dict) -> tuple[dict, np.ndarray]:
    """Working capital, tax and the equity cash flow of ``flows`` (see
    :func:`_operated`); returns the lines and the cash flow available for debt service.

    With ``simulation.kernel = "fused"``, no interest limit and no untaxed support, the
    lines from the working capital to the equity cash flow are computed in one compiled
    pass (:func:`simcrm.kernels.fused.settle_rows`: the operations of
    :func:`_settle_numpy`, the reference, in the same order, so the same bits)."""
    p, fin, alive = case.plant, case.fin, flows["alive"]
    c = flows["costs"]
    costs_opex = (p.costs_opex if "restart" not in c else
                  fused._chain(c["feedstock"], c["electricity"], c["gas"], c["carbon"],
                               c["other_opex"], c["restart"]))
    out = dict(flows["lines"])
    extra = p.lines.get("development")
    decom = out.get("decommissioning")
    _royalty(case, out)
    ebitda = fused._chain(out["revenue"], costs_opex, flows["support"],
                          *(x for x in (extra, decom, out.get("byproduct"), out.get("royalty"),
                                        out.get("financial_security")) if x is not None))
    fused_ok = (case.fused and not case.study.get("untaxed")
                and case.study.get("limit") is None)
    profit, tax, cfads, equity = (_settle_fused if fused_ok else _settle_numpy)(
        case, out, ebitda, alive)
    for lev, d in case.deductions:
        forgone = case.tax(profit - (case.deduction - d)) - tax
        flows["gov"][lev.name] = forgone
        flows["aid"][lev.name] = forgone
    if fin.dsra_years is not None:  # a bank's reserve account between CFADS and equity
        debt = case.interest + fin.senior.principal + fin.public.principal + fin.fee
        service = debt if alive is None else debt * alive
        out["debt_reserve"] = reserve_account(cfads, service, fin.dsra_years,
                                              completion_year(p))[0]
        equity = equity + out["debt_reserve"]
    out["net_cash_flow"] = equity
    return out, cfads


def _settle_numpy(case: Case, out: dict, ebitda: np.ndarray, alive) -> tuple:
    """The lines of :func:`_settle` from the working capital to the equity cash flow
    before a reserve account: ``working_capital``, ``tax`` and ``project_cash_flow`` into
    ``out``; returns the taxable profit (before deductions), the tax, the CFADS and the
    equity cash flow [MEUR/yr]."""
    p, fin = case.plant, case.fin
    wc = case.wc_share * out["revenue"]
    dwc = -np.diff(wc, axis=1, prepend=0.0)
    dwc[:, -1] += wc[:, -1]
    out["working_capital"] = dwc
    # nothing is paid or written off after the sponsor walks away; the same operations
    # with and without a walk-away (x 1.0 is exact), so a draw's row does not depend on
    # whether another draw of its chunk walks away
    if alive is None:
        profit = (ebitda - case.depreciation - (case.interest + fin.fee)) + case.taxable_extra
    else:
        profit = ((ebitda - case.depreciation * alive - (case.interest + fin.fee) * alive)
                  + case.taxable_extra)
    for k in case.study.get("untaxed", ()):  # support lines that are not taxed
        profit = profit - out.get(k, case.lines[k])
    before_limit = profit
    if case.study.get("limit") is not None:
        profit = profit + _interest_not_deductible(case, profit, alive)
    tax = case.tax(profit - case.deduction)
    out["tax"] = -tax
    cfads = ebitda - tax
    project = ebitda + p.lines["capex"] + case.grant + dwc - tax
    if "sustaining_capex" in out:
        cfads = cfads + out["sustaining_capex"]
        project = project + out["sustaining_capex"]
    out["project_cash_flow"] = _unlevered(case, before_limit, alive, project, tax)
    debt = case.interest + fin.senior.principal + fin.public.principal + fin.fee
    equity = project + fin.senior.draw + fin.public.draw - (debt if alive is None else
                                                            debt * alive)
    return profit, tax, cfads, equity


def _settle_fused(case: Case, out: dict, ebitda: np.ndarray, alive) -> tuple:
    """:func:`_settle_numpy` in one compiled pass (no interest limit or untaxed
    support)."""
    p, fin = case.plant, case.fin
    n, T = ebitda.shape
    none = np.zeros((n, 0))

    def full(x):
        if isinstance(x, np.ndarray) and x.shape == (n, T) and x.dtype == float \
                and x.flags.c_contiguous:
            return x
        return (np.zeros((n, T)) if np.ndim(x) == 0
                else np.ascontiguousarray(np.broadcast_to(x, (n, T)), dtype=float))

    def or_none(x):  # a line that is 0.0 or not there (the plant's zeros): (draw, 0)
        return none if x is None or x is p.zeros or (np.ndim(x) == 0 and x == 0.0) \
            else full(x)

    dwc, profit, tax, cfads, project, unlev, equity = fused.settle_rows(
        full(out["revenue"]), np.ascontiguousarray(case.wc_share[:, 0], dtype=float),
        full(ebitda), full(case.depreciation), full(case.interest), or_none(fin.fee),
        or_none(case.taxable_extra), or_none(case.deduction), full(p.lines["capex"]),
        or_none(case.grant), or_none(fin.senior.draw), or_none(fin.public.draw),
        or_none(fin.senior.principal), or_none(fin.public.principal),
        or_none(out.get("sustaining_capex")), or_none(alive),
        np.ascontiguousarray(case.tax_rate, dtype=float), case.thr, case.share_above,
        bool(np.any(case.interest) or (fin.fee is not p.zeros and np.any(fin.fee))))
    out["working_capital"], out["tax"], out["project_cash_flow"] = dwc, -tax, unlev
    return profit, tax, cfads, equity


def _royalty(case: Case, out: dict) -> None:
    """The royalty line (share of product and by-product revenue above the threshold)
    into ``out`` where the scenario has a royalty [MEUR/yr]."""
    share = case.study.get("royalty")
    if share is None:
        return
    base = out["revenue"] if "byproduct" not in out else out["revenue"] + out["byproduct"]
    above = np.maximum(base - case.study["royalty_thr"] * case.plant.esc, 0.0)
    out["royalty"] = -share[:, None] * above


def _interest_not_deductible(case: Case, profit, alive) -> np.ndarray:
    """Interest and fees above the earnings-stripping limit, carried forward [MEUR/yr].

    Deductible each year: the interest (with what was carried forward) up to the larger
    of ``share`` × fiscal EBITDA (taxable profit before interest, fees and depreciation)
    and the fixed amount; the rest is carried forward without time limit.
    """
    share, floor = case.study["limit"]
    cost = case.interest + case.fin.fee
    dep = case.depreciation
    if alive is not None:
        cost, dep = cost * alive, dep * alive
    fiscal_ebitda = profit + cost + dep
    room = np.maximum(share * fiscal_ebitda, floor * case.plant.esc)
    out = np.zeros_like(profit)
    carried = np.zeros(profit.shape[0])
    for t in range(profit.shape[1]):
        due = cost[:, t] + carried
        allowed = np.minimum(due, room[:, t])
        carried = due - allowed
        out[:, t] = cost[:, t] - allowed  # > 0: not deducted now; < 0: deducted from before
    return out


def _unlevered(case: Case, profit, alive, project, tax) -> np.ndarray:
    """The project's (unlevered) cash flow after tax: ``project`` with the tax the plant
    would pay without its loans (no interest or fees deducted) [MEUR/yr]."""
    fin = case.fin
    if not (np.any(case.interest) or np.any(fin.fee)):
        return project
    finance_cost = case.interest + fin.fee
    levered = _rows_any(case.interest, fin.fee, profit.shape)  # decided draw by draw
    if alive is not None:
        finance_cost = finance_cost * alive
    return np.where(levered, project + tax - case.tax(profit + finance_cost - case.deduction),
                    project)


def _rows_any(interest, fee, shape: tuple) -> np.ndarray:
    """Draws with any interest or fee, shape (draw, 1) [bool]."""
    out = np.zeros((shape[0], 1), bool)
    for x in (interest, fee):
        if np.ndim(x) == 2:
            out |= np.any(x != 0, axis=1, keepdims=True)
        elif np.any(x):
            out[:] = True
    return out


def decide(ctx: Context, case: Case, pd: dict, fit: ValueFit | None,
           pilot: bool) -> tuple[np.ndarray | None, dict]:
    """Which draws get built: development reached FID and (with a ``fit``) the
    investor's expected value of building, given the state at FID, is at least zero.

    Returns
    -------
    built : ndarray of bool, shape (draw,), or None
        None when every draw is built (nothing to mask).
    extra : dict
        ``_state`` and ``_value`` for a pilot (see :func:`business_case`), else empty.
    """
    p = case.plant
    if fit is None and not pilot and p.reached.all():
        return None, {}
    if not (pilot or fit is not None):
        return p.reached, {}
    state = fid_state(ctx, case)
    if pilot:
        rate = arr(ctx.inputs["finance.discount_rate"], ctx.n)
        dev = p.lines.get("development")
        value = npv(pd["net_cash_flow"], rate) - (npv(dev, rate) if dev is not None else 0.0)
        return p.reached, {"_state": state, "_value": np.where(p.reached, value, np.nan)}
    if fit.n == 0:
        return p.reached, {}
    return p.reached & (fit.predict(state) >= 0.0), {}


def fid_state(ctx: Context, case: Case | Plant) -> np.ndarray:
    """What the investor knows at FID, per draw: the FID date [years after the valuation
    year], the capex estimate [MEUR] and the product, feedstock, electricity and gas
    prices of the FID year [EUR per unit]; shape (draw, 6)."""
    p = case if isinstance(case, Plant) else case.plant
    known = p.memo.get("fid_state")
    if known is not None and known[0] is ctx.prices:  # every option with this plant
        return known[1]
    rows = np.arange(p.n)
    at = np.clip(np.floor(p.c0).astype(int), 0, p.T - 1)
    cols = [p.c0, p.capex_estimate]
    cols += [ctx.prices[m][rows, at] for m in ("product", "feedstock", "electricity", "gas")]
    state = np.column_stack([np.broadcast_to(c, (p.n,)) for c in cols])
    state.flags.writeable = False
    p.memo["fid_state"] = (ctx.prices, state)
    return state


def _unbuilt(case: Case, pd: dict, built: np.ndarray, contingent):
    """Clear every flow after FID of the draws that are not built; their net cash flow
    is the development spending alone.  Returns the masked contingent cost."""
    b = built[:, None]
    dev = case.plant.lines.get("development")
    for k, v in list(pd.items()):
        if not k.startswith("_") and k not in ("net_cash_flow", "project_cash_flow") \
                and v is not None:
            pd[k] = np.where(b, v, 0.0)
    for k in ("net_cash_flow", "project_cash_flow"):
        pd[k] = np.where(b, pd[k], 0.0 if dev is None else dev)
    case.lines = {k: (v if k == "development" else np.where(b, v, 0.0))
                  for k, v in case.lines.items()}
    for k in ("gov", "receipts", "aid"):
        setattr(case, k, {name: np.where(b, v, 0.0) for name, v in getattr(case, k).items()})
    pd["_built"] = built
    return None if contingent is None else np.where(b, contingent, 0.0)


def _investor_metrics(ctx: Context, case: Case, ncf: np.ndarray, breakeven: bool,
                      built: np.ndarray | None) -> dict:
    """NPV, IRR, payback, levelised cost, first production and break-even price
    (levelised cost and first production NaN where the plant is not built, the
    break-even price NaN where development did not reach FID)."""
    p = case.plant
    metrics: dict[str, np.ndarray] = {}
    rate = arr(ctx.inputs["finance.discount_rate"], ctx.n)
    metrics["npv"] = npv(ncf, rate) * timing_factor(rate, _timing(ctx))
    metrics["irr"] = irr(ncf)
    metrics["payback"] = payback(ncf)
    metrics["lcop"] = p.lcop
    metrics["first_production"] = case.fid + p.s
    if breakeven:
        metrics["breakeven_price"] = _breakeven_price(ctx, case, metrics["lcop"])
    else:
        metrics["breakeven_price"] = np.full(ctx.n, np.nan)
    if built is not None:
        for k in ("lcop", "first_production"):
            metrics[k] = np.where(built, metrics[k], np.nan)
        metrics["breakeven_price"] = np.where(p.reached, metrics["breakeven_price"], np.nan)
    return metrics


def _timing(ctx: Context) -> str:
    return ctx.settings.get("simulation.cash_flow_timing") or "start-of-year"


def _project_metrics(ctx: Context, pd: dict) -> dict:
    """NPV and IRR of the project (unlevered, after tax, before financing) at the
    investor's discount rate, with the scenario's cash-flow timing."""
    rate = arr(ctx.inputs["finance.discount_rate"], ctx.n)
    cf = pd["project_cash_flow"]
    return {"project_npv": npv(cf, rate) * timing_factor(rate, _timing(ctx)),
            "project_irr": irr(cf)}


def _delivery(ctx: Context, case: Case, pd: dict, built: np.ndarray | None) -> dict:
    """What the plant delivers: built (0/1), tonnes by the deadline and in stress
    years, idle years and whether the sponsor walked away."""
    p = case.plant
    out = p.production
    run, alive, close = pd.get("_run"), pd.get("_alive"), pd.get("_close")
    for m in (run, alive):
        if m is not None:
            out = out * m
    if built is not None:
        out = out * built[:, None]
    b = np.ones(p.n) if built is None else built.astype(float)
    deadline = int(ctx.settings["decision.production_deadline_year"])
    by = p.calendar <= deadline
    stress = ctx.stress
    idle = np.zeros(p.n) if run is None else ((1.0 - run) * (p.production > 0)).sum(axis=1)
    abandoned = np.zeros(p.n) if close is None else (close >= 0).astype(float)
    end = p.s + p.life
    if close is not None:
        end = np.where(close >= 0, np.minimum(end, close + 1.0), end)
    end = np.where(b > 0, case.fid + end, np.nan)
    return {
        "built": b,
        "tonnes_by_deadline": out[:, by].sum(axis=1),
        "tonnes_in_stress_years": (np.zeros(p.n) if stress is None
                                   else (out * stress).sum(axis=1)),
        "idle_years": idle * b,
        "abandoned": abandoned * b,
        "production_end": end,
        "nameplate_tpa": arr(ctx.inputs["plant.capacity_tpa"], p.n) * b,
    }


def _breakeven_price(ctx: Context, case: Case, lcop: np.ndarray) -> np.ndarray:
    """The break-even product price [EUR/t] (:func:`simcrm.model.breakeven.breakeven`):
    with ``simulation.kernel = "fused"`` in one compiled pass
    (:func:`simcrm.kernels.fused.breakeven`) where every price-dependent line (levers,
    royalty) is given as terms (:meth:`simcrm.levers.base.Lever.price_terms`), else by
    the numpy layer, the reference."""
    if case.fused:
        args, _, terms = _flat_price_terms(case, reference=False)
        if terms is not None:
            return fused.breakeven(*args, lcop, terms=terms)
    args, priced, _ = _flat_price_terms(case)
    esc, production, dfac, wc_share, fixed, profit0, *rest = args
    return _breakeven(flat_price_npv(esc, production, dfac, wc_share, fused._chain(*fixed),
                                     fused._chain(*profit0), *rest, priced),
                      lcop, case.plant.production)


def _flat_price_terms(case: Case, reference: bool = True) -> tuple[tuple, list, list | None]:
    """The arguments of :func:`simcrm.model.breakeven.flat_price_npv` for ``case`` (the
    fixed and profit lines as the chains of lines that add up to them, for
    :func:`simcrm.kernels.fused._chain`), its price-dependent lines (for the numpy
    reference; empty without ``reference``: their bases are copies) and the same lines as
    terms of
    :func:`simcrm.kernels.fused.breakeven` (None where one is not expressible so): the
    option's NPV as a function of a flat product price (for the break-even).

    It counts the royalty, by-products, sustaining capex, financial security and untaxed
    support; it leaves out the earnings-stripping interest limit, a bank's reserve
    account and its sizing on the sizing case (the debt is that of the market path), and
    is at the start-of-year timing (a positive factor: the same root)."""
    p, fin = case.plant, case.fin
    sen, pub = fin.senior, fin.public

    def z(x):  # a flow the option does not have (Plant.zeros): 0.0, which the kernel skips
        return 0.0 if x is p.zeros else x
    fixed = [p.costs_opex, z(case.support), p.lines["capex"], z(case.grant), z(sen.draw),
             z(pub.draw), "-", z(case.interest), z(sen.principal), z(pub.principal), z(fin.fee)]
    profit0 = [p.costs_opex, z(case.support), "-", case.depreciation, z(case.interest),
               z(fin.fee), "+", case.taxable_extra, "-", case.deduction]
    # the reference evaluates some rows: each basis carries its row index, for the plant
    # of those rows (a spread floor reads the plant's feedstock)
    index = np.broadcast_to(np.arange(p.n, dtype=float)[:, None], (p.n, p.T)) \
        if reference else None

    def line_of(lev, s):
        def line(b, price):
            rows = b[:, 0, 1].astype(np.intp)
            plant = p if len(rows) == p.n else p.take(rows, {k: v[rows] for k, v in
                                                             p.prices.items()})
            return lev.price_line(s, b[..., 0], price, plant).plant
        return line

    priced = [(line_of(lev, s), np.stack([np.broadcast_to(basis, (p.n, p.T)), index], axis=-1))
              for lev, s, basis in case.priced] if reference else []
    terms: list | None = []
    for lev, s, basis in case.priced:
        term = lev.price_terms(s, basis, p)
        if term is None:
            terms = None
            break
        terms.append(term)
    byp, sus = p.lines.get("byproduct"), p.lines.get("sustaining_capex")
    for x in (byp, p.lines.get("financial_security")):
        if x is not None:
            fixed, profit0 = [*fixed, "+", x], [*profit0, "+", x]
    if sus is not None:
        fixed = [*fixed, "+", sus]
    for k in case.study.get("untaxed", ()):
        profit0 = [*profit0, "-", case.lines[k]]
    if case.study.get("royalty") is not None:
        line, basis, term = _royalty_at_price(case, reference)
        if reference:
            priced.append((line, basis))
        if terms is not None:
            terms.append(term)
    return ((p.esc, p.production, p.dfac, case.wc_share, fixed, profit0, case.tax_rate,
             case.thr, case.share_above), priced, terms)


def _royalty_at_price(case: Case, reference: bool = True) -> tuple:
    """The royalty line as a function of the product price, with its basis (production,
    by-product sales, threshold and share stacked; None without ``reference``), for the
    break-even price; and the same as a term ``w · max(a + b · p, 0)`` of
    :func:`simcrm.kernels.fused.breakeven`: ``w`` = -share, ``a`` = by-product sales -
    escalated threshold [MEUR/yr], ``b`` = production × escalation / 1e6 [MEUR/yr per
    EUR/t]."""
    p = case.plant
    byp = p.lines.get("byproduct", p.zeros)
    thr = np.broadcast_to(case.study["royalty_thr"] * p.esc, byp.shape)
    share = np.broadcast_to(case.study["royalty"][:, None], byp.shape)
    basis = np.stack([p.production, byp, thr, share], axis=-1) if reference else None

    def line(b, price):
        revenue = price * b[..., 0] / 1e6 + b[..., 1]
        return -b[..., 3] * np.maximum(revenue - b[..., 2], 0.0)
    return line, basis, (-share, byp - thr, p.production * p.esc / 1e6, False)


def _audit_lines(case: Case, pd: dict, contingent, built) -> dict:
    """Every yearly line of the option: plant, debt, production and government."""
    n, T = case.plant.n, case.plant.T
    sen, pub = case.fin.senior, case.fin.public
    zeros = np.zeros((n, T))
    out = {k: pd.get(k, case.lines.get(k)) for k in PLANT_LINES}
    alive = pd.get("_alive")
    keep = 1.0 if built is None else built[:, None]
    live = keep if alive is None else keep * alive
    draw = sen.draw + pub.draw
    out["debt_drawdown"] = draw if built is None else draw * keep
    out["interest"] = -case.interest if alive is None and built is None else -case.interest * live
    out["principal"] = (-(sen.principal + pub.principal) if alive is None and built is None
                        else -(sen.principal + pub.principal) * live)
    for k in ("development", "decommissioning", "restart", "byproduct", "royalty",
              "sustaining_capex", "financial_security", "debt_reserve"):
        if out.get(k) is None:
            out[k] = zeros
    out = {k: v for k, v in out.items() if v is not None}
    out["net_cash_flow"] = pd["net_cash_flow"]
    out["project_cash_flow"] = pd["project_cash_flow"]
    production = case.plant.production
    for m in (pd.get("_run"), alive):
        if m is not None:
            production = production * m
    out["production"] = production if built is None else production * keep
    out.update(public_lines(case.gov, case.receipts, case.aid, contingent, (n, T)))
    return out
