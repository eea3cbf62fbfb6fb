"""What the charts and the report of one results Dataset say, as numbers.

:class:`Findings` computes once what every chart and the report need — the
summary, the world shown, the best option, the message of each chart (which
option, which gain, whether it is a finding) — with the rules of
:mod:`simcrm.analysis.ranking`.  The presentation layer only words and draws
them (:class:`simcrm.present.charts.Facts` adds labels and colours).

Response families (:func:`response_families`) are the options a scenario builds
from one lever setting given as a list (``share = [0.1, 0.2, 0.3]``): they make a
response curve.  They are read from the scenario text stored in the results,
parsed and merged as the loader does (:func:`simcrm.spec.scenario.deep_merge`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from simcrm.analysis import ranking, robustness, sensitivity
from simcrm.analysis.discovery import PrimResult, discover
from simcrm.analysis.summary import deadline_year, decision_of, summarise
from simcrm.levers import setting_params
from simcrm.spec.scenario import deep_merge

# --------------------------------------------------------------------------------------
# The scenario text kept in the results
# --------------------------------------------------------------------------------------


def scenario_files(text: str) -> list[tuple[str, str]]:
    """Split ``attrs["scenario_toml"]`` (:attr:`simcrm.spec.scenario.Scenario.text`) into
    ``(path, text)`` per file read, main file first."""
    parts = re.split(r"^# ===== (.*) =====\n", text or "", flags=re.M)
    if len(parts) == 1:
        return [("", parts[0])]
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def scenario_tables(ds: xr.Dataset) -> dict:
    """The scenario as parsed TOML, files merged as the loader merges them (the main file
    overrides what it extends); empty if the text is missing.  A file that does not
    parse is skipped."""
    data: dict = {}
    for _, text in reversed(scenario_files(ds.attrs.get("scenario_toml", ""))):
        try:
            data = deep_merge(data, tomllib.loads(text))
        except tomllib.TOMLDecodeError:
            continue
    return data


# --------------------------------------------------------------------------------------
# Response families
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """Options that form a response curve: one lever setting given as a list."""

    name: str
    lever: str
    setting: str
    unit: str
    members: tuple[tuple[str, float], ...]
    """``(option, intensity)`` in the order given."""

    @property
    def key(self) -> str:
        """The setting's registry key, ``<lever>.<setting>``."""
        return f"{self.lever}.{self.setting}"


def response_families(ds: xr.Dataset, tables: dict | None = None) -> list[Family]:
    """Options that form a response curve, from the scenario text (or, without it, from
    option names ``<name>-<number>``)."""
    tables = scenario_tables(ds) if tables is None else tables
    present = {str(o) for o in ds["option"].values}
    fams = []
    for oname, table in (tables.get("options") or {}).items():
        if not isinstance(table, dict):
            continue
        lists = [(lv, k, v) for lv, lt in table.items() if isinstance(lt, dict)
                 for k, v in lt.items() if isinstance(v, list)]
        if len(lists) != 1:
            continue
        lever, setting, values = lists[0]
        members = tuple((f"{oname}-{x:g}", float(x)) for x in values
                        if isinstance(x, (int, float)) and f"{oname}-{x:g}" in present)
        if len(members) >= 2:
            params = setting_params()
            key = f"{lever}.{setting}"
            unit = params[key].unit if key in params else ""
            fams.append(Family(oname, lever, setting, unit, members))
    if fams or tables.get("options"):
        return fams
    groups: dict[str, list[tuple[str, float]]] = {}
    for o in ds["option"].values:
        m = re.fullmatch(r"(.+)-(-?[0-9.]+(?:e[+-]?\d+)?)", str(o))
        if m:
            groups.setdefault(m.group(1), []).append((str(o), float(m.group(2))))
    return [Family(k, "", "", "", tuple(v)) for k, v in groups.items() if len(v) >= 2]


@dataclass(frozen=True)
class CapKink:
    """Where a money cap of a response curve's lever bends its public-cost curve."""

    setting: str
    """The cap's registry key (``LEVER.cap_meur``)."""
    value: float
    """The cap [``unit``]."""
    unit: str
    """``MEUR`` or ``MEUR/yr``."""
    index: int
    """The member (in order of intensity) from which the public cost stops rising."""


