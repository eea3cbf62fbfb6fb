"""Production subsidy: EUR per tonne produced in the first years of operation."""

from __future__ import annotations

import numpy as np

from simcrm.levers.base import (
    Booking,
    Lever,
    covered_production,
    param,
    window,
    window_params,
)
from simcrm.spec.registry import REQUIRED


def production_subsidy(s: dict, covered_t, calendar, esc) -> Booking:
    """EUR/t on production for the first ``years`` from first production, capped per year.

    Parameters
    ----------
    s : dict
        The lever's settings.
    covered_t : ndarray, shape (draw, year)
        Tonnes produced within the subsidy years [t/yr].
    calendar, esc : ndarray, shape (year,)
        Calendar years [year] and price escalation [1].

    Returns
    -------
    Booking
        Subsidy received [MEUR/yr], the same as the state's outlay.
    """
    pay = s["eur_per_t"] * esc * covered_t / 1e6 * window(s, calendar)
    if s["annual_cap_meur"] is not None:
        pay = np.minimum(pay, s["annual_cap_meur"] * esc)
    return Booking(pay, pay)


class ProductionSubsidy(Lever):
    """Operating support per tonne produced."""

    def operating(self, s, plant):
        cov = covered_production(plant.s, plant.life, plant.ramp, s["years"], plant.cap_t,
                                 plant.T)
        return production_subsidy(s, cov, plant.calendar, plant.esc)


LEVER = ProductionSubsidy(
    name="production_subsidy", order=20, stage="operating",
    intensity="eur_per_t",
    label_en="Production subsidy", label_nl="Productiesubsidie",
    description="A subsidy per tonne produced in the first years of operation.",
    params=(
        param("production_subsidy.eur_per_t", "float", "EUR/t", REQUIRED,
              "Subsidy per tonne of product sold.", lo=0),
        param("production_subsidy.years", "float", "years", 10.0,
              "Years of subsidy counted from first production.", lo=0, hi=100,
              source="assumption"),
        param("production_subsidy.annual_cap_meur", "float", "MEUR/yr", None,
              "Maximum subsidy per year (default: no cap).", lo=0),
        param("production_subsidy.taxable", "bool", "", True,
              "Whether the subsidy counts as taxable profit. Dutch corporate tax taxes an "
              "operating subsidy as income (default); a production tax credit such as the US "
              "IRA section 45X is not taxed (false).",
              source="Dutch corporate tax: operating subsidies are part of the taxable "
                     "profit (Wet Vpb 1969 art. 8 with Wet IB 2001 art. 3.8, total profit)"),
        *window_params("production_subsidy"),
    ),
    setting_labels={
        "eur_per_t": ("Production subsidy", "Productiesubsidie"),
        "years": ("Production subsidy duration", "Duur productiesubsidie"),
    },
    line="production_subsidy", line_description="Production subsidy received",
    gov_description="Production subsidy paid",
)
