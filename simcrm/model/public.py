"""Public money as the ministry counts it: three measures, never mixed.

* **Budget cash** (``budget_cash`` [MEUR/yr], ``budget_cash_pv`` [MEUR]): what leaves
  and returns to the treasury, year by year — grants, subsidies, relief, contract
  payments and paybacks, loan disbursements and repayments, guarantee calls and fees,
  purchases and resales, equity and dividends.  Dutch budget rules count cash per
  year, loans and purchases included (kasbeslag); its present value is at the public
  discount rate (``finance.public_discount_rate``).
* **Gross grant equivalent** (``gross_grant_equivalent`` [MEUR]): the EU state-aid
  value of all levers of the option together — grants and subsidies at face value,
  loans and guarantees by the reference-rate method (their advantage over market-
  conform terms), contracts and purchases by the transfer above the market price, tax
  deductions by the tax forgone — discounted to the valuation year at the EU discount
  rate (base rate + 100 basis points), as GBER Art. 7(3) discounts aid paid in
  instalments; a lever whose present value favours the state counts zero;
  ``aid_intensity`` divides it by the eligible capex discounted alike.
* **Fiscal return** (``fiscal_return`` [MEUR]): corporate tax over the baseline, counted
  only in the draws where the option changes what happens (the plant is built, not
  built or built at another date because of the option); filled in by
  :func:`simcrm.engine.evaluate.evaluate`, which sees the baseline.  In a social
  cost-benefit analysis taxes are transfers; it is shown apart for the budget.

Money a lever marks as the EU budget's (:attr:`~simcrm.levers.base.Lever.eu_funds`,
EU co-funding) is booked as a receipt of the Dutch treasury, so ``budget_cash`` is the
Dutch treasury's; ``budget_cash_eu`` [MEUR/yr] and ``budget_cash_eu_pv`` [MEUR] show
the EU's part apart.

``public_cost_net`` = budget cash (PV) − fiscal return: the net effect on the public
purse, both at the public discount rate.
"""

from __future__ import annotations

import numpy as np

from simcrm import levers
from simcrm.kernels.finance import discount_factors
from simcrm.kernels.finance import present_value as pv
from simcrm.levers.base import AidTerms

FILLED_BY_EVALUATE = ("fiscal_return", "public_cost_net")
"""Metrics that need the baseline's draws: NaN until :func:`fiscal_return` fills them."""


def _total(flows: dict, shape: tuple) -> np.ndarray:
    """The sum of the lines ``flows`` (from an array of zeros, so a sum of -0.0 is 0.0)
    [MEUR/yr]."""
    out = np.zeros(shape)
    for v in flows.values():
        out += v
    return out


def _pv_total(flows: dict, dfac: np.ndarray, shape: tuple) -> np.ndarray:
    """``pv(_total(flows), dfac)``; zeros without a line (a present value of zeros)."""
    return pv(_total(flows, shape), dfac) if flows else np.zeros(shape[0])


def eu_cash(gov: dict, receipts: dict, shape: tuple) -> np.ndarray:
    """Budget cash paid from the EU budget (levers with ``eu_funds``) [MEUR/yr]."""
    return _total(_eu_lines(gov, receipts), shape)


def _eu_lines(gov: dict, receipts: dict) -> dict:
    """Receipts - outlays of the levers paid from the EU budget (``eu_funds``) [MEUR/yr]."""
    return {k: receipts.get(k, 0.0) - gov.get(k, 0.0) for k in set(gov) | set(receipts)
            if getattr(levers.LEVERS.get(k), "eu_funds", False)}