def cap_kink(family: Family, x: np.ndarray, cost: np.ndarray,
             tables: dict | None = None, flat: float = 0.25) -> CapKink | None:
    """The cap behind a kink of a response curve's public cost, if there is one.

    A kink is a member after which the cost rises by less than ``flat`` times the
    steepest rise before it (per unit of intensity); it is put down to a cap when the
    family's lever has a money cap (a setting in ``MEUR`` or ``MEUR/yr`` whose name
    holds ``cap``) set in the option.

    Parameters
    ----------
    family : Family
    x, cost : ndarray
        Intensities (ascending) and expected public cost [MEUR] of the members.
    tables : dict, optional
        :func:`scenario_tables` of the run.
    """
    if not family.lever or tables is None or len(x) < 3:
        return None
    table = ((tables.get("options") or {}).get(family.name) or {}).get(family.lever)
    if not isinstance(table, dict):
        return None
    params = setting_params()
    caps = [(k, float(v)) for k, v in table.items()
            if "cap" in k and isinstance(v, (int, float)) and not isinstance(v, bool)
            and params.get(f"{family.lever}.{k}") is not None
            and params[f"{family.lever}.{k}"].unit in ("MEUR", "MEUR/yr")]
    if not caps:
        return None
    slope = np.diff(np.asarray(cost, float)) / np.diff(np.asarray(x, float))
    for i in range(1, slope.size):
        steepest = float(np.max(slope[:i]))
        if steepest > 0 and slope[i] < flat * steepest:
            k, v = caps[0]
            return CapKink(f"{family.lever}.{k}", v, params[f"{family.lever}.{k}"].unit, i)
    return None


def cross_year(years: np.ndarray, cum: np.ndarray) -> int | None:
    """First year from which a cumulative cash flow stays at or above zero.

    Parameters
    ----------
    years : ndarray of int, shape (year,)
    cum : ndarray, shape (year,)
        Cumulative cash flow [MEUR].

    Returns
    -------
    int or None
        The year; None if it ends below zero.
    """
    neg = np.flatnonzero(cum < 0)
    if len(neg) == 0:
        return int(years[0])
    i = neg[-1] + 1
    return int(years[i]) if i < len(years) else None


# --------------------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------------------


