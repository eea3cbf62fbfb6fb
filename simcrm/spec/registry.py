"""The one registry of scenario parameters.

Every key a scenario file may hold is described here once — name, type, unit,
default, allowed range and a plain-language description.  The settings of the
policy levers are rows of the same kind, declared by each lever in its own module
of :mod:`simcrm.levers`.  The validator, the
``units``/``long_name`` attributes of the results and the scenario reference
(``docs/scenario-reference.md``) are all generated from this table, in the
manner of PyPSA's component attribute tables.

Keys are dotted paths as they appear in TOML: ``plant.capex_meur`` is the key
``capex_meur`` in the table ``[plant]``.  Numbers that are marked *uncertain*
may be given either as a fixed number or as a distribution table such as
``{ dist = "triangular", low = 1, mode = 2, high = 4 }``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

REQUIRED = object()
"""Sentinel default: the scenario must give this key."""

MARKETS = ("product", "feedstock", "electricity", "gas", "carbon")
"""The stochastic market paths, in the order their shocks are drawn."""

MARKET_UNITS = {
    "product": "EUR/t",
    "feedstock": "EUR/t",
    "electricity": "EUR/MWh",
    "gas": "EUR/MWh",
    "carbon": "EUR/t",
}
MARKET_WHAT = {
    "product": "product price (per tonne of product)",
    "feedstock": "feedstock price (per tonne of feedstock)",
    "electricity": "wholesale-plus-supply electricity price, before grid tariff",
    "gas": "natural-gas price (TTF-like)",
    "carbon": "EU ETS carbon price (per tonne CO2)",
}


@dataclass(frozen=True)
class Param:
    """One scenario key.

    Attributes
    ----------
    key : str
        Dotted TOML path, e.g. ``plant.capex_meur``.
    kind : str
        ``float``, ``int``, ``str``, ``bool``, ``choice``, ``pairs`` (a list of
        ``[name, name, number]`` triples), ``shares`` (a list of numbers ≥ 0 that add up
        to 1; empty for the default behaviour) or ``table`` (a list of ``[year, value]``
        pairs, years increasing, values within ``lo``..``hi``; empty for none).
    unit : str
        Unit in the style of the results (``MEUR``, ``t/yr``, ``1`` ...).
    default : object
        Value used when the scenario omits the key; :data:`REQUIRED` if it must
        be given; ``None`` where the description says what ``None`` means.
    lo, hi : float
        Allowed range (inclusive unless ``lo_open``/``hi_open``).
    description : str
        Plain-language meaning, shown in the reference and in messages.
    uncertain : bool
        Whether the value may be a distribution.
    choices : tuple of str
        Allowed values of a ``choice`` key.
    """

    key: str
    kind: str
    unit: str
    default: Any
    description: str
    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False
    uncertain: bool = False
    choices: tuple[str, ...] = ()
    source: str = ""

    @property
    def section(self) -> str:
        return self.key.rsplit(".", 1)[0]

    @property
    def name(self) -> str:
        return self.key.rsplit(".", 1)[1]

    def range_text(self) -> str:
        """Human-readable allowed range, e.g. ``> 0`` or ``0 to 1``."""
        if self.kind == "choice":
            return ", ".join(f'"{c}"' for c in self.choices)
        if self.kind in ("str", "pairs"):
            return ""
        if self.kind == "shares":
            return "[] or numbers ≥ 0 adding up to 1"
        if self.kind == "table":
            lo, hi = self.lo, self.hi
            return (f"[] or [[year, value], ...], years increasing, values "
                    f"{Param(self.key, 'float', '', 0, '', lo=lo, hi=hi).range_text()}")
        if self.kind == "bool":
            return "true | false"
        lo, hi = self.lo, self.hi
        if math.isinf(lo) and math.isinf(hi):
            return "any"
        if math.isinf(hi):
            return f"{'>' if self.lo_open else '≥'} {_fmt(lo)}"
        if math.isinf(lo):
            return f"{'<' if self.hi_open else '≤'} {_fmt(hi)}"
        left = "(" if self.lo_open else "["
        right = ")" if self.hi_open else "]"
        return f"{left}{_fmt(lo)}, {_fmt(hi)}{right}"

    def allows(self, x: float) -> bool:
        """Whether the number ``x`` lies in the allowed range."""
        if x != x:  # NaN
            return False
        if self.lo_open and not x > self.lo or not self.lo_open and not x >= self.lo:
            return False
        if self.hi_open and not x < self.hi or not self.hi_open and not x <= self.hi:
            return False
        return True


def _fmt(x: float) -> str:
    return f"{x:,.0f}".replace(",", " ") if float(x).is_integer() and abs(x) < 1e12 else f"{x:g}"


def _p(key, kind, unit, default, description, **kw) -> Param:
    return Param(key=key, kind=kind, unit=unit, default=default, description=description, **kw)


# --------------------------------------------------------------------------------------
# Scenario inputs (may be overridden per world)
# --------------------------------------------------------------------------------------
#
# Upper bounds on money, capacity and prices (issue 19): without them a typo such as
# capex_meur = 1e308 or capacity_tpa = 5e-324 passes validation and overflows into
# NaN/inf metrics.  The bounds are far beyond any real plant (the largest metals
# refineries produce a few Mt a year and cost a few billion EUR; gallium, among the
# dearest products of the library, costs about 1.5 MEUR/t), so no real case is refused.

MAX_MEUR = 1e5
"""Largest capex or yearly fixed cost [MEUR]: 100 billion EUR."""

MAX_PRICE = 1e8
"""Largest price of a tonne [EUR/t] (product, feedstock, reagents, carbon)."""

MAX_ENERGY_PRICE = 1e5
"""Largest energy price or tariff [EUR/MWh] (the 2022 crisis peaked below 1e3)."""

_META = [
    _p("scenario.name", "str", "", None, "Short name of the scenario; defaults to the file name."),
    _p("scenario.description", "str", "", "",
       "What the scenario represents, in a sentence or two."),
    _p("scenario.price_year", "int", "year", 2024, "Price year of all money amounts (real terms).",
       lo=1990, hi=2100),
    _p("scenario.currency", "choice", "", "EUR",
       "Currency of all money amounts, so that a study can be entered as published; every "
       "'EUR' and 'MEUR' of the inputs and results then means that currency (results.nc "
       "states it).", choices=("EUR", "USD", "GBP", "CAD", "AUD", "CHF", "SEK", "NOK",
                                "DKK", "JPY", "CNY", "ZAR")),
    _p("scenario.eur_per_unit", "float", "EUR", 1.0,
       "Euro per unit of the scenario's currency (1 for EUR), for converting amounts to "
       "euro (results.nc attribute eur_per_unit).", lo=0, lo_open=True, hi=1e4,
       source="1: the scenario is in euro"),
    _p("scenario.terms", "choice", "", "real",
       "Real terms (prices of the price year; discount rate is real) or nominal terms "
       "(prices and fixed costs escalate with finance.inflation; discount rate is nominal).",
       choices=("real", "nominal")),
]

_SIMULATION = [
    _p("simulation.draws", "int", "1", 10_000, "Number of Monte Carlo draws.", lo=1, hi=1e9),
    _p("simulation.seed", "int", "1", 20241205,
       "Seed of the random numbers; the same seed gives the same results, bit for bit.",
       lo=0, hi=1e18),
    _p("simulation.sampler", "choice", "", "random",
       "How the uncertain inputs are sampled: pseudo-random, Latin hypercube (stratified per "
       "block of draws) or scrambled Sobol' (quasi-random).", choices=("random", "lhs", "sobol")),
    _p("simulation.start_year", "int", "year", 2026,
       "Calendar year in which development starts: permit procedure, grid application, "
       "front-end engineering. Permit, grid and construction times count from 1 January of "
       "this year; the final investment decision (FID) follows the permit and grid "
       "connection.", lo=2000, hi=2100),
    _p("simulation.valuation_year", "int", "year", None,
       "Calendar year to whose 1 January every amount is discounted (year index 0), e.g. "
       "the year of today's policy decision. Default: the start year. It may not be later "
       "than the start year.", lo=2000, hi=2100),
    _p("simulation.cash_flow_timing", "choice", "", "start-of-year",
       "When in its year a cash flow is taken to fall, for the investor's NPVs (equity and "
       "project): start-of-year discounts year t's flow by (1 + r)^-t (the valuation year's "
       "flows are not discounted; numpy_financial's convention), mid-year by "
       "(1 + r)^-(t + 0.5) (flows spread over the year, as many feasibility studies do), "
       "end-of-year by (1 + r)^-(t + 1) (a spreadsheet's NPV() over the yearly flows). The "
       "IRR, the payback, the investor's build decision and the public cost do not depend on "
       "it.", choices=("start-of-year", "mid-year", "end-of-year"),
       source="start-of-year: simcrm's convention before this setting; mid-year and "
              "end-of-year as feasibility studies state them (e.g. 'mid-year discounting')"),
    _p("simulation.kernel", "choice", "", "fused",
       "How the sponsor's cash flows after EBITDA (working capital, tax with loss "
       "carry-forward, project and equity cash flows) and the break-even product price are "
       "computed: fused (one compiled pass per option and world over the draws) or numpy "
       "(the readable reference, vectorised over draws, about 10 % slower). The fused cash "
       "flows are the same to the bit (numpy is used where an interest limit or untaxed "
       "support applies); the fused break-even price agrees with the reference to about "
       "1e-12 relative (numpy is used where a price-dependent line cannot be written as "
       "the fused search's price terms, as the flexible grid contract's curtailment).",
       choices=("numpy", "fused"),
       source="assumption: fused by default, the faster of two ways to the same numbers "
              "(tests/test_fused.py compares them); numpy to check a result against the "
              "readable reference"),
    _p("simulation.horizon_years", "int", "years", 30,
       "Number of years simulated from the valuation year; cash flows after the horizon are "
       "ignored.",
       lo=2, hi=100),  # lo: one year of building plus one of operation; the scenario check
    # also requires room for the permit and construction times given
    _p("simulation.rank_correlations", "pairs", "1", [],
       "Rank (Spearman) correlations between uncertain inputs, as a list of "
       '["key", "other.key", rho] triples; imposed with a Gaussian copula.'),
]

_PLANT = [
    _p("plant.capacity_tpa", "float", "t/yr", REQUIRED,
       "Nameplate capacity in tonnes of product a year.",
       lo=1, hi=1e8, uncertain=True),  # 1 t/yr to 100 Mt/yr: see MAX_MEUR above
    _p("plant.capex_meur", "float", "MEUR", REQUIRED,
       "Overnight capital cost as estimated at FID, before any overrun.", lo=0, lo_open=True,
       hi=MAX_MEUR, uncertain=True),
    _p("plant.capex_overrun", "float", "1", 1.0,
       "Multiplier on the capex estimate for cost overrun (1 = on budget, 1.4 = 40 % over).",
       lo=0.5, hi=10, uncertain=True),
    _p("plant.construction_months", "float", "months", 30.0,
       "Construction time from the start of construction to first production.",
       lo=1, hi=240, uncertain=True),
    _p("plant.rampup_years", "float", "years", 1.5,
       "Years from first production to full output; output rises linearly from zero.",
       lo=0, hi=10, uncertain=True),
    _p("plant.utilisation", "float", "1", 0.9,
       "Share of nameplate capacity produced after ramp-up (availability × utilisation).",
       lo=0, hi=1, lo_open=True, uncertain=True),
    _p("plant.life_years", "float", "years", 25.0, "Operating life from first production.",
       lo=1, hi=100, uncertain=True),
    _p("plant.capex_profile", "shares", "1", [],
       "Spending profile of the capex (overrun included) over the construction period: "
       "shares of equal parts of it, in order, e.g. [0.3, 0.7] for 30 % in the first half "
       "and 70 % in the second (a two-year build: by year). Empty: evenly over the "
       "construction period.",
       source="evenly: simcrm's spending before this setting; feasibility studies state "
              "their own profile"),
]

_OPERATIONS = [
    _p("operations.feedstock_t_per_t", "float", "t/t", 0.0,
       "Tonnes of feedstock per tonne of product.", lo=0, hi=1e4, uncertain=True),
    _p("operations.electricity_mwh_per_t", "float", "MWh/t", 0.0,
       "Electricity use per tonne of product.", lo=0, hi=1e4, uncertain=True),
    _p("operations.gas_mwh_per_t", "float", "MWh/t", 0.0,
       "Natural-gas use per tonne of product.", lo=0, hi=1e4, uncertain=True),
    _p("operations.co2_t_per_t", "float", "t/t", 0.0,
       "Direct CO2 emissions under the EU ETS per tonne of product.", lo=0, hi=1e3, uncertain=True),
    _p("operations.free_allocation_share", "float", "1", 0.0,
       "Share of direct emissions covered by free ETS allowances.", lo=0, hi=1, uncertain=True),
    _p("operations.reagents_eur_per_t", "float", "EUR/t", 0.0,
       "Reagents, consumables and other variable costs per tonne of product.", lo=0,
       hi=MAX_PRICE, uncertain=True),
    _p("operations.labour_meur_per_yr", "float", "MEUR/yr", 0.0,
       "Staff costs per year of operation.", lo=0, hi=MAX_MEUR, uncertain=True),
    _p("operations.maintenance_share", "float", "1/yr", 0.03,
       "Maintenance per year of operation, as a share of the final capex, expensed as an "
       "operating cost (a fixed cost in other_opex). Sustaining capital that is capitalised "
       "and depreciated: operations.sustaining_capex_share.",
       lo=0, hi=0.5, uncertain=True),
    _p("operations.sustaining_capex_share", "float", "1/yr", 0.0,
       "Sustaining capital per year of operation, as a share of the final capex: spent "
       "while the plant is open (line sustaining_capex), capitalised and depreciated "
       "straight-line over finance.depreciation_years from the year it is spent; paid out of "
       "the cash flow available for debt service.", lo=0, hi=0.5, uncertain=True,
       source="assumption: none unless a scenario states it (maintenance_share holds the "
              "upkeep of the default scenarios)"),
    _p("operations.byproduct_t_per_t", "float", "t/t", 0.0,
       "By-product sold per tonne of product (e.g. sodium sulphate from a lithium "
       "hydroxide refinery), credited in the years the plant produces.", lo=0, hi=1e4,
       uncertain=True, source="assumption: none unless a scenario states it"),
    _p("operations.byproduct_eur_per_t", "float", "EUR/t", 0.0,
       "Price of the by-product (real, of the price year; escalated in nominal terms).",
       lo=0, hi=MAX_PRICE, uncertain=True,
       source="assumption: none unless a scenario states it"),
    _p("operations.other_fixed_meur_per_yr", "float", "MEUR/yr", 0.0,
       "Other fixed operating costs per year of operation (insurance, overheads).", lo=0,
       hi=MAX_MEUR, uncertain=True),
    _p("operations.idle_when_unprofitable", "bool", "", True,
       "Whether the plant stops producing in a year whose variable margin (revenue and "
       "per-tonne support less feedstock, energy, carbon and reagents) is negative."),
    _p("operations.care_maintenance_share", "float", "1", 0.3,
       "Share of the fixed operating costs (staff, maintenance, other fixed) still paid in a "
       "year the plant idles (care and maintenance).", lo=0, hi=1, uncertain=True,
       source="assumption: a mothballed chemical plant keeps a skeleton crew, insurance and "
              "preservation maintenance; no public figure for CRM plants was found"),
    _p("operations.restart_cost_share", "float", "1", 0.01,
       "Cost of restarting after an idle spell, as a share of the capex estimate.",
       lo=0, hi=0.5, uncertain=True,
       source="assumption: recommissioning, requalification of product and staff of a "
              "process plant; no public figure for CRM plants was found"),
]


def _market_params(m: str) -> list[Param]:
    u = MARKET_UNITS[m]
    what = MARKET_WHAT[m]
    top = MAX_ENERGY_PRICE if u == "EUR/MWh" else MAX_PRICE  # see MAX_MEUR above
    ps = [
        _p(f"markets.{m}.start", "float", u, REQUIRED if m == "product" else 0.0,
           f"Level of the {what} in the valuation year (year index 0).", lo=0, hi=top,
           uncertain=True),
        _p(f"markets.{m}.long_run", "float", u, None,
           f"Long-run median level the {what} reverts to; defaults to the start level.",
           lo=0, hi=top, uncertain=True),
        _p(f"markets.{m}.deck", "table", u, [],
           f"A yearly price deck of the {what}: [[calendar year, price], ...], interpolated "
           "linearly between its years and flat beyond its ends (real, of the price year). "
           "When given, the deck is the path's median: the price starts on the deck in the "
           "valuation year and the shocks, crashes and spikes move it around the deck, "
           "reverting to it at the reversion speed (start and long_run are then not used for "
           "the path; long_run still sets the long-run margin of the walk-away test). Empty: "
           "no deck.", lo=0, hi=top,
           source="none: a scenario gives the deck of the study or forecast it follows"),
        _p(f"markets.{m}.reversion", "float", "1/yr", 0.3,
           "Mean-reversion speed of the log price: the share of the gap to the long-run level "
           "closed each year (0 = random walk, 1 = back in one year).", lo=0, hi=1, uncertain=True),
        _p(f"markets.{m}.volatility", "float", "1/sqrt(yr)", 0.0,
           "Standard deviation of the yearly shock to the log price.", lo=0, hi=3, uncertain=True),
        _p(f"markets.{m}.crash_prob", "float", "1/yr", 0.0,
           "Probability per year of a price crash (e.g. a dumping episode).", lo=0, hi=1,
           uncertain=True),
        _p(f"markets.{m}.crash_size", "float", "1", 1.0,
           "Price multiplier of a crash (0.3 = a fall of 70 %); the effect then fades at the "
           "reversion speed.", lo=0, hi=1, lo_open=True, uncertain=True),
        _p(f"markets.{m}.spike_prob", "float", "1/yr", 0.0,
           "Probability per year of a price spike (e.g. export controls).", lo=0, hi=1,
           uncertain=True),
        _p(f"markets.{m}.spike_size", "float", "1", 1.0,
           "Price multiplier of a spike (2.5 = ×2.5); fades at the reversion speed.",
           lo=1, hi=100, uncertain=True),
    ]
    if m != "product":
        ps.append(_p(f"markets.{m}.jumps_with_product", "bool", "", False,
                     "Whether crashes and spikes of this price come in the same years as the "
                     "product price's (e.g. feedstock falling with the product in a dumping "
                     "episode). Its own probabilities and sizes still apply; the events "
                     "coincide as far as the probabilities allow."))
    if m == "electricity":
        ps.append(_p("markets.electricity.grid_tariff", "float", "EUR/MWh", 0.0,
                     "Grid (transport) tariff paid on top of the electricity price.", lo=0,
                     hi=MAX_ENERGY_PRICE, uncertain=True))
    return ps


_MARKETS = [p for m in MARKETS for p in _market_params(m)] + [
    _p("markets.correlations", "pairs", "1", [],
       "Correlations between the yearly shocks of the market paths, as a list of "
       '["product", "feedstock", rho] triples (names: ' + ", ".join(MARKETS) + ")."),
]

_PERMITTING = [
    _p("permitting.permit_months", "float", "months", 18.0,
       "Time from the start of development to an irrevocable permit, before any appeal.",
       lo=0, hi=360, uncertain=True),
    _p("permitting.appeal_prob", "float", "1", 0.0,
       "Probability that the permit is appealed.", lo=0, hi=1, uncertain=True),
    _p("permitting.appeal_months", "float", "months", 0.0,
       "Months an appeal adds to the permit time.", lo=0, hi=240, uncertain=True),
    _p("permitting.grid_wait_months", "float", "months", 0.0,
       "Time from the start of development until the grid connection is available; "
       "production cannot start before it (construction is timed to end when the grid is "
       "ready).", lo=0, hi=360, uncertain=True),
    _p("permitting.refusal_hazard", "float", "1/yr", 0.03,
       "Chance per year, while the permit procedure (with any appeal) runs, that the permit "
       "is refused or becomes impossible for good (e.g. on nitrogen deposition). The project "
       "then stops and loses its development spending.", lo=0, hi=5, uncertain=True,
       source="assumption: Dutch permits fail outright on nitrogen deposition (Raad van State "
              "29 May 2019 and 18 Dec 2024 rulings; VNO-NCW: 18 000 projects at risk, "
              "https://nos.nl/artikel/2304369-werkgevers-in-brandbrief-tienduizenden-banen-op-"
              "het-spel-door-stikstofcrisis); no failure rate per year was found"),
]

_DEVELOPMENT = [
    _p("development.cost_share_per_yr", "float", "1/yr", 0.01,
       "Development spending (front-end engineering, permit studies, land options, the "
       "project team) per year from the start of development until FID, as a share of the "
       "capex estimate. It is lost if the project stops before FID.", lo=0, hi=0.5,
       uncertain=True,
       source="assumption: pre-FID spending of process plants of 2-5 % of capex over 2-4 "
              "years of development; no public figure for CRM plants was found"),
    _p("development.capex_escalation", "float", "1/yr", 0.02,
       "Real growth of the capex estimate per year of development (scope growth and "
       "construction costs rising faster than prices in general): the estimate at FID is "
       "plant.capex_meur × (1 + rate) ^ (years from the start of development to FID).",
       lo=-0.2, hi=1, uncertain=True,
       source="assumption: below the escalation of Rock Tech Guben's estimate, EUR 462M (Dec "
              "2021) to US$683M (Nov 2022) to about EUR 800M (2024) "
              "(https://themarketonline.ca/rock-tech-lithium-tsxvrck-announces-results-from-"
              "lithium-hydroxide-converter-engineering-study-2021-12-01/), which includes scope "
              "and financing costs"),
    _p("development.window_hazard", "float", "1/yr", 0.05,
       "Chance per year of development that the market window closes for good (the offtaker "
       "or a financier walks away). The project then stops and loses its development "
       "spending.", lo=0, hi=5, uncertain=True,
       source="assumption: about one project in four loses its offtaker or financier over "
              "five years of development; no public rate was found"),
]

_EARNINGS_STRIPPING = ("https://www.fundamentvoor.nl/onderneming-administratie/fiscale-eenheid/"
                       "aandachtspunten-fiscale-eenheid-vpb/43-beperking")

_FINANCE = [
    _p("finance.discount_rate", "float", "1/yr", 0.08,
       "Investor's discount rate (real in real terms, nominal in nominal terms).",
       lo=-0.5, hi=1, lo_open=True, uncertain=True),
    _p("finance.tax_rate", "float", "1", 0.258, "Corporate income tax rate (NL 2024: 25.8 %).",
       lo=0, hi=1, uncertain=True),
    _p("finance.loss_offset_threshold_meur", "float", "MEUR", 1.0,
       "Taxable profit per year against which carried-forward losses can be set off in full "
       "(NL since 2022: EUR 1 million).", lo=0, hi=MAX_MEUR),
    _p("finance.loss_offset_share_above", "float", "1", 0.5,
       "Share of the taxable profit above the threshold against which carried-forward losses "
       "can be set off (NL since 2022: 50 %).", lo=0, hi=1),
    _p("finance.depreciation_years", "float", "years", 15.0,
       "Tax depreciation period of the capex, from first production (the straight-line "
       "period, the life of a declining balance, the rest after an accelerated share).",
       lo=1, hi=100),
    _p("finance.depreciation_method", "choice", "", "straight-line",
       "Tax depreciation of the capex from first production: straight-line over "
       "finance.depreciation_years; declining-balance at finance.declining_balance_factor / "
       "depreciation_years of the book value a year, switching to straight-line over the "
       "remaining years when that is more; accelerated: finance.accelerated_share written "
       "off in the first year of production (as the Dutch Vamil / willekeurige afschrijving "
       "allows for listed environmental investments) and the rest straight-line; schedule: "
       "the shares of finance.depreciation_schedule, one per year of production.",
       choices=("straight-line", "declining-balance", "accelerated", "schedule"),
       source="straight-line: simcrm's depreciation before this setting"),
    _p("finance.declining_balance_factor", "float", "1", 2.0,
       "Declining-balance rate as a multiple of the straight-line rate (2 = double "
       "declining balance).", lo=1, hi=10,
       source="assumption: double declining balance, the textbook case"),
    _p("finance.accelerated_share", "float", "1", 0.75,
       "Share of the capex written off in the first year of production with the "
       "accelerated method.", lo=0, hi=1,
       source="Vamil: 75 % of a listed environmental investment may be written off at "
              "will (https://www.ficsus.nl/kennisbank/boekhoudtermen/vamil-regeling, "
              "https://business.gov.nl/subsidy/random-depreciation-environmental-"
              "investments/)"),
    _p("finance.depreciation_schedule", "shares", "1", [],
       "Depreciation shares of the capex by year of production (first year first), for "
       "the schedule method, e.g. a US MACRS table; must be given for that method.",
       source="none: a scenario gives its own table"),
    _p("finance.interest_limit", "bool", "", False,
       "Whether the Dutch earnings-stripping rule limits the interest deduction: net "
       "interest (and loan fees) is deductible up to the larger of "
       "finance.interest_limit_share × fiscal EBITDA and finance.interest_limit_meur a "
       "year; the rest is carried forward without time limit.",
       source="off: simcrm before this setting deducted all interest"),
    _p("finance.interest_limit_share", "float", "1", 0.245,
       "Share of fiscal EBITDA up to which net interest is deductible (NL: 24.5 % from "
       "2025, 20 % in 2022-2024).", lo=0, hi=1,
       source=f"earnings-stripping rule ({_EARNINGS_STRIPPING})"),
    _p("finance.interest_limit_meur", "float", "MEUR/yr", 1.0,
       "Net interest deductible in any case (NL: EUR 1 million a year).", lo=0, hi=MAX_MEUR,
       source=f"earnings-stripping rule ({_EARNINGS_STRIPPING}); carried forward: "
              "https://bylan.nl/nieuwsbrief-juli-2024/verdere-beperking-van-renteaftrek-voor-"
              "vastgoed-bvs/"),
    _p("finance.royalty_share", "float", "1", 0.0,
       "Royalty to the state or a landowner as a share of revenue (product and "
       "by-products) above finance.royalty_threshold_meur a year; tax-deductible.",
       lo=0, hi=1, uncertain=True,
       source="none in the Netherlands for a processing plant; studies of mines abroad "
              "state theirs"),
    _p("finance.royalty_threshold_meur", "float", "MEUR/yr", 0.0,
       "Revenue per year free of royalty.", lo=0, hi=MAX_MEUR,
       source="none unless a scenario states it"),
    _p("finance.working_capital_share", "float", "1", 0.15,
       "Working capital held, as a share of the year's revenue; released at the end.",
       lo=0, hi=2, uncertain=True),
    _p("finance.inflation", "float", "1/yr", 0.02,
       "General inflation, used only in nominal terms to escalate prices and costs.",
       lo=-0.5, hi=1),
    _p("finance.debt_gearing", "float", "1", 0.0,
       "Share of the capex financed with senior debt (0 = all equity).", lo=0, hi=0.95,
       uncertain=True),
    _p("finance.debt_rate", "float", "1/yr", 0.06, "Interest rate on the senior debt.",
       lo=0, hi=1, uncertain=True),
    _p("finance.debt_tenor_years", "float", "years", 12.0,
       "Repayment period of the debt (annuity), starting in the first production year.",
       lo=1, hi=50),
    _p("finance.debt_sizing", "choice", "", "gearing",
       "How the senior debt is sized and repaid. gearing: finance.debt_gearing × the final "
       "capex, drawn with the spending (an overrun is financed pro rata), repaid as an "
       "annuity. dscr: as a bank would, the debt the sizing case's cash flow available for "
       "debt service (CFADS) carries at finance.target_dscr over the tenor, capped at "
       "finance.debt_gearing × the capex estimate; an overrun is paid by the sponsor "
       "(standby equity); repayment sculpted or annuity (finance.debt_repayment); a debt "
       "service reserve (finance.dsra_years); default in the first year the reserve is "
       "exhausted and CFADS does not cover the debt service.",
       choices=("gearing", "dscr"),
       source="gearing: simcrm's debt before this setting"),
    _p("finance.target_dscr", "float", "1", 1.35,
       "Minimum debt service cover ratio (CFADS / debt service) of the sizing case that the "
       "lenders require (finance.debt_sizing = \"dscr\").", lo=1, hi=10,
       source="assumption: project-finance lenders commonly ask 1.3-1.5 for merchant "
              "industrial plants"),
    _p("finance.debt_repayment", "choice", "", "sculpted",
       "Repayment with finance.debt_sizing = \"dscr\": sculpted (debt service = the sizing "
       "case's CFADS / target DSCR each year) or annuity (equal debt service, sized on the "
       "year of lowest CFADS).", choices=("sculpted", "annuity"),
       source="assumption: sculpting is the usual project-finance repayment"),
    _p("finance.sizing_case", "choice", "", "p50",
       "The cash flow the debt is sized on (finance.debt_sizing = \"dscr\"): p50, every "
       "market on its median path (no shocks, crashes or spikes) with the draw's other "
       "inputs; or draw, the draw's own prices (perfect foresight: for checks).",
       choices=("p50", "draw"),
       source="assumption: banks size on a base (P50) case"),
    _p("finance.debt_grace_years", "float", "years", 0.0,
       "Years after the first production year before the senior debt is repaid (interest "
       "is paid meanwhile; rounded to whole years).", lo=0, hi=30,
       source="none: repayment from the first production year, as simcrm did before"),
    _p("finance.dsra_years", "float", "years", 0.5,
       "Debt service reserve account with finance.debt_sizing = \"dscr\": the reserve "
       "held, in years of the next year's debt service, filled from the cash flow after "
       "debt service and drawn in a year the cash flow does not cover the debt service.",
       lo=0, hi=5, source="assumption: six months of debt service is the usual reserve"),
    _p("finance.walkaway_years", "float", "years", 3.0,
       "The sponsor closes the plant for good (limited liability) after this many "
       "consecutive operating years with a negative cash flow from operations after tax, "
       "if the plant's cash margin at the long-run prices does not cover its fixed costs "
       "(its expected continuation value is negative); after that it pays nothing more and "
       "the lenders take their loss. A large number means never.", lo=1, hi=1000,
       source="assumption: a sponsor carries losses for a few years of a downturn before it "
              "closes a plant (Thermphos, Vlissingen, closed in 2012 after years of dumped "
              "imports: https://www.pzc.nl/zeeuws-nieuws/van-fosforfabriek-thermphos-is-alleen-"
              "nog-een-kantoor-over-je-herkent-het-niet-meer~a9a637b7/)"),
    _p("finance.decommissioning_share", "float", "1", 0.05,
       "Cost of closing the plant and cleaning up the site, as a share of the capex "
       "estimate; the sponsor pays it at the end of life (tax-deductible), or at a closure "
       "before that from its financial security.", lo=0, hi=2, uncertain=True,
       source="assumption; for scale: the clean-up of Thermphos (Vlissingen) cost EUR 125.5 M, "
              "paid by the province, the state and the port (https://www.pzc.nl/zeeuws-nieuws/"
              "van-fosforfabriek-thermphos-is-alleen-nog-een-kantoor-over-je-herkent-het-niet-"
              "meer~a9a637b7/)"),
    _p("finance.financial_security_share", "float", "1", 0.5,
       "Share of the decommissioning cost covered by a financial security the sponsor posts "
       "(e.g. a bank guarantee under the environmental permit). When a sponsor walks away, "
       "the state pays the rest (a contingent public cost).", lo=0, hi=1, uncertain=True,
       source="assumption: Dutch permits can demand a financial security (Omgevingswet), "
              "rarely for the whole clean-up"),
    _p("finance.financial_security_fee", "float", "1/yr", 0.0,
       "Yearly cost of keeping the financial security (e.g. a bank guarantee's fee), as a "
       "share of the amount secured (financial_security_share × the decommissioning cost), "
       "paid in the years of operation until closure (line financial_security; "
       "tax-deductible).", lo=0, hi=1, uncertain=True,
       source="none unless a scenario states it; for scale, bank guarantees cost about "
              "0.5-2 % a year (assumption)"),
    _p("finance.public_discount_rate", "float", "1/yr", 0.0225,
       "Government's discount rate for the present value of public cost (NL MKBA: 2.25 % real).",
       lo=-0.5, hi=1, lo_open=True),
]

INPUT_PARAMS: list[Param] = (_PLANT + _OPERATIONS + _MARKETS + _PERMITTING + _DEVELOPMENT
                              + _FINANCE)
"""Parameters that describe the plant and its context; worlds may override them."""

SETTING_PARAMS: list[Param] = _META + _SIMULATION
"""Run settings; worlds may not override them."""

_DECISION = [
    _p("decision.investor", "choice", "", "expected-npv",
       "How the investor decides at FID: build when the expected NPV of building, given what "
       "is known at FID (capex estimate, FID date, the market prices of that year, the "
       "world), is at least zero at the discount rate — estimated by least-squares "
       "regression across draws — or always build (every draw that reaches FID; the "
       "behaviour of simcrm before the investment decision was modelled).",
       choices=("expected-npv", "always")),
    _p("decision.pilot_draws", "int", "1", 4096,
       "Draws (the first of the run's random-number stream, also when the run itself is "
       "shorter) used to fit the investor's expected value of building; the fit is then "
       "applied to every draw, so the decisions depend neither on the chunk size, the "
       "number of workers nor the number of draws of the run.", lo=256, hi=1e7,
       source="four blocks of 1 024 draws: a few hundred draws per term of the regression "
              "(13 terms for the six states known at FID)"),
    _p("decision.min_mean_npv_meur", "float", "MEUR", 0.0,
       "An option is investable only if the mean NPV exceeds this.",
       lo=-MAX_MEUR, hi=MAX_MEUR),  # finite: a threshold of inf would be a typo
    _p("decision.max_loss_prob", "float", "1", None,
       "A sponsor's extra limit on the chance of a loss: an option is investable only if "
       "P(NPV < 0) is at most this. Off by default: the discount rate already prices the "
       "risk, so a loss limit on top counts it twice.", lo=0, hi=1),
    _p("decision.hurdle_irr", "float", "1/yr", 0.10,
       "Hurdle rate for the reported P(IRR > hurdle).", lo=-0.5, hi=5),
    _p("decision.production_deadline_year", "int", "year", 2030,
       "Reported P(first production in or before this year).", lo=2000, hi=2200),
]

_STATE_AID = [
    _p("state_aid.project_cap_meur", "float", "MEUR", 200.0,
       "Largest gross grant equivalent of all aid to one project together.", lo=0,
       hi=MAX_MEUR),
    _p("state_aid.method", "choice", "", "funding_gap",
       "How the aid amount is justified: 'funding_gap' (aid may not exceed what makes the "
       "project's expected NPV at the investor's rate zero: an option whose mean NPV with "
       "the aid is above state_aid.overcompensation_share of its grant equivalent fails), "
       "'intensity' (aid at most state_aid.max_intensity of the eligible capex) or "
       "'tender' (a competitive tender sets the amount: only the cap applies).",
       choices=("funding_gap", "intensity", "tender")),
    _p("state_aid.max_intensity", "float", "1", 0.15,
       "Largest gross grant equivalent as a share of the eligible capex (present values), "
       "with method 'intensity'.", lo=0, hi=1),
    _p("state_aid.overcompensation_share", "float", "1", 0.05,
       "With method 'funding_gap': mean NPV with the aid, as a share of the aid's grant "
       "equivalent, above which the aid over-compensates.", lo=0, hi=1),
    _p("state_aid.base_rate", "float", "1/yr", 0.01,
       "EU base rate, in the scenario's terms (real in real terms).", lo=-0.5, hi=1),
    _p("state_aid.reference_margin", "float", "1/yr", 0.04,
       "Margin over the base rate for the borrower's rating and collateral: the reference "
       "rate (market-conform loan rate) is base rate + margin.", lo=0, hi=1),
    _p("state_aid.guarantee_premium", "float", "1/yr", 0.038,
       "Market-conform yearly premium of a state guarantee (safe-harbour premium for the "
       "borrower's rating); a lower fee is aid.", lo=0, hi=1),
    _p("state_aid.energy_relief_max_years", "float", "years", 3.0,
       "Longest electricity-price relief.", lo=0, hi=100),
    _p("state_aid.energy_relief_max_wholesale_share", "float", "1", 0.5,
       "Largest electricity-price relief as a share of the wholesale price.", lo=0, hi=1),
    _p("state_aid.energy_relief_max_consumption_share", "float", "1", 0.5,
       "Largest share of the plant's consumption that electricity-price relief may cover.",
       lo=0, hi=1),
    _p("state_aid.energy_relief_floor_eur_mwh", "float", "EUR/MWh", 50.0,
       "Lowest electricity price the plant may pay after relief.", lo=0,
       hi=MAX_ENERGY_PRICE),
    _p("state_aid.indirect_cost_max_share", "float", "1", 0.75,
       "Largest share of indirect carbon costs that may be compensated.", lo=0, hi=1),
    _p("state_aid.investment_deduction_max_share", "float", "1", 0.4,
       "Largest extra tax deduction as a share of the eligible (listed) investment.",
       lo=0, hi=2),
]
"""EU state-aid limits (:mod:`simcrm.analysis.state_aid`); sources in DEFAULT_SOURCES."""

_REPORT = [
    _p("report.lang", "choice", "", "en", "Language of charts and report.", choices=("en", "nl")),
]

SETTING_PARAMS += _DECISION + _STATE_AID + _REPORT

ALL_PARAMS: dict[str, Param] = {p.key: p for p in SETTING_PARAMS + INPUT_PARAMS}
INPUTS: dict[str, Param] = {p.key: p for p in INPUT_PARAMS}


# --------------------------------------------------------------------------------------
# Levers (policy instruments); each takes its own table inside [options.NAME]
# --------------------------------------------------------------------------------------
#
# Each lever declares its settings in its own module of simcrm.levers (which imports
# this module for Param): see simcrm.levers.lever_params() and setting_params().


TOP_LEVEL_KEYS = ("extends", "partial", "scenario", "simulation", "plant", "operations", "markets",
                  "permitting", "development", "finance", "worlds", "options", "decision",
                  "state_aid", "report")


# --------------------------------------------------------------------------------------
# Where the defaults come from (shown in the scenario reference)
# --------------------------------------------------------------------------------------

_BRIEF = "docs/sources.md"  # the facts with their public addresses, by section
_CISAF_POWER = ("CISAF electricity-price relief for energy-intensive users: at most 3 years, at "
                "most 50 % of the wholesale price, on at most 50 % of consumption, never below "
                "50 EUR/MWh (https://legal.pwc.de/en/news/articles/green-light-for-electricity-"
                "price-relief-for-energy-intensive-users)")
DEFAULT_SOURCES = {
    "simulation.start_year": "assumption: development starts in 2026",
    "scenario.price_year": f"the year of most prices in {_BRIEF}",
    "simulation.draws": "enough for a standard error of P(NPV > 0) below 0.5 percentage point",
    "simulation.seed": "the date of the EZ decision memo, 5 December 2024",
    "simulation.horizon_years": "permits and construction plus a 25-year life",
    "plant.capex_overrun": f"on budget unless the scenario says otherwise; overruns of 40–62 % "
                           f"are common in metals projects ({_BRIEF} §6)",
    "plant.construction_months": f"{_BRIEF} §8: 2–3 years after FID (AMG Bitterfeld 2.5 years)",
    "plant.rampup_years": f"{_BRIEF} §8: ramp-up to nameplate in 1–2 years",
    "plant.utilisation": "assumption: a continuous process plant after ramp-up",
    "plant.life_years": f"assumption; Vulcan plans a 30-year life ({_BRIEF} §5.1)",
    "operations.maintenance_share": "assumption: 2–4 % of capex a year is usual for process "
                                    "plants",
    "permitting.permit_months": f"{_BRIEF} §8: permitting before FID 1.5–3 years in the base case",
    "finance.discount_rate": f"{_BRIEF} §6: 7.2 % mean of 100 mining feasibility studies; "
                             "CIM guidance 10 % for base metals",
    "finance.tax_rate": "Belastingdienst, vennootschapsbelasting 2024: 25.8 % on profit above "
                        "EUR 200 000 (the 19 % first bracket is ignored)",
    "finance.loss_offset_threshold_meur": "Belastingdienst, verliesverrekening from 2022",
    "finance.loss_offset_share_above": "Belastingdienst, verliesverrekening from 2022",
    "finance.depreciation_years": "assumption: a mix of buildings and process equipment",
    "finance.working_capital_share": "assumption: about two months of revenue",
    "finance.inflation": "ECB medium-term inflation target",
    "finance.debt_rate": "assumption: real cost of senior project debt",
    "finance.debt_tenor_years": "assumption",
    "finance.public_discount_rate": f"{_BRIEF} §6: MKBA discount rate 2.25 % real since 2021 "
                                    "(rwseconomie.nl)",
    "state_aid.project_cap_meur": "EU clean-industry state-aid framework (CISAF, 25 Jun 2025): "
                                  "clean-tech manufacturing incl. critical raw materials, at "
                                  "most EUR 200 M per project, sized by a funding gap or a tender "
                                  "(https://www.pv-magazine.com/2025/06/25/eu-adopts-state-aid-"
                                  "framework-for-cleantech-industry/)",
    "state_aid.method": "CISAF: aid sized by a funding-gap assessment or by a competitive "
                        "tender (https://www.pv-magazine.com/2025/06/25/eu-adopts-state-aid-"
                        "framework-for-cleantech-industry/)",
    "state_aid.max_intensity": "assumption: about 15 % of eligible costs, the fixed intensity "
                               "for large enterprises outside assisted areas in the earlier "
                               "clean-tech manufacturing section (TCTF 2.8); check the scheme",
    "state_aid.overcompensation_share": "assumption: a mean NPV of up to 5 % of the aid is "
                                        "within the noise of a funding-gap estimate",
    "state_aid.base_rate": "assumption: EU base rate for the Netherlands about 3 % nominal in "
                           "2025 (https://competition-policy.ec.europa.eu/state-aid/"
                           "legislation/reference-discount-rates-and-recovery-interest-"
                           "rates_en), less 2 % inflation",
    "state_aid.reference_margin": "Commission communication on reference and discount rates "
                                  "(2008/C 14/02): 400 basis points for a weak (B) rating with "
                                  "normal collateral, a greenfield project's usual standing "
                                  "(https://eur-lex.europa.eu/legal-content/EN/AUTO/?uri="
                                  "CELEX%3A52008XC0119%2801%29)",
    "state_aid.guarantee_premium": "Commission notice on guarantees (2008/C 155/02), "
                                   "safe-harbour premium 3.8 % a year for a B rating "
                                   "(https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri="
                                   "CELEX%3A52008XC0620%2802%29)",
    "state_aid.energy_relief_max_years": _CISAF_POWER,
    "state_aid.energy_relief_max_wholesale_share": _CISAF_POWER,
    "state_aid.energy_relief_max_consumption_share": _CISAF_POWER,
    "state_aid.energy_relief_floor_eur_mwh": _CISAF_POWER,
    "state_aid.indirect_cost_max_share": "EU ETS state-aid guidelines (2020/C 317/04): at most "
                                         "75 % of indirect emission costs on benchmark use",
    "state_aid.investment_deduction_max_share": "Dutch EIA: 40 % of listed assets "
                                                "(Energielijst) only (https://www."
                                                "duurzaamgebouwd.nl/duurzame-energie/20240104-"
                                                "eia-in-2024-impuls-energiebesparing-)",
    "decision.hurdle_irr": f"{_BRIEF} §6: 10 % for base metals (CIM)",
    "decision.production_deadline_year": "EU CRMA benchmarks for 2030",
}
for _m in MARKETS:
    DEFAULT_SOURCES[f"markets.{_m}.reversion"] = ("assumption: a price gap halves in about two "
                                                  "years")
