"""The one registry of outputs: every number simcrm reports, described once.

Inputs are described in :mod:`simcrm.spec.registry`; this table does the same for
what comes out — name, unit, ``long_name``, an English and a Dutch label and a
plain description — in the manner of PyPSA's component attribute tables.  The
netCDF attributes (:func:`attrs`), the CSV and terminal headers of the summary,
the column headings of the report and the output section of the scenario
reference (:func:`reference_markdown`) all read it.

Kinds of output
---------------
``metric``
    Per draw, dims ``option × world × draw`` (``results.nc``).
``statistic``
    Per option × world, from :func:`simcrm.analysis.summary.summarise`
    (``summary.csv``, ``summary.xlsx``, ``Results.summary``, ``ds.simcrm.summary()``).
``line``
    Cash-flow line per year, dims ``option × world × draw × year``
    (``cashflows.nc``).  Sign convention: plant lines are inflows to the investor
    (positive) and outflows (negative); public lines are seen from the state:
    ``gov_outlays`` and ``gov_receipts`` positive, ``budget_cash*`` = outlays − receipts
    (positive: a cost to the treasury), ``aid*`` the state-aid transfers
    (:mod:`simcrm.model.public`).
``robustness``
    Per option (× world) from :mod:`simcrm.analysis.robustness`.
``sensitivity``
    Per option × factor from :func:`simcrm.analysis.sensitivity.sobol`.
``column``
    Columns of tables that are not a statistic of their own (rank, option, world,
    interval bounds).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from simcrm.levers import LEVERS
from simcrm.model.business_case import PLANT_LINES

KINDS = ("metric", "statistic", "line", "robustness", "sensitivity", "column")


@dataclass(frozen=True)
class Output:
    """One output.

    Attributes
    ----------
    name : str
        Variable or column name, e.g. ``npv`` or ``p_npv_pos``.
    kind : str
        One of :data:`KINDS`.
    unit : str
        Unit in the style of the results (``MEUR``, ``MEUR/yr``, ``1``, ``year`` ...);
        empty for text columns.
    long_name : str
        The ``long_name`` attribute of the variable.
    label_en, label_nl : str
        Short label for tables and charts, without unit (see :func:`header`); may hold
        ``{deadline}``.
    description : str
        Plain-language meaning, for the reference.
    short : str
        Header of the terminal table (narrow; English); default: the name.
    """

    name: str
    kind: str
    unit: str
    long_name: str
    label_en: str
    label_nl: str
    description: str = ""
    short: str = ""

    def label(self, lang: str) -> str:
        """The label in ``lang`` (``en`` or ``nl``)."""
        return self.label_nl if lang == "nl" else self.label_en

    def attrs(self) -> dict[str, str]:
        """``{"units": ..., "long_name": ...}`` for an xarray variable."""
        return {"units": self.unit, "long_name": self.long_name}


def _o(name, kind, unit, long_name, en, nl, description="", short="") -> Output:
    return Output(name, kind, unit, long_name, en, nl, description or long_name, short or name)


# --------------------------------------------------------------------------------------
# Per-draw metrics (results.nc), in the order the model computes them
# --------------------------------------------------------------------------------------

_METRICS = [
    _o("npv", "metric", "MEUR", "Net present value to the investor", "NPV", "NCW",
       "Investor's (equity) net present value of the net cash flow, after tax and debt "
       "service, at the scenario's discount rate and cash-flow timing, valued at 1 January "
       "of the valuation year. A draw that is not built has the development spending "
       "alone."),
    _o("irr", "metric", "1/yr", "Internal rate of return to the investor", "IRR", "IRR",
       "Internal rate of return of the net cash flow; NaN where none exists."),
    _o("project_npv", "metric", "MEUR",
       "Net present value of the project (unlevered, after tax, before financing)",
       "Project NPV", "Project-NCW",
       "Net present value of the project cash flow: revenue, costs, support, capex, "
       "working capital and the tax the plant would pay without loans (no interest or fees "
       "deducted), before any loan is drawn or repaid; at the investor's discount rate and "
       "cash-flow timing, valued at 1 January of the valuation year. The view of a "
       "feasibility study; equal to the NPV when there is no debt."),
    _o("project_irr", "metric", "1/yr",
       "Internal rate of return of the project (unlevered, after tax)",
       "Project IRR", "Project-IRR",
       "Internal rate of return of the project cash flow; NaN where none exists."),
    _o("payback", "metric", "years", "Payback time from the start of the valuation year",
       "Payback time", "Terugverdientijd",
       "Years from 1 January of the valuation year until the cumulative net cash flow, "
       "having been negative, is back at zero (year t's flow spread over year t)."),
    _o("lcop", "metric", "EUR/t",
       "Levelised cost of production (before tax, financing and support)",
       "Levelised cost", "Genormaliseerde kostprijs",
       "Discounted cost per discounted tonne, before tax, financing and support."),
    _o("breakeven_price", "metric", "EUR/t", "Flat product price that makes the NPV zero",
       "Break-even price", "Break-evenprijs"),
    _o("first_production", "metric", "year",
       "Date of first production (calendar year, fractional); NaN where not built",
       "First production", "Eerste productie"),
    _o("budget_cash_pv", "metric", "MEUR",
       "Budget cash of the option's levers, present value at the public discount rate",
       "Budget cash (PV)", "Kasbeslag (CW)",
       "What leaves the treasury less what returns to it through the levers (grants, "
       "subsidies, relief, contract payments and paybacks, loans out and repaid, guarantee "
       "calls and fees, purchases and resales, equity and dividends), discounted at the "
       "public discount rate. Corporate tax is not in it (see fiscal_return)."),
    _o("budget_cash_eu_pv", "metric", "MEUR",
       "Budget cash paid from the EU budget (EU co-funding), present value at the public "
       "discount rate", "EU budget cash (PV)", "Kasbeslag EU (CW)",
       "The EU's share of the option's public money (Innovation Fund, RESourceEU); "
       "budget_cash_pv is the Dutch treasury's, without it."),
    _o("gross_grant_equivalent", "metric", "MEUR",
       "Gross grant equivalent of all the option's aid (EU state-aid methods)",
       "Grant equivalent", "Subsidie-equivalent",
       "Grants and subsidies at face value, loans and guarantees by their advantage over "
       "the EU reference rate and the market-conform premium, contracts and purchases by the "
       "transfer above the market price, tax deductions by the tax forgone; discounted to "
       "the valuation year at the EU discount rate (base rate + 1 %)."),
    _o("eligible_cost_pv", "metric", "MEUR",
       "Eligible investment cost (capex), discounted as the grant equivalent",
       "Eligible cost", "Subsidiabele kosten"),
    _o("aid_intensity", "metric", "1", "Grant equivalent as a share of the eligible capex",
       "Aid intensity", "Steunintensiteit",
       "gross_grant_equivalent / eligible_cost_pv; NaN where the plant is not built."),
    _o("tax_paid_pv", "metric", "MEUR",
       "Corporate tax of the plant before tax deductions granted as aid, present value at "
       "the public discount rate", "Tax (PV)", "Belasting (CW)",
       "The tax the plant pays plus the tax forgone through a tax-deduction lever (that is "
       "in the budget cash already), at the public discount rate."),
    _o("fiscal_return", "metric", "MEUR",
       "Corporate tax over the baseline where the option changes what happens (PV)",
       "Fiscal return", "Fiscale terugverdienst",
       "Tax paid less the baseline's tax paid, in the draws where the option decides "
       "whether or when the plant is built; zero in the others (the plant would have paid "
       "that tax anyway) and zero for the baseline by definition. Public discount rate."),
    _o("public_cost_net", "metric", "MEUR", "Net public cost: budget cash less fiscal return (PV)",
       "Net public cost", "Netto publieke kosten",
       "budget_cash_pv − fiscal_return, both at the public discount rate."),
    _o("public_contingent_cost", "metric", "MEUR",
       "Present value of the clean-up the state pays when the sponsor walks away",
       "Contingent public cost", "Voorwaardelijke publieke kosten",
       "Decommissioning cost not covered by the sponsor's financial security after an "
       "early closure, at the public discount rate."),
    _o("built", "metric", "1", "Whether the plant is built (1) or not (0)",
       "Built", "Gebouwd",
       "1 where development reached the investment decision and the investor, judging the "
       "expected NPV given what is known then, decided to build."),
    _o("tonnes_by_deadline", "metric", "t",
       "Tonnes produced up to and including the deadline year", "Tonnes by the deadline",
       "Ton tot en met het doeljaar"),
    _o("tonnes_in_stress_years", "metric", "t",
       "Tonnes produced in years with a product-price crash or spike",
       "Tonnes in stress years", "Ton in crisisjaren",
       "Output in years of a dumping episode or an export-control shock: what a running "
       "plant adds to security of supply."),
    _o("idle_years", "metric", "years", "Years the plant idled (negative variable margin)",
       "Idle years", "Stilstandjaren"),
    _o("abandoned", "metric", "1", "Whether the sponsor walked away (1) or not (0)",
       "Closed early", "Vroegtijdig gesloten"),
    _o("production_end", "metric", "year",
       "Date production ends for good: end of life or closure (calendar year, fractional); "
       "NaN where not built", "End of production", "Einde productie"),
    _o("nameplate_tpa", "metric", "t/yr", "Nameplate capacity built (0 where not built)",
       "Capacity built", "Gebouwde capaciteit"),
]

# --------------------------------------------------------------------------------------
# Statistics per option × world (summarise), in CSV column order
# --------------------------------------------------------------------------------------

_STATS = [
    _o("npv_mean", "statistic", "MEUR", "Mean NPV", "Mean NPV", "Gem. NCW", short="NPV mean"),
    _o("npv_mean_se", "statistic", "MEUR", "Standard error of the mean NPV",
       "Mean NPV, standard error", "Gem. NCW, standaardfout"),
    _o("npv_p10", "statistic", "MEUR", "NPV, 10th percentile", "NPV P10", "NCW P10",
       short="P10"),
    _o("npv_p10_se", "statistic", "MEUR",
       "Standard error of the 10th percentile of NPV (order statistics)",
       "NPV P10, standard error", "NCW P10, standaardfout"),
    _o("npv_p50", "statistic", "MEUR", "NPV, median", "NPV median", "NCW mediaan",
       short="P50"),
    _o("npv_p50_se", "statistic", "MEUR", "Standard error of the median NPV (order statistics)",
       "NPV median, standard error", "NCW mediaan, standaardfout"),
    _o("npv_p90", "statistic", "MEUR", "NPV, 90th percentile", "NPV P90", "NCW P90",
       short="P90"),
    _o("npv_p90_se", "statistic", "MEUR",
       "Standard error of the 90th percentile of NPV (order statistics)",
       "NPV P90, standard error", "NCW P90, standaardfout"),
    _o("npv_cvar10", "statistic", "MEUR", "Mean NPV of the worst 10 % of draws (CVaR)",
       "NPV CVaR 10 %", "NCW CVaR 10 %"),
    _o("p_npv_pos", "statistic", "1",
       "Probability that the plant is built and pays back its hurdle (NPV > 0)",
       "P(NPV > 0)", "P(NCW > 0)", short="P(NPV>0)",
       description="Share of all draws in which the plant is built and its NPV at the "
                   "investor's discount rate is positive; a draw that is not built has a "
                   "negative NPV (its development spending)."),
    _o("p_npv_pos_se", "statistic", "1", "Standard error of P(NPV > 0)",
       "P(NPV > 0), standard error", "P(NCW > 0), standaardfout", short="±se"),
    _o("p_built", "statistic", "1", "Probability that the plant is built",
       "Chance the plant is built", "Kans dat de fabriek gebouwd wordt", short="P(built)",
       description="Share of draws in which development reaches the investment decision "
                   "(permit not refused, market window open) and the investor, judging the "
                   "expected NPV given what is known then, decides to build."),
    _o("p_built_se", "statistic", "1", "Standard error of P(built)",
       "Chance built, standard error", "Kans gebouwd, standaardfout"),
    _o("d_p_built", "statistic", "1", "Change in P(built) against the baseline",
       "Extra chance built", "Extra kans gebouwd"),
    _o("d_p_built_se", "statistic", "1", "Paired standard error of the change in P(built)",
       "Extra chance built, standard error", "Extra kans gebouwd, standaardfout"),
    _o("p_npv_pos_if_built", "statistic", "1",
       "Probability that NPV > 0 among the draws where the plant is built",
       "P(NPV > 0) if built", "P(NCW > 0) indien gebouwd"),
    _o("tonnes_by_deadline_mean", "statistic", "t",
       "Expected tonnes produced up to and including the deadline year",
       "Tonnes by {deadline}", "Ton t/m {deadline}", short="t by {deadline}"),
    _o("tonnes_by_deadline_mean_se", "statistic", "t",
       "Standard error of the expected tonnes by the deadline",
       "Tonnes by {deadline}, standard error", "Ton t/m {deadline}, standaardfout"),
    _o("d_tonnes_by_deadline", "statistic", "t",
       "Change in expected tonnes by the deadline against the baseline",
       "Extra tonnes by {deadline}", "Extra ton t/m {deadline}"),
    _o("d_tonnes_by_deadline_se", "statistic", "t",
       "Paired standard error of the change in tonnes by the deadline",
       "Extra tonnes by {deadline}, standard error", "Extra ton t/m {deadline}, standaardfout"),
    _o("tonnes_in_stress_mean", "statistic", "t",
       "Expected tonnes produced in years with a product-price crash or spike",
       "Tonnes in stress years", "Ton in crisisjaren"),
    _o("idle_years_mean", "statistic", "years", "Expected years the plant idles",
       "Idle years", "Stilstandjaren"),
    _o("p_abandoned", "statistic", "1", "Probability that the sponsor walks away",
       "Chance of early closure", "Kans op vroegtijdige sluiting"),
    _o("public_contingent_cost_mean", "statistic", "MEUR",
       "Expected clean-up cost falling on the state after an early closure (PV)",
       "Contingent public cost", "Voorwaardelijke publieke kosten"),
    _o("project_npv_mean", "statistic", "MEUR",
       "Mean NPV of the project (unlevered, after tax, before financing)",
       "Mean project NPV", "Gem. project-NCW"),
    _o("project_npv_mean_se", "statistic", "MEUR", "Standard error of the mean project NPV",
       "Mean project NPV, standard error", "Gem. project-NCW, standaardfout"),
    _o("project_irr_mean", "statistic", "1/yr",
       "Mean project IRR over draws where one exists", "Mean project IRR",
       "Gem. project-IRR"),
    _o("irr_mean", "statistic", "1/yr", "Mean IRR over draws where an IRR exists",
       "Mean IRR", "Gem. IRR", short="IRR"),
    _o("irr_mean_se", "statistic", "1/yr", "Standard error of the mean IRR",
       "Mean IRR, standard error", "Gem. IRR, standaardfout"),
    _o("irr_undefined", "statistic", "1", "Number of draws without an IRR",
       "Draws without IRR", "Trekkingen zonder IRR"),
    _o("p_irr_above_hurdle", "statistic", "1",
       "Probability that the IRR exceeds the hurdle rate", "P(IRR > hurdle)",
       "P(IRR > drempel)"),
    _o("p_irr_above_hurdle_se", "statistic", "1", "Standard error of P(IRR > hurdle)",
       "P(IRR > hurdle), standard error", "P(IRR > drempel), standaardfout"),
    _o("p_production_by_deadline", "statistic", "1",
       "Probability of first production in or before the deadline year",
       "Producing by end {deadline}", "Productie vóór eind {deadline}",
       short="P(prod≤{deadline})"),
    _o("p_production_by_deadline_se", "statistic", "1",
       "Standard error of P(production by deadline)",
       "Producing by end {deadline}, standard error",
       "Productie vóór eind {deadline}, standaardfout"),
    _o("first_production_p50", "statistic", "year", "Median date of first production",
       "First production, median", "Eerste productie, mediaan"),
    _o("budget_cash_pv_mean", "statistic", "MEUR",
       "Expected budget cash of the levers (PV at the public discount rate)",
       "Budget cash (PV)", "Kasbeslag (CW)", short="budget PV"),
    _o("budget_cash_pv_mean_se", "statistic", "MEUR",
       "Standard error of the expected budget cash", "Budget cash, standard error",
       "Kasbeslag, standaardfout"),
    _o("budget_cash_eu_pv_mean", "statistic", "MEUR",
       "Expected budget cash paid from the EU budget by co-funding (PV), not in the Dutch "
       "budget cash", "EU budget cash (PV)", "EU-kasbeslag (CW)"),
    _o("gross_grant_equivalent_mean", "statistic", "MEUR",
       "Expected gross grant equivalent of all aid (EU methods)", "Grant equivalent",
       "Subsidie-equivalent", short="GGE"),
    _o("aid_intensity_mean", "statistic", "1",
       "Aid intensity: expected grant equivalent over expected eligible capex, where built",
       "Aid intensity", "Steunintensiteit"),
    _o("fiscal_return_mean", "statistic", "MEUR",
       "Expected corporate tax over baseline where the option changes what happens (PV)",
       "Fiscal return", "Fiscale terugverdienst"),
    _o("fiscal_return_mean_se", "statistic", "MEUR", "Standard error of the fiscal return",
       "Fiscal return, standard error", "Fiscale terugverdienst, standaardfout"),
    _o("public_cost_net_mean", "statistic", "MEUR",
       "Expected net public cost (budget cash less fiscal return, PV)",
       "Net public cost", "Netto publieke kosten", short="net cost"),
    _o("public_cost_net_mean_se", "statistic", "MEUR",
       "Standard error of the expected net public cost", "Net public cost, standard error",
       "Netto publieke kosten, standaardfout"),
    _o("gain_per_100meur", "statistic", "1/(100 MEUR)",
       "Extra P(built) over baseline per 100 MEUR of budget cash (PV)",
       "Extra chance built per 100 MEUR", "Extra kans gebouwd per 100 mln EUR",
       short="ΔP(built)/100M"),
    _o("tonnes_per_100meur", "statistic", "t/(100 MEUR)",
       "Extra tonnes by the deadline over baseline per 100 MEUR of budget cash (PV)",
       "Extra tonnes per 100 MEUR", "Extra ton per 100 mln EUR"),
    _o("gain_per_100meur_gge", "statistic", "1/(100 MEUR)",
       "Extra P(built) over baseline per 100 MEUR of grant equivalent",
       "Extra chance built per 100 MEUR aid", "Extra kans gebouwd per 100 mln EUR steun"),
    _o("d_p_npv_pos", "statistic", "1", "Gain in P(NPV > 0) over baseline",
       "Gain in P(NPV > 0)", "Winst in P(NCW > 0)"),
    _o("d_p_npv_pos_se", "statistic", "1", "Paired standard error of the gain in P(NPV > 0)",
       "Gain in P(NPV > 0), paired standard error",
       "Winst in P(NCW > 0), gepaarde standaardfout"),
    _o("d_npv_mean", "statistic", "MEUR", "Gain in mean NPV over baseline",
       "Gain in mean NPV", "Winst in gem. NCW"),
    _o("d_npv_mean_se", "statistic", "MEUR", "Paired standard error of the gain in mean NPV",
       "Gain in mean NPV, paired standard error", "Winst in gem. NCW, gepaarde standaardfout"),
    _o("deadweight_meur", "statistic", "MEUR",
       "Expected budget cash paid in draws where the plant would have been built anyway",
       "Deadweight", "Deadweight",
       "Budget cash (PV) of the draws in which the baseline builds the plant too."),
    _o("deadweight_share", "statistic", "1", "Share of the budget cash that is deadweight",
       "Deadweight share", "Aandeel deadweight"),
    _o("investable", "statistic", "1", "Verdict of the decision rule (1 = investable)",
       "Investable", "Investeerbaar", short="investable"),
    _o("state_aid_ok", "statistic", "1",
       "Whether the option passes the EU state-aid check (1) or not (0)",
       "State aid OK", "Staatssteun akkoord", short="aid ok",
       description="0 when the option breaks an instrument's limit, the per-project cap, "
                   "the maximum intensity or (funding-gap method) over-compensates; the "
                   "reason is in state_aid_reason."),
]

# --------------------------------------------------------------------------------------
# Cash-flow lines (cashflows.nc)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeverLine:
    """The cash-flow lines one lever adds.

    Attributes
    ----------
    lever : str
        Lever name (the TOML table of the lever).
    label_en, label_nl : str
    line_description : str
        ``long_name`` of the plant's line of the same name; empty if the lever has no
        plant line of its own (it works through other lines, e.g. a public loan).
    gov_description : str
        What the lever's budget cash is (``budget_cash_<lever>``).
    """

    lever: str
    label_en: str
    label_nl: str
    line_description: str
    gov_description: str


def lever_lines() -> list[LeverLine]:
    """The levers' cash-flow lines, in the order the model writes the ``gov_*`` lines
    (read from the lever registry at every call, so a lever registered at run time is
    described too)."""
    return [LeverLine(k, lv.label_en, lv.label_nl, lv.line_description or "",
                      lv.gov_description) for k, lv in LEVERS.items() if lv.gov_description]


_PLANT_LABELS = {
    "revenue": ("Revenue", "Omzet"),
    "feedstock": ("Feedstock", "Grondstof"),
    "electricity": ("Electricity", "Elektriciteit"),
    "gas": ("Natural gas", "Aardgas"),
    "carbon": ("CO2 allowances", "CO2-rechten"),
    "other_opex": ("Other operating costs", "Overige bedrijfskosten"),
    "capex": ("Capital expenditure", "Investeringsuitgaven"),
    "working_capital": ("Working capital", "Werkkapitaal"),
    "tax": ("Corporate tax", "Vennootschapsbelasting"),
    "debt_drawdown": ("Loans drawn", "Opgenomen leningen"),
    "interest": ("Interest", "Rente"),
    "principal": ("Principal repaid", "Aflossing"),
    "guarantee_fee": ("Guarantee fee", "Garantieprovisie"),
    "development": ("Development spending", "Ontwikkelkosten"),
    "decommissioning": ("Decommissioning", "Ontmanteling"),
    "byproduct": ("By-product sales", "Verkoop bijproducten"),
    "royalty": ("Royalty", "Royalty"),
    "sustaining_capex": ("Sustaining capex", "Vervangingsinvesteringen"),
    "financial_security": ("Financial security", "Financiële zekerheid"),
    "restart": ("Restart after idling", "Herstart na stilstand"),
}


def _lines() -> list[Output]:
    """The cash-flow lines in the order of ``cashflows.nc``."""
    levers = {ln.lever: ln for ln in lever_lines()}
    out = []
    for k, long_name in PLANT_LINES.items():
        if k in levers:
            ln = levers[k]
            out.append(_o(k, "line", "MEUR/yr", ln.line_description or long_name,
                          ln.label_en, ln.label_nl))
        else:
            en, nl = _PLANT_LABELS.get(k, (k.replace("_", " ").capitalize(),) * 2)
            out.append(_o(k, "line", "MEUR/yr", long_name, en, nl))
    out += [
        _o("net_cash_flow", "line", "MEUR/yr",
           "Net cash flow to the investor (sum of the plant lines)", "Net cash flow",
           "Netto kasstroom"),
        _o("project_cash_flow", "line", "MEUR/yr",
           "Project cash flow: unlevered, after the tax without loans, before financing",
           "Project cash flow", "Projectkasstroom"),
        _o("production", "line", "t/yr", "Production", "Production", "Productie"),
    ]
    for ln in lever_lines():
        out += [_o(f"budget_cash_{ln.lever}", "line", "MEUR/yr",
                   f"Budget cash: {ln.gov_description[0].lower()}{ln.gov_description[1:]}",
                   f"Budget cash: {ln.label_en.lower()}", f"Kasbeslag: {ln.label_nl.lower()}"),
                _o(f"aid_{ln.lever}", "line", "MEUR/yr",
                   f"State-aid transfer (grant equivalent before discounting): "
                   f"{ln.label_en.lower()}",
                   f"Aid: {ln.label_en.lower()}", f"Steun: {ln.label_nl.lower()}")]
    out += [
        _o("gov_outlays", "line", "MEUR/yr",
           "Government outlays, all levers (grants, payments, loans out, calls, purchases)",
           "Government outlays", "Overheidsuitgaven"),
        _o("gov_receipts", "line", "MEUR/yr",
           "Government receipts from levers (fees, interest and repayments, paybacks, "
           "resales, dividends)", "Government receipts", "Overheidsontvangsten"),
        _o("budget_cash", "line", "MEUR/yr", "Budget cash: outlays less receipts of all levers",
           "Budget cash", "Kasbeslag"),
        _o("budget_cash_eu", "line", "MEUR/yr",
           "Budget cash paid from the EU budget in place of the Dutch treasury (EU co-funding)",
           "EU budget cash", "Kasbeslag EU"),
        _o("aid", "line", "MEUR/yr", "State-aid transfer of all levers, before discounting",
           "State aid", "Staatssteun"),
        _o("gov_contingent", "line", "MEUR/yr",
           "Clean-up paid by the state after the sponsor walked away (contingent)",
           "Government: clean-up", "Overheid: sanering"),
        _o("tax_over_baseline", "line", "MEUR/yr",
           "Corporate tax over the baseline in draws where the option changes what happens",
           "Fiscal return", "Fiscale terugverdienst"),
    ]
    return out


# --------------------------------------------------------------------------------------
# Robustness, sensitivity and table columns
# --------------------------------------------------------------------------------------

_ROBUSTNESS = [
    _o("regret_npv", "robustness", "MEUR",
       "Shortfall of the mean NPV from the best option in the world",
       "Largest NPV regret", "Grootste NCW-spijt",
       "Per world: how far the option's mean NPV falls short of the best option there; "
       "per option: the largest such shortfall over the worlds (minimax regret)."),
    _o("regret_npv_se", "robustness", "MEUR", "Paired standard error of the NPV regret",
       "NPV regret, paired standard error", "NCW-spijt, gepaarde standaardfout"),
    _o("regret_npv_world", "robustness", "", "World of the largest NPV regret", "in world",
       "in wereld"),
    _o("regret_p_npv_pos", "robustness", "1",
       "Shortfall of P(NPV > 0) from the best option in the world",
       "Largest P(NPV > 0) regret", "Grootste spijt in P(NCW > 0)"),
    _o("regret_public_cost", "robustness", "MEUR",
       "Expected public cost above the cheapest option in the world",
       "Largest public-cost regret", "Grootste spijt in publieke kosten"),
    _o("best_option", "robustness", "", "Option with the highest mean NPV in the world",
       "Best option", "Beste optie"),
    _o("p_npv_pos_worst", "robustness", "1", "Lowest P(NPV > 0) over the worlds",
       "Worst-world P(NPV > 0)", "P(NCW > 0) in slechtste wereld"),
    _o("worst_world", "robustness", "", "World where P(NPV > 0) is lowest", "Worst world",
       "Slechtste wereld"),
    _o("p_npv_pos_mean", "robustness", "1",
       "P(NPV > 0), average over the worlds (equal weights)", "Average P(NPV > 0)",
       "Gemiddelde P(NCW > 0)"),
    _o("npv_mean_worst", "robustness", "MEUR", "Lowest mean NPV over the worlds",
       "Worst-world mean NPV", "Gem. NCW in slechtste wereld"),
]

_SENSITIVITY = [
    _o("S1", "sensitivity", "1",
       "First-order Sobol' index (share of variance explained by the factor alone)",
       "Alone (first order)", "Alleen (eerste orde)"),
    _o("S1_conf", "sensitivity", "1", "Half-width of the confidence interval of S1",
       "First order, interval half-width", "Eerste orde, halve intervalbreedte"),
    _o("ST", "sensitivity", "1", "Total Sobol' index (share of variance involving the factor)",
       "Total (with interactions)", "Totaal (met interacties)"),
    _o("ST_conf", "sensitivity", "1", "Half-width of the confidence interval of ST",
       "Total, interval half-width", "Totaal, halve intervalbreedte"),
    _o("S2", "sensitivity", "1", "Second-order Sobol' index", "Second order", "Tweede orde"),
    _o("S2_conf", "sensitivity", "1", "Half-width of the confidence interval of S2",
       "Second order, interval half-width", "Tweede orde, halve intervalbreedte"),
]

_COLUMNS = [
    _o("option", "column", "", "Policy option", "Option", "Optie", short="option"),
    _o("world", "column", "", "World", "World", "Wereld", short="world"),
    _o("rank", "column", "", "Rank (1 = best)", "Rank", "Rang"),
    _o("statistic", "column", "", "Name of the statistic", "Statistic", "Grootheid"),
    _o("estimate", "column", "", "Estimate", "Estimate", "Schatting"),
    _o("se", "column", "", "Monte Carlo standard error", "Standard error", "Standaardfout"),
    _o("lower", "column", "", "Lower bound of the 95 % interval", "95 % lower", "95 % onder"),
    _o("upper", "column", "", "Upper bound of the 95 % interval", "95 % upper", "95 % boven"),
    _o("draws_needed", "column", "", "Draws for a standard error of 1 percentage point",
       "Draws for ±1 point", "Trekkingen voor ±1 procentpunt"),
    _o("best", "column", "", "Best option of its world (ranking.best_option)", "Best option",
       "Beste optie", short="best"),
    _o("state_aid_rules", "column", "",
       "EU state-aid instrument limits the option's levers break, per world (empty: none)",
       "State-aid instrument limits", "Staatssteungrenzen per instrument"),
    _o("state_aid_rules_nl", "column", "",
       "EU state-aid instrument limits the option's levers break, per world, in Dutch "
       "(empty: none)",
       "State-aid instrument limits (Dutch)", "Staatssteungrenzen per instrument"),
    _o("state_aid_reason", "column", "",
       "Why the option fails the EU state-aid check (empty: it passes)",
       "State-aid verdict", "Staatssteunoordeel"),
    _o("state_aid_reason_nl", "column", "",
       "Why the option fails the EU state-aid check, in Dutch (empty: it passes)",
       "State-aid verdict (Dutch)", "Staatssteunoordeel"),
    _o("deadline_year", "column", "year", "Deadline year of the production probability",
       "Deadline year", "Deadline-jaar"),
]

OUTPUTS: dict[str, Output] = {}
"""Every output by name (metrics, statistics, lines, robustness, sensitivity, columns)."""
for _out in _METRICS + _STATS + _lines() + _ROBUSTNESS + _SENSITIVITY + _COLUMNS:
    if _out.name in OUTPUTS:  # pragma: no cover - a table error, caught by the tests
        raise ValueError(f"output {_out.name!r} described twice")
    OUTPUTS[_out.name] = _out
del _out


def of_kind(kind: str) -> dict[str, Output]:
    """The outputs of one kind (:data:`KINDS`), in table order."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    return {k: v for k, v in OUTPUTS.items() if v.kind == kind}