class Findings:
    """The numbers behind the charts and the report of one results Dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        Per-draw results.
    summary : xarray.Dataset, optional
        Its :func:`~simcrm.analysis.summary.summarise` (computed when omitted).
    cashflows : xarray.Dataset, optional
        The audit cash flows (``cashflows.nc``).

    Attributes
    ----------
    sm : xarray.Dataset
        The summary.
    options, worlds : list of str
    world : str
        The world the charts show: ``base`` if present, else the first.
    baseline : str
    families : list of Family
    best : str
        :func:`simcrm.analysis.ranking.best_option` in :attr:`world`.
    deadline : int
        The production deadline of the decision rule [year].
    decision : dict
        The decision rule (:func:`~simcrm.analysis.summary.decision_of`).
    """

    def __init__(self, ds: xr.Dataset, summary: xr.Dataset | None = None,
                 cashflows: xr.Dataset | None = None):
        self.ds = ds
        self.sm = summarise(ds) if summary is None else summary
        self.cf = cashflows
        self.options = [str(o) for o in ds["option"].values]
        self.worlds = [str(w) for w in ds["world"].values]
        self.world = "base" if "base" in self.worlds else self.worlds[0]
        self.baseline = "baseline" if "baseline" in self.options else self.options[0]
        self.tables = scenario_tables(ds)
        self.families = response_families(ds, self.tables)
        self.best = ranking.best_option(self.sm, self.world, self.baseline)
        self.decision = decision_of(ds)
        self.deadline = deadline_year(ds)
        self._rho: dict[str, pd.DataFrame] = {}

    def s(self, var: str, option: str, world: str | None = None) -> float:
        """A summary statistic as a float [its unit in :mod:`simcrm.spec.outputs`]."""
        return float(self.sm[var].sel(option=option, world=world or self.world))

    def spearman(self, option: str) -> pd.DataFrame:
        """Spearman correlations of NPV with the inputs (cached), in :attr:`world`."""
        if option not in self._rho:
            self._rho[option] = sensitivity.spearman(self.ds, option, self.world)
        return self._rho[option]

    # -- the message of each chart
    def profit(self) -> ranking.Gain:
        """The option with the highest P(NPV > 0) and its paired gain (NPV chart)."""
        return ranking.strongest(self.sm, "p_npv_pos", self.world, self.options, self.baseline)

    def production(self) -> ranking.Gain:
        """The option with the highest P(production by the deadline) and its paired gain."""
        return ranking.strongest(self.sm, "p_production_by_deadline", self.world,
                                 self.options, self.baseline, ds=self.ds,
                                 deadline=self.deadline)

    def cost_effective(self) -> tuple[str | None, bool]:
        """:func:`simcrm.analysis.ranking.most_cost_effective` in :attr:`world`."""
        return ranking.most_cost_effective(self.sm, self.world, self.baseline)

    def response(self, family: Family) -> ranking.Gain:
        """The member of a response family with the highest P(NPV > 0), its paired gain."""
        return ranking.strongest(self.sm, "p_npv_pos", self.world,
                                 [o for o, _ in family.members], self.baseline)

    def hardest_world(self) -> tuple[str, float]:
        """The world where even the option with the highest P(NPV > 0) does worst.

        Returns
        -------
        world : str
        p : float
            The highest P(NPV > 0) of any option there [1].
        """
        p = self.sm["p_npv_pos"].sel(option=self.options, world=self.worlds).values
        best_in = p.max(axis=0)
        j = int(np.argmin(best_in))
        return self.worlds[j], float(best_in[j])

    def efficient(self) -> np.ndarray:
        """:func:`~simcrm.analysis.ranking.pareto_efficient` options in :attr:`world`
        (budget cash against the ranked effect, :func:`~simcrm.analysis.ranking.effect_of`),
        in the order of :attr:`options`."""
        cost = np.array([self.s("budget_cash_pv_mean", o) for o in self.options])
        eff = ranking.effect_of(self.sm)
        p = np.array([self.s(eff, o) for o in self.options]) * 100
        return ranking.pareto_efficient(cost, p)

    def fan_options(self) -> list[str]:
        """The options the cash-flow fan and the tornado compare: baseline and best."""
        return [self.baseline] if self.best == self.baseline else [self.baseline, self.best]

    def cash_crossing(self, options: list[str], cashflows: xr.Dataset | None = None
                      ) -> tuple[np.ndarray, np.ndarray, list]:
        """Cumulative net cash flow of the audit draws and when its median turns positive.

        Parameters
        ----------
        options : list of str
        cashflows : xarray.Dataset, optional
            The audit cash flows (default: those given to the constructor).

        Returns
        -------
        years : ndarray of int, shape (year,)
        q : ndarray, shape (3, option, year)
            P10, median and P90 of the cumulative net cash flow [MEUR].
        cross : list of int or None
            Per option, the first year from which the median stays at or above zero.
        """
        cf = self.cf if cashflows is None else cashflows
        ncf = cf["net_cash_flow"].sel(world=self.world, option=options).load()
        cum = ncf.cumsum("year").values
        years = ncf["year"].values
        q = np.nanpercentile(cum, [10, 50, 90], axis=1)  # (q, option, year)
        return years, q, [cross_year(years, q[1, i]) for i in range(len(options))]


# --------------------------------------------------------------------------------------
# The analyses of the report
# --------------------------------------------------------------------------------------


@dataclass
class Analyses:
    """What the report's analysis sections show, computed once for every language.

    Attributes
    ----------
    option, world : str
        The option (default: the best) and world the Sobol', discovery and
        convergence sections are about.
    sobol : xarray.Dataset or None
        :func:`simcrm.analysis.sensitivity.sobol` of ``option`` in ``world``; None
        without a scenario.
    prim : simcrm.analysis.discovery.PrimResult
        When the option's NPV is negative (scenario discovery).
    ranking : pandas.DataFrame or None
        :func:`simcrm.analysis.robustness.ranking` (None with one world or option).
    regret : xarray.Dataset or None
        :func:`simcrm.analysis.robustness.regret`.
    best : dict
        World -> :func:`simcrm.analysis.ranking.best_option` there.
    convergence : pandas.DataFrame
        :func:`simcrm.analysis.robustness.convergence_table` of option and world.
    running : pandas.DataFrame
        :func:`simcrm.analysis.robustness.running` of option and world.
    """

    option: str
    world: str
    sobol: xr.Dataset | None
    prim: PrimResult
    ranking: pd.DataFrame | None
    regret: xr.Dataset | None
    best: dict[str, str]
    convergence: pd.DataFrame
    running: pd.DataFrame


