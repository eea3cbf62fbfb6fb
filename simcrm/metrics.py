"""Statistics per option × world, with Monte Carlo standard errors.

Every option sees the same draws (common random numbers), so differences from
``baseline`` are computed draw by draw and their standard errors are paired:
``se = std(x_option - x_baseline) / sqrt(n)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

DEFAULT_DECISION = {
    "min_mean_npv_meur": 0.0,
    "max_loss_prob": 0.3,
    "hurdle_irr": 0.10,
    "production_deadline_year": 2030,
}

STATS = {
    # name: (units, long_name)
    "npv_mean": ("MEUR", "Mean NPV"),
    "npv_mean_se": ("MEUR", "Standard error of the mean NPV"),
    "npv_p10": ("MEUR", "NPV, 10th percentile"),
    "npv_p50": ("MEUR", "NPV, median"),
    "npv_p90": ("MEUR", "NPV, 90th percentile"),
    "npv_cvar10": ("MEUR", "Mean NPV of the worst 10 % of draws (CVaR)"),
    "p_npv_pos": ("1", "Probability that NPV > 0"),
    "p_npv_pos_se": ("1", "Standard error of P(NPV > 0)"),
    "irr_mean": ("1/yr", "Mean IRR over draws where an IRR exists"),
    "irr_undefined": ("1", "Number of draws without an IRR"),
    "p_irr_above_hurdle": ("1", "Probability that the IRR exceeds the hurdle rate"),
    "p_production_by_deadline": ("1", "Probability of first production in or before the "
                                 "deadline year"),
    "p_production_by_deadline_se": ("1", "Standard error of P(production by deadline)"),
    "first_production_p50": ("year", "Median date of first production"),
    "public_cost_gross_mean": ("MEUR", "Expected gross public cost (PV of outlays)"),
    "public_cost_net_mean": ("MEUR", "Expected net public cost (PV of outlays less receipts and "
                             "corporate tax)"),
    "public_cost_per_tpa_mean": ("EUR/(t/yr)", "Expected gross public cost per tonne of annual "
                                 "capacity"),
    "d_p_npv_pos": ("1", "Gain in P(NPV > 0) over baseline"),
    "d_p_npv_pos_se": ("1", "Paired standard error of the gain in P(NPV > 0)"),
    "d_npv_mean": ("MEUR", "Gain in mean NPV over baseline"),
    "d_npv_mean_se": ("MEUR", "Paired standard error of the gain in mean NPV"),
    "gain_per_100meur": ("1/(100 MEUR)", "Gain in P(NPV > 0) per 100 MEUR of expected gross "
                         "public cost"),
    "deadweight_meur": ("MEUR", "Expected support paid in draws that were profitable at "
                        "baseline"),
    "deadweight_share": ("1", "Share of the gross public cost that is deadweight"),
    "investable": ("1", "Verdict of the decision rule (1 = investable)"),
}


def decision_of(ds: xr.Dataset) -> dict:
    """The decision rule stored in a results Dataset (defaults where absent)."""
    return {k: type(v)(ds.attrs.get(f"decision_{k}", v)) for k, v in DEFAULT_DECISION.items()}


def summarise(ds: xr.Dataset) -> xr.Dataset:
    """Statistics per option × world of a results Dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        The per-draw results (``simulate(...).results``).

    Returns
    -------
    xarray.Dataset
        Dims ``option``, ``world``; variables :data:`STATS`, each with ``units``.
    """
    dec = decision_of(ds)
    npv = ds["npv"].values
    n = npv.shape[-1]
    rootn = np.sqrt(n)
    base = npv[list(ds["option"].values).index("baseline")] if "baseline" in ds["option"] \
        else npv[0]
    out: dict[str, np.ndarray] = {}
    out["npv_mean"] = npv.mean(-1)
    out["npv_mean_se"] = npv.std(-1, ddof=1) / rootn if n > 1 else np.full(npv.shape[:2], np.nan)
    q = np.percentile(npv, [10, 50, 90], axis=-1)
    out["npv_p10"], out["npv_p50"], out["npv_p90"] = q
    k = max(1, int(np.floor(0.1 * n)))
    out["npv_cvar10"] = np.sort(npv, axis=-1)[..., :k].mean(-1)
    pos = (npv > 0).astype(float)
    p = pos.mean(-1)
    out["p_npv_pos"] = p
    out["p_npv_pos_se"] = np.sqrt(p * (1 - p) / n)
    irr = ds["irr"].values
    defined = np.isfinite(irr)
    with np.errstate(invalid="ignore"):
        out["irr_mean"] = np.where(defined.any(-1), np.nansum(irr, -1) /
                                   np.maximum(defined.sum(-1), 1), np.nan)
    out["irr_undefined"] = (~defined).sum(-1).astype(float)
    with np.errstate(invalid="ignore"):
        out["p_irr_above_hurdle"] = (np.nan_to_num(irr, nan=-np.inf) > dec["hurdle_irr"]).mean(-1)
    fp = ds["first_production"].values
    by = (fp < dec["production_deadline_year"] + 1).astype(float)
    out["p_production_by_deadline"] = by.mean(-1)
    out["p_production_by_deadline_se"] = np.sqrt(by.mean(-1) * (1 - by.mean(-1)) / n)
    out["first_production_p50"] = np.median(fp, -1)
    gross = ds["public_cost_gross"].values
    out["public_cost_gross_mean"] = gross.mean(-1)
    out["public_cost_net_mean"] = ds["public_cost_net"].values.mean(-1)
    out["public_cost_per_tpa_mean"] = ds["public_cost_per_tpa"].values.mean(-1)
    dpos = pos - (base > 0)[None].astype(float)
    out["d_p_npv_pos"] = dpos.mean(-1)
    out["d_p_npv_pos_se"] = _se(dpos)
    dn = npv - base[None]
    out["d_npv_mean"] = dn.mean(-1)
    out["d_npv_mean_se"] = _se(dn)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["gain_per_100meur"] = np.where(out["public_cost_gross_mean"] > 0,
                                           out["d_p_npv_pos"] / out["public_cost_gross_mean"]
                                           * 100, np.nan)
    dead = (gross * (base > 0)[None]).mean(-1)
    out["deadweight_meur"] = dead
    with np.errstate(divide="ignore", invalid="ignore"):
        out["deadweight_share"] = np.where(out["public_cost_gross_mean"] > 0,
                                           dead / out["public_cost_gross_mean"], np.nan)
    out["investable"] = ((out["npv_mean"] > dec["min_mean_npv_meur"])
                         & (1 - p <= dec["max_loss_prob"])).astype(float)
    data = {k: (("option", "world"), v, {"units": STATS[k][0], "long_name": STATS[k][1]})
            for k, v in out.items()}
    coords = {c: ds[c] for c in ("option", "world", "option_label_en", "option_label_nl",
                                 "world_label_en", "world_label_nl") if c in ds.coords}
    sm = xr.Dataset(data, coords=coords)
    sm.attrs["decision_rule"] = decision_text(dec)
    sm.attrs["draws"] = n
    sm.attrs["deadline_year"] = int(dec["production_deadline_year"])
    sm.attrs["hurdle_irr"] = float(dec["hurdle_irr"])
    return sm


def _se(x: np.ndarray) -> np.ndarray:
    n = x.shape[-1]
    if n < 2:
        return np.full(x.shape[:-1], np.nan)
    return x.std(-1, ddof=1) / np.sqrt(n)


def decision_text(dec: dict) -> str:
    """The decision rule in words."""
    return (f"investable if mean NPV > {dec['min_mean_npv_meur']:g} MEUR and "
            f"P(NPV < 0) ≤ {dec['max_loss_prob']:g}")


def summary_table(summary: xr.Dataset) -> pd.DataFrame:
    """The summary as a flat table, one row per option × world (for CSV and terminal)."""
    df = summary.drop_vars([c for c in summary.coords if c not in ("option", "world")]
                           ).to_dataframe().reset_index()
    df["investable"] = df["investable"].astype(bool)
    df["irr_undefined"] = df["irr_undefined"].astype(int)
    if "deadline_year" in summary.attrs:
        # the year the production probability refers to, so the CSV explains itself
        df.insert(df.columns.get_loc("p_production_by_deadline"), "deadline_year",
                  summary.attrs["deadline_year"])
    return df


TERMINAL_COLUMNS = [
    ("option", "option", "{}"),
    ("world", "world", "{}"),
    ("npv_mean", "NPV mean", "{:,.0f}"),
    ("npv_p10", "P10", "{:,.0f}"),
    ("npv_p90", "P90", "{:,.0f}"),
    ("p_npv_pos", "P(NPV>0)", "{:.1%}"),
    ("p_npv_pos_se", "±se", "{:.1%}"),
    ("irr_mean", "IRR", "{:.1%}"),
    ("p_production_by_deadline", "P(prod≤{deadline})", "{:.0%}"),
    ("public_cost_gross_mean", "public cost", "{:,.0f}"),
    ("public_cost_net_mean", "net cost", "{:,.0f}"),
    ("gain_per_100meur", "ΔP/100M", "{:+.1%}"),
    ("investable", "investable", "{}"),
]


def format_table(df: pd.DataFrame) -> str:
    """A readable fixed-width table of the headline columns."""
    deadline = int(df["deadline_year"].iloc[0]) if "deadline_year" in df else "deadline"
    rows = [[head.format(deadline=deadline) for _, head, _ in TERMINAL_COLUMNS]]
    for _, r in df.iterrows():
        row = []
        for col, _, fmt in TERMINAL_COLUMNS:
            v = r[col]
            if isinstance(v, float) and not np.isfinite(v):
                row.append("–")
            elif col == "investable":
                row.append("yes" if v else "no")
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
