"""Where would the investor build?  The same plant at several sites, and the Dutch gap.

:func:`compare` runs the plant scenario once per site profile
(:mod:`simcrm.spec.sites`), every run with the same seed and settings, so every site sees
the same draws (common random numbers: draw ``i`` has the same uniforms, market shocks and
events at every site; only what the site changes differs).  Identical profiles therefore
give identical results, and differences between sites are not blurred by sampling noise.

The gap of the reference site (``nl``) to the best other site in a world is split into
causes (:data:`simcrm.spec.sites.CAUSES`) by switching the reference site's attributes to
the best site's one cause at a time, in that order (a waterfall): step ``k`` is the change
of the measure when cause ``k`` is switched on top of causes ``1 .. k-1``.  The steps add
up to the whole gap exactly, because the last mix *is* the best site.  The order matters
where causes interact (a lower tax rate is worth more once the power price is lower); the
order is stated with the result.

What closes the gap is :func:`closing_levers`: the smallest intensity of each Dutch lever
(each option template of the plant scenario, on top of the reference site's own support) at
which the reference site matches the best other site on the measure, found by the
funding-gap solver (:func:`simcrm.analysis.gap.solve`) on the same draws as the best site,
with its budget cash, grant equivalent and state-aid verdict.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import xarray as xr

from simcrm.analysis import gap
from simcrm.engine.evaluate import base_case, evaluate
from simcrm.engine.evaluate import base_draws as base_case_draws
from simcrm.engine.run import simulate
from simcrm.kernels.decision import fit_value
from simcrm.spec.scenario import Scenario
from simcrm.spec.sites import CAUSES, SITE_OPTION, Site, load_site, mix, site_scenario

REFERENCE = "nl"
"""The site whose gap is decomposed (the Netherlands)."""

MEASURES = {
    "npv_mean": "mean NPV [MEUR] over the draws, with the investor's decision to build",
    "base_npv": "NPV [MEUR] of the deterministic base case (the plant built, every input "
                "at its mean)",
}
"""What a site is judged by; ``npv_mean`` is the investor's criterion (the default)."""

COLUMNS = ("npv_mean", "npv_mean_se", "p_built", "p_production_by_deadline",
           "first_production_p50", "base_npv", "public_cost_gross_mean")
"""The per-site, per-world numbers of :attr:`Comparison.table`."""


@dataclass
class Comparison:
    """The sites side by side and the reference site's gap.

    Attributes
    ----------
    table : pandas.DataFrame
        Index ``(site, world)``; columns :data:`COLUMNS`: mean NPV [MEUR] and its
        standard error, P(built) [1], P(first production by the deadline) [1], median
        first production [year], the base-case NPV [MEUR], the site support's expected
        gross public cost [MEUR].
    waterfall : pandas.DataFrame
        Index ``(world, cause)``; columns ``best`` (the best other site), ``step`` (the
        change of the measure when this cause is switched [MEUR]) and ``cumulative``;
        the steps of a world add up to its gap (``best`` minus the reference).
    measure : str
        The measure of the waterfall and of "best" (:data:`MEASURES`).
    reference : str
    deadline : int
        The production deadline year of the decision rule.
    draws, seed : int
    sites : dict of Site
    """

    table: pd.DataFrame
    waterfall: pd.DataFrame
    measure: str
    reference: str
    deadline: int
    draws: int
    seed: int
    sites: dict[str, Site] = field(default_factory=dict)
    world_labels: dict[str, tuple[str, str]] = field(default_factory=dict)

    def gap(self, world: str) -> float:
        """The reference site's gap to the best other site in ``world`` [MEUR] (negative:
        the reference is behind)."""
        return float(self.waterfall.loc[world, "step"].sum())

    def best(self, world: str) -> str:
        """The best site other than the reference in ``world``."""
        return str(self.waterfall.loc[world, "best"].iloc[0])


def site_row(sc: Scenario, summary: xr.Dataset, world: str) -> dict[str, float]:
    """The :data:`COLUMNS` of one site in one world."""
    cell = summary.sel(option=SITE_OPTION, world=world)
    row = {k: float(cell[k]) for k in COLUMNS if k in cell}
    row["base_npv"] = base_case(sc, world, SITE_OPTION)[0]["npv"]
    return row


def run_site(plant: Scenario, site: Site, draws: int | None = None,
             seed: int | None = None, progress: Callable[[int, int], None] | None = None,
             ) -> tuple[Scenario, xr.Dataset]:
    """Simulate the plant at one site; the scenario as run and its summary."""
    sc = site_scenario(plant, site)
    res = simulate(sc, draws=draws, seed=seed, breakeven=False, progress=progress)
    return res.scenario, res.summary


