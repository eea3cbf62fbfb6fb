"""Project finance: senior debt, public loans, fees and the state's default losses.

The option's levers shape the debt through the hooks of
:class:`simcrm.levers.base.Lever`: :meth:`~simcrm.levers.base.Lever.debt_terms`
(senior share and rate), :meth:`~simcrm.levers.base.Lever.public_debt` (loans of the
state), :meth:`~simcrm.levers.base.Lever.fee` and, once the cash flows are known,
:meth:`~simcrm.levers.base.Lever.default_loss`.

With ``finance.debt_sizing = "gearing"`` debt is a share of the final capex, drawn
with the spending and repaid as an annuity from the first production year (after the
grace years; :func:`simcrm.kernels.finance.annuity_debt`).  With ``"dscr"`` it is sized
as a bank would (:func:`bank_loan`): on the sizing case's cash flow available for debt
service at the target cover ratio, capped by the gearing of the capex estimate, so an
overrun is the sponsor's; a reserve account covers bad years and the loan defaults in
the first year it cannot be served (:class:`DefaultRisk`).  Amounts are positive MEUR
per year; interest and principal are paid by the plant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from simcrm.kernels.finance import annuity_debt, reserve_account, sculpted_debt
from simcrm.model.plant import Plant, arr

FINANCING_LINES = {
    "debt_drawdown": "Senior and public loans drawn",
    "interest": "Interest paid on senior and public loans",
    "principal": "Loan principal repaid",
    "debt_reserve": "Debt service reserve account: filled (−), drawn or released (+)",
}
"""Plant lines of the debt, in the order of the audit trail."""


@dataclass
class DebtTerms:
    """The senior debt's terms, changed in place by the levers.

    Attributes
    ----------
    gearing : ndarray, shape (draw,)
        Share of the capex financed with senior debt [1].
    rate : ndarray, shape (draw,)
        Senior interest rate [1/yr].
    public_share : float
        Share of the capex lent by the state [1].
    changed : bool
        Whether a lever changed the terms (else the scenario's own senior debt is reused).
    """

    gearing: np.ndarray
    rate: np.ndarray
    public_share: float = 0.0
    changed: bool = False


@dataclass
class Loan:
    """A loan's schedule, each shaped (draw, year) [MEUR/yr; balance in MEUR]."""

    draw: np.ndarray
    interest: np.ndarray
    principal: np.ndarray
    balance: np.ndarray


@dataclass
class Financing:
    """The debt of one option.

    Attributes
    ----------
    senior, public : Loan
        The senior debt and the sum of the public loans.
    loans : dict of Loan
        Public loans by lever name.
    has_senior : bool
        Whether any draw has senior debt.
    reference_rate : ndarray, shape (draw,)
        The scenario's senior rate, before any lever [1/yr].
    tenor : float
        Repayment period of the senior debt [years].
    fees : dict of ndarray
        Fees paid to the state by lever name, ≥ 0 [MEUR/yr].
    fee : ndarray, shape (draw, year)
        All fees [MEUR/yr].
    """

    senior: Loan
    public: Loan
    loans: dict
    has_senior: bool
    reference_rate: np.ndarray
    tenor: float
    fees: dict = field(default_factory=dict)
    fee: np.ndarray | None = None
    dsra_years: float | None = None
    """Reserve account target [years of debt service] when the debt is sized as a bank
    would, else None (no reserve; default judged over the life)."""


def financing(inputs: dict, plant: Plant, active: list,
              sizing: np.ndarray | None = None) -> Financing:
    """The debt of an option: senior debt as changed by the levers, public loans, fees.

    Parameters
    ----------
    inputs : dict
        The world's inputs by dotted key.
    plant : Plant
    active : list of (Lever, dict)
        The option's levers with their settings, in the fixed lever order.
    sizing : ndarray, shape (draw, year), optional
        The sizing case's cash flow available for debt service [MEUR/yr], for
        ``finance.debt_sizing = "dscr"``.

    Returns
    -------
    Financing
    """
    n = plant.n
    terms = DebtTerms(arr(inputs["finance.debt_gearing"], n), arr(inputs["finance.debt_rate"], n))
    for lev, s in active:
        lev.debt_terms(s, terms)
    loans = {}
    for lev, s in active:
        loan = lev.public_debt(s, terms, plant)
        if loan is not None:
            loans[lev.name] = loan
    gearing = np.minimum(terms.gearing, 1.0 - terms.public_share)
    tenor = float(inputs["finance.debt_tenor_years"])
    has_senior = bool(np.any(gearing > 0))
    bank = inputs.get("finance.debt_sizing") == "dscr"
    grace = int(round(float(inputs.get("finance.debt_grace_years", 0.0))))
    if bank and has_senior:
        senior = bank_loan(inputs, gearing, terms.rate, tenor, grace, plant, sizing)
    else:
        senior = _senior(gearing, has_senior, terms, tenor, plant, grace)
    fin = Financing(senior, _sum_loans(list(loans.values()), plant), loans, has_senior,
                    arr(inputs["finance.debt_rate"], n), tenor,
                    dsra_years=float(inputs["finance.dsra_years"]) if bank else None)
    for lev, s in active:
        f = lev.fee(s, fin)
        if f is not None:
            fin.fees[lev.name] = f
            fin.fee = f if fin.fee is None else fin.fee + f
    if fin.fee is None:
        fin.fee = plant.zeros
    return fin


def _senior(gearing, has_senior: bool, terms: DebtTerms, tenor: float, plant: Plant,
            grace: int = 0) -> Loan:
    """The senior debt: none, on the levers' terms, or the scenario's own (shared by the
    options with this schedule, so computed once)."""
    if not has_senior:
        z = plant.zeros
        return Loan(z, z, z, z)
    if not terms.changed and "senior" in plant.memo:
        return plant.memo["senior"]
    draw = gearing[:, None] * plant.capex_spend
    first = plant.first_prod_year
    if grace:
        first = np.minimum(first + grace, plant.T - 1)
    loan = Loan(draw, *annuity_debt(draw, terms.rate, tenor, first))
    if not terms.changed:
        plant.memo["senior"] = loan
    return loan


def bank_loan(inputs: dict, gearing, rate, tenor: float, grace: int, plant: Plant,
              sizing: np.ndarray) -> Loan:
    """Senior debt sized as a bank would (:func:`simcrm.kernels.finance.sculpted_debt`).

    The most the sizing case's CFADS carries at ``finance.target_dscr`` over the tenor
    (from the first production year plus ``grace``), sculpted or as an annuity sized on
    the year of lowest CFADS, capped at ``gearing`` × the capex estimate (an overrun is
    paid by the sponsor); drawn with the estimate's spending.
    """
    spend = plant.capex_estimate[:, None] * plant.spend_share * plant.esc
    total = spend.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        profile = np.where(total[:, None] > 0, spend / total[:, None], 0.0)
    first = np.minimum(plant.first_prod_year + grace, plant.T - 1)
    years = int(np.ceil(tenor))
    service = sizing / float(inputs["finance.target_dscr"])
    if inputs.get("finance.debt_repayment") == "annuity":
        t = np.arange(plant.T)
        rep = (t >= first[:, None]) & (t < first[:, None] + years)
        low = np.where(rep, service, np.inf).min(axis=1)
        service = np.where(rep, np.maximum(low, 0.0)[:, None], 0.0)
    return Loan(*sculpted_debt(profile, service, rate, gearing * total, first, years))


def _sum_loans(loans: list[Loan], plant: Plant) -> Loan:
    if not loans:
        z = plant.zeros
        return Loan(z, z, z, z)
    total = loans[0]
    for x in loans[1:]:
        total = Loan(total.draw + x.draw, total.interest + x.interest,
                     total.principal + x.principal, total.balance + x.balance)
    return total


def loan_with_grace(share: float, rate, tenor: float, grace_years: float, plant: Plant) -> Loan:
    """A loan of ``share`` × capex, repaid as an annuity after a grace period.

    Parameters
    ----------
    share : float
        Share of the capex lent [1].
    rate : float
        Interest rate [1/yr].
    tenor : float
        Repayment period [years].
    grace_years : float
        Years after first production before repayment starts (rounded) [years].
    plant : Plant

    Returns
    -------
    Loan
    """
    draw = share * plant.capex_spend
    grace = int(round(grace_years))
    return Loan(draw, *annuity_debt(draw, rate, tenor,
                                    np.minimum(plant.first_prod_year + grace, plant.T - 1)))


def completion_year(plant: Plant) -> np.ndarray:
    """Year index of the first whole year after the ramp-up (the lenders' completion
    test); until then the sponsor's completion support pays the debt service shortfall
    and no default is judged, shape (draw,)."""
    return np.minimum(np.ceil(plant.s + plant.ramp).astype(int), plant.T - 1)


def opening_balance(balance: np.ndarray) -> np.ndarray:
    """Balance at the start of each year from the balances at the end [MEUR]."""
    return np.concatenate([np.zeros((balance.shape[0], 1)), balance[:, :-1]], axis=1)


class DefaultRisk:
    """What a default would cost: the shortfall of the cash for debt service.

    The cash available for debt service over the life is compared with the debt
    service due; a shortfall is a default, split between the public loans and the
    senior debt pro rata to their principal, and booked in the year the senior
    debt would be repaid.  With debt sized as a bank would (``fin.dsra_years`` set) the
    default is judged year by year instead: in the first year the reserve account is
    exhausted and CFADS does not cover the debt service
    (:func:`simcrm.kernels.finance.reserve_account`), the loans' balance then is the
    shortfall, booked in that year.  Computed only when a lever asks for it.

    Parameters
    ----------
    fin : Financing
    cfads : ndarray, shape (draw, year)
        Cash flow available for debt service [MEUR/yr].
    plant : Plant
    """

    def __init__(self, fin: Financing, cfads: np.ndarray, plant: Plant):
        self.fin, self.cfads, self.plant = fin, cfads, plant

    @cached_property
    def default_year(self) -> np.ndarray | None:
        """Year index of a default judged year by year (debt sized as a bank would: the
        first year the reserve is exhausted and CFADS < debt service), -1 where none;
        None when the debt is judged over the life."""
        fin = self.fin
        if fin.dsra_years is None:
            return None
        sen, pub = fin.senior, fin.public
        service = sen.interest + sen.principal + pub.interest + pub.principal + fin.fee
        return reserve_account(self.cfads, service, fin.dsra_years,
                               completion_year(self.plant))[1]

    @cached_property
    def short(self) -> np.ndarray:
        """Debt not repaid, ≥ 0, shape (draw,) [MEUR]: over the life, the debt service due
        but not covered; judged year by year, the loans' balance at the start of the
        default year."""
        if self.default_year is not None:
            d = self.default_year
            sen, pub = self.fin.senior, self.fin.public
            opening = opening_balance(sen.balance + pub.balance)
            return np.where(d >= 0, opening[np.arange(d.size), np.maximum(d, 0)], 0.0)
        sen, pub = self.fin.senior, self.fin.public
        service_s = sen.interest + sen.principal
        service_p = pub.interest + pub.principal
        due = (service_s + service_p).sum(axis=1)
        avail = np.maximum(self.cfads, 0.0).sum(axis=1)
        return np.maximum(due - avail, 0.0)

    @cached_property
    def public_fraction(self) -> np.ndarray:
        """Share of the loan principal lent by the state, shape (draw,) [1]."""
        total_pr = self.fin.senior.draw.sum(axis=1) + self.fin.public.draw.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total_pr > 0, self.fin.public.draw.sum(axis=1) / total_pr, 0.0)

    @cached_property
    def at(self) -> np.ndarray:
        """1 in the year a default loss is booked, shape (draw, year) [1]."""
        p = self.plant
        at = np.zeros((p.n, p.T))
        if self.default_year is not None:
            d = self.default_year
            at[np.arange(p.n)[d >= 0], d[d >= 0]] = 1.0
            return at
        when = np.minimum(p.first_prod_year + int(np.ceil(self.fin.tenor)), p.T - 1)
        at[np.arange(p.n), when] = 1.0
        return at
