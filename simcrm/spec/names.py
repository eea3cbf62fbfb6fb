"""Names and units of result variables as other tools expect them (CF conventions).

Result variables carry a registry key in their attributes but no dots in their names
(``plant.capex_overrun`` is the variable ``input_plant_capex_overrun`` with
``key = "plant.capex_overrun"``), so ``ds.input_plant_capex_overrun`` works and CF
checkers accept the names.

Units: simcrm states money in MEUR (million euro, real terms of the scenario's price
year). udunits, which CF relies on, has no currency, so the CF ``units`` attribute gives
the scale (``1e6`` for million, ``1e6 year-1`` for MEUR per year, ``t-1`` for EUR per
tonne) and ``simcrm_units`` keeps simcrm's own unit (``MEUR``, ``EUR/t``) for tables and
charts; the Dataset attribute ``currency`` names the currency and ``price_year`` its year.

References
----------
CF Conventions 1.10, §1.3 (units from udunits), §2.3 (variable names):
https://cfconventions.org/Data/cf-conventions/cf-conventions-1.10/cf-conventions.html
"""

from __future__ import annotations

INPUT_PREFIX = "input_"

#: simcrm unit -> CF (udunits) unit; money becomes its scale (currency in `simcrm_units`)
CF_UNITS = {
    "": "1",
    "1": "1",
    "MEUR": "1e6",
    "MEUR/yr": "1e6 year-1",
    "EUR/t": "t-1",
    "EUR/MWh": "MW-1 h-1",
    "EUR/(t/yr)": "year t-1",
    "1/(100 MEUR)": "1e-8",
    "1/yr": "year-1",
    "1/sqrt(yr)": "year-0.5",
    "t/yr": "t year-1",
    "MWh/t": "MW h t-1",
    "t/t": "1",
    "months": "month",
    "years": "year",
    # a calendar year (2030.5 = mid-2030) is a date, not a duration: a plain number,
    # said so in `simcrm_units` and the long name
    "year": "1",
}


def input_variable(key: str) -> str:
    """The result variable of the sampled input ``key`` (``plant.capex_overrun`` →
    ``input_plant_capex_overrun``)."""
    return INPUT_PREFIX + key.replace(".", "_")


def cf_attrs(attrs: dict) -> dict:
    """``attrs`` with a CF ``units`` and simcrm's unit kept in ``simcrm_units``."""
    out = dict(attrs)
    unit = str(out.get("units", ""))
    out["simcrm_units"] = unit
    out["units"] = CF_UNITS.get(unit, unit)
    return out


def display_units(attrs: dict) -> str:
    """The unit to show in tables and charts (simcrm's own: ``MEUR``, ``EUR/t``)."""
    return str(attrs.get("simcrm_units", attrs.get("units", "")))
