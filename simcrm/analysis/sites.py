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

What closes the gap (the smallest intensity of each Dutch lever at which the reference
site matches the best site, with its budget cash and grant equivalent) is
:func:`closing_levers`: a seam for the funding-gap solver, which returns nothing until that
solver is plugged in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from simcrm.engine.evaluate import base_case
from simcrm.engine.run import simulate
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


def closing_levers(comparison: Comparison, plant: Scenario, world: str = "base"
                   ) -> pd.DataFrame | None:
    """What closes the gap: for each Dutch lever (and the compliant package), the
    smallest intensity at which the reference site matches the best other site on the
    measure, with its budget cash and grant equivalent.

    This is the seam for the funding-gap solver (``simcrm gap``): given the reference
    site's scenario (:func:`simcrm.spec.sites.site_scenario`) and the target value
    (the best site's measure in ``world``), the solver finds each lever's smallest
    intensity.  Until it is plugged in this returns None and the report says the part
    is missing.

    Returns
    -------
    pandas.DataFrame or None
        Index lever; columns ``intensity``, ``budget_cash_meur``,
        ``grant_equivalent_meur`` (the cheapest first).
    """
    return None


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
