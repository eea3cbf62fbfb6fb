"""Public equity: the state takes a share of the sponsor's equity, with the upside.

As Germany's raw-materials fund (KfW) did with EUR 150 M in Vulcan and the US DoD with
US$ 400 M in MP Materials, the state buys ``share`` of the equity at the investment
decision and from then on bears that share of every equity contribution and receives
that share of every distribution, until it sells the stake back to the sponsor
``exit_years`` after first production at its fair value: the state's share of the
equity cash flows after the exit, discounted to the exit year at the investor's rate
(never below zero: shareholders' liability is limited).  The investor's NPV and IRR are
then the sponsor's, on the sponsor's share.

A stake taken on the terms a private investor would accept (pari passu, at fair value)
is no state aid (the market-economy-operator principle); paying ``entry_premium`` above
fair value on the contributions is, and is the lever's aid.
"""

from __future__ import annotations

import numpy as np

from simcrm.levers.base import Booking, Lever, param
from simcrm.spec.registry import REQUIRED


def public_equity(s: dict, ncf, c0, first, dfac) -> Booking:
    """The state's stake in the sponsor's equity cash flow.

    Parameters
    ----------
    s : dict
        The lever's settings.
    ncf : ndarray, shape (draw, year)
        The sponsor's equity cash flow without the stake [MEUR/yr].
    c0, first : ndarray, shape (draw,)
        Investment decision and first production [years from the valuation year's start].
    dfac : ndarray, shape (draw, year) or (year,)
        Discount factors at the investor's rate [1].

    Returns
    -------
    Booking
        The change of the sponsor's cash flow (its share given up, the entry premium
        received, the buy-back paid) [MEUR/yr]; outlays: contributions at the entry
        price; receipts: distributions and the exit proceeds; aid: the entry premium.
    """
    n, T = ncf.shape
    years = np.arange(T)
    held = years >= np.floor(c0)[:, None]
    sale = np.zeros((n, T))
    if s["exit_years"] is not None:
        at = np.clip(np.floor(first) + int(round(s["exit_years"])), 0, T - 1).astype(int)
        held &= years <= at[:, None]
        d = np.broadcast_to(dfac, (n, T))
        rows = np.arange(n)
        after = (ncf * d * (years > at[:, None])).sum(axis=1) / d[rows, at]
        sale[rows, at] = np.maximum(s["share"] * after, 0.0)
    contributions = s["share"] * np.maximum(-ncf, 0.0) * held
    premium = s["entry_premium"] * contributions
    distributions = s["share"] * np.maximum(ncf, 0.0) * held
    plant = contributions + premium - distributions - sale
    return Booking(plant, contributions + premium, distributions + sale, premium)


class PublicEquity(Lever):
    """Financing: a stake in the sponsor's equity cash flow, acting once it is known."""

    def equity(self, s, view):
        p = view.plant
        return public_equity(s, view.ncf, p.c0, p.s, p.dfac)


LEVER = PublicEquity(
    name="public_equity", order=110, stage="financing",
    label_en="Public equity", label_nl="Publiek aandelenbelang",
    description="A public stake in the sponsor's equity from the investment decision: "
                "contributions and distributions pro rata, sold back at fair value after "
                "exit_years. Budget cash: contributions less distributions and exit "
                "proceeds; aid: the entry premium above fair value only.",
    params=(
        param("public_equity.share", "float", "1", REQUIRED,
              "Share of the sponsor's equity the state takes (KfW's EUR 150 M in Vulcan; "
              "the US DoD's US$ 400 M in MP Materials).", lo=0, hi=0.99),
        param("public_equity.entry_premium", "float", "1", 0.0,
              "Price the state pays above fair value, as a share of its contributions "
              "(0: pari passu, no aid).", lo=0, hi=10,
              source="market-economy-operator principle: a stake on the terms of a private "
                     "investor (pari passu) is no state aid (Commission notice on the notion "
                     "of State aid, 2016/C 262/01, section 4.2, https://eur-lex.europa.eu/"
                     "legal-content/EN/TXT/?uri=CELEX:52016XC0719(05))"),
        param("public_equity.exit_years", "float", "years", 10.0,
              "Years after first production at which the sponsor buys the stake back at "
              "fair value (beyond the horizon: the state holds the stake to its end).",
              lo=0, hi=100,
              source="assumption: a public fund exits once the plant has run a decade"),
    ),
    setting_labels={
        "share": ("Public equity stake", "Publiek aandelenbelang"),
        "entry_premium": ("Equity entry premium", "Opslag bij instap"),
    },
    line="public_equity",
    line_description="Public equity: the state's share of contributions and distributions, "
                     "entry premium and buy-back",
    gov_description="Public equity: contributions less distributions and exit proceeds",
)
