"""The business case of one plant for a chunk of draws, one world and one option.

:func:`business_case` turns sampled inputs and market paths into the yearly
cash-flow lines of the plant and of the government, and the metrics per draw.
It is vectorised over draws; the only loops run over years where the maths is
sequential (tax loss carry-forward, debt balances).

Sign convention: every cash-flow line is seen from the investor, inflows
positive and outflows negative, in MEUR per year (money of the scenario's price
year in real terms).  Government lines (``gov_*``) are positive outlays of the
state.  Discounting: see :data:`simcrm.kernels.finance.DISCOUNTING`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simcrm import levers as lv
from simcrm.kernels.finance import (
    annuity_debt,
    discount_factors,
    irr,
    npv,
    payback,
    tax_with_loss_carry_forward,
)
from simcrm.kernels.schedule import overlap, production_factor, project_dates

PLANT_LINES = {
    # name: (long_name, description)
    "revenue": "Revenue from product sales at market prices",
    "feedstock": "Feedstock purchases",
    "electricity": "Electricity including grid tariff",
    "gas": "Natural gas",
    "carbon": "EU ETS allowances for direct emissions beyond free allocation",
    "other_opex": "Reagents, labour, maintenance and other operating costs",
    "capex": "Capital expenditure including overrun",
    "working_capital": "Change in working capital (released at the end)",
    "capex_grant": "Capex grant received",
    "production_subsidy": "Production subsidy received",
    "energy_relief": "Energy-cost relief received",
    "price_floor": "Price-floor (CfD) settlement",
    "offtake": "Public offtake: difference to the market price",
    "tax": "Corporate income tax",
    "debt_drawdown": "Senior and public loans drawn",
    "interest": "Interest paid on senior and public loans",
    "principal": "Loan principal repaid",
    "guarantee_fee": "Guarantee fee paid to the state",
}
GOV_LEVERS = ("capex_grant", "production_subsidy", "energy_relief", "price_floor", "public_loan",
              "loan_guarantee", "offtake", "investment_deduction")

METRICS = {
    # name: (units, long_name)
    "npv": ("MEUR", "Net present value to the investor"),
    "irr": ("1/yr", "Internal rate of return to the investor"),
    "payback": ("years", "Payback time from the start of the FID year"),
    "lcop": ("EUR/t", "Levelised cost of production (before tax, financing and support)"),
    "breakeven_price": ("EUR/t", "Flat product price that makes the NPV zero"),
    "first_production": ("year", "Date of first production (calendar year, fractional)"),
    "public_cost_gross": ("MEUR", "Present value of the government's outlays"),
    "public_cost_net": ("MEUR", "Present value of outlays less receipts and corporate tax "
                        "received (compared with no plant)"),
    "public_cost_per_tpa": ("EUR/(t/yr)", "Gross public cost per tonne of annual capacity"),
}


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
    """Work shared by the options of this world: the schedule-dependent arrays, keyed
    by the settings of the levers that move the schedule (see :func:`_plant`)."""

    @property
    def n(self) -> int:
        return self.appeal.shape[0]


def _arr(x, n):
    return np.broadcast_to(np.asarray(x, dtype=float), (n,))


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
        See :data:`METRICS`.
    lines : dict of ndarray, shape (draw, year), or None
        Plant lines (:data:`PLANT_LINES`), ``net_cash_flow`` and government lines.
    """
    inp, st, L = ctx.inputs, ctx.settings, option_levers
    n = ctx.n
    T = int(st["simulation.horizon_years"])
    fid = int(st["simulation.fid_year"])
    calendar = fid + np.arange(T)
    nominal = st["scenario.terms"] == "nominal"
    esc = (1.0 + inp["finance.inflation"]) ** np.arange(T) if nominal else np.ones(T)
    g = lambda k: _arr(inp[k], n)  # noqa: E731

    ft = L.get("permit_fast_track")
    gp = L.get("grid_priority")
    key = (ft["cap_months"] if ft else None, ft["scale"] if ft else 1.0,
           gp["cap_months"] if gp else None)
    if key not in ctx.cache:
        ctx.cache[key] = _plant(ctx, ft, gp, T, esc)
    B = ctx.cache[key]
    s, life, ramp, cap_t = B["s"], B["life"], B["ramp"], B["cap_t"]
    production, spend_share, capex_final = B["production"], B["spend_share"], B["capex_final"]
    mwh, tariff, capex_spend = B["mwh"], B["tariff"], B["capex_spend"]
    lines: dict[str, np.ndarray] = dict(B["lines"])
    P = ctx.prices

    # --- levers that do not depend on the product price -----------------------------
    gov: dict[str, np.ndarray] = {}
    receipts = np.zeros((n, T))
    support = np.zeros((n, T))  # operating support (part of EBITDA)
    grant = np.zeros((n, T))
    if "capex_grant" in L:
        b = lv.capex_grant(L["capex_grant"], capex_final, spend_share * esc, calendar, esc)
        grant = b.plant
        lines["capex_grant"] = grant
        gov["capex_grant"] = b.outlays
    if "production_subsidy" in L:
        sL = L["production_subsidy"]
        cov = lv.covered_production(s, life, ramp, sL["years"], cap_t, T)
        b = lv.production_subsidy(sL, cov, calendar, esc)
        lines["production_subsidy"] = b.plant
        gov["production_subsidy"] = b.outlays
        support = support + b.plant
    if "energy_relief" in L:
        b = lv.energy_relief(L["energy_relief"], mwh, P["electricity"], tariff, P["carbon"],
                             calendar, esc)
        lines["energy_relief"] = b.plant
        gov["energy_relief"] = b.outlays
        support = support + b.plant
    costs_opex = B["costs_opex"]

    # --- financing structure ----------------------------------------------------------
    gearing = g("finance.debt_gearing")
    debt_rate = g("finance.debt_rate")
    guar = L.get("loan_guarantee")
    if guar:
        if guar["gearing"] is not None:
            gearing = np.full(n, float(guar["gearing"]))
        debt_rate = np.maximum(debt_rate - guar["spread_reduction"], 0.0)
    ploan = L.get("public_loan")
    p_share = float(ploan["share"]) if ploan else 0.0
    if ploan and ploan["replaces_senior_debt"]:
        # the public loan takes the place of senior debt first, equity after that
        gearing = np.maximum(gearing - p_share, 0.0)
    gearing = np.minimum(gearing, 1.0 - p_share)
    first_prod_year = B["first_prod_year"]
    tenor = float(inp["finance.debt_tenor_years"])
    has_senior = bool(np.any(gearing > 0))
    if not has_senior:
        s_draw = s_int = s_pr = s_bal = B["zeros"]
    elif guar or ploan:
        s_draw = gearing[:, None] * capex_spend
        s_int, s_pr, s_bal = annuity_debt(s_draw, debt_rate, tenor, first_prod_year)
    else:  # the scenario's own senior debt: the same for every option with this schedule
        if "senior" not in B:
            s_draw = gearing[:, None] * capex_spend
            B["senior"] = (s_draw, *annuity_debt(s_draw, debt_rate, tenor, first_prod_year))
        s_draw, s_int, s_pr, s_bal = B["senior"]
    if ploan:
        p_draw = p_share * capex_spend
        grace = int(round(ploan["grace_years"]))
        p_int, p_pr, p_bal = annuity_debt(p_draw, ploan["rate"], ploan["tenor_years"],
                                          np.minimum(first_prod_year + grace, T - 1))
    else:
        p_draw = p_int = p_pr = p_bal = np.zeros((n, T))
    fee = np.zeros((n, T))
    if guar and has_senior:
        opening = np.concatenate([np.zeros((n, 1)), s_bal[:, :-1]], axis=1)
        fee = guar["fee"] * opening
        lines["guarantee_fee"] = -fee
    interest = s_int + p_int

    # depreciation and tax deductions
    dep_base = capex_spend.sum(axis=1)
    if "capex_grant" in L and L["capex_grant"]["reduces_depreciation_base"]:
        dep_base = dep_base - grant.sum(axis=1)
    D = float(inp["finance.depreciation_years"])
    depreciation = dep_base[:, None] / D * B["dep_share"]
    taxable_extra = grant if ("capex_grant" in L and L["capex_grant"]["taxable"]) else 0.0
    deduction = 0.0
    if "investment_deduction" in L:
        deduction = L["investment_deduction"]["share"] * capex_spend
    tax_rate = g("finance.tax_rate")
    thr = float(inp["finance.loss_offset_threshold_meur"])
    share_above = float(inp["finance.loss_offset_share_above"])
    wc_share = g("finance.working_capital_share")[:, None]
    rate = g("finance.discount_rate")
    dfac = B["dfac"]

    # tonnes covered by the price-dependent levers (the same at every price)
    cov_pf = (lv.covered_production(s, life, ramp, L["price_floor"]["years"], cap_t, T)
              if "price_floor" in L else None)
    cov_off = (lv.covered_production(s, life, ramp, L["offtake"]["years"], cap_t, T)
               if "offtake" in L else None)

    def price_dependent(price: np.ndarray) -> dict:
        """Lines that depend on the product price path ``price`` (draw, year)."""
        out = {}
        revenue = price * production / 1e6
        out["revenue"] = revenue
        sup = support
        if "price_floor" in L:
            sL = L["price_floor"]
            b = lv.price_floor(sL, cov_pf, price, calendar, esc)
            out["price_floor"], out["gov_price_floor"] = b.plant, b.outlays
            out["rec_price_floor"] = b.receipts if b.receipts is not None else 0.0
            sup = sup + b.plant
        if "offtake" in L:
            sL = L["offtake"]
            b = lv.offtake(sL, cov_off, price, calendar, esc)
            out["offtake"], out["gov_offtake"], out["rec_offtake"] = b.plant, b.outlays, b.receipts
            sup = sup + b.plant
        wc = wc_share * revenue
        dwc = -np.diff(wc, axis=1, prepend=0.0)
        dwc[:, -1] += wc[:, -1]
        out["working_capital"] = dwc
        ebitda = revenue + costs_opex + sup
        profit = ebitda - depreciation - interest - fee + taxable_extra
        tax = tax_with_loss_carry_forward(profit - deduction, tax_rate, thr, share_above)
        out["tax"] = -tax
        if "investment_deduction" in L:
            tax0 = tax_with_loss_carry_forward(profit, tax_rate, thr, share_above)
            out["gov_investment_deduction"] = tax0 - tax
        cfads = ebitda - tax
        project = ebitda + lines["capex"] + grant + dwc - tax
        equity = project + s_draw + p_draw - interest - s_pr - p_pr - fee
        out["net_cash_flow"] = equity
        out["_cfads"] = cfads
        return out

    pd = price_dependent(P["product"])

    # --- default losses of loans (expected loss booked by the state) -----------------
    if ploan or (guar and has_senior):
        service_s = s_int + s_pr
        service_p = p_int + p_pr
        due = (service_s + service_p).sum(axis=1)
        avail = np.maximum(pd["_cfads"], 0.0).sum(axis=1)
        short = np.maximum(due - avail, 0.0)
        total_pr = s_draw.sum(axis=1) + p_draw.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            p_frac = np.where(total_pr > 0, p_draw.sum(axis=1) / total_pr, 0.0)
        when = np.minimum(first_prod_year + int(np.ceil(tenor)), T - 1)
        at = np.zeros((n, T))
        at[np.arange(n), when] = 1.0
        if ploan:
            loss = (1 - ploan["recovery_rate"]) * np.minimum(short * p_frac, p_draw.sum(axis=1))
            ref = g("finance.debt_rate")
            opening = np.concatenate([np.zeros((n, 1)), p_bal[:, :-1]], axis=1)
            subsidy = np.maximum(ref[:, None] - ploan["rate"], 0.0) * opening
            gov["public_loan"] = subsidy + loss[:, None] * at
        if guar and has_senior:
            loss = guar["cover_share"] * (1 - guar["recovery_rate"]) * np.minimum(
                short * (1 - p_frac), s_draw.sum(axis=1))
            gov["loan_guarantee"] = loss[:, None] * at
            receipts = receipts + fee
    for k in ("price_floor", "offtake", "investment_deduction"):
        if f"gov_{k}" in pd:
            gov[k] = pd[f"gov_{k}"]
        if f"rec_{k}" in pd:
            receipts = receipts + pd[f"rec_{k}"]

    ncf = pd["net_cash_flow"]
    metrics: dict[str, np.ndarray] = {}
    metrics["npv"] = npv(ncf, rate)
    metrics["irr"] = irr(ncf)
    metrics["payback"] = payback(ncf)
    metrics["lcop"] = B["lcop"]
    metrics["first_production"] = fid + s
    if breakeven:
        npv_at = _flat_price_npv(
            esc, production, dfac, wc_share,
            costs_opex + support + lines["capex"] + grant + s_draw + p_draw - interest - s_pr
            - p_pr - fee,
            costs_opex + support - depreciation - interest - fee + taxable_extra - deduction,
            tax_rate, thr, share_above,
            levers=[(f, L[k], cov) for f, k, cov in ((lv.price_floor, "price_floor", cov_pf),
                                                     (lv.offtake, "offtake", cov_off))
                    if k in L], calendar=calendar)
        metrics["breakeven_price"] = _breakeven(npv_at, metrics["lcop"], production)
    else:
        metrics["breakeven_price"] = np.full(n, np.nan)

    # --- government -------------------------------------------------------------------
    pub = float(inp["finance.public_discount_rate"])
    gdf = discount_factors(pub, T)
    outlays = sum(gov.values()) if gov else np.zeros((n, T))
    metrics["public_cost_gross"] = np.asarray(outlays @ gdf if np.ndim(outlays) == 2
                                              else np.zeros(n))
    metrics["public_cost_net"] = (metrics["public_cost_gross"] - receipts @ gdf
                                  - (-pd["tax"]) @ gdf)
    metrics["public_cost_per_tpa"] = metrics["public_cost_gross"] * 1e6 / g("plant.capacity_tpa")

    if not keep_lines:
        return metrics, None
    out = {k: lines.get(k, pd.get(k)) for k in PLANT_LINES}
    out["debt_drawdown"] = s_draw + p_draw
    out["interest"] = -interest
    out["principal"] = -(s_pr + p_pr)
    out = {k: v for k, v in out.items() if v is not None}
    out["net_cash_flow"] = ncf
    out["production"] = production
    for k in GOV_LEVERS:
        out[f"gov_{k}"] = gov.get(k, np.zeros((n, T)))
    out["gov_outlays"] = outlays if np.ndim(outlays) == 2 else np.zeros((n, T))
    out["gov_receipts"] = receipts
    return metrics, out