def measure_of(sc: Scenario, summary: xr.Dataset, measure: str) -> dict[str, float]:
    """The measure of one run, per world [MEUR]."""
    if measure == "base_npv":
        return {w: base_case(sc, w, SITE_OPTION)[0]["npv"] for w in sc.worlds}
    return {w: float(summary["npv_mean"].sel(option=SITE_OPTION, world=w)) for w in sc.worlds}


def _check_common_draws(scenarios: list[Scenario]) -> None:
    """Sites must see the same draws: the same settings and, for Sobol' points (whose
    dimension is the number of uncertain inputs), the same uncertain inputs."""
    first = scenarios[0]
    for sc in scenarios[1:]:
        if sc.settings != first.settings:
            raise ValueError("site scenarios differ in their run settings")
        if (first.settings["simulation.sampler"] == "sobol"
                and sc.uncertain_keys != first.uncertain_keys):
            raise ValueError("with the Sobol' sampler every site must make the same inputs "
                             "uncertain (common random numbers); use sampler = \"random\" "
                             "or give the same inputs as distributions at every site")


def compare(plant: Scenario, names: list[str], *, draws: int | None = None,
            seed: int | None = None, measure: str = "npv_mean", reference: str = REFERENCE,
            progress: Callable[[str], None] | None = None) -> Comparison:
    """The plant at each site, with common random numbers, and the reference's gap.

    Parameters
    ----------
    plant : Scenario
        The plant scenario, read from its file.
    names : list of str
        Site profiles: shipped names (``nl``, ``de``, ``be``, ``fr``) or paths; the
        reference must be one of them, with at least one other.
    draws, seed : int, optional
        Override the scenario's; every site runs with the same ones.
    measure : {"npv_mean", "base_npv"}
        What "best" and the waterfall use (:data:`MEASURES`).
    reference : str
        The site whose gap is decomposed.
    progress : callable, optional
        Called with a short text before each run.

    Returns
    -------
    Comparison
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; use one of {', '.join(MEASURES)}")
    sites = {s.name: s for s in (load_site(n) for n in names)}
    if reference not in sites or len(sites) < 2:
        raise ValueError(f"the sites must include the reference site {reference!r} and at "
                         "least one other")
    runs = {}
    for name, site in sites.items():
        if progress:
            progress(f"site {name}")
        runs[name] = run_site(plant, site, draws, seed)
    _check_common_draws([sc for sc, _ in runs.values()])
    sc0 = runs[reference][0]
    table = pd.DataFrame.from_dict(
        {(n, w): site_row(sc, sm, w) for n, (sc, sm) in runs.items() for w in sc.worlds},
        orient="index")
    table.index.names = ["site", "world"]
    values = {n: measure_of(sc, sm, measure) for n, (sc, sm) in runs.items()}
    wf = waterfall(plant, sites, values, reference, measure, draws, seed, progress)
    labels = {w: (o.label_en or w, o.label_nl or w) for w, o in sc0.worlds.items()}
    return Comparison(table, wf, measure, reference,
                      int(sc0.settings["decision.production_deadline_year"]),
                      int(sc0.settings["simulation.draws"]), int(sc0.settings["simulation.seed"]),
                      sites, labels)


def waterfall(plant: Scenario, sites: dict[str, Site], values: dict[str, dict[str, float]],
              reference: str, measure: str, draws: int | None, seed: int | None,
              progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """The reference site's gap to the best other site, per world, split by cause.

    Parameters
    ----------
    values : dict
        Site -> world -> the measure [MEUR] of the full sites.

    Returns
    -------
    pandas.DataFrame
        As :attr:`Comparison.waterfall`.
    """
    worlds = list(values[reference])
    others = [n for n in sites if n != reference]
    best = {w: max(others, key=lambda n: values[n][w]) for w in worlds}
    cache: dict[tuple[str, frozenset], dict[str, float]] = {}

    def value(target: str, causes: frozenset) -> dict[str, float]:
        if not causes:
            return values[reference]
        if causes >= frozenset(CAUSES):
            return values[target]
        if (target, causes) not in cache:
            m = mix(sites[reference], sites[target], causes, f"{reference}+{target}")
            if progress:
                progress(f"{reference} with {target}'s " + ", ".join(c for c in CAUSES
                                                                     if c in causes))
            cache[(target, causes)] = measure_of(*run_site(plant, m, draws, seed), measure) \
                if measure == "npv_mean" else measure_of(site_scenario(plant, m), None, measure)
        return cache[(target, causes)]

    rows = []
    for w in worlds:
        b = best[w]
        differ = sites[reference].causes() | sites[b].causes()
        switched: frozenset = frozenset()
        before = values[reference][w]
        for cause in CAUSES:
            switched = switched | {cause}
            last = all(c in switched for c in CAUSES if c in differ)
            after = values[b][w] if last else value(b, switched)[w]
            rows.append((w, cause, b, after - before, after - values[reference][w]))
            before = after
    out = pd.DataFrame(rows, columns=["world", "cause", "best", "step", "cumulative"])
    return out.set_index(["world", "cause"])


CLOSING_COLUMNS = {
    "option": "", "lever": "", "setting": "", "unit": "", "label_en": "", "label_nl": "",
    "status": "", "intensity": "", "intensity_se": "", "range_hi": "",
    "target_meur": "MEUR", "measure_meur": "MEUR", "measure_se_meur": "MEUR",
    "p_built": "1", "budget_cash_meur": "MEUR", "grant_equivalent_meur": "MEUR",
    "aid_intensity": "1", "state_aid_ok": "", "state_aid_reason": "",
    "state_aid_reason_nl": "", "reference": "", "best": "", "world": "", "measure": "",
    "draws": "1",
}
"""Columns of :func:`closing_levers` and their units (``intensity``, ``intensity_se`` and
``range_hi`` are in the row's ``unit``); in ``sites_close.csv`` a unit is written into
the header, e.g. ``budget_cash_meur [MEUR]``."""

STATUS_ORDER = {"none_needed": 0, "solved": 0, "not_enough": 1}
"""Rows that close the gap (cheapest first), then those that cannot."""


def closing_levers(comparison: Comparison, plant: Scenario, world: str = "base",
                   n: int | None = None, progress: Callable[[str], None] | None = None,
                   ) -> pd.DataFrame:
    """What closes the gap: for each Dutch lever, the smallest intensity at which the
    reference site matches the best other site on the measure, with its budget cash and
    grant equivalent and the state-aid verdict.

    Every option template of the plant scenario (:func:`simcrm.analysis.gap.templates`:
    each option with an intensity, a package once per intensity with the others as
    given) is put on top of the reference site's own support (the option's settings of a
    lever replace the site's settings of the same lever) and searched by the funding-gap
    solver (:func:`simcrm.analysis.gap.solve`) for the best site's value:

    * ``npv_mean``: on the first ``n`` draws of the comparison's seed
      (:data:`simcrm.analysis.gap.GAP_DRAWS` unless fewer were run), the investor's
      decision refitted at each trial intensity as in a run
      (``Target("npv", v, decided=True)``); the target is the best site's mean NPV on
      the same draws (common random numbers), so with ``n`` equal to the comparison's
      draws it is the table's value.  ``measure_se_meur`` is the *paired* standard
      error of the difference to the best site at the answer, ``intensity_se`` that
      error over the slope of the curve.
    * ``base_npv``: the deterministic base case (one draw, plant built); budget cash and
      grant equivalent are then those of the base case, and there is no standard error.

    Budget cash (present value at the public rate) and grant equivalent are the means over
    the draws (0 where the plant is not built) of the whole Dutch option: the lever plus
    the site's own support.  ``status`` is ``none_needed`` (the reference already matches at
    the bottom of the range), ``solved`` or ``not_enough`` (not even at the top of the
    range; the numbers are then those at the top).

    Returns
    -------
    pandas.DataFrame
        Index ``template`` (the option name, with ``[lever.setting]`` where a package
        gives several); columns :data:`CLOSING_COLUMNS`; the rows that close the gap
        first (``none_needed``, ``solved``), the cheapest in budget cash first.
    """
    ts = gap.templates(plant)
    if world not in comparison.world_labels:
        raise ValueError(f"unknown world {world!r}; the comparison has "
                         f"{', '.join(comparison.world_labels)}")
    ref, best = comparison.sites[comparison.reference], comparison.sites[comparison.best(world)]
    setting = {"draws": comparison.draws, "seed": comparison.seed}
    sc_ref = site_scenario(plant, ref).with_settings(**setting)
    sc_best = site_scenario(plant, best).with_settings(**setting)
    if comparison.measure == "base_npv":
        d_ref, d_best, decided = _base_draws(sc_ref, world), _base_draws(sc_best, world), False
    else:
        n = int(n or min(gap.GAP_DRAWS, comparison.draws))
        d_ref, d_best = gap.draws(sc_ref, world, n), gap.draws(sc_best, world, n)
        decided = sc_ref.settings["decision.investor"] == "expected-npv"
    best_npv = npv_per_draw(sc_best, d_best, best.support, decided)
    target = gap.Target("npv", float(best_npv.mean()), decided)
    names = [t.name for t in ts]
    rows = {}
    for t in ts:
        t = replace(t, levers={**ref.support, **t.levers})
        key = t.name if names.count(t.name) == 1 else f"{t.name} [{t.lever}.{t.setting}]"
        if progress:
            progress(f"closing the gap with {key}")
        with warnings.catch_warnings():  # one base-case draw: no standard error
            warnings.simplefilter("ignore", RuntimeWarning)
            g = gap.solve(sc_ref, t, world, target, d=d_ref)
        rows[key] = _closing_row(comparison, sc_ref, d_ref, g, best_npv, decided)
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(CLOSING_COLUMNS))
    out.index.name = "template"
    if len(out):
        order = out["status"].map(STATUS_ORDER)
        out = out.iloc[np.lexsort((out["budget_cash_meur"].to_numpy(), order.to_numpy()))]
    return out


def _base_draws(sc: Scenario, world: str) -> gap.Draws:
    """The deterministic base case of ``world`` as the solver's one draw."""
    wd = base_case_draws(sc, world)
    return gap.Draws(world, (wd,), wd, 1)