def public_metrics(ctx, gov: dict, receipts: dict, aid: dict, tax: np.ndarray,
                   capex: np.ndarray, contingent, tax_levers: tuple = ()) -> dict:
    """Budget cash, grant equivalent, aid intensity, tax paid and contingent cost per draw.

    Parameters
    ----------
    ctx : simcrm.model.business_case.Context
    gov, receipts, aid : dict
        Lever name -> outlays, receipts and state-aid transfers, shape (draw, year)
        [MEUR/yr].
    tax : ndarray, shape (draw, year)
        The plant's tax line (negative: paid) [MEUR/yr].
    capex : ndarray, shape (draw, year)
        The plant's capex line (negative) [MEUR/yr]: the eligible cost.
    contingent : ndarray or None
        Clean-up paid by the state after the sponsor walked away [MEUR/yr].
    tax_levers : tuple of str
        Levers whose outlay is tax forgone (a deduction): ``tax_paid_pv`` counts the tax
        before them, so that the fiscal return does not count the forgone tax a second
        time (it is in the budget cash already).

    Returns
    -------
    dict of ndarray, shape (draw,)
        ``budget_cash_pv``, ``budget_cash_eu_pv``, ``gross_grant_equivalent``,
        ``eligible_cost_pv``, ``aid_intensity`` (NaN where nothing eligible is spent),
        ``tax_paid_pv`` (before deductions granted as aid),
        ``public_contingent_cost`` [MEUR or 1]; ``fiscal_return`` and
        ``public_cost_net`` NaN (:data:`FILLED_BY_EVALUATE`).
    """
    n, T = tax.shape
    gdf = discount_factors(float(ctx.inputs["finance.public_discount_rate"]), T)
    edf = discount_factors(AidTerms.from_settings(ctx.settings).discount_rate, T)
    if receipts:
        cash = _total(gov, (n, T)) - _total(receipts, (n, T))
    else:  # x - 0.0 is x
        cash = _total(gov, (n, T))
    # a lever whose terms favour the state over its life (a purchase below market, a
    # loan above the reference rate) is no aid: its grant equivalent is zero, not negative
    gge = np.zeros(n)
    for v in aid.values():
        gge = gge + np.maximum(pv(v, edf), 0.0)
    eligible = pv(-capex, edf)
    with np.errstate(divide="ignore", invalid="ignore"):
        intensity = np.where(eligible > 0, gge / eligible, np.nan)
    return {
        "budget_cash_pv": pv(cash, gdf) if gov or receipts else np.zeros(n),
        "budget_cash_eu_pv": _pv_total(_eu_lines(gov, receipts), gdf, (n, T)),
        "gross_grant_equivalent": gge,
        "eligible_cost_pv": eligible,
        "aid_intensity": intensity,
        "tax_paid_pv": pv(-tax + _total({k: gov[k] for k in tax_levers if k in gov}, (n, T)),
                          gdf),
        "public_contingent_cost": np.zeros(n) if contingent is None else pv(contingent, gdf),
        **{k: np.full(n, np.nan) for k in FILLED_BY_EVALUATE},
    }


def budget_cash(gov: dict, receipts: dict, shape: tuple) -> np.ndarray:
    """Budget cash of all levers, outlays − receipts, shape (draw, year) [MEUR/yr]."""
    return _total(gov, shape) - _total(receipts, shape)


def public_lines(gov: dict, receipts: dict, aid: dict, contingent, shape: tuple) -> dict:
    """The yearly public lines of the audit trail [MEUR/yr].

    ``budget_cash_<lever>`` (outlays − receipts) and ``aid_<lever>`` for every lever
    that books public money (zeros for the others), then the totals ``gov_outlays``,
    ``gov_receipts``, ``budget_cash``, ``budget_cash_eu``, ``aid`` and ``gov_contingent``.
    """
    zeros = np.zeros(shape)
    out = {}
    for k in (k.removeprefix("gov_") for k in levers.gov_lines()):
        out[f"budget_cash_{k}"] = gov.get(k, zeros) - receipts.get(k, zeros)
        out[f"aid_{k}"] = aid.get(k, zeros)
    out["gov_outlays"] = _total(gov, shape)
    out["gov_receipts"] = _total(receipts, shape)
    out["budget_cash"] = out["gov_outlays"] - out["gov_receipts"]
    out["budget_cash_eu"] = eu_cash(gov, receipts, shape)
    out["aid"] = _total(aid, shape)
    out["gov_contingent"] = zeros if contingent is None else contingent
    return out


def changed(built: np.ndarray, first: np.ndarray, built_base: np.ndarray,
            first_base: np.ndarray) -> np.ndarray:
    """Draws where the option changes what happens: the plant is built where the
    baseline's is not (or the reverse), or both are built with a different date of
    first production [bool], shape (draw,)."""
    b, b0 = built > 0, built_base > 0
    with np.errstate(invalid="ignore"):
        moved = b & b0 & (first != first_base)
    return (b != b0) | moved


def fiscal_return(metrics: dict, base: dict) -> dict:
    """``fiscal_return`` and ``public_cost_net`` of an option against the baseline.

    Parameters
    ----------
    metrics, base : dict of ndarray, shape (draw,)
        The option's and the baseline's metrics (``built``, ``first_production``,
        ``tax_paid_pv``, ``budget_cash_pv``), same draws.

    Returns
    -------
    dict of ndarray
        ``fiscal_return`` = tax paid over the baseline's in the draws the option changes
        (:func:`changed`), else 0 [MEUR]; ``public_cost_net`` = budget cash − fiscal
        return [MEUR].
    """
    ch = changed(metrics["built"], metrics["first_production"], base["built"],
                 base["first_production"])
    fr = np.where(ch, metrics["tax_paid_pv"] - base["tax_paid_pv"], 0.0)
    return {"fiscal_return": fr, "public_cost_net": metrics["budget_cash_pv"] - fr}
