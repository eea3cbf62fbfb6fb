"""Energy relief: a lower power price, a grid-tariff discount and indirect-cost compensation."""

from __future__ import annotations

import numpy as np

from simcrm.levers.base import Booking, Lever, param, window, window_params


def energy_relief(s: dict, mwh, power_price, grid_tariff, carbon_price, calendar,
                  esc) -> Booking:
    """Lower power price, grid-tariff discount and indirect-carbon-cost compensation.

    Parameters
    ----------
    s : dict
        The lever's settings.
    mwh : ndarray, shape (draw, year)
        Electricity used [MWh/yr].
    power_price, carbon_price : ndarray, shape (draw, year)
        [EUR/MWh], [EUR/t].
    grid_tariff : ndarray, shape (draw, year)
        Grid tariff paid [EUR/MWh].
    calendar, esc : ndarray, shape (year,)
        Calendar years [year] and price escalation [1].

    Returns
    -------
    Booking
        Relief received [MEUR/yr], the same as the state's outlay.
    """
    per_mwh = (np.minimum(s["power_price_reduction"] * esc, power_price)
               + s["grid_tariff_discount"] * grid_tariff
               + s["indirect_cost_share"] * s["emission_factor_t_per_mwh"] * carbon_price)
    pay = per_mwh * mwh / 1e6 * window(s, calendar)
    return Booking(pay, pay)


class EnergyRelief(Lever):
    """Operating support on the electricity bill."""

    def operating(self, s, plant):
        return energy_relief(s, plant.mwh, plant.prices["electricity"], plant.tariff,
                             plant.prices["carbon"], plant.calendar, plant.esc)


LEVER = EnergyRelief(
    name="energy_relief", order=30, stage="operating",
    label_en="Energy relief", label_nl="Energiekostenverlaging",
    description="Lower electricity costs: price reduction, grid-tariff discount and "
                "compensation of indirect carbon costs.",
    params=(
        param("energy_relief.power_price_reduction", "float", "EUR/MWh", 0.0,
              "Reduction of the electricity price paid by the plant.", lo=0),
        param("energy_relief.grid_tariff_discount", "float", "1", 0.0,
              "Share of the grid tariff waived (like the former Dutch volume correction).",
              lo=0, hi=1),
        param("energy_relief.indirect_cost_share", "float", "1", 0.0,
              "Share of indirect carbon costs in the power price compensated (like Dutch "
              "IKC-ETS).", lo=0, hi=1),
        param("energy_relief.emission_factor_t_per_mwh", "float", "t/MWh", 0.72,
              "CO2 emission factor used to compute indirect carbon costs (EU ETS state-aid "
              "guidelines 2021, Central-West Europe).", lo=0, hi=2,
              source="EU ETS state-aid guidelines (2020/C 317/04), Annex III, Central-West "
                     "Europe"),
        *window_params("energy_relief"),
    ),
    setting_labels={
        "power_price_reduction": ("Power price relief", "Korting op stroomprijs"),
        "grid_tariff_discount": ("Grid tariff discount", "Korting op nettarief"),
        "indirect_cost_share": ("Indirect-cost compensation", "IKC-compensatie"),
    },
    line="energy_relief", line_description="Energy-cost relief received",
    gov_description="Energy-cost relief paid",
)
