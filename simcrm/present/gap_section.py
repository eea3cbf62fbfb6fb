"""The report's funding-gap section, drawn from ``gap.csv`` when the folder holds one.

``simcrm run`` does not search for the funding gap itself: the search evaluates each
option template some 10–20 times per world and target (about 3 minutes for the default
scenario's 9 templates × 5 worlds at 4 096 draws, against about half a minute to
simulate its 100 000 draws), so it is a command of its own, ``simcrm gap``, which adds
``gap.csv`` to the results folder; ``simcrm report`` then shows it here.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from simcrm.analysis.gap import from_csv
from simcrm.present.text import NBSP, meur, num, pct, setting_label, setting_value

log = logging.getLogger(__name__)

WORDS = {
    "title": ("Funding gap: the smallest intensity of each lever that makes the plant worth "
              "building",
              "Financieringstekort: de kleinste intensiteit per instrument waarbij de fabriek "
              "het bouwen waard is"),
    "intro": ("For each option and each lever in it with an intensity, the smallest value "
              "at which the investor's expected NPV at its hurdle rate reaches zero (every "
              "plant that reaches the investment decision built), and the smallest at which "
              "the plant is built in at least {target} of the draws (the investor's fitted "
              "decision rule). The other settings of the option stay as given. Budget cash "
              "(present value) and grant equivalent are means over the draws at that "
              "intensity; the state-aid check is the one of the comparison table. {draws} "
              "draws, seed {seed}, the same draws at every intensity.",
              "Per optie en per instrument daarin met een intensiteit: de kleinste waarde "
              "waarbij de verwachte NPV van de investeerder tegen zijn rendementseis nul "
              "wordt (elke fabriek die het investeringsbesluit haalt wordt gebouwd), en de "
              "kleinste waarbij de fabriek in ten minste {target} van de trekkingen wordt "
              "gebouwd (de geschatte beslisregel van de investeerder). De andere instellingen "
              "van de optie blijven zoals gegeven. Kasuitgaven (contante waarde) en "
              "subsidie-equivalent zijn gemiddelden over de trekkingen bij die intensiteit; "
              "de staatssteuntoets is die van de vergelijkingstabel. {draws} trekkingen, "
              "seed {seed}, bij elke intensiteit dezelfde trekkingen."),
    "other_run": ("Note: gap.csv was computed for scenario {gap} with seed {seed}, not for "
                  "this run ({run}).",
                  "Let op: gap.csv is berekend voor scenario {gap} met seed {seed}, niet voor "
                  "deze berekening ({run})."),
    "world": ("World", "Wereld"),
    "option": ("Option", "Optie"),
    "lever": ("Lever setting", "Instrument"),
    "npv0": ("Funding gap (NPV = 0)", "Financieringstekort (NPV = 0)"),
    "pb": ("For P(built) ≥ {target}", "Voor P(gebouwd) ≥ {target}"),
    "cash": ("budget cash PV", "kasbeslag CW"),
    "gge": ("grant equivalent", "subsidie-equivalent"),
    "aid": ("state aid", "staatssteun"),
    "none_needed": ("none needed", "niet nodig"),
    "not_enough": ("not enough up to {top}", "onvoldoende tot {top}"),
    "short_npv": ("expected NPV there {v}", "verwachte NPV daar {v}"),
    "short_pb": ("P(built) there {v}", "P(gebouwd) daar {v}"),
    "ok": ("fits", "past"),
    "fails": ("fails: {why}", "past niet: {why}"),
}


def _w(key: str, lang: str, **kw) -> str:
    en, nl = WORDS[key]
    return (nl if lang == "nl" else en).format(**kw)


def _e(s) -> str:
    return html.escape(str(s), quote=True)


def _intensity(r, lang: str) -> str:
    key = f"{r['lever']}.{r['setting']}"
    if r["status"] == "none_needed":
        return _w("none_needed", lang)
    if r["status"] == "not_enough":
        short = (_w("short_npv", lang, v=meur(float(r["npv_mean"]), lang))
                 if r["target"] == "npv" else
                 _w("short_pb", lang, v=pct(float(r["p_built"]), lang)))
        return _w("not_enough", lang, top=setting_value(key, float(r["range_hi"]), r["unit"],
                                                         lang)) + f" ({short})"
    out = setting_value(key, round(float(r["intensity"]), 4 if r["unit"] == "1" else 0),
                        r["unit"], lang)
    se = float(r["intensity_se"]) if pd.notna(r["intensity_se"]) else np.nan
    if np.isfinite(se):
        out += f"{NBSP}±{NBSP}" + (pct(se, lang, 1) if r["unit"] == "1" else num(se, lang))
    return out


def reason(r, lang: str) -> str:
    """Why a row of a gap or closing table fails the state-aid check, in ``lang`` (tables
    written before the Dutch reason existed give the English one)."""
    nl = r.get("state_aid_reason_nl") if lang == "nl" else None
    return str(nl) if isinstance(nl, str) and nl else str(r["state_aid_reason"])


def _cells(r, lang: str) -> list[str]:
    if r["status"] == "not_enough":
        return [_intensity(r, lang), "–", "–", "–"]
    aid = _w("ok", lang) if bool(r["state_aid_ok"]) else _w(
        "fails", lang, why=reason(r, lang))
    return [_intensity(r, lang), meur(float(r["budget_cash_pv_mean"]), lang),
            meur(float(r["gross_grant_equivalent_mean"]), lang), aid]


def _table(df: pd.DataFrame, lang: str, world_label, target: str) -> str:
    sub = [_w("npv0", lang), _w("cash", lang), _w("gge", lang), _w("aid", lang),
           _w("pb", lang, target=target), _w("cash", lang), _w("gge", lang), _w("aid", lang)]
    head = ("<tr>" + "".join(f'<th class="l">{_e(h)}</th>' for h in
                             (_w("world", lang), _w("option", lang), _w("lever", lang)))
            + "".join(f"<th>{_e(h)}</th>" for h in sub) + "</tr>")
    rows = []
    keys = ["world", "option", "lever", "setting"]
    for (w, _, lever, setting), g in df.groupby(keys, sort=False):
        by = {r["target"]: r for _, r in g.iterrows()}
        if "npv" not in by or "p_built" not in by:
            continue
        r = by["npv"]
        label = r[f"label_{lang}"] if pd.notna(r.get(f"label_{lang}")) else r["option"]
        cells = _cells(by["npv"], lang) + _cells(by["p_built"], lang)
        rows.append(f'<tr><td class="l">{_e(world_label(w, lang))}</td><td class="l">'
                    f"{_e(label)}</td><td class=\"l\">"
                    f"{_e(setting_label(f'{lever}.{setting}', lang))}</td>"
                    + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    return f"<table>\n{head}\n" + "\n".join(rows) + "\n</table>"


def gap_section(folder: str | Path, ds: xr.Dataset, lang: str) -> list[tuple[str, list]]:
    """The funding-gap section (``[(title, [html])]``), or nothing when ``folder`` holds
    no ``gap.csv`` (``simcrm gap`` writes it).

    Parameters
    ----------
    folder : path
        The results folder.
    ds : xarray.Dataset
        The run's results (world labels, scenario name and seed).
    lang : {"en", "nl"}
    """
    path = Path(folder) / "gap.csv"
    if not path.is_file():
        return []
    try:
        df = from_csv(pd.read_csv(path, keep_default_na=False, na_values=["", "nan", "NaN"]))
        return [] if df.empty else _section(df, ds, lang)
    except Exception as e:  # noqa: BLE001 - an optional section must not cost the report
        log.warning("funding-gap section left out of the report: %s", e)
        return []


def _section(df: pd.DataFrame, ds: xr.Dataset, lang: str) -> list[tuple[str, list]]:

    def world_label(w: str, lg: str) -> str:
        coord = f"world_label_{lg}"
        if coord in ds.coords and w in ds["world"].values:
            return str(ds[coord].sel(world=w).values)
        return w

    order = {w: i for i, w in enumerate(str(x) for x in ds["world"].values)}
    df = df.sort_values("world", key=lambda s: s.map(lambda w: order.get(w, len(order))),
                        kind="stable")
    target = pct(float(df.loc[df["target"] == "p_built", "target_value"].iloc[0]), lang) \
        if (df["target"] == "p_built").any() else "–"
    items = [f'<p class="note">{_e(_w("intro", lang, target=target, draws=num(int(df["draws"].iloc[0]), lang), seed=int(df["seed"].iloc[0])))}</p>']  # noqa: E501
    gap_sc, gap_seed = str(df["scenario"].iloc[0]), int(df["seed"].iloc[0])
    run_sc, run_seed = str(ds.attrs.get("scenario", gap_sc)), int(ds.attrs.get("seed", gap_seed))
    if (gap_sc, gap_seed) != (run_sc, run_seed):
        items.append(f'<p class="note">{_e(_w("other_run", lang, gap=gap_sc, seed=gap_seed, run=f"{run_sc}, seed {run_seed}"))}</p>')  # noqa: E501
    items.append(_table(df, lang, world_label, target))
    return [(_w("title", lang), items)]