def npv_per_draw(sc: Scenario, d: gap.Draws, option_levers: dict, decided: bool
                 ) -> np.ndarray:
    """NPV [MEUR] of every draw of ``d`` for an option, with the investor's decision
    fitted on the pilot draws as a run fits it (``decided``) or every draw that reaches
    FID built."""
    fits = None
    if decided:
        (m, _), = evaluate(sc, d.pilot, [option_levers], breakeven=False, pilot=True)
        fits = [fit_value(m["_state"], m["_value"])]
    return np.concatenate([evaluate(sc, wd, [option_levers], breakeven=False,
                                    fits=fits)[0][0]["npv"] for wd in d.chunks])


def _closing_row(c: Comparison, sc: Scenario, d: gap.Draws, g: gap.Gap,
                 best_npv: np.ndarray, decided: bool) -> dict:
    """One row of :func:`closing_levers`, with the paired standard errors."""
    t = g.template
    x = t.hi if g.status == "not_enough" else g.intensity
    se = x_se = np.nan
    if d.n > 1:
        diff = npv_per_draw(sc, d, t.levers_at(x), decided) - best_npv
        se = float(diff.std(ddof=1) / np.sqrt(d.n))
        if g.status == "solved":
            xs, score = np.array(g.curve).T
            hit = int(np.argmax(score >= 0))
            slope = (score[hit] - score[hit - 1]) / (xs[hit] - xs[hit - 1])
            x_se = se / slope if slope > 0 else np.nan
    st = g.stats
    return {"option": t.name, "lever": t.lever, "setting": t.setting, "unit": t.unit,
            "label_en": t.label_en, "label_nl": t.label_nl, "status": g.status,
            "intensity": g.intensity, "intensity_se": x_se, "range_hi": t.hi,
            "target_meur": g.target.value, "measure_meur": st["npv_mean"],
            "measure_se_meur": se, "p_built": st["p_built"],
            "budget_cash_meur": st["budget_cash_pv_mean"],
            "grant_equivalent_meur": st["gross_grant_equivalent_mean"],
            "aid_intensity": st["aid_intensity"], "state_aid_ok": g.state_aid_ok,
            "state_aid_reason": g.state_aid_reason,
            "state_aid_reason_nl": g.state_aid_reason_nl, "reference": c.reference,
            "best": c.best(g.world),
            "world": g.world, "measure": c.measure, "draws": d.n}


