"""Policy levers: what each does to the plant and what it costs the government.

Each lever is a pure function of the option's settings and the arrays of one
chunk of draws.  It returns the plant's support line (MEUR/yr, positive = to the
plant) and the government's booked outlays and receipts (MEUR/yr, both ≥ 0).
Support windows are calendar years (``first_year`` .. ``last_year``), so a
delayed plant can miss part of a window.

Government accounting
---------------------
``outlays`` are what the state pays: grants, subsidies, energy relief, price-floor
payments, the interest subsidy and expected default loss of a public loan, the
default loss under a guarantee, offtake purchases and the tax forgone through an
investment deduction.  ``receipts`` are what flows back: price-floor paybacks of a
two-sided contract, guarantee fees and the resale value of offtake.  The plant's
corporate tax is counted separately in the net public cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcrm.kernels.schedule import production_factor


@dataclass
class Booking:
    """A lever's effect in one chunk: plant line and government flows [MEUR/yr]."""

    plant: np.ndarray | None
    outlays: np.ndarray
    receipts: np.ndarray | None = None


def window(settings: dict, calendar: np.ndarray) -> np.ndarray:
    """1 in calendar years inside the lever's support window, else 0 [1]."""
    y0, y1 = settings.get("first_year"), settings.get("last_year")
    w = np.ones(calendar.shape, float)
    if y0 is not None:
        w *= calendar >= y0
    if y1 is not None:
        w *= calendar <= y1
    return w


def covered_production(start, life, ramp, years, capacity_t, n_years) -> np.ndarray:
    """Tonnes produced in each year within ``years`` of first production [t/yr]."""
    return capacity_t[..., None] * production_factor(start, np.minimum(life, years), ramp,
                                                     n_years)


def capex_grant(s: dict, capex_final, spend_share, calendar, esc) -> Booking:
    """Grant of ``share`` × capex (capped), paid pro rata with construction spending."""
    total = s["share"] * capex_final
    if s["cap_meur"] is not None:
        total = np.minimum(total, s["cap_meur"])
    paid = total[:, None] * spend_share * window(s, calendar)
    return Booking(paid, paid)


def production_subsidy(s: dict, covered_t, calendar, esc) -> Booking:
    """EUR/t on production for the first ``years`` from first production, capped per year."""
    pay = s["eur_per_t"] * esc * covered_t / 1e6 * window(s, calendar)
    if s["annual_cap_meur"] is not None:
        pay = np.minimum(pay, s["annual_cap_meur"] * esc)
    return Booking(pay, pay)


def energy_relief(s: dict, mwh, power_price, grid_tariff, carbon_price, calendar,
                  esc) -> Booking:
    """Lower power price, grid-tariff discount and indirect-carbon-cost compensation.

    Parameters
    ----------
    mwh : ndarray, shape (draw, year)
        Electricity used [MWh/yr].
    power_price, carbon_price : ndarray, shape (draw, year)
        [EUR/MWh], [EUR/t].
    grid_tariff : ndarray, shape (draw, year)
        Grid tariff paid [EUR/MWh].
    """
    per_mwh = (np.minimum(s["power_price_reduction"] * esc, power_price)
               + s["grid_tariff_discount"] * grid_tariff
               + s["indirect_cost_share"] * s["emission_factor_t_per_mwh"] * carbon_price)
    pay = per_mwh * mwh / 1e6 * window(s, calendar)
    return Booking(pay, pay)


def price_floor(s: dict, covered_t, price, calendar, esc) -> Booking:
    """Contract for difference on the product price for the covered tonnes."""
    vol = covered_t
    if s["volume_cap_tpa"] is not None:
        vol = np.minimum(vol, s["volume_cap_tpa"])
    diff = (s["strike"] * esc - price) * vol / 1e6 * window(s, calendar)
    if s["two_sided"]:
        return Booking(diff, np.maximum(diff, 0.0), np.maximum(-diff, 0.0))
    pay = np.maximum(diff, 0.0)
    return Booking(pay, pay)


def offtake(s: dict, covered_t, price, calendar, esc) -> Booking:
    """A public buyer takes up to ``volume_tpa`` at a fixed price; it resells at market."""
    vol = np.minimum(covered_t, s["volume_tpa"]) * window(s, calendar)
    plant = (s["price"] * esc - price) * vol / 1e6
    return Booking(plant, s["price"] * esc * vol / 1e6, s["resale_share"] * price * vol / 1e6)