def analyses(findings: Findings, scenario=None, option: str | None = None,
             world: str | None = None, sobol_n: int = 512,
             sobol: xr.Dataset | None = None) -> Analyses:
    """Run the report's analyses once.

    Parameters
    ----------
    findings : Findings
    scenario : simcrm.spec.scenario.Scenario, optional
        For the Sobol' design (``sobol_n · (D + 2)`` model rows for one option); without
        it (and without ``sobol``) there are no Sobol' indices.
    option, world : str, optional
        Default: the best option (:attr:`Findings.best`) in :attr:`Findings.world`.
    sobol_n : int
        Base sample of the Sobol' design (a power of two).
    sobol : xarray.Dataset, optional
        A Sobol' result computed before (e.g. stored with the run): used as it is,
        the design is not run again.
    """
    ds = findings.ds
    option = option or findings.best
    world = world or findings.world
    if sobol is None and scenario is not None:
        sobol = sensitivity.sobol(scenario, world, [option], n=sobol_n)
    several = ds.sizes.get("world", 1) > 1 and ds.sizes.get("option", 1) > 1
    return Analyses(
        option=option, world=world, sobol=sobol,
        prim=discover(ds, option, world, "npv"),
        ranking=(robustness.ranking(ds, aid_ok=robustness.aid_ok(findings.sm))
                 if several else None),
        regret=robustness.regret(ds) if several else None,
        best={w: ranking.best_option(findings.sm, w, findings.baseline)
              for w in findings.worlds},
        convergence=robustness.convergence_table(ds, option, world),
        running=robustness.running(ds, option, world))


# --------------------------------------------------------------------------------------
# The key message
# --------------------------------------------------------------------------------------

KEY_TEXT = {
    "already": {
        "en": "Without policy the plant is already investable: a {p0} {chance}.",
        "nl": "Zonder beleid is de fabriek al investeerbaar: {p0} {chance}."},
    "already_rec": {
        "en": "Recommendation: no public money is needed for the investment decision.",
        "nl": "Advies: voor het investeringsbesluit is geen publiek geld nodig."},
    "investable": {
        "en": "With {opt} the plant becomes investable: the {chance} rises from {p0} to "
              "{p}, for budget cash of {cost} (present value).",
        "nl": "Met {opt} wordt de fabriek investeerbaar: de {chance} "
              "stijgt van {p0} naar {p}, voor een kasbeslag van {cost} (contante waarde)."},
    "investable_rec": {
        "en": "Recommendation: choose {opt} (budget cash {cost}, present value).",
        "nl": "Advies: kies {opt} (kasbeslag {cost}, contante waarde)."},
    "helps": {
        "en": "No option makes the plant investable; {opt} adds the most chance per euro: "
              "the {chance} rises from {p0} to {p}, for budget cash of {cost} (present "
              "value).",
        "nl": "Geen enkele optie maakt de fabriek investeerbaar; {opt} voegt per euro de "
              "meeste kans toe: de {chance} stijgt van {p0} naar {p}, voor een "
              "kasbeslag van {cost} (contante waarde)."},
    "helps_rec": {
        "en": "Recommendation: do not count on support alone to get the plant built; if the "
              "government supports it, {opt} gives the most: +{g} points per EUR 100 million.",
        "nl": "Advies: reken er niet op dat steun alleen de fabriek binnenhaalt; als de "
              "overheid steunt, levert {opt} het meest op: +{g} procentpunt per 100 mln euro."},
    "helps_free": {
        "en": "No option makes the plant investable; {opt} helps at no budget cost: the "
              "{chance} rises from {p0} to {p}.",
        "nl": "Geen enkele optie maakt de fabriek investeerbaar; {opt} helpt zonder kosten "
              "voor de begroting: de {chance} stijgt van {p0} "
              "naar {p}."},
    "helps_free_rec": {
        "en": "Recommendation: do not count on support alone to get the plant built; start "
              "with {opt}, which costs the budget nothing.",
        "nl": "Advies: reken er niet op dat steun alleen de fabriek binnenhaalt; begin met "
              "{opt}, dat de begroting niets kost."},
    "title_helps_free": {"en": "{opt}: helps at no budget cost, still not investable",
                         "nl": "{opt}: helpt zonder begrotingskosten, nog niet investeerbaar"},
    "none": {
        "en": "No policy option that passes the EU state-aid rules raises the {chance} "
              "beyond simulation noise (without policy: {p0}).",
        "nl": "Geen enkele beleidsoptie die binnen de EU-staatssteunregels past, verhoogt "
              "de {chance} meer dan de simulatieruis (zonder "
              "beleid: {p0})."},
    "none_rec": {
        "en": "Recommendation: spend no public money on these options; revisit the business "
              "case first.",
        "nl": "Advies: besteed geen publiek geld aan deze opties; bekijk eerst de businesscase "
              "opnieuw."},
    "title_already": {"en": "The plant is investable without policy",
                      "nl": "De fabriek is zonder beleid al investeerbaar"},
    "title_investable": {"en": "{opt} makes the plant investable",
                         "nl": "{opt} maakt de fabriek investeerbaar"},
    "title_helps": {"en": "{opt}: most chance per euro, still not investable",
                    "nl": "{opt}: meeste kans per euro, nog niet investeerbaar"},
    "title_none": {"en": "No option is distinguishable from no policy",
                   "nl": "Geen optie is te onderscheiden van geen beleid"},
}
"""Words of :func:`key_message`."""