def cheapest(closing: pd.DataFrame, compliant: bool = True,
             by: str = "budget_cash_meur") -> str | None:
    """The row of the closing table that closes the gap with the least budget cash (or
    ``by="grant_equivalent_meur"``: the least aid), only those passing the state-aid
    check when ``compliant``; None if none does."""
    ok = closing[closing["status"] != "not_enough"]
    if compliant:
        ok = ok[ok["state_aid_ok"].astype(bool)]
    return None if ok.empty else str(ok[by].idxmin())


def closing_csv(closing: pd.DataFrame) -> pd.DataFrame:
    """``closing`` with units in its column names, for ``sites_close.csv``."""
    return closing.rename(columns={k: f"{k} [{u}]" for k, u in CLOSING_COLUMNS.items() if u})


def gap_target(comparison: Comparison, world: str = "base") -> float:
    """The value the reference site must reach in ``world``: the best other site's
    measure [MEUR] (the target for :func:`closing_levers`)."""
    col = comparison.measure
    return float(comparison.table.loc[(comparison.best(world), world), col])


def sorted_sites(comparison: Comparison, world: str) -> list[str]:
    """Sites from best to worst on the measure in ``world``."""
    t = comparison.table.xs(world, level="world")[comparison.measure]
    return list(t.sort_values(ascending=False, kind="stable").index)


def is_finite_table(comparison: Comparison) -> bool:
    """Whether every mean NPV and base-case NPV is a finite number."""
    t = comparison.table[["npv_mean", "base_npv"]].to_numpy()
    return bool(np.isfinite(t).all())
