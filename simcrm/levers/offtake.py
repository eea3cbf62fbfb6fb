"""Public offtake: a public buyer takes part of the output at a fixed price."""

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


def offtake(s: dict, covered_t, price, calendar, esc) -> Booking:
    """A public buyer takes up to ``volume_tpa`` at a fixed price; it resells at market.

    Parameters
    ----------
    s : dict
        The lever's settings.
    covered_t : ndarray, shape (draw, year)
        Tonnes produced within the purchase years [t/yr].
    price : ndarray, shape (draw, year)
        Product price [EUR/t].
    calendar, esc : ndarray, shape (year,)
        Calendar years [year] and price escalation [1].

    Returns
    -------
    Booking
        The difference to the market price for the plant [MEUR/yr], the purchases
        paid by the state and the resale value it receives [MEUR/yr].
    """
    vol = np.minimum(covered_t, s["volume_tpa"]) * window(s, calendar)
    plant = (s["price"] * esc - price) * vol / 1e6
    return Booking(plant, s["price"] * esc * vol / 1e6, s["resale_share"] * price * vol / 1e6)


class Offtake(Lever):
    """A price-dependent line: the fixed purchase price against the market price."""

    def price_basis(self, s, plant):
        return covered_production(plant.s, plant.life, plant.ramp, s["years"], plant.cap_t,
                                  plant.T)

    def price_line(self, s, basis, price, plant):
        return offtake(s, basis, price, plant.calendar, plant.esc)


LEVER = Offtake(
    name="offtake", order=90, stage="price",
    intensity="price",
    label_en="Public offtake", label_nl="Publieke afname",
    description="A public buyer takes part of the output at a fixed price and resells it.",
    params=(
        param("offtake.volume_tpa", "float", "t/yr", REQUIRED,
              "Tonnes a year bought by the public buyer (at most the production).", lo=0),
        param("offtake.price", "float", "EUR/t", REQUIRED, "Price paid by the public buyer.",
              lo=0),
        param("offtake.years", "float", "years", 5.0, "Years of purchase from first production.",
              lo=0, hi=100, source="assumption"),
        param("offtake.resale_share", "float", "1", 1.0,
              "Share of the market value the state recovers when it resells or holds the "
              "material.", lo=0, hi=1),
        *window_params("offtake"),
    ),
    setting_labels={
        "volume_tpa": ("Public offtake", "Publieke afname"),
        "price": ("Offtake price", "Afnameprijs"),
        "years": ("Offtake duration", "Duur afname"),
    },
    line="offtake", line_description="Public offtake: difference to the market price",
    gov_description="Public offtake purchases",
)
