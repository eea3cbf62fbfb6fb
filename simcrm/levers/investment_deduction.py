"""Investment deduction: an extra tax deduction on the capex (like the Dutch EIA)."""

from __future__ import annotations

from simcrm.levers.base import Lever, param
from simcrm.spec.registry import REQUIRED


class InvestmentDeduction(Lever):
    """A tax deduction; the model books the tax forgone as the state's outlay."""

    def deduction(self, s, plant):
        return s["share"] * plant.capex_spend


LEVER = InvestmentDeduction(
    name="investment_deduction", order=100, stage="tax",
    label_en="Investment deduction", label_nl="Investeringsaftrek",
    description="An extra deduction of part of the capex from the taxable profit.",
    params=(
        param("investment_deduction.share", "float", "1", REQUIRED,
              "Extra tax deduction as a share of the capex, taken in the years the capex is "
              "spent (like the Dutch EIA); unused deductions are carried forward as losses.",
              lo=0, hi=2),
    ),
    setting_labels={"share": ("Investment deduction", "Investeringsaftrek")},
    gov_description="Tax forgone through the investment deduction",
)
