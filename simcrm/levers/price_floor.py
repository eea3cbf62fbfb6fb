"""Price floor: a contract for difference on the product price."""

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


def price_floor(s: dict, covered_t, price, calendar, esc) -> Booking:
    """Contract for difference on the product price for the covered tonnes.

    Parameters
    ----------
    s : dict
        The lever's settings.
    covered_t : ndarray, shape (draw, year)
        Tonnes produced within the contract years [t/yr].
    price : ndarray, shape (draw, year)
        Product price [EUR/t].
    calendar, esc : ndarray, shape (year,)
        Calendar years [year] and price escalation [1].

    Returns
    -------
    Booking
        Settlement to the plant [MEUR/yr]; the state pays the positive part and,
        for a two-sided contract, receives the negative part.
    """
    vol = covered_t
    if s["volume_cap_tpa"] is not None:
        vol = np.minimum(vol, s["volume_cap_tpa"])
    diff = (s["strike"] * esc - price) * vol / 1e6 * window(s, calendar)
    if s["two_sided"]:
        return Booking(diff, np.maximum(diff, 0.0), np.maximum(-diff, 0.0))
    pay = np.maximum(diff, 0.0)
    return Booking(pay, pay)


class PriceFloor(Lever):
    """A price-dependent line settled against the product price."""

    def price_basis(self, s, plant):
        return covered_production(plant.s, plant.life, plant.ramp, s["years"], plant.cap_t,
                                  plant.T)

    def price_line(self, s, basis, price, plant):
        return price_floor(s, basis, price, plant.calendar, plant.esc)


LEVER = PriceFloor(
    name="price_floor", order=40, stage="price",
    intensity="strike",
    label_en="Price floor", label_nl="Minimumprijs",
    description="A guaranteed minimum product price (one- or two-sided contract for "
                "difference).",
    params=(
        param("price_floor.strike", "float", "EUR/t", REQUIRED, "Strike price of the contract.",
              lo=0),
        param("price_floor.two_sided", "bool", "", False,
              "Two-sided contract for difference (the plant pays back above the strike) or a "
              "floor only."),
        param("price_floor.volume_cap_tpa", "float", "t/yr", None,
              "Maximum volume covered per year (default: all production).", lo=0),
        param("price_floor.years", "float", "years", 10.0,
              "Contract years from first production.", lo=0, hi=100, source="assumption"),
        *window_params("price_floor"),
    ),
    setting_labels={
        "strike": ("Price floor", "Minimumprijs"),
        "years": ("Price-floor duration", "Duur minimumprijs"),
        "volume_cap_tpa": ("Price-floor volume", "Volume minimumprijs"),
    },
    line="price_floor", line_description="Price-floor (CfD) settlement",
    gov_description="Price-floor (CfD) payments",
)
