"""Public offtake: a public buyer takes part of the output at a fixed price.

Two ways the state gets its money back (``offtake.mode``):

* ``resale``: it resells what it buys in the same year at ``resale_share`` of the
  market price (a price hedge);
* ``stockpile``: it holds what it buys in a strategic stock and releases it in the
  first year within ``holding_years`` whose market price reaches ``release_trigger``
  times the price it paid (a supply crisis), else at the end of the holding period,
  at ``resale_share`` of the market price then; until the release it pays
  ``holding_cost_share`` (storage, insurance, rotation) and ``finance_rate`` (the
  cost of the money tied up, for a stockpile agency that borrows) a year on the
  purchase value.  What is still held at the end of the horizon is sold in its last
  year.
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


def release_year(s: dict, price, paid) -> np.ndarray:
    """Year index in which the stock bought in each year is released, shape (draw, year).

    Parameters
    ----------
    s : dict
        The lever's settings.
    price : ndarray, shape (draw, year)
        Market price [EUR/t].
    paid : ndarray, shape (year,)
        Price the state pays [EUR/t].
    """
    n, T = price.shape
    hold = max(int(round(s["holding_years"])), 1)
    out = np.empty((n, T), dtype=int)
    for t in range(T):
        last = min(t + hold, T - 1)
        at = np.full(n, last)
        for u in range(last - 1, t, -1):  # the first crisis year wins
            at = np.where(price[:, u] >= s["release_trigger"] * paid[t], u, at)
        out[:, t] = at
    return out


def stockpile(s: dict, covered_t, price, calendar, esc) -> Booking:
    """A strategic stock: bought at a fixed price, held at a cost, released in a crisis.

    Parameters and plant line as :func:`offtake`; the state's outlays are the
    purchases and the holding and finance costs until release, its receipts the
    release proceeds [MEUR/yr].
    """
    vol = np.minimum(covered_t, s["volume_tpa"]) * window(s, calendar)
    paid = s["price"] * esc
    value = paid * vol / 1e6  # purchase value [MEUR]
    at = release_year(s, price, paid)
    n, T = vol.shape
    rows = np.arange(n)
    receipts = np.zeros((n, T))
    held = np.zeros((n, T))  # purchase value in stock during each year after purchase
    years = np.arange(T)
    for t in range(T):
        r = at[:, t]
        np.add.at(receipts, (rows, r), s["resale_share"] * price[rows, r] * vol[:, t] / 1e6)
        held += value[:, t:t + 1] * ((years > t) & (years <= r[:, None]))
    cost = (s["holding_cost_share"] + s["finance_rate"]) * held
    return Booking((paid - price) * vol / 1e6, value + cost, receipts,
                   remask=lambda m: stockpile(s, covered_t * m, price, calendar, esc))


class Offtake(Lever):
    """A price-dependent line: the fixed purchase price against the market price."""

    def price_basis(self, s, plant):
        return covered_production(plant.s, plant.life, plant.ramp, s["years"], plant.cap_t,
                                  plant.T)

    def price_line(self, s, basis, price, plant):
        line = stockpile if s["mode"] == "stockpile" else offtake
        return line(s, basis, price, plant.calendar, plant.esc)

    def price_terms(self, s, basis, plant):
        """``w · (a + b · p)`` (two-sided, both modes): ``w`` the tonnes bought / 1e6,
        ``a`` the escalated purchase price, ``b = -esc``."""
        vol = np.minimum(basis, s["volume_tpa"]) * window(s, plant.calendar)
        shape = np.shape(vol)
        return (vol / 1e6, np.broadcast_to(s["price"] * plant.esc, shape),
                np.broadcast_to(-plant.esc, shape), True)


LEVER = Offtake(
    name="offtake", order=90, stage="price",
    intensity="price",
    label_en="Public offtake", label_nl="Publieke afname",
    description="A public buyer takes part of the output at a fixed price and resells it, or "
                "holds it in a strategic stock and releases it in a crisis.",
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
        param("offtake.mode", "choice", "", "resale",
              "What the state does with what it buys: 'resale' (sold again in the same year "
              "at resale_share of the market price) or 'stockpile' (held in a strategic stock "
              "and released in a crisis or at the end of holding_years).",
              choices=("resale", "stockpile")),
        param("offtake.holding_years", "float", "years", 5.0,
              "With mode = 'stockpile': longest time a purchase is held before release.",
              lo=1, hi=50,
              source="assumption: a stock rotated within about five years (the EU "
                     "stockpiling pilot of 2026 has no published holding period)"),
        param("offtake.release_trigger", "float", "1", 1.5,
              "With mode = 'stockpile': the stock is released in the first year whose market "
              "price is at least this multiple of the price the state paid (a supply "
              "crisis); else at the end of the holding period.", lo=0,
              source="assumption: a crisis is a price half again above the purchase price"),
        param("offtake.holding_cost_share", "float", "1/yr", 0.01,
              "With mode = 'stockpile': storage, insurance and rotation a year, as a share of "
              "the purchase value.", lo=0, hi=1,
              source="assumption: about 1 % a year for warehoused metal chemicals"),
        param("offtake.finance_rate", "float", "1/yr", 0.0,
              "With mode = 'stockpile': cost of the money tied up in the stock a year, booked "
              "as an outlay (for a stockpile agency that borrows).", lo=0, hi=1,
              source="assumption: the stock is paid from the budget (its cash counts in the "
                     "year of purchase and its time value in the present value at the public "
                     "discount rate), so no separate finance cost"),
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
