"""Price floor: a contract for difference on the product price or on the converter's spread.

With ``basis = "spread"`` the contract settles on the processing margin — the product
price less the feedstock bought per tonne of product — against a strike margin, so a
converter is topped up when its margin is squeezed, not when feedstock and product fall
together (a product-only floor pays for feedstock moves).
"""

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


def price_floor(s: dict, covered_t, price, calendar, esc, feed=None) -> Booking:
    """Contract for difference on the product price (or spread) for the covered tonnes.

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
    feed : ndarray, shape (draw, year), optional
        Feedstock cost per tonne of product [EUR/t]: the contract settles on
        ``price - feed`` (the spread); None settles on the product price.

    Returns
    -------
    Booking
        Settlement to the plant [MEUR/yr]; the state pays the positive part and,
        for a two-sided contract, receives the negative part.
    """
    vol = covered_t
    if s["volume_cap_tpa"] is not None:
        vol = np.minimum(vol, s["volume_cap_tpa"])
    reference = price if feed is None else price - feed
    diff = (s["strike"] * esc - reference) * vol / 1e6 * window(s, calendar)
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
        return price_floor(s, basis, price, plant.calendar, plant.esc,
                           feed_per_tonne(plant) if s["basis"] == "spread" else None)

    def price_terms(self, s, basis, plant):
        """``w · g(a + b · p)``: ``w`` the covered tonnes in the window / 1e6, ``a`` the
        escalated strike (plus the feedstock per tonne on the spread), ``b = -esc``;
        one-sided unless ``two_sided`` (``w >= 0``, so ``w · max(x, 0) = max(w · x, 0)``)."""
        vol = basis
        if s["volume_cap_tpa"] is not None:
            vol = np.minimum(vol, s["volume_cap_tpa"])
        shape = np.shape(vol)
        w = vol / 1e6 * window(s, plant.calendar)
        a = s["strike"] * plant.esc
        if s["basis"] == "spread":
            a = a + feed_per_tonne(plant)
        return (np.broadcast_to(w, shape), np.broadcast_to(a, shape),
                np.broadcast_to(-plant.esc, shape), bool(s["two_sided"]))


def feed_per_tonne(plant) -> np.ndarray:
    """Feedstock bought per tonne of product [EUR/t], shape (draw, year); 0 where the
    plant produces nothing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(plant.production > 0,
                        -plant.lines["feedstock"] * 1e6 / plant.production, 0.0)


LEVER = PriceFloor(
    name="price_floor", order=40, stage="price",
    intensity="strike",
    label_en="Price floor", label_nl="Minimumprijs",
    description="A guaranteed minimum product price or processing margin (one- or two-sided "
                "contract for difference).",
    params=(
        param("price_floor.strike", "float", "EUR/t", REQUIRED,
              "Strike of the contract: a product price, or with basis = 'spread' a margin "
              "(product price less feedstock cost per tonne of product).", lo=0),
        param("price_floor.basis", "choice", "", "product",
              "What the contract settles on: 'product' (the product price) or 'spread' (the "
              "converter's margin over its feedstock, so it does not pay for feedstock "
              "moves).", choices=("product", "spread")),
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