def _plant(ctx: Context, ft: dict | None, gp: dict | None, T: int, esc: np.ndarray) -> dict:
    """Schedule, production and the costs that no price-dependent lever touches.

    The same for every option with the same permit and grid levers, so computed once
    per world and chunk (:attr:`Context.cache`).
    """
    inp, n = ctx.inputs, ctx.n
    g = lambda k: _arr(inp[k], n)  # noqa: E731
    c0, s = project_dates(
        g("permitting.permit_months"), ctx.appeal, g("permitting.appeal_months"),
        g("permitting.grid_wait_months"), g("plant.construction_months"),
        permit_cap_months=ft["cap_months"] if ft else None,
        permit_scale=ft["scale"] if ft else 1.0,
        grid_cap_months=gp["cap_months"] if gp else None)
    life, ramp = g("plant.life_years"), g("plant.rampup_years")
    cap_t = g("plant.capacity_tpa") * g("plant.utilisation")  # t/yr at full output
    production = cap_t[:, None] * production_factor(s, life, ramp, T)  # t/yr
    op_share = overlap(s, s + life, T)  # years of operation in each year
    build = np.maximum(s - c0, 1e-9)
    spend_share = overlap(c0, s, T) / build[:, None]
    capex_final = g("plant.capex_meur") * g("plant.capex_overrun")  # MEUR
    P = ctx.prices
    mwh = production * g("operations.electricity_mwh_per_t")[:, None]
    tariff = g("markets.electricity.grid_tariff")[:, None] * esc
    lines = {}
    lines["feedstock"] = (-P["feedstock"] * production
                          * g("operations.feedstock_t_per_t")[:, None] / 1e6)
    lines["electricity"] = -(P["electricity"] + tariff) * mwh / 1e6
    lines["gas"] = -P["gas"] * production * g("operations.gas_mwh_per_t")[:, None] / 1e6
    net_co2 = g("operations.co2_t_per_t") * (1.0 - g("operations.free_allocation_share"))
    lines["carbon"] = -P["carbon"] * production * net_co2[:, None] / 1e6
    fixed = (g("operations.labour_meur_per_yr") + g("operations.other_fixed_meur_per_yr")
             + g("operations.maintenance_share") * capex_final)
    lines["other_opex"] = -(g("operations.reagents_eur_per_t")[:, None] * production / 1e6
                            + fixed[:, None] * op_share) * esc
    lines["capex"] = -capex_final[:, None] * spend_share * esc
    costs_opex = (lines["feedstock"] + lines["electricity"] + lines["gas"] + lines["carbon"]
                  + lines["other_opex"])
    dfac = discount_factors(g("finance.discount_rate"), T)
    pv_prod = _pv(production, dfac)
    with np.errstate(divide="ignore", invalid="ignore"):
        lcop = np.where(pv_prod > 0, _pv(-(costs_opex + lines["capex"]), dfac) / pv_prod * 1e6,
                        np.nan)
    D = float(inp["finance.depreciation_years"])
    return {
        "c0": c0, "s": s, "life": life, "ramp": ramp, "cap_t": cap_t, "production": production,
        "spend_share": spend_share, "capex_final": capex_final, "mwh": mwh, "tariff": tariff,
        "lines": lines, "capex_spend": -lines["capex"], "costs_opex": costs_opex,
        "first_prod_year": np.minimum(np.floor(s).astype(int), T - 1),
        "dep_share": overlap(s, s + D, T), "dfac": dfac, "lcop": lcop,
        "zeros": np.zeros((n, T)),
    }


