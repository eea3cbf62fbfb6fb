"""How robust is an option: across worlds (regret) and across draws (convergence).

Robustness across worlds
------------------------
For every option and world, the **regret** of an option is how far it falls
short of the best option *in that world*:

* NPV regret = max over options of E[NPV] − E[NPV of this option] [MEUR];
* public-cost regret = E[gross public cost of this option] − min over options
  [MEUR] (the cheapest option, usually ``baseline``, has none);
* P(NPV>0) regret = max over options of P(NPV>0) − P(NPV>0) of this option [1].

:func:`robustness` gathers them per option with the worst-world P(NPV>0) and
:func:`ranking` orders options by *minimax regret* (the smallest worst-world
regret), the usual robust-decision rule when the worlds carry no probabilities.
Standard errors of the NPV regret are paired (common random numbers).

Convergence of the Monte Carlo estimates
----------------------------------------
:func:`simcrm.analysis.summary.summarise` gives standard errors for means and
probabilities.  For quantiles, :func:`quantile_ci` gives the distribution-free
order-statistic interval (the number of draws below the true quantile is
binomial), and :func:`quantile_se` the matching standard error.
:func:`running` gives the running estimate of P(NPV>0) and of the mean NPV with
a 95 % band against the number of draws, for the convergence chart, and
:func:`convergence_table` the precision of every headline number and the draws
needed for a target precision.

References
----------
Savage, L. J. (1951). The theory of statistical decision. JASA 46, 55-67 (regret).
David, H. A. & Nagaraja, H. N. (2003). Order Statistics, 3rd ed., §7.1
(distribution-free confidence intervals for quantiles).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from scipy import special, stats

from simcrm.spec import outputs

CRITERIA = ("regret_npv", "regret_p_npv_pos", "p_npv_pos_worst", "regret_public_cost")


def regret(ds: xr.Dataset) -> xr.Dataset:
    """Regret of every option in every world.

    Parameters
    ----------
    ds : xarray.Dataset
        Per-draw results (dims ``option``, ``world``, ``draw``).

    Returns
    -------
    xarray.Dataset
        Dims ``option``, ``world``: ``npv_mean``, ``p_npv_pos``,
        ``budget_cash_pv_mean``, ``regret_npv`` (with paired ``regret_npv_se``),
        ``regret_p_npv_pos``, ``regret_public_cost``, and ``best_option`` (dim
        ``world``: the option with the highest expected NPV).
    """
    npv = ds["npv"].transpose("option", "world", "draw").values
    cost = ds["budget_cash_pv"].transpose("option", "world", "draw").values
    n = npv.shape[-1]
    mean = npv.mean(-1)
    p = (npv > 0).mean(-1)
    c = cost.mean(-1)
    best = mean.argmax(0)  # per world
    W = npv.shape[1]
    best_npv = npv[best, np.arange(W)]  # (world, draw)
    diff = best_npv[None] - npv
    se = diff.std(-1, ddof=1) / np.sqrt(n) if n > 1 else np.full(mean.shape, np.nan)
    opts = ds["option"].values
    dims = ("option", "world")
    a = outputs.attrs
    out = xr.Dataset(
        {"npv_mean": (dims, mean, a("npv_mean")),
         "p_npv_pos": (dims, p, a("p_npv_pos")),
         "budget_cash_pv_mean": (dims, c, a("budget_cash_pv_mean")),
         "regret_npv": (dims, mean.max(0)[None] - mean, a("regret_npv")),
         "regret_npv_se": (dims, se, a("regret_npv_se")),
         "regret_p_npv_pos": (dims, p.max(0)[None] - p, a("regret_p_npv_pos")),
         "regret_public_cost": (dims, c - c.min(0)[None], a("regret_public_cost")),
         "best_option": (("world",), opts[best].astype(str), a("best_option"))},
        coords={k: ds[k] for k in ("option", "world", "option_label_en", "option_label_nl",
                                   "world_label_en", "world_label_nl") if k in ds.coords})
    out.attrs["draws"] = n
    return out


def robustness(ds: xr.Dataset) -> xr.Dataset:
    """Per option: worst-world P(NPV>0) and the worst-world regrets.

    Returns
    -------
    xarray.Dataset
        Dim ``option``: ``p_npv_pos_worst`` and ``worst_world`` (where it is
        lowest), ``p_npv_pos_mean`` (unweighted over worlds), ``regret_npv``
        (maximum over worlds) with ``regret_npv_world`` and ``regret_npv_se``,
        ``regret_p_npv_pos``, ``regret_public_cost`` (maxima over worlds),
        ``npv_mean_worst``.
    """
    r = regret(ds)
    worlds = r["world"].values.astype(str)
    p = r["p_npv_pos"].values
    rn = r["regret_npv"].values
    iw = rn.argmax(1)
    n_opt = p.shape[0]
    a = outputs.attrs
    out = xr.Dataset(
        {"p_npv_pos_worst": ("option", p.min(1), a("p_npv_pos_worst")),
         "worst_world": ("option", worlds[p.argmin(1)], a("worst_world")),
         "p_npv_pos_mean": ("option", p.mean(1), a("p_npv_pos_mean")),
         "npv_mean_worst": ("option", r["npv_mean"].values.min(1), a("npv_mean_worst")),
         "regret_npv": ("option", rn.max(1), {"units": "MEUR", "long_name":
                        "Largest NPV regret over the worlds"}),
         "regret_npv_world": ("option", worlds[iw], {"long_name": "World of the largest NPV "
                              "regret"}),
         "regret_npv_se": ("option", r["regret_npv_se"].values[np.arange(n_opt), iw],
                           {"units": "MEUR", "long_name": "Paired standard error of the "
                            "largest NPV regret"}),
         "regret_p_npv_pos": ("option", r["regret_p_npv_pos"].values.max(1), {"units": "1",
                              "long_name": "Largest P(NPV > 0) regret over the worlds"}),
         "regret_public_cost": ("option", r["regret_public_cost"].values.max(1),
                                {"units": "MEUR", "long_name": "Largest public-cost regret "
                                 "over the worlds"})},
        coords={k: r[k] for k in ("option", "option_label_en", "option_label_nl")
                if k in r.coords})
    out.attrs["draws"] = r.attrs["draws"]
    out.attrs["worlds"] = ", ".join(worlds)
    return out


def ranking(ds: xr.Dataset, by: str = "regret_npv",
            aid_ok: dict | None = None) -> pd.DataFrame:
    """Options ranked by a robustness criterion.

    Parameters
    ----------
    ds : xarray.Dataset
        Per-draw results.
    by : str
        ``regret_npv`` (minimax regret in expected NPV, default),
        ``regret_p_npv_pos`` (minimax regret in P(NPV>0)), ``p_npv_pos_worst``
        (maximin chance of profit) or ``regret_public_cost``.  Ties are broken
        by the worst-world P(NPV>0), then by the public-cost regret.
    aid_ok : dict, optional
        Option -> whether it passes the EU state-aid check in every world
        (:func:`aid_ok`); options that fail are ranked after all others, so the most
        robust option is never one a state-aid officer could not approve.

    Returns
    -------
    pandas.DataFrame
        One row per option with the columns of :func:`robustness` and ``rank``
        (1 = most robust), best first.
    """
    if by not in CRITERIA:
        raise ValueError(f"unknown criterion {by!r}; choose one of {', '.join(CRITERIA)}")
    rb = robustness(ds)
    df = rb.drop_vars([c for c in rb.coords if c != "option"]).to_dataframe().reset_index()
    keys = [by, "p_npv_pos_worst", "regret_public_cost"]
    asc = [by != "p_npv_pos_worst", False, True]
    if by == "p_npv_pos_worst":
        keys, asc = [by, "regret_npv", "regret_public_cost"], [False, True, True]
    df = df.sort_values(keys, ascending=asc, kind="stable").reset_index(drop=True)
    if aid_ok is not None:
        df["state_aid_ok"] = [bool(aid_ok.get(str(o), True)) for o in df["option"]]
        df = df.sort_values("state_aid_ok", ascending=False, kind="stable"
                            ).reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    df.attrs.update(criterion=by, draws=rb.attrs["draws"], worlds=rb.attrs["worlds"])
    return df


def aid_ok(summary: xr.Dataset) -> dict:
    """Option -> whether it passes the EU state-aid check in every world (True where the
    summary does not say: results written before the check existed)."""
    if "state_aid_ok" not in summary:
        return {}
    ok = summary["state_aid_ok"].transpose("option", "world").values
    return {str(o): not bool((row == 0).any())
            for o, row in zip(summary["option"].values, ok)}


# --------------------------------------------------------------------------------------
# Convergence
# --------------------------------------------------------------------------------------


def quantile_ci(x: np.ndarray, q: float, level: float = 0.95,
                presorted: bool = False) -> tuple[float, float, float]:
    """A quantile and its distribution-free confidence interval from order statistics.

    The number of draws below the true ``q``-quantile is Binomial(n, q), so the
    interval between the order statistics ``x_(l)`` and ``x_(u)`` with
    ``l = B⁻¹((1 − level)/2)`` and ``u = B⁻¹((1 + level)/2) + 1`` covers the true
    quantile with probability of at least about ``level``.

    Parameters
    ----------
    x : ndarray, shape (draw,)
    q : float
        Probability of the quantile, 0 < q < 1.
    level : float
    presorted : bool
        ``x`` is already sorted and finite (saves the sort on big samples).

    Returns
    -------
    estimate, lower, upper : float
        The quantile (``numpy.quantile``, linear) and the interval bounds
        (NaN where the sample is too small to reach the level).
    """
    if not presorted:
        x = np.sort(np.asarray(x, dtype=float))
        x = x[np.isfinite(x)]
    n = x.size
    if not 0 < q < 1:
        raise ValueError(f"q must be strictly between 0 and 1; got {q}")
    est = float(np.quantile(x, q)) if n else float("nan")
    a = (1 - level) / 2
    lo_k = int(stats.binom.ppf(a, n, q))  # 1-based order statistic index l
    hi_k = int(stats.binom.ppf(1 - a, n, q)) + 1
    lo = float(x[lo_k - 1]) if 1 <= lo_k <= n else float("nan")
    hi = float(x[hi_k - 1]) if 1 <= hi_k <= n else float("nan")
    return est, lo, hi


def quantile_se(x: np.ndarray, q: float, level: float = 0.95,
                presorted: bool = False) -> float:
    """Standard error of a quantile estimate: the width of :func:`quantile_ci` over
    ``2 z`` (``z`` the normal quantile of the level) [units of ``x``]."""
    _, lo, hi = quantile_ci(x, q, level, presorted)
    return (hi - lo) / (2 * special.ndtri(0.5 + level / 2))


def convergence_table(ds: xr.Dataset, option: str | None = None, world: str | None = None,
                      level: float = 0.95, target_pp: float = 0.01) -> pd.DataFrame:
    """Monte Carlo precision of the headline numbers per option × world.

    Returns
    -------
    pandas.DataFrame
        One row per option × world and statistic (``npv_mean``, ``p_npv_pos``,
        ``npv_p10``, ``npv_p50``, ``npv_p90``): ``estimate``, ``se``, ``lower``,
        ``upper`` (interval at ``level``; order statistics for quantiles) and, for
        ``p_npv_pos``, ``draws_needed`` for a standard error of ``target_pp``.
    """
    z = special.ndtri(0.5 + level / 2)
    opts = [option] if option is not None else list(ds["option"].values)
    worlds = [world] if world is not None else list(ds["world"].values)
    rows = []
    for o in opts:
        for w in worlds:
            x = ds["npv"].sel(option=o, world=w).values
            n = x.size
            m, s = x.mean(), x.std(ddof=1) / np.sqrt(n)
            rows.append((o, w, "npv_mean", m, s, m - z * s, m + z * s, np.nan))
            p = float((x > 0).mean())
            sp = np.sqrt(p * (1 - p) / n)
            need = np.ceil(p * (1 - p) / target_pp**2)
            rows.append((o, w, "p_npv_pos", p, sp, p - z * sp, p + z * sp, need))
            for q, name in ((0.1, "npv_p10"), (0.5, "npv_p50"), (0.9, "npv_p90")):
                est, lo, hi = quantile_ci(x, q, level)
                rows.append((o, w, name, est, (hi - lo) / (2 * z), lo, hi, np.nan))
    return pd.DataFrame(rows, columns=["option", "world", "statistic", "estimate", "se",
                                       "lower", "upper", "draws_needed"])


def running(ds: xr.Dataset, option: str, world: str, points: int = 60,
            level: float = 0.95) -> pd.DataFrame:
    """Running estimates of P(NPV>0) and of the mean NPV against the number of draws.

    Returns
    -------
    pandas.DataFrame
        Columns ``draws``, ``p_npv_pos``, ``p_lo``, ``p_hi`` (Wilson interval),
        ``npv_mean``, ``npv_lo``, ``npv_hi`` (normal interval with the running
        standard deviation), at about ``points`` draw counts spaced evenly on a
        log scale.
    """
    x = ds["npv"].sel(option=option, world=world).values
    n = x.size
    z = special.ndtri(0.5 + level / 2)
    k = np.unique(np.geomspace(min(10, n), n, points).astype(int))
    cs, cs2 = np.cumsum(x), np.cumsum(x * x)
    cpos = np.cumsum(x > 0)
    m = cs[k - 1] / k
    var = np.maximum(cs2[k - 1] - k * m * m, 0) / np.maximum(k - 1, 1)
    se = np.sqrt(var / k)
    p = cpos[k - 1] / k
    den = 1 + z * z / k
    mid = (p + z * z / (2 * k)) / den
    half = z * np.sqrt(p * (1 - p) / k + z * z / (4 * k * k)) / den
    return pd.DataFrame({"draws": k, "p_npv_pos": p, "p_lo": mid - half, "p_hi": mid + half,
                         "npv_mean": m, "npv_lo": m - z * se, "npv_hi": m + z * se})