CHANCE = {"p_built": {"en": "chance that the plant is built",
                      "nl": "kans dat de fabriek gebouwd wordt"},
          "p_npv_pos": {"en": "chance of a profitable plant",
                        "nl": "kans op een rendabele fabriek"}}
"""How the key message names the effect (:func:`simcrm.analysis.ranking.effect_of`)."""


@dataclass(frozen=True)
class KeyMessage:
    """The one verdict and recommendation of a run, in one language.

    Attributes
    ----------
    case : {"already", "investable", "helps", "helps_free", "none"}
        What the ranking found: the baseline is investable already; an option makes
        the plant investable; an option helps significantly without making it
        investable (at no budget cost: helps_free); no option helps beyond two paired
        standard errors and one percentage point.
    option : str
        The option it names (:func:`simcrm.analysis.ranking.best_option`; the baseline
        for ``already`` and ``none``).
    verdict, recommendation : str
        The two sentences, used verbatim everywhere.
    title : str
        The same finding in at most about ten words, for the first chart.
    """

    case: str
    option: str
    verdict: str
    recommendation: str
    title: str

    @property
    def text(self) -> str:
        """Verdict and recommendation as one paragraph."""
        return f"{self.verdict} {self.recommendation}"


def key_message(summary: xr.Dataset, world: str, lang: str, label=None,
                baseline: str = "baseline") -> KeyMessage:
    """The key message of a run in ``world``: a function of the ranking result only.

    Parameters
    ----------
    summary : xarray.Dataset
        From :func:`simcrm.analysis.summary.summarise`.
    world : str
    lang : {"en", "nl"}
    label : callable, optional
        ``label(option, lang) -> str``; default: the summary's ``option_label_<lang>``
        coordinate (else the option's name).
    baseline : str

    Returns
    -------
    KeyMessage
        The option named is :func:`simcrm.analysis.ranking.best_option`; numbers are
        P(built) of the baseline and of that option, its expected budget cash (PV)
        [MEUR] and its additional chance built per 100 MEUR [percentage points].
    """
    from simcrm.present import text as i18n

    lang = i18n.check_lang(lang)
    sm = summary.sel(world=world)
    if label is None:
        coord = f"option_label_{lang}"

        def label(o, lg):
            v = str(sm[coord].sel(option=o).values) if coord in sm.coords else o
            return i18n.tidy_label(v, lg)

    best = ranking.best_option(summary, world, baseline)
    f = lambda var, o: float(sm[var].sel(option=o))  # noqa: E731
    if best == baseline:
        case = "already" if f("investable", baseline) > 0 else "none"
    else:
        case = "investable" if f("investable", best) > 0 else "helps"
        if case == "helps" and f("budget_cash_pv_mean", best) <= ranking.FREE_MEUR:
            case = "helps_free"
    eff = ranking.effect_of(summary)
    kw = dict(opt=label(best, lang), p0=i18n.pct(f(eff, baseline), lang),
              p=i18n.pct(f(eff, best), lang), chance=CHANCE[eff][lang],
              cost=i18n.money(f("budget_cash_pv_mean", best), lang),
              g=i18n.points(f("gain_per_100meur", best), lang))
    w = lambda key: KEY_TEXT[key][lang].format(**kw)  # noqa: E731
    return KeyMessage(case, best, w(case), w(f"{case}_rec"), w(f"title_{case}"))
