"""Investment deduction: an extra tax deduction on the capex (like the Dutch EIA)."""

from __future__ import annotations

from simcrm.levers.base import Lever, param
from simcrm.spec.registry import REQUIRED
from simcrm.spec.wording import NL, Reason, pct


class InvestmentDeduction(Lever):
    """A tax deduction; the model books the tax forgone as the state's outlay."""

    def deduction(self, s, plant):
        return s["share"] * s["listed_share"] * plant.capex_spend

    def state_aid(self, s, limits, inputs):
        top = limits["investment_deduction_max_share"]
        if s["share"] > top:
            return [Reason(f"investment deduction of {s['share']:.0%} is above the {top:.0%} "
                           "the energy investment deduction (EIA) allows on listed assets",
                           f"de investeringsaftrek van {pct(s['share'], NL)} ligt boven de "
                           f"{pct(top, NL)} die de energie-investeringsaftrek (EIA) toestaat "
                           "op bedrijfsmiddelen van de Energielijst")]
        return []


LEVER = InvestmentDeduction(
    name="investment_deduction", order=100, stage="tax",
    intensity="share",
    label_en="Investment deduction", label_nl="Investeringsaftrek",
    description="An extra deduction of part of the capex from the taxable profit.",
    params=(
        param("investment_deduction.share", "float", "1", REQUIRED,
              "Extra tax deduction as a share of the capex, taken in the years the capex is "
              "spent (like the Dutch EIA); unused deductions are carried forward as losses.",
              lo=0, hi=2),
        param("investment_deduction.listed_share", "float", "1", 1.0,
              "Share of the capex on the list of eligible assets (the Dutch Energielijst); "
              "the deduction applies to that share only.", lo=0, hi=1,
              source="assumption: all capex eligible unless the scenario says otherwise; a "
                     "critical-raw-materials plant has few listed assets"),
    ),
    setting_labels={"share": ("Investment deduction", "Investeringsaftrek")},
    gov_description="Tax forgone through the investment deduction",
)
