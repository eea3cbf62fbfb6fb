"""Flexible grid contract: an earlier, non-firm grid connection with curtailment hours.

Dutch grid priority rules do not rank industry first: the ACM prioritisation framework
(Stcrt 2024-12928) was annulled by the CBb on 11 March 2025 (ECLI:NL:CBB:2025:145) and
its successor (Stcrt 2025-42323, from 1 January 2026) names congestion relievers,
safety and basic needs, not industry.  The practical route for a plant in a congested
area is a non-firm (flexible) connection: it comes sooner (``cap_months`` caps the grid
wait, like the grid-priority lever; with both, the tighter cap holds), but the grid
operator may curtail the plant's power use for ``curtailment_hours`` a year.

The plant cannot make up curtailed output (it runs continuously): in the years covered
it loses that share of the year's output and of its margin over the variable costs
(feedstock, electricity, gas, carbon, reagents), never a negative margin (a plant with
one idles anyway).  The contract costs the state nothing.  Delivery metrics (tonnes by
the deadline) do not see the curtailed tonnes: the plant line carries the loss.
"""

from __future__ import annotations

import numpy as np

from simcrm.levers.base import Booking, Lever, covered_production, param
from simcrm.spec.registry import REQUIRED

HOURS_PER_YEAR = 8760.0


def curtailment(s: dict, covered_t, price, plant) -> Booking:
    """The margin lost to curtailment [MEUR/yr] (negative: to the plant).

    Parameters
    ----------
    s : dict
        The lever's settings.
    covered_t : ndarray, shape (draw, year)
        Tonnes produced in the years with curtailment [t/yr].
    price : ndarray, shape (draw, year)
        Product price [EUR/t].
    plant : Plant
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(plant.production > 0, covered_t / plant.production, 0.0)
    variable = plant.reagents - sum(plant.lines[k] for k in
                                    ("feedstock", "electricity", "gas", "carbon"))
    margin = price * plant.production / 1e6 - variable
    lost = s["curtailment_hours"] / HOURS_PER_YEAR * np.maximum(margin, 0.0) * share
    return Booking(-lost, np.zeros_like(lost), None, np.zeros_like(lost))


class FlexibleGridContract(Lever):
    """Moves the schedule (an earlier connection) and costs output (curtailment)."""

    def schedule(self, s):
        return {"grid_cap_months": s["cap_months"]}

    def price_basis(self, s, plant):
        years = np.inf if s["years"] is None else s["years"]
        return covered_production(plant.s, plant.life, plant.ramp, years, plant.cap_t, plant.T)

    def price_line(self, s, basis, price, plant):
        return curtailment(s, basis, price, plant)


LEVER = FlexibleGridContract(
    name="flexible_grid_contract", order=85, stage="schedule",
    label_en="Flexible grid contract", label_nl="Flexibel netcontract",
    description="A non-firm grid connection: the grid wait is capped, but the grid operator "
                "may curtail the plant for some hours a year (lost output and margin). No "
                "public money.",
    params=(
        param("flexible_grid_contract.cap_months", "float", "months", REQUIRED,
              "Maximum wait for the non-firm grid connection.", lo=0, hi=360),
        param("flexible_grid_contract.curtailment_hours", "float", "h/yr", REQUIRED,
              "Hours a year the grid operator may curtail the plant.", lo=0,
              hi=HOURS_PER_YEAR),
        param("flexible_grid_contract.years", "float", "years", None,
              "Years from first production with curtailment (until the grid is reinforced; "
              "default: the whole life).", lo=0, hi=100),
    ),
    setting_labels={
        "cap_months": ("Flexible grid wait cap", "Maximale wachttijd flexibel net"),
        "curtailment_hours": ("Curtailment hours", "Uren afschakeling"),
    },
    line="curtailment", line_description="Margin lost to grid curtailment (flexible contract)",
)
