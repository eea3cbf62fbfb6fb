"""Which option is best, and which differences are findings.

One rule for significance and one for "best", used by the terminal table, every
chart title, the report's cards and its robustness section:

* **Significance** (:func:`significant`): an effect of an option over the baseline
  is a finding only if it exceeds two *paired* standard errors (the standard
  error of the draw-by-draw difference; every option sees the same draws, so the
  noise common to both cancels) and a tiny floor (so that 0 ± 0 is not one).
* **Which options help** (:func:`assess`): an option helps when its *additional*
  chance that the plant is built, over the baseline, is significant and at least one
  percentage point, it does not lower the expected NPV (significantly), and it passes
  the EU state-aid check.  Any other option is "not distinguishable from no policy",
  "lowers the expected NPV" or "fails the state-aid check" — never best.
* **Best option** (:func:`best_option`): among the options that help, those that make
  the plant investable come first; within a tier the one with the most additional
  chance built per 100 MEUR of budget cash (present value; an option that costs the
  budget nothing first); if no option helps, the baseline.  :func:`ranking_table` ranks
  every option by the same rule, for the terminal, the charts and the report.

References
----------
Glasserman, P. (2003). Monte Carlo Methods in Financial Engineering, §4.1
(common random numbers: variance of paired differences).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

SE_MULTIPLE = 2.0
"""An effect must exceed this many paired standard errors to be a finding."""
FLOOR = 1e-9
"""...and this (in the unit of the effect), so that an exact zero is never one."""
FREE_MEUR = 0.5
"""Expected budget cash (PV) [MEUR] at or below which an option counts as free."""
MIN_GAIN = 0.01
"""Smallest gain in a probability (one percentage point) that counts as helping: a
smaller one can be beyond the noise of a large run and still tell a minister nothing
(it would read "rises from 0 % to 0 %")."""


def significant(effect: float, se: float) -> bool:
    """Whether an effect over the baseline is a finding.

    Parameters
    ----------
    effect : float
        Mean draw-by-draw difference of the option from the baseline [unit of the
        statistic; > 0 means the option does better].
    se : float
        *Paired* standard error of that difference [same unit].

    Returns
    -------
    bool
        ``effect > max(2 se, 1e-9)``; False if either is NaN.
    """
    return bool(effect > max(SE_MULTIPLE * se, FLOOR))


def paired(x: np.ndarray, base: np.ndarray) -> tuple[float, float]:
    """Mean of the draw-by-draw difference ``x - base`` and its standard error.

    Parameters
    ----------
    x, base : ndarray, shape (draw,)
        A per-draw quantity of the option and of the baseline, same draws.

    Returns
    -------
    effect, se : float
        ``mean(x - base)`` and ``std(x - base, ddof=1) / sqrt(n)`` (NaN for one draw).
    """
    d = np.asarray(x, float) - np.asarray(base, float)
    n = d.shape[-1]
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")


@dataclass(frozen=True)
class Gain:
    """The option that does best on one statistic, and its paired gain over baseline.

    Attributes
    ----------
    option : str
        The option with the highest value (may be the baseline).
    value, base : float
        The statistic of that option and of the baseline.
    effect, se : float
        Paired gain over the baseline and its paired standard error.
    baseline : str
    """

    option: str
    value: float
    base: float
    effect: float
    se: float
    baseline: str = "baseline"

    @property
    def found(self) -> bool:
        """An option other than the baseline does significantly better."""
        return self.option != self.baseline and significant(self.effect, self.se)


PAIRED = {"p_npv_pos": ("d_p_npv_pos", "d_p_npv_pos_se"),
          "npv_mean": ("d_npv_mean", "d_npv_mean_se"),
          "p_built": ("d_p_built", "d_p_built_se")}
"""Statistics whose paired gain over baseline the summary holds."""


def production_gain(ds: xr.Dataset, option: str, world: str, deadline: int,
                    baseline: str = "baseline") -> tuple[float, float]:
    """Paired gain in P(first production by the end of ``deadline``) over the baseline.

    Parameters
    ----------
    ds : xarray.Dataset
        Per-draw results (``first_production`` [year]).
    deadline : int
        Deadline year [year]; production counts if it starts before ``deadline + 1``.

    Returns
    -------
    effect, se : float
        Gain [1] and its paired standard error [1].
    """
    fp = ds["first_production"].sel(world=world)
    by = lambda o: (fp.sel(option=o).values < deadline + 1).astype(float)  # noqa: E731
    return paired(by(option), by(baseline))


def strongest(summary: xr.Dataset, stat: str, world: str, options: list[str] | None = None,
              baseline: str = "baseline", ds: xr.Dataset | None = None,
              deadline: int | None = None) -> Gain:
    """The option with the highest ``stat`` in ``world`` and its paired gain.

    Parameters
    ----------
    summary : xarray.Dataset
        From :func:`simcrm.analysis.summary.summarise`.
    stat : str
        ``p_npv_pos``, ``npv_mean`` (paired gains from the summary) or
        ``p_production_by_deadline`` (paired gain from the per-draw ``ds``).
    options : list of str, optional
        Candidates (default: every option, the baseline included); ties go to the
        first.
    ds : xarray.Dataset, optional
        Per-draw results; needed for ``p_production_by_deadline``.
    deadline : int, optional
        Deadline year of ``p_production_by_deadline`` [year] (default: the summary's
        ``deadline_year`` attribute).

    Returns
    -------
    Gain
    """
    sm = summary.sel(world=world)
    opts = [str(o) for o in sm["option"].values] if options is None else list(options)
    vals = {o: float(sm[stat].sel(option=o)) for o in opts}
    top = max(opts, key=lambda o: vals[o])
    base = float(sm[stat].sel(option=baseline))
    if stat in PAIRED:
        d, s = PAIRED[stat]
        effect, se = float(sm[d].sel(option=top)), float(sm[s].sel(option=top))
    elif stat == "p_production_by_deadline":
        if ds is None:
            raise ValueError("the paired gain in P(production by deadline) needs the per-draw "
                             "results (ds)")
        dl = int(summary.attrs["deadline_year"]) if deadline is None else deadline
        effect, se = production_gain(ds, top, world, dl, baseline)
    else:
        raise ValueError(f"no paired gain for {stat!r}; choose one of "
                         f"{', '.join([*PAIRED, 'p_production_by_deadline'])}")
    return Gain(top, vals[top], base, effect, se, baseline)


def effect_of(summary: xr.Dataset) -> str:
    """The effect options are ranked by: ``p_built`` (the chance the plant is built),
    or ``p_npv_pos`` when the investor builds every draw that reaches FID
    (``decision.investor = "always"``: then only profitability can change)."""
    return summary.attrs.get("effect", "p_built")


NOISE = "not distinguishable from no policy"
LOWERS_NPV = "lowers the expected NPV"
FAILS_AID = "fails the state-aid check"


def assess(summary: xr.Dataset, world: str, baseline: str = "baseline") -> dict[str, str]:
    """Why each option other than the baseline does not help ("" where it helps).

    Returns
    -------
    dict
        Option -> "" or one of :data:`NOISE`, :data:`LOWERS_NPV`, :data:`FAILS_AID`.
    """
    sm = summary.sel(world=world)
    f = lambda var, o: float(sm[var].sel(option=o)) if var in sm else float("nan")  # noqa: E731
    d = f"d_{effect_of(summary)}"
    out = {}
    for o in (str(x) for x in sm["option"].values):
        if o == baseline:
            continue
        gain = f(d, o)
        if not (significant(gain, f(f"{d}_se", o)) and gain >= MIN_GAIN):
            out[o] = NOISE
        elif significant(-f("d_npv_mean", o), f("d_npv_mean_se", o)):
            out[o] = LOWERS_NPV
        elif f("state_aid_ok", o) == 0:
            out[o] = FAILS_AID
        else:
            out[o] = ""
    return out


def helps(summary: xr.Dataset, world: str, baseline: str = "baseline") -> list[str]:
    """Options that help (:func:`assess`), in order."""
    return [o for o, why in assess(summary, world, baseline).items() if not why]


def value_for_money(summary: xr.Dataset, world: str, option: str) -> float:
    """Additional effect (:func:`effect_of`) per 100 MEUR of budget cash (PV)
    [1/(100 MEUR)]; inf for an option that costs the budget at most :data:`FREE_MEUR`."""
    sm = summary.sel(world=world, option=option)
    cost = float(sm["budget_cash_pv_mean"])
    d = float(sm[f"d_{effect_of(summary)}"])
    return float("inf") if cost <= FREE_MEUR else d / cost * 100


def _order(summary: xr.Dataset, world: str, options: list[str]) -> list[str]:
    """``options`` best first: investable, then value for money, then chance built."""
    sm = summary.sel(world=world)
    eff = effect_of(summary)
    key = lambda o: (float(sm["investable"].sel(option=o)) > 0,  # noqa: E731
                     value_for_money(summary, world, o), float(sm[eff].sel(option=o)))
    return sorted(options, key=key, reverse=True)


def most_cost_effective(summary: xr.Dataset, world: str, baseline: str = "baseline"
                        ) -> tuple[str | None, bool]:
    """The option that helps (:func:`helps`) with the most additional chance built per
    100 MEUR of budget cash (free options first; ties: the higher P(built)).

    Returns
    -------
    option : str or None
        None if no option helps.
    free : bool
        Whether it helps at no budget cost.
    """
    cand = helps(summary, world, baseline)
    if not cand:
        return None, False
    eff = effect_of(summary)
    top = max(cand, key=lambda o: (value_for_money(summary, world, o),
                                   float(summary[eff].sel(world=world, option=o))))
    return top, value_for_money(summary, world, top) == float("inf")


def best_option(summary: xr.Dataset, world: str, baseline: str = "baseline") -> str:
    """The best option in ``world`` (the rule in the module notes).

    Parameters
    ----------
    summary : xarray.Dataset
        From :func:`simcrm.analysis.summary.summarise`.
    world : str
    baseline : str

    Returns
    -------
    str
        An option name; the baseline if no option helps.
    """
    cand = helps(summary, world, baseline)
    return _order(summary, world, cand)[0] if cand else baseline


def ranking_table(summary: xr.Dataset, world: str, baseline: str = "baseline"
                  ) -> pd.DataFrame:
    """Every option ranked by the rule of :func:`best_option`, with the numbers it uses.

    Returns
    -------
    pandas.DataFrame
        Index ``option``; columns ``rank`` (1 = best; NaN for the baseline and the
        options that do not help), ``verdict`` (empty, or why the option does not help),
        ``d_p_built``, ``d_tonnes_by_deadline``, ``budget_cash_pv_mean``,
        ``gross_grant_equivalent_mean``, ``fiscal_return_mean``, ``gain_per_100meur``,
        ``tonnes_per_100meur``, ``state_aid_ok``, ``investable``.
    """
    why = assess(summary, world, baseline)
    order = _order(summary, world, [o for o, w in why.items() if not w])
    sm = summary.sel(world=world)
    cols = ["d_p_built", "d_tonnes_by_deadline", "budget_cash_pv_mean",
            "gross_grant_equivalent_mean", "fiscal_return_mean", "gain_per_100meur",
            "tonnes_per_100meur", "state_aid_ok", "investable"]
    rows = []
    for o in [str(x) for x in sm["option"].values]:
        row = {"option": o, "rank": order.index(o) + 1 if o in order else np.nan,
               "verdict": "baseline" if o == baseline else why[o]}
        row.update({c: float(sm[c].sel(option=o)) for c in cols})
        rows.append(row)
    return pd.DataFrame(rows).set_index("option").sort_values("rank", na_position="last")


def best_options(summary: xr.Dataset, baseline: str = "baseline") -> xr.DataArray:
    """:func:`best_option` in every world (dim ``world``)."""
    worlds = [str(w) for w in summary["world"].values]
    return xr.DataArray([best_option(summary, w, baseline) for w in worlds],
                        coords={"world": summary["world"]}, dims="world",
                        attrs={"long_name": "Best option in the world (ranking.best_option)"})


def pareto_efficient(cost: np.ndarray, p: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Options that no other option beats on both cost and chance of profit.

    Parameters
    ----------
    cost : ndarray, shape (option,)
        Expected public cost [MEUR]; lower is better.
    p : ndarray, shape (option,)
        P(NPV > 0) [1 or %]; higher is better.
    tol : float
        Differences within this count as equal.

    Returns
    -------
    ndarray of bool, shape (option,)
        True where no option has lower-or-equal cost and higher-or-equal P, one of
        them strictly.
    """
    cost, p = np.asarray(cost, float), np.asarray(p, float)
    eff = np.ones(len(cost), bool)
    for i in range(len(cost)):
        better = (cost <= cost[i] + tol) & (p >= p[i] - tol) & (
            (cost < cost[i] - tol) | (p > p[i] + tol))
        eff[i] = not better.any()
    return eff
