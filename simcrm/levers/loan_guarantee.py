"""Loan guarantee: the state covers part of the senior debt's losses for a fee."""

from __future__ import annotations

import numpy as np

from simcrm.levers.base import Booking, Lever, param
from simcrm.model.financing import opening_balance


class LoanGuarantee(Lever):
    """Financing: a cheaper (and possibly larger) senior debt; a fee; the default loss."""

    def debt_terms(self, s, terms):
        if s["gearing"] is not None:
            terms.gearing = np.full(terms.gearing.shape[0], float(s["gearing"]))
        terms.rate = np.maximum(terms.rate - s["spread_reduction"], 0.0)
        terms.changed = True

    def fee(self, s, fin):
        if not fin.has_senior:
            return None
        return s["fee"] * opening_balance(fin.senior.balance)

    def public_flows(self, s, risk, terms):
        """Budget cash: the calls on the guarantee after a default (the fee comes back
        through :meth:`fee`).  Aid: the market-conform premium on the guaranteed part of
        the debt less the fee charged."""
        if not risk.fin.has_senior:
            return None
        loss = s["cover_share"] * (1 - s["recovery_rate"]) * np.minimum(
            risk.short * (1 - risk.public_fraction), risk.fin.senior.draw.sum(axis=1))
        shortfall = max(terms.guarantee_premium * float(s["cover_share"]) - float(s["fee"]),
                        0.0)
        aid = shortfall * opening_balance(risk.fin.senior.balance)
        return Booking(None, loss[:, None] * risk.at, None, aid)


LEVER = LoanGuarantee(
    name="loan_guarantee", order=60, stage="financing",
    # no intensity for the funding gap: what the plant gains (the spread reduction) is the
    # lenders' answer to the guarantee, not an amount the state sets, and the cover share
    # changes only who bears a default, not the plant's cash flow
    intensity=None,
    label_en="Loan guarantee", label_nl="Garantie op lening",
    description="A state guarantee on the senior debt: a lower rate (and possibly more debt) "
                "for a fee; the state books the expected loss it covers.",
    params=(
        param("loan_guarantee.spread_reduction", "float", "1/yr", 0.015,
              "Reduction of the senior debt rate thanks to the guarantee.", lo=0, hi=1,
              source="assumption"),
        param("loan_guarantee.gearing", "float", "1", None,
              "Debt share allowed with the guarantee (default: the scenario's gearing).",
              lo=0, hi=0.95),
        param("loan_guarantee.cover_share", "float", "1", 0.8,
              "Share of a debt loss the state covers.", lo=0, hi=1, source="assumption"),
        param("loan_guarantee.fee", "float", "1/yr", 0.005,
              "Guarantee fee paid by the plant on the outstanding guaranteed debt.", lo=0, hi=1,
              source="assumption"),
        param("loan_guarantee.recovery_rate", "float", "1", 0.4,
              "Share of an unpaid balance recovered after a default.", lo=0, hi=1,
              source="assumption"),
    ),
    setting_labels={
        "gearing": ("Guaranteed debt share", "Gegarandeerd aandeel schuld"),
        "spread_reduction": ("Guarantee rate cut", "Renteverlaging door garantie"),
    },
    line="guarantee_fee", line_description="Guarantee fee paid to the state",
    gov_description="Loan guarantee: calls after a default less fees",
)
