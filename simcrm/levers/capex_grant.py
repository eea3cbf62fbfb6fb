"""Capex grant: a share of the investment paid by the state during construction."""

from __future__ import annotations

import numpy as np

from simcrm.levers.base import Booking, Lever, param, window, window_params
from simcrm.spec.registry import REQUIRED


def capex_grant(s: dict, capex_final, spend_share, calendar, esc, milestones=None) -> Booking:
    """Grant of ``share`` × capex (capped), paid pro rata with construction spending or
    on milestones.

    Parameters
    ----------
    s : dict
        The lever's settings.
    capex_final : ndarray, shape (draw,)
        Capex including overrun [MEUR].
    spend_share : ndarray, shape (draw, year)
        Share of the capex spent in each year, escalated in nominal terms [1].
    calendar : ndarray, shape (year,)
        Calendar years [year].
    esc : ndarray, shape (year,)
        Price escalation (ones in real terms) [1].
    milestones : ndarray, shape (draw, year), optional
        Share of the grant due in each year with ``payment = "milestones"``
        (:func:`milestone_shares`); None pays with the spending.

    Returns
    -------
    Booking
        The grant received [MEUR/yr], the same as the state's outlay.
    """
    total = s["share"] * capex_final
    if s["cap_meur"] is not None:
        total = np.minimum(total, s["cap_meur"])
    due = spend_share if milestones is None else milestones * esc
    paid = total[:, None] * due * window(s, calendar)
    return Booking(paid, paid)


def milestone_shares(s: dict, c0, s_prod, T: int) -> np.ndarray:
    """Share of the grant due in each year when it is paid on milestones [1].

    ``fid_share`` in the year of the investment decision (financial close, the start of
    construction); the rest in equal parts over the first ``operation_years`` years from
    the year of first production.  Parts due after the horizon (a plant that does not
    produce in time) are never paid.

    Parameters
    ----------
    c0, s_prod : ndarray, shape (draw,)
        Investment decision and first production [years from the valuation year's start].
    T : int
        Years of the horizon.
    """
    years = np.arange(T)
    fid = np.floor(c0)[:, None] == years
    first = np.floor(s_prod)[:, None]
    n_op = max(int(round(s["operation_years"])), 1)
    operating = (years >= first) & (years < first + n_op)
    return s["fid_share"] * fid + (1.0 - s["fid_share"]) / n_op * operating


class CapexGrant(Lever):
    """Grant towards the investment; taxed or deducted from the depreciation base."""

    def validate(self, settings: dict) -> list[tuple[str, str]]:
        out = []
        if settings.get("taxable") is True and settings.get("reduces_depreciation_base") is True:
            out.append(("taxable", "a grant is either taxed or deducted from the depreciation "
                        "base, not both: set reduces_depreciation_base = false"))
        return out + super().validate(settings)

    def capex(self, s, plant):
        due = (milestone_shares(s, plant.c0, plant.s, plant.T)
               if s["payment"] == "milestones" else None)
        return capex_grant(s, plant.capex_final, plant.spend_share * plant.esc, plant.calendar,
                           plant.esc, due)

    def depreciation_base(self, s, base, own):
        return base - own.sum(axis=1) if s["reduces_depreciation_base"] else base

    def taxable_income(self, s, own):
        return own if s["taxable"] else None


LEVER = CapexGrant(
    name="capex_grant", order=10, stage="capex",
    intensity="share",
    label_en="Capex grant", label_nl="Investeringssubsidie",
    description="A share of the capex paid by the state, with the construction spending.",
    params=(
        param("capex_grant.share", "float", "1", REQUIRED,
              "Share of the (final) capex paid as a grant.", lo=0, hi=1),
        param("capex_grant.cap_meur", "float", "MEUR", None, "Maximum grant (default: no cap).",
              lo=0),
        param("capex_grant.reduces_depreciation_base", "bool", "", True,
              "Whether the grant is deducted from the capex that is depreciated for tax."),
        param("capex_grant.taxable", "bool", "", False,
              "Whether the grant is taxed as income in the year received (instead of reducing "
              "the depreciation base)."),
        param("capex_grant.payment", "choice", "", "spending",
              "When the grant is paid: 'spending' (pro rata with the construction spending) "
              "or 'milestones' (fid_share at the investment decision, the rest in equal parts "
              "over the first operation_years years of production, so a plant that produces "
              "late or never receives less).", choices=("spending", "milestones")),
        param("capex_grant.fid_share", "float", "1", 0.4,
              "With payment = 'milestones': share of the grant paid at the investment "
              "decision (financial close).", lo=0, hi=1,
              source="EU Innovation Fund: 40 % of the lump sum at financial close, the rest "
                     "during operation for up to 10 years (https://www.warranthub.it/en/"
                     "services/european-funding/innovation-fund/)"),
        param("capex_grant.operation_years", "float", "years", 3.0,
              "With payment = 'milestones': years of production over which the rest is paid "
              "in equal parts.", lo=1, hi=30,
              source="assumption: shorter than the Innovation Fund's up to 10 years, as a "
                     "capex grant rewards first production, not a decade of output"),
        *window_params("capex_grant"),
    ),
    setting_labels={
        "share": ("Capex grant", "Investeringssubsidie"),
        "cap_meur": ("Capex grant cap", "Maximum investeringssubsidie"),
    },
    line="capex_grant", line_description="Capex grant received",
    gov_description="Capex grant paid",
)
