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
        (public cost against P(NPV > 0)), in the order of :attr:`options`."""
        cost = np.array([self.s("public_cost_gross_mean", o) for o in self.options])
        p = np.array([self.s("p_npv_pos", o) for o in self.options]) * 100
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
        ranking=robustness.ranking(ds) if several else None,
        regret=robustness.regret(ds) if several else None,
        best={w: ranking.best_option(findings.sm, w, findings.baseline)
              for w in findings.worlds},
        convergence=robustness.convergence_table(ds, option, world),
        running=robustness.running(ds, option, world))
