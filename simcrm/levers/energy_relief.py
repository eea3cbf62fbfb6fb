"""Energy relief: a lower power price, a grid-tariff discount and indirect-cost compensation."""

from __future__ import annotations

import numpy as np

from simcrm.levers.base import Booking, Lever, param, window, window_params
from simcrm.spec.wording import NL, Reason, general, num, pct


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
    floor = s["floor_eur_mwh"] * esc
    price_cut = np.minimum(s["power_price_reduction"] * esc, np.maximum(power_price - floor, 0.0))
    per_mwh = (s["consumption_share"] * price_cut
               + s["grid_tariff_discount"] * grid_tariff
               + s["indirect_cost_share"] * s["emission_factor_t_per_mwh"] * carbon_price)
    pay = per_mwh * mwh / 1e6 * window(s, calendar)
    return Booking(pay, pay)


def relief_years(s: dict) -> float:
    """Calendar years of the support window (inf when it is open at either end)."""
    y0, y1 = s.get("first_year"), s.get("last_year")
    return float("inf") if y0 is None or y1 is None else float(y1 - y0 + 1)


class EnergyRelief(Lever):
    """Operating support on the electricity bill."""

    def state_aid(self, s, limits, inputs):
        out = []
        cut = float(s["power_price_reduction"])
        if cut > 0:
            years = relief_years(s)
            top = limits["energy_relief_max_years"]
            if years > top:
                endless = years == float("inf")
                out.append(Reason(
                    f"electricity-price relief runs "
                    f"{'without end' if endless else f'{years:.0f} years'}"
                    f"; CISAF allows at most {top:g} years",
                    f"de verlaging van de stroomprijs loopt "
                    f"{'zonder einddatum' if endless else f'{num(years, NL)} jaar'}"
                    f"; de CISAF staat ten hoogste {general(top)} jaar toe"))
            wholesale = float(inputs["markets.electricity.start"])
            top = limits["energy_relief_max_wholesale_share"]
            if cut > top * wholesale:
                out.append(Reason(
                    f"electricity-price relief of {cut:g} EUR/MWh is "
                    f"{cut / wholesale:.0%} of the wholesale price ({wholesale:.0f} "
                    f"EUR/MWh); CISAF allows at most {top:.0%}",
                    f"de verlaging van de stroomprijs met {general(cut)} €/MWh is "
                    f"{pct(cut / wholesale, NL)} van de groothandelsprijs "
                    f"({num(wholesale, NL)} €/MWh); de CISAF staat ten hoogste {pct(top, NL)} "
                    "toe"))
            share, top = s["consumption_share"], limits["energy_relief_max_consumption_share"]
            if share > top:
                out.append(Reason(
                    f"electricity-price relief covers {share:.0%} of consumption; CISAF "
                    f"allows at most {top:.0%}",
                    f"de verlaging van de stroomprijs geldt voor {pct(share, NL)} van het "
                    f"verbruik; de CISAF staat ten hoogste {pct(top, NL)} toe"))
            floor = limits["energy_relief_floor_eur_mwh"]
            if s["floor_eur_mwh"] < floor:
                out.append(Reason(
                    f"electricity-price relief has no floor of {floor:g} EUR/MWh (CISAF: the "
                    "plant never pays less)",
                    f"de verlaging van de stroomprijs heeft geen bodem van {general(floor)} €/MWh "
                    "(CISAF: de fabriek betaalt nooit minder)"))
        share, top = s["indirect_cost_share"], limits["indirect_cost_max_share"]
        if share > top:
            out.append(Reason(
                f"indirect-cost compensation of {share:.0%} is above the {top:.0%} the EU ETS "
                "guidelines allow",
                f"de compensatie van indirecte emissiekosten van {pct(share, NL)} ligt boven "
                f"de {pct(top, NL)} die de EU-ETS-richtsnoeren toestaan"))
        return out

    def operating(self, s, plant):
        return energy_relief(s, plant.mwh, plant.prices["electricity"], plant.tariff,
                             plant.prices["carbon"], plant.calendar, plant.esc)


LEVER = EnergyRelief(
    name="energy_relief", order=30, stage="operating",
    intensity="power_price_reduction",
    # searched up to about twice the Dutch all-in industrial power price of ~95 EUR/MWh
    # (E-Bridge for EZK, Kamerbrief 32813-1372, 2024): the cut never goes below the floor
    intensity_range=(0.0, 200.0),
    label_en="Energy relief", label_nl="Energiekostenverlaging",
    description="Lower electricity costs: price reduction, grid-tariff discount and "
                "compensation of indirect carbon costs.",
    params=(
        param("energy_relief.power_price_reduction", "float", "EUR/MWh", 0.0,
              "Reduction of the electricity price paid by the plant.", lo=0),
        param("energy_relief.consumption_share", "float", "1", 1.0,
              "Share of the plant's electricity use the price reduction applies to.",
              lo=0, hi=1),
        param("energy_relief.floor_eur_mwh", "float", "EUR/MWh", 0.0,
              "The price reduction never takes the plant's power price below this (CISAF "
              "relief: 50 EUR/MWh).", lo=0, hi=1e5),
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