METRICS = of_kind("metric")
"""Per-draw metrics."""
STATISTICS = of_kind("statistic")
"""Statistics per option × world, in the order of ``summary.csv``."""
LINES = of_kind("line")
"""Cash-flow lines."""


def attrs(name: str) -> dict[str, str]:
    """``units`` and ``long_name`` of an output, for its netCDF variable.

    Raises
    ------
    KeyError
        For a name that is not in :data:`OUTPUTS` (with a suggestion).
    """
    return get(name).attrs()


def get(name: str) -> Output:
    """The output ``name``; a KeyError that names close matches otherwise."""
    try:
        return OUTPUTS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(OUTPUTS), n=1)
        hint = f" — did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"unknown output {name!r}{hint}") from None


def long_name(name: str) -> str:
    """The ``long_name`` of an output."""
    return get(name).long_name


def label(name: str, lang: str, **fields) -> str:
    """The label of an output in ``lang``, ``{fields}`` (e.g. ``deadline``) filled in."""
    s = get(name).label(lang)
    return s.format(**fields) if fields else s


def unit_text(unit: str, lang: str) -> str:
    """A unit as shown to readers (``MEUR`` is ``mln EUR`` in Dutch)."""
    if lang == "nl":
        return {"MEUR": "mln EUR", "MEUR/yr": "mln EUR/jaar", "t/yr": "t/jaar"}.get(unit, unit)
    return unit


