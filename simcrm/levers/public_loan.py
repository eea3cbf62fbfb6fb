"""Public loan: the state lends part of the capex at a concessional rate."""

from __future__ import annotations

import numpy as np

from simcrm.levers.base import Booking, Lever, param
from simcrm.model.financing import loan_with_grace, opening_balance
from simcrm.spec.registry import REQUIRED


class PublicLoan(Lever):
    """Financing: a loan of the state; it books the interest subsidy and the default loss."""

    def public_debt(self, s, terms, plant):
        share = float(s["share"])
        if s["replaces_senior_debt"]:
            # the public loan takes the place of senior debt first, equity after that
            terms.gearing = np.maximum(terms.gearing - share, 0.0)
        terms.public_share = terms.public_share + share
        terms.changed = True
        return loan_with_grace(share, s["rate"], s["tenor_years"], s["grace_years"], plant)

    def public_flows(self, s, risk, terms):
        """Budget cash: the disbursements out, interest and principal back, less what is
        lost after a default (booked as a write-off in the year the loss is known).
        Aid: the interest below the EU reference rate on the outstanding balance."""
        loan = risk.fin.loans[self.name]
        loss = (1 - s["recovery_rate"]) * np.minimum(risk.short * risk.public_fraction,
                                                     loan.draw.sum(axis=1))
        aid = max(terms.reference_rate - float(s["rate"]), 0.0) * opening_balance(loan.balance)
        return Booking(None, loan.draw + loss[:, None] * risk.at,
                       loan.interest + loan.principal, aid)


LEVER = PublicLoan(
    name="public_loan", order=50, stage="financing",
    intensity="share",
    label_en="Public loan", label_nl="Overheidslening",
    description="A loan of the state for part of the capex. Budget cash: disbursements "
                "less interest and repayments, plus write-offs after a default; aid: the "
                "interest below the EU reference rate.",
    params=(
        param("public_loan.share", "float", "1", REQUIRED,
              "Share of the capex lent by the state.", lo=0, hi=1),
        param("public_loan.rate", "float", "1/yr", 0.02, "Interest rate of the public loan.",
              lo=0, hi=1, source="assumption: a concessional real rate"),
        param("public_loan.tenor_years", "float", "years", 15.0, "Repayment period (annuity).",
              lo=1, hi=50, source="assumption"),
        param("public_loan.grace_years", "float", "years", 2.0,
              "Years after first production before repayment starts (interest is paid).",
              lo=0, hi=30, source="assumption"),
        param("public_loan.replaces_senior_debt", "bool", "", True,
              "Whether the public loan replaces senior debt first (true) or comes on top of "
              "the scenario's senior debt, replacing equity (false)."),
        param("public_loan.recovery_rate", "float", "1", 0.4,
              "Share of an unpaid balance the state recovers after a default.", lo=0, hi=1,
              source="assumption: senior unsecured recovery of about 40 %"),
    ),
    setting_labels={
        "share": ("Public loan", "Overheidslening"),
        "rate": ("Public loan rate", "Rente overheidslening"),
    },
    gov_description="Public loan: disbursements and write-offs less interest and repayments",
)
