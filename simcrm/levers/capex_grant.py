"""Capex grant: a share of the investment paid by the state during construction."""

from __future__ import annotations

import numpy as np

from simcrm.levers.base import Booking, Lever, param, window, window_params
from simcrm.spec.registry import REQUIRED


def capex_grant(s: dict, capex_final, spend_share, calendar, esc) -> Booking:
    """Grant of ``share`` × capex (capped), paid pro rata with construction spending.

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

    Returns
    -------
    Booking
        The grant received [MEUR/yr], the same as the state's outlay.
    """
    total = s["share"] * capex_final
    if s["cap_meur"] is not None:
        total = np.minimum(total, s["cap_meur"])
    paid = total[:, None] * spend_share * window(s, calendar)
    return Booking(paid, paid)


class CapexGrant(Lever):
    """Grant towards the investment; taxed or deducted from the depreciation base."""

    def validate(self, settings: dict) -> list[tuple[str, str]]:
        out = []
        if settings.get("taxable") is True and settings.get("reduces_depreciation_base") is True:
            out.append(("taxable", "a grant is either taxed or deducted from the depreciation "
                        "base, not both: set reduces_depreciation_base = false"))
        return out + super().validate(settings)

    def capex(self, s, plant):
        return capex_grant(s, plant.capex_final, plant.spend_share * plant.esc, plant.calendar,
                           plant.esc)

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
        *window_params("capex_grant"),
    ),
    setting_labels={
        "share": ("Capex grant", "Investeringssubsidie"),
        "cap_meur": ("Capex grant cap", "Maximum investeringssubsidie"),
    },
    line="capex_grant", line_description="Capex grant received",
    gov_description="Capex grant paid",
)