_NO_BRACKET = {"", "1", "year", "1/yr", "1/(100 MEUR)"}
"""Units not written after a label: dimensionless, years, rates shown as %, and units the
label already names."""


def header(name: str, lang: str, **fields) -> str:
    """A table heading: the label with its unit, e.g. ``Mean NPV [MEUR]``."""
    o = get(name)
    s = label(name, lang, **fields)
    return s if o.unit in _NO_BRACKET else f"{s} [{unit_text(o.unit, lang)}]"


def short(name: str, **fields) -> str:
    """The terminal-table heading of an output."""
    s = get(name).short
    return s.format(**fields) if fields else s


def reference_markdown() -> str:
    """The outputs section of the scenario reference (Markdown)."""
    titles = {"metric": "Per-draw metrics (`results.nc`)",
              "statistic": "Statistics per option × world (`summary.csv`)",
              "line": "Cash-flow lines (`cashflows.nc`, per year)",
              "robustness": "Robustness across worlds",
              "sensitivity": "Sobol' indices"}
    parts = ["## Outputs\n"]
    for kind, title in titles.items():
        parts.append(f"\n### {title}\n\n| name | unit | meaning | label (en / nl) |\n"
                     "|---|---|---|---|\n")
        for o in of_kind(kind).values():
            parts.append(f"| `{o.name}` | {o.unit or '–'} | {o.description} | "
                         f"{o.label_en} / {o.label_nl} |\n")
    return "".join(parts)