def _pv(x: np.ndarray, dfac: np.ndarray) -> np.ndarray:
    return x @ dfac if dfac.ndim == 1 else np.einsum("dt,dt->d", x, dfac)


def _flat_price_npv(esc, production, dfac, wc_share, fixed, profit0, tax_rate, thr,
                    share_above, levers, calendar):
    """NPV as a function of a flat product price, for the break-even search.

    The NPV of revenue and working capital is linear in the price, so it is
    computed once; only the price-dependent levers and the tax (loss carry-forward)
    are evaluated per price.  Equal to the NPV of ``price_dependent`` up to the
    order of the additions.

    Parameters
    ----------
    fixed : ndarray, shape (draw, year)
        Net cash flow to the investor without revenue, working capital,
        price-dependent levers and tax [MEUR/yr].
    profit0 : ndarray, shape (draw, year)
        Taxable profit without revenue and price-dependent levers [MEUR/yr].

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
    slope = _pv(unit_rev, dfac) + wc_share[:, 0] * _pv(unit_rev, wdf)
    pv_fixed = _pv(fixed, dfac)
    tax_rate = np.broadcast_to(tax_rate, pv_fixed.shape)

    def npv_at(flat: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        R = (lambda x: x) if rows is None else (lambda x: x[rows])  # noqa: E731
        profit = R(profit0) + flat[:, None] * R(unit_rev)
        value = R(pv_fixed) + flat * R(slope)
        if levers:
            price = flat[:, None] * esc
            extra = 0.0
            for fn, settings, cov in levers:
                extra = extra + fn(settings, R(cov), price, calendar, esc).plant
            profit += extra
        else:
            extra = 0.0
        tax = tax_with_loss_carry_forward(profit, R(tax_rate), thr, share_above)
        return value + _pv(extra - tax, R(dfac2))

    return npv_at


def _breakeven(npv_at, lcop, production, iters: int = 6):
    """Flat product price [EUR/t, price-year money] that makes the NPV zero (secant).

    Each draw iterates on its own until its step is below 1e-9 relative, so the
    result of a draw does not depend on the other draws of its chunk.
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
