"""EU co-funding: part of the option's public money comes from an EU instrument.

The EU Innovation Fund (grants of up to 60 % of relevant costs, paid in lump sums on
milestones) and RESourceEU (EUR 3 bn for critical raw materials) fund projects next to
the member state.  ``share`` of the budget cash of the co-funded levers — the grants
towards the investment (``scope = "capex"``) or every lever of the option
(``scope = "all"``) — is then paid from the EU budget: it is booked as this lever's
receipt (money the Dutch treasury does not pay), so ``budget_cash`` stays the Dutch
treasury's and ``budget_cash_eu`` shows the EU's part.  The aid is unchanged: EU funds
count towards the cumulated aid of the project like the state's own, and are already
counted in the co-funded levers.
"""

from __future__ import annotations

import numpy as np

from simcrm.levers.base import Booking, Lever, param
from simcrm.spec.registry import REQUIRED


def eu_share(s: dict, budget: list) -> Booking:
    """The EU's share of the co-funded levers' budget cash.

    Parameters
    ----------
    s : dict
        The lever's settings.
    budget : list of (Lever, ndarray)
        The option's other levers with their budget cash, shape (draw, year) [MEUR/yr].

    Returns
    -------
    Booking
        Receipts: what the EU pays; outlays: what it takes back of the levers' receipts
        [MEUR/yr]; no plant line, no aid.
    """
    eu = None
    for lev, cash in budget:
        if s["scope"] == "all" or lev.stage == s["scope"]:
            eu = cash if eu is None else eu + cash
    if eu is None:
        return None
    eu = s["share"] * eu
    return Booking(None, np.maximum(-eu, 0.0), np.maximum(eu, 0.0), np.zeros_like(eu))


class EuCofunding(Lever):
    """An accounting split of the option's public money between two budgets."""

    def cofunding(self, s, budget):
        return eu_share(s, budget)


LEVER = EuCofunding(
    name="eu_cofunding", order=120, stage="financing",
    label_en="EU co-funding", label_nl="EU-cofinanciering",
    description="A share of the option's public money paid from the EU budget (Innovation "
                "Fund, RESourceEU); budget cash stays the Dutch treasury's and budget_cash_eu "
                "is reported apart.",
    params=(
        param("eu_cofunding.share", "float", "1", REQUIRED,
              "Share of the co-funded levers' budget cash paid from the EU budget.", lo=0,
              hi=1),
        param("eu_cofunding.scope", "choice", "", "capex",
              "Which levers the EU co-funds: 'capex' (the grants towards the investment) or "
              "'all' (every lever of the option).", choices=("capex", "all")),
    ),
    setting_labels={"share": ("EU share of the support", "EU-aandeel in de steun")},
    gov_description="EU co-funding: the EU budget's share of the option's budget cash "
                    "(negative: paid by the EU)",
    eu_funds=True,
)
