"""Statistics per option × world, with Monte Carlo standard errors.

Every option sees the same draws (common random numbers), so differences from
``baseline`` are computed draw by draw and their standard errors are paired:
``se = std(x_option - x_baseline) / sqrt(n)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from simcrm.analysis import ranking, state_aid
from simcrm.analysis.robustness import quantile_se
from simcrm.spec import outputs
from simcrm.spec.registry import ALL_PARAMS

DECISION_KEYS = ("min_mean_npv_meur", "max_loss_prob", "hurdle_irr", "production_deadline_year")
"""The decision rule's settings; their defaults are the ``decision.*`` rows of
:data:`simcrm.spec.registry.ALL_PARAMS` (the one place they are written)."""

_CAST = {"float": float, "int": int}


def decision_of(ds: xr.Dataset) -> dict:
    """The decision rule stored in a results Dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        Per-draw results (or any Dataset with ``decision_*`` attributes).

    Returns
    -------
    dict
        ``min_mean_npv_meur`` [MEUR], ``max_loss_prob`` [1], ``hurdle_irr`` [1/yr] and
        ``production_deadline_year`` [year]: the Dataset's ``decision_<key>`` attribute,
        or the registry default where absent; ``max_loss_prob`` None when off (NaN in
        the file).
    """
    out = {}
    for k in DECISION_KEYS:
        p = ALL_PARAMS[f"decision.{k}"]
        v = ds.attrs.get(f"decision_{k}", p.default)
        out[k] = None if v is None or (isinstance(v, float) and np.isnan(v)) else _CAST[p.kind](v)
    return out


def deadline_year(ds: xr.Dataset) -> int:
    """The production deadline of the decision rule [year] (attribute or registry default)."""
    return int(decision_of(ds)["production_deadline_year"])


def summarise(ds: xr.Dataset) -> xr.Dataset:
    """Statistics per option × world of a results Dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        The per-draw results (``simulate(...).results``).

    Returns
    -------
    xarray.Dataset
        Dims ``option``, ``world``; the variables of
        :data:`simcrm.spec.outputs.STATISTICS`, each with ``units`` and ``long_name``.
    """
    def get(name: str, o: int, w: int) -> np.ndarray:
        return arrays[name][o, w]

    arrays = {k: ds[k].values for k in PER_DRAW if k in ds}
    return summary_from(ds, get)


PER_DRAW = ("npv", "irr", "project_npv", "project_irr", "first_production", "budget_cash_pv",
            "budget_cash_eu_pv", "gross_grant_equivalent", "eligible_cost_pv", "fiscal_return",
            "public_cost_net", "built", "tonnes_by_deadline", "tonnes_in_stress_years",
            "idle_years", "abandoned", "public_contingent_cost")
"""The per-draw metrics the summary is computed from."""


def summary_from(ds: xr.Dataset, get) -> xr.Dataset:
    """The summary Dataset, reading one option × world at a time through ``get``.

    Parameters
    ----------
    ds : xarray.Dataset
        Gives the coordinates and the decision rule (attributes).
    get : callable
        ``get(name, option_index, world_index)`` -> the draws of a :data:`PER_DRAW`
        metric; lets the summary of a huge run be read from its file piece by piece.
    """
    dec = decision_of(ds) | {"effect": effect_name(ds)}
    options = [str(o) for o in ds["option"].values]
    O, W = len(options), ds.sizes["world"]
    ib = options.index("baseline") if "baseline" in options else 0
    out = {k: np.full((O, W), np.nan) for k in outputs.STATISTICS}
    n = ds.sizes["draw"]
    for w in range(W):
        # read once per world and cell: what the statistics read more than once
        baseline = _Reads(lambda name, w=w: get(name, ib, w), ("npv", "built",
                                                                "tonnes_by_deadline"))
        base = baseline("npv")
        for o in range(O):
            cell = _Reads(lambda name, o=o, w=w: get(name, o, w), ("npv", "built"))
            for k, v in cell_stats(cell, base, dec, baseline).items():
                out[k][o, w] = v
    data = {k: (("option", "world"), v, outputs.attrs(k)) for k, v in out.items()}
    coords = {c: ds[c] for c in ("option", "world", "option_label_en", "option_label_nl",
                                 "world_label_en", "world_label_nl") if c in ds.coords}
    sm = state_aid.judge(xr.Dataset(data, coords=coords), ds)
    sm.attrs["decision_rule"] = decision_text(dec)
    sm.attrs["draws"] = n
    sm.attrs["deadline_year"] = int(dec["production_deadline_year"])
    sm.attrs["hurdle_irr"] = float(dec["hurdle_irr"])
    sm.attrs["effect"] = effect_name(ds)
    return sm


class _Reads:
    """``get(name)`` as an array, the names ``keep`` read once and kept (a few arrays of
    one value per draw; the others are read each time, so that a streamed run of
    millions of draws never holds them all)."""

    def __init__(self, get, keep: tuple):
        self.get, self.keep, self.kept = get, keep, {}

    def __call__(self, name: str) -> np.ndarray:
        if name not in self.keep:
            return np.asarray(self.get(name))
        if name not in self.kept:
            self.kept[name] = np.asarray(self.get(name))
        return self.kept[name]


def effect_name(ds: xr.Dataset) -> str:
    """What options are ranked by (:func:`simcrm.analysis.ranking.effect_of`): the chance the
    plant is built, or P(NPV > 0) when the investor always builds (or the results predate
    the investment decision)."""
    always = ds.attrs.get("decision_investor") == "always" or "built" not in ds
    return "p_npv_pos" if always else "p_built"


def cell_stats(get, base: np.ndarray, dec: dict, get_base=None) -> dict[str, float]:
    """The statistics (:data:`simcrm.spec.outputs.STATISTICS`) of one option in one world.

    Parameters
    ----------
    get : callable
        ``get(name)`` -> the draws of a per-draw metric of this option and world.
    base : ndarray
        NPV of the baseline in the same world, draw by draw (for paired differences).
    dec : dict
        The decision rule (:func:`decision_of`).
    get_base : callable, optional
        ``get_base(name)`` -> the baseline's draws of a metric in the same world (for
        paired differences of P(built) and tonnes; without it they are NaN).
    """
    # Each metric is read, used and released in turn: on a streamed run of millions of
    # draws every array here is as long as the run.
    r: dict[str, float] = {}
    npv = get("npv")
    n = npv.shape[0]
    r["npv_mean"] = npv.mean()
    r["npv_mean_se"] = npv.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    pos = (npv > 0).astype(float)
    p = pos.mean()
    r["p_npv_pos"], r["p_npv_pos_se"] = p, np.sqrt(p * (1 - p) / n)
    pos -= base > 0
    r["d_p_npv_pos"], r["d_p_npv_pos_se"] = pos.mean(), _se(pos)
    del pos
    dn = npv - base
    r["d_npv_mean"], r["d_npv_mean_se"] = dn.mean(), _se(dn)
    del dn
    xs = np.sort(npv)
    del npv
    r["npv_p10"], r["npv_p50"], r["npv_p90"] = np.percentile(xs, [10, 50, 90])
    for q in (10, 50, 90):
        r[f"npv_p{q}_se"] = quantile_se(xs, q / 100, presorted=True) if n > 1 else np.nan
    k = max(1, int(np.floor(0.1 * n)))
    r["npv_cvar10"] = xs[:k].mean()
    del xs
    irr = get("irr")
    defined = np.isfinite(irr)
    nd = int(defined.sum())
    r["irr_mean"] = np.nansum(irr) / nd if nd else np.nan
    r["irr_mean_se"] = _se(irr[defined]) if nd else np.nan
    r["irr_undefined"] = float(n - nd)
    ph = (irr > dec["hurdle_irr"]).mean()  # NaN compares False: no IRR, not above
    r["p_irr_above_hurdle"], r["p_irr_above_hurdle_se"] = ph, np.sqrt(ph * (1 - ph) / n)
    del irr, defined
    r.update(_project_stats(get))
    fp = get("first_production")
    by = (fp < dec["production_deadline_year"] + 1).mean()  # NaN (not built) is not by
    r["p_production_by_deadline"] = by
    r["p_production_by_deadline_se"] = np.sqrt(by * (1 - by) / n)
    r["first_production_p50"] = np.nanmedian(fp) if np.isfinite(fp).any() else np.nan
    del fp
    r.update(_delivery_stats(get, get_base, n))
    r.update(_public_stats(get, get_base, r, dec.get("effect", "p_built")))
    loss_ok = (dec["max_loss_prob"] is None or not np.isfinite(dec["max_loss_prob"])
               or 1 - p <= dec["max_loss_prob"])
    r["investable"] = float(r["npv_mean"] >= dec["min_mean_npv_meur"] and loss_ok)
    return r


def _public_stats(get, get_base, r: dict, effect: str) -> dict[str, float]:
    """Budget cash, grant equivalent, aid intensity, fiscal return, net cost, the extra
    effect per 100 MEUR and the deadweight (needs ``d_p_built``/``d_tonnes_by_deadline``
    in ``r``)."""
    out: dict[str, float] = {}
    cash = get("budget_cash_pv")
    n = cash.shape[0]
    c = cash.mean()
    out["budget_cash_pv_mean"], out["budget_cash_pv_mean_se"] = c, _se(cash)
    out["budget_cash_eu_pv_mean"] = _or_nan(get, "budget_cash_eu_pv", n).mean()
    gge = _or_nan(get, "gross_grant_equivalent", n)
    g = gge.mean()
    out["gross_grant_equivalent_mean"] = g
    built = _built(get, n)
    elig = _or_nan(get, "eligible_cost_pv", n)[built]
    out["aid_intensity_mean"] = (gge[built].mean() / elig.mean()
                                 if built.any() and elig.mean() > 0 else np.nan)
    fr = _or_nan(get, "fiscal_return", n)
    out["fiscal_return_mean"], out["fiscal_return_mean_se"] = fr.mean(), _se(fr)
    net = get("public_cost_net")
    out["public_cost_net_mean"], out["public_cost_net_mean_se"] = net.mean(), _se(net)
    per = lambda x, cost: x / cost * 100 if cost > ranking.FREE_MEUR else np.nan  # noqa: E731
    out["gain_per_100meur"] = per(r.get(f"d_{effect}", np.nan), c)
    out["tonnes_per_100meur"] = per(r.get("d_tonnes_by_deadline", np.nan), c)
    out["gain_per_100meur_gge"] = per(r.get(f"d_{effect}", np.nan), g)
    if get_base is None:
        out["deadweight_meur"] = out["deadweight_share"] = np.nan
    else:
        dead = (cash * _built(get_base, n)).mean()
        out["deadweight_meur"] = dead
        out["deadweight_share"] = dead / c if c > ranking.FREE_MEUR else np.nan
    out["state_aid_ok"] = np.nan  # judged by simcrm.analysis.state_aid (needs the option)
    return out


def _built(get, n: int) -> np.ndarray:
    """Whether each draw is built [bool]; every draw for results written before the
    investment decision was modelled.  One read of the metric (a streamed run reads it
    from disk)."""
    try:
        return np.asarray(get("built")) > 0
    except KeyError:
        return np.ones(n, bool)


def _or_nan(get, name: str, n: int) -> np.ndarray:
    """A per-draw metric, or NaN where a results file predates it."""
    try:
        return np.asarray(get(name))
    except KeyError:
        return np.full(n, np.nan)


def _project_stats(get) -> dict[str, float]:
    """Mean NPV and IRR of the project (unlevered) view; NaN for results written before
    it was reported."""
    try:
        pn, pi = get("project_npv"), get("project_irr")
    except (KeyError, IndexError):  # a netCDF file names a missing variable IndexError
        return dict.fromkeys(("project_npv_mean", "project_npv_mean_se", "project_irr_mean"),
                             np.nan)
    ok = np.isfinite(pi)
    return {"project_npv_mean": pn.mean(), "project_npv_mean_se": _se(pn),
            "project_irr_mean": pi[ok].mean() if ok.any() else np.nan}


def _delivery_stats(get, get_base, n: int) -> dict[str, float]:
    """P(built), tonnes by the deadline and in stress years, idling, closures and the
    contingent public cost; paired changes against the baseline where it is given.
    Results written before these metrics existed give NaN."""
    names = ("p_built", "p_built_se", "d_p_built", "d_p_built_se", "p_npv_pos_if_built",
             "tonnes_by_deadline_mean", "tonnes_by_deadline_mean_se", "d_tonnes_by_deadline",
             "d_tonnes_by_deadline_se", "tonnes_in_stress_mean", "idle_years_mean",
             "p_abandoned", "public_contingent_cost_mean")
    try:
        built = get("built")
    except KeyError:
        return dict.fromkeys(names, np.nan)
    r: dict[str, float] = {}
    pb = built.mean()
    r["p_built"], r["p_built_se"] = pb, np.sqrt(pb * (1 - pb) / n)
    npv = get("npv")
    nb = int((built > 0).sum())
    r["p_npv_pos_if_built"] = float((npv[built > 0] > 0).mean()) if nb else np.nan
    tonnes = get("tonnes_by_deadline")
    r["tonnes_by_deadline_mean"], r["tonnes_by_deadline_mean_se"] = tonnes.mean(), _se(tonnes)
    for k, x, name in (("d_p_built", built, "built"),
                       ("d_tonnes_by_deadline", tonnes, "tonnes_by_deadline")):
        if get_base is None:
            r[k], r[f"{k}_se"] = np.nan, np.nan
            continue
        d = x - np.asarray(get_base(name))
        r[k], r[f"{k}_se"] = d.mean(), _se(d)
    r["tonnes_in_stress_mean"] = get("tonnes_in_stress_years").mean()
    r["idle_years_mean"] = get("idle_years").mean()
    r["p_abandoned"] = get("abandoned").mean()
    r["public_contingent_cost_mean"] = get("public_contingent_cost").mean()
    return {k: r[k] for k in names}


def capacity_online(ds: xr.Dataset) -> xr.DataArray:
    """Expected nameplate capacity online in each calendar year, per option and world.

    A plant is online in year *y* when it produces at some time in that year: its first
    production is before the end of *y* and it has not yet stopped for good (end of life
    or closure) at its start; idle years count as online.  The expectation is over all
    draws (a plant not built counts as zero).

    Parameters
    ----------
    ds : xarray.Dataset
        Per-draw results with ``first_production``, ``production_end`` and
        ``nameplate_tpa``.

    Returns
    -------
    xarray.DataArray
        Dims ``option``, ``world``, ``year`` [t/yr].
    """
    years = np.arange(int(ds.attrs.get("valuation_year", ds.attrs.get("start_year", 2026))),
                      int(np.nanmax(ds["production_end"].values)) + 1
                      if np.isfinite(ds["production_end"].values).any() else 2051)
    start = ds["first_production"].transpose("option", "world", "draw").values
    end = ds["production_end"].transpose("option", "world", "draw").values
    cap = ds["nameplate_tpa"].transpose("option", "world", "draw").values
    out = np.empty(start.shape[:2] + (years.size,))
    with np.errstate(invalid="ignore"):
        for i, y in enumerate(years):  # a year at a time: memory of one (option, world, draw)
            online = (start < y + 1) & (end > y)  # NaN (not built) compares False
            out[:, :, i] = (cap * online).mean(axis=-1)
    return xr.DataArray(out, dims=("option", "world", "year"),
                        coords={"option": ds["option"], "world": ds["world"], "year": years},
                        attrs={"units": "t/yr", "long_name": "Expected nameplate capacity online"})


def _se(x: np.ndarray) -> float:
    """Standard error of the mean of the draws ``x``."""
    n = x.shape[-1]
    return x.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan


def decision_text(dec: dict) -> str:
    """The decision rule in words."""
    text = f"investable if mean NPV ≥ {dec['min_mean_npv_meur']:g} MEUR at the discount rate"
    lim = dec["max_loss_prob"]
    if lim is not None and np.isfinite(lim):
        text += f" and P(NPV < 0) ≤ {lim:g} (a sponsor's loss limit)"
    return text


def nonfinite_counts(results: xr.Dataset) -> np.ndarray:
    """Draws with a non-finite metric, per option × world (``(option, world)`` ints).

    Counted by the run (:class:`simcrm.engine.run`, attribute ``nonfinite_draws``);
    NaN IRRs (no IRR) and NaN payback times (not paid back within the horizon) have a
    meaning and are not counted.  Results written before the count existed give zeros.
    """
    shape = (results.sizes["option"], results.sizes["world"])
    flat = np.atleast_1d(np.asarray(results.attrs.get("nonfinite_draws", [0]), np.int64))
    return flat.reshape(shape) if flat.size == shape[0] * shape[1] else np.zeros(shape, int)


def summary_table(summary: xr.Dataset, nonfinite: np.ndarray | None = None) -> pd.DataFrame:
    """The summary as a flat table, one row per option × world (for CSV and terminal).

    Parameters
    ----------
    summary : xarray.Dataset
        From :func:`summarise`.
    nonfinite : ndarray, shape (option, world), optional
        From :func:`nonfinite_counts`: added as the column ``nonfinite_draws`` [1].

    Returns
    -------
    pandas.DataFrame
        Columns ``option``, ``world`` and the statistics in the order of
        :data:`simcrm.spec.outputs.STATISTICS` (their names are the CSV headers), with
        ``deadline_year`` [year] before ``p_production_by_deadline``.
    """
    df = summary.drop_vars([c for c in summary.coords if c not in ("option", "world")]
                           ).to_dataframe().reset_index()
    stats = [k for k in outputs.STATISTICS if k in df.columns]
    df = df[["option", "world", *stats, *(c for c in df.columns
                                          if c not in ("option", "world", *stats))]]
    df.attrs["effect"] = summary.attrs.get("effect", "p_built")
    df["investable"] = df["investable"].astype(bool)
    df["irr_undefined"] = df["irr_undefined"].astype(int)
    if nonfinite is not None:
        # draws with a metric that is NaN or infinite (an input at an extreme of its
        # range overflowed): counted so that no such number passes unexplained
        df.insert(df.columns.get_loc("irr_undefined") + 1, "nonfinite_draws",
                  np.asarray(nonfinite, np.int64).reshape(-1))
    if "deadline_year" in summary.attrs:
        # the year the production probability refers to, so the CSV explains itself
        df.insert(df.columns.get_loc("p_production_by_deadline"), "deadline_year",
                  summary.attrs["deadline_year"])
    return df


TERMINAL_COLUMNS = [
    ("option", "{}"),
    ("world", "{}"),
    ("npv_mean", "{:,.0f}"),
    ("npv_p10", "{:,.0f}"),
    ("npv_p90", "{:,.0f}"),
    ("p_built", "{:.0%}"),
    ("p_npv_pos", "{:.1%}"),
    ("p_npv_pos_se", "{:.1%}"),
    ("irr_mean", "{:.1%}"),
    ("p_production_by_deadline", "{:.0%}"),
    ("tonnes_by_deadline_mean", "{:,.0f}"),
    ("budget_cash_pv_mean", "{:,.0f}"),
    ("gross_grant_equivalent_mean", "{:,.0f}"),
    ("fiscal_return_mean", "{:,.0f}"),
    ("gain_per_100meur", "{:+.1%}"),
    ("state_aid_ok", "{}"),
    ("investable", "{}"),
    ("best", "{}"),
]
"""``(output, format)`` of the terminal table; headings are the outputs' ``short``."""


def best_in_table(df: pd.DataFrame) -> pd.Series:
    """Whether each row of :func:`summary_table` is the best option of its world
    (:func:`simcrm.analysis.ranking.best_option`).

    Returns
    -------
    pandas.Series of bool
        Aligned with ``df``.
    """
    options, worlds = pd.unique(df["option"]), pd.unique(df["world"])
    cols = ["investable", "p_built", "d_p_built", "d_p_built_se", "p_npv_pos", "d_p_npv_pos",
            "d_p_npv_pos_se", "d_npv_mean", "d_npv_mean_se", "budget_cash_pv_mean",
            "state_aid_ok"]
    sm = (df.set_index(["option", "world"])[cols].astype(float).to_xarray()
          .reindex(option=options, world=worlds))
    sm.attrs["effect"] = df.attrs.get("effect", "p_built")
    base = "baseline" if "baseline" in options else str(options[0])
    best = {str(w): ranking.best_option(sm, w, base) for w in worlds}
    return pd.Series([best[str(w)] == str(o) for o, w in zip(df["option"], df["world"])],
                     index=df.index)


def format_table(df: pd.DataFrame) -> str:
    """A readable fixed-width table of the headline columns.

    Parameters
    ----------
    df : pandas.DataFrame
        From :func:`summary_table`.

    Returns
    -------
    str
        The table; headings from :func:`simcrm.spec.outputs.short`; the column
        ``best`` marks the best option of each world (:func:`best_in_table`).
    """
    deadline = int(df["deadline_year"].iloc[0]) if "deadline_year" in df else "deadline"
    df = df.assign(best=best_in_table(df))
    rows = [[outputs.short(col, deadline=deadline) for col, _ in TERMINAL_COLUMNS]]
    for _, r in df.iterrows():
        row = []
        for col, fmt in TERMINAL_COLUMNS:
            v = r[col]
            if isinstance(v, float) and not np.isfinite(v):
                row.append("–")
            elif col in ("investable", "state_aid_ok"):
                row.append("yes" if v else "no")
            elif col == "best":
                row.append("*" if v else "")
            else:
                row.append(fmt.format(v))
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, r in enumerate(rows):
        cells = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))]
        lines.append("  ".join(cells))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
