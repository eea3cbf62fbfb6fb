"""Charts and a small report of the site comparison (``simcrm sites``), in English or Dutch.

Three charts: the sites side by side ("Where would the investor build?"), the reference
site's gap waterfall, and the cost of closing the gap per lever (budget cash and grant
equivalent at the intensity :func:`simcrm.analysis.sites.closing_levers` finds, state-aid
failures hatched).  Every chart passes :func:`simcrm.present.layout.check` like the run's
charts.
"""

from __future__ import annotations

import html
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simcrm import levers
from simcrm.analysis.gap import intensity_text as gap_words
from simcrm.analysis.sites import Comparison, cheapest, closing_csv, sorted_sites
from simcrm.present.charts import FIGSIZE, RC, _finish
from simcrm.present.gap_section import reason
from simcrm.present.text import meur, money, num

SITE_NAMES = {
    "nl": ("Netherlands", "Nederland"), "de": ("Germany", "Duitsland"),
    "be": ("Belgium", "België"), "fr": ("France", "Frankrijk"),
}
CAUSE_NAMES = {
    "energy": ("Energy price", "Energieprijs"), "grid": ("Grid", "Net"),
    "permits": ("Permits", "Vergunningen"), "tax": ("Tax", "Belasting"),
    "support": ("Support", "Steun"), "labour": ("Labour", "Arbeid"),
    "other": ("Other", "Overig"),
}
WORDS = {
    "where": ("Where would the investor build?", "Waar zou de investeerder bouwen?"),
    "best": ("{site} scores best", "{site} scoort het best"),
    "npv": ("Mean NPV (MEUR)", "Gemiddelde NPV (mln EUR)"),
    "base_npv": ("NPV of the base case (MEUR)", "NPV van het basisgeval (mln EUR)"),
    "gap": ("Why {ref} trails {best} by {gap}", "Waarom {ref} {gap} achterloopt op {best}"),
    "ahead": ("{ref} leads {best} by {gap}", "{ref} ligt {gap} voor op {best}"),
    "total": ("Total gap", "Totaal verschil"),
    "world": ("world: {w}; {n} draws, seed {seed}", "wereld: {w}; {n} trekkingen, seed {seed}"),
    "cost": ("Cost of closing the gap, per lever", "Kosten om het gat te dichten, per "
             "instrument"),
    "pending": ("not computed: the scenario has no option with an intensity to vary",
                "niet berekend: het scenario heeft geen optie met een te variëren intensiteit"),
    "cash": ("Budget cash (present value)", "Kasuitgaven (contante waarde)"),
    "gge": ("Gross grant equivalent", "Bruto subsidie-equivalent"),
    "meur": ("MEUR", "mln EUR"),
    "cheapest": ("{lever} closes the gap most cheaply within the state-aid rules: {cash} "
                 "budget cash, {gge} grant equivalent",
                 "{lever} dicht het gat het goedkoopst binnen de staatssteunregels: {cash} "
                 "kasbeslag, {gge} subsidie-equivalent"),
    "no_compliant": ("No lever closes the gap within the state-aid rules",
                     "Geen instrument dicht het gat binnen de staatssteunregels"),
    "no_lever": ("No lever closes the gap within its range",
                 "Geen instrument dicht het gat binnen zijn bereik"),
    "hatched": ("Hatched: fails the EU state-aid check.",
                "Gearceerd: strijdig met de EU-staatssteuntoets."),
    "short": ("Not enough even at the top of its range: {levers}.",
              "Onvoldoende, zelfs aan de bovenkant van het bereik: {levers}."),
    "draws": ("{n} draws", "{n} trekkingen"),
    "base_case": ("the deterministic base case", "het deterministische basisgeval"),
    "close_foot": ("Smallest intensity at which {ref} matches {best} ({target}); "
                   "{n}, world: {w}; budget cash at the public discount rate.",
                   "Kleinste intensiteit waarbij {ref} {best} evenaart "
                   "({target}); {n}, wereld: {w}; kasbeslag tegen de publieke "
                   "disconteringsvoet."),
    "least_aid": ("The least aid by the EU measure: {lever}, {gge} grant equivalent "
                  "({cash} budget cash)",
                  "De minste steun volgens de EU-maatstaf: {lever}, {gge} subsidie-equivalent "
                  "({cash} kasbeslag)"),
    "fails": ("fails", "strijdig"),
    "varied": ("varied", "gevarieerd"),
}


def _w(key: str, lang: str) -> str:
    return WORDS[key][lang == "nl"]


def site_name(name: str, lang: str) -> str:
    """A site's name in the language (its code where unknown)."""
    return SITE_NAMES.get(name, (name.upper(), name.upper()))[lang == "nl"]


def _figure(height: float | None = None) -> Figure:
    import matplotlib as mpl

    with mpl.rc_context(RC):
        fig = Figure(figsize=(FIGSIZE[0], max(FIGSIZE[1], height or 0.0)),
                     layout="constrained")
    return fig


def _measure_label(c: Comparison, lang: str) -> str:
    return _w("npv" if c.measure == "npv_mean" else "base_npv", lang)


def sites_chart(c: Comparison, lang: str = "en", world: str = "base") -> Figure:
    """The sites side by side: the measure of each site, best first."""
    import matplotlib as mpl

    order = sorted_sites(c, world)
    vals = [float(c.table.loc[(s, world), c.measure]) for s in order]
    with mpl.rc_context(RC):
        fig = _figure()
        ax = fig.add_subplot()
        colours = ["#0072B2" if s != c.reference else "#E69F00" for s in order]
        ax.barh([site_name(s, lang) for s in order][::-1], vals[::-1], color=colours[::-1])
        ax.axvline(0, color="#3b3b3b", lw=0.8)
        ax.set_xlabel(_measure_label(c, lang))
        _finish(fig, f"{_w('where', lang)} "
                f"{_w('best', lang).format(site=site_name(order[0], lang))}",
                _footnote(c, lang, world))
    return fig


def waterfall_chart(c: Comparison, lang: str = "en", world: str = "base") -> Figure:
    """The reference site's gap to the best other site, cause by cause."""
    import matplotlib as mpl

    wf = c.waterfall.loc[world]
    steps = wf["step"].to_numpy(dtype=float)
    names = [CAUSE_NAMES[k][lang == "nl"] for k in wf.index] + [_w("total", lang)]
    start = np.concatenate([[0.0], np.cumsum(steps)[:-1]])
    gap = float(steps.sum())
    with mpl.rc_context(RC):
        fig = _figure()
        ax = fig.add_subplot()
        y = -np.arange(len(names))  # first cause on top, the total at the bottom
        colours = ["#0072B2" if s >= 0 else "#E69F00" for s in steps] + ["#3b3b3b"]
        ax.barh(y, list(steps) + [gap], left=list(start) + [0.0], color=colours)
        ax.axvline(0, color="#3b3b3b", lw=0.8)
        ax.set_yticks(y, names)
        ax.set_xlabel(_measure_label(c, lang))
        key = "gap" if gap >= 0 else "ahead"
        _finish(fig, _w(key, lang).format(ref=site_name(c.reference, lang),
                                          best=site_name(c.best(world), lang),
                                          gap=meur(abs(gap), lang)), _footnote(c, lang, world))
    return fig


def closing_label(closing: pd.DataFrame, key: str, lang: str = "en") -> str:
    """The name of a row of the closing table: the option's label, and for a package
    (several rows of one option) the intensity that is left free."""
    r = closing.loc[key]
    label = str(r["label_nl" if lang == "nl" else "label_en"] or r["option"])
    if (closing["option"] == r["option"]).sum() > 1:
        label += f" – {_w('varied', lang)}: " + levers.LEVERS[r["lever"]].setting_label(
            r["setting"], lang)
    return label


def closing_finding(closing: pd.DataFrame, lang: str = "en") -> str:
    """What the closing table says: the cheapest lever that closes the gap within the
    state-aid rules, with its budget cash and grant equivalent."""
    key = cheapest(closing)
    if key is None:
        return _w("no_lever" if cheapest(closing, False) is None else "no_compliant", lang)
    r = closing.loc[key]
    return _w("cheapest", lang).format(lever=closing_label(closing, key, lang),
                                       cash=money(r["budget_cash_meur"], lang),
                                       gge=money(r["grant_equivalent_meur"], lang))


def least_aid_finding(closing: pd.DataFrame, lang: str = "en") -> str:
    """Where the least aid (gross grant equivalent) is another lever than the least budget
    cash, that lever and its amounts; else an empty string."""
    key = cheapest(closing, by="grant_equivalent_meur")
    if key is None or key == cheapest(closing):
        return ""
    r = closing.loc[key]
    return _w("least_aid", lang).format(lever=closing_label(closing, key, lang),
                                        cash=money(r["budget_cash_meur"], lang),
                                        gge=money(r["grant_equivalent_meur"], lang))


def closing_chart(closing: pd.DataFrame, lang: str = "en") -> Figure:
    """Budget cash (present value) and gross grant equivalent of each lever at the
    intensity that closes the gap, cheapest first; levers that fail the state-aid check
    hatched, levers that cannot close the gap named under the chart."""
    import matplotlib as mpl

    ok = closing[closing["status"] != "not_enough"]
    y = -np.arange(len(ok), dtype=float)
    names = [textwrap.fill(closing_label(closing, k, lang), 34) for k in ok.index]
    lines = sum(n.count("\n") + 1 for n in names)
    with mpl.rc_context(RC):
        fig = _figure(2.6 + 0.2 * lines + 0.25 * len(names))
        ax = fig.add_subplot()
        hatch = ["" if a else "//" for a in ok["state_aid_ok"].astype(bool)]
        for col, dy, colour, key in (("budget_cash_meur", 0.2, "#0072B2", "cash"),
                                     ("grant_equivalent_meur", -0.2, "#56B4E9", "gge")):
            bars = ax.barh(y + dy, ok[col].to_numpy(dtype=float), height=0.4, color=colour,
                           label=_w(key, lang), edgecolor="#3b3b3b", linewidth=0.4)
            for b, h in zip(bars, hatch):
                b.set_hatch(h)
        ax.axvline(0, color="#3b3b3b", lw=0.8)
        ax.set_yticks(y, names)
        ax.set_xlabel(_w("meur", lang))
        ax.set_ylim(y[-1] - 0.6 if len(y) else -0.6, 2.0)  # free rows on top: the legend
        ax.legend(loc="upper left", frameon=False, borderaxespad=0.1)
        notes = []
        if not ok["state_aid_ok"].astype(bool).all():
            notes.append(_w("hatched", lang))
        short = [closing_label(closing, k, lang) for k in closing.index
                 if closing.loc[k, "status"] == "not_enough"]
        if short:
            notes.append(_w("short", lang).format(levers=", ".join(short)))
        _finish(fig, closing_finding(closing, lang), _closing_foot(closing, lang),
                " ".join(notes))
    return fig


def _closing_foot(closing: pd.DataFrame, lang: str) -> str:
    r = closing.iloc[0]
    n = (_w("base_case", lang) if int(r["draws"]) == 1 else
         _w("draws", lang).format(n=num(r["draws"], lang)))
    return _w("close_foot", lang).format(ref=site_name(r["reference"], lang),
                                         best=site_name(r["best"], lang),
                                         target=meur(r["target_meur"], lang), n=n,
                                         w=r["world"])


def closing_text(closing: pd.DataFrame, lang: str = "en") -> str:
    """The closing table as plain text: lever, intensity, the measure reached, P(built),
    budget cash, grant equivalent and the state-aid verdict with its reason."""
    head = {"en": ("lever", "intensity", "NPV reached", "P(built)", "budget cash PV",
                   "grant equiv.", "state aid"),
            "nl": ("instrument", "intensiteit", "NPV bereikt", "P(gebouwd)",
                   "kasbeslag (CW)", "steunequiv.", "staatssteun")}[lang]
    rows = [head]
    for k, r in closing.iterrows():
        se = r["measure_se_meur"]
        reached = f"{r['measure_meur']:,.1f}" + (f" ± {se:.1f}" if np.isfinite(se) else "")
        aid = ("ok" if r["state_aid_ok"] else _w("fails", lang) + ": " + reason(r, lang))
        rows.append((closing_label(closing, k, lang), gap_words(r, lang), reached,
                     f"{r['p_built']:.1%}", f"{r['budget_cash_meur']:,.1f}",
                     f"{r['grant_equivalent_meur']:,.1f}", aid))
    widths = [max(len(x[i]) for x in rows) for i in range(len(head) - 1)]
    lines = ["  ".join([*(v.rjust(w) if i else v.ljust(w)
                          for i, (v, w) in enumerate(zip(row[:-1], widths))), row[-1]])
             for row in rows]
    if len(closing):
        lines.insert(0, _closing_foot(closing, lang))
        lines += [x for x in (closing_finding(closing, lang),
                              least_aid_finding(closing, lang)) if x]
    return "\n".join(lines)


def _footnote(c: Comparison, lang: str, world: str) -> str:
    label = c.world_labels.get(world, (world, world))[lang == "nl"]
    return _w("world", lang).format(w=label, n=num(c.draws, lang), seed=c.seed)


def chart_set(c: Comparison, closing: pd.DataFrame | None = None, world: str = "base"
              ) -> dict[str, callable]:
    """Name -> ``draw(lang) -> Figure`` of the site charts."""
    out = {"sites": lambda lang: sites_chart(c, lang, world),
           "sites_gap": lambda lang: waterfall_chart(c, lang, world)}
    if closing is not None and len(closing):
        out["sites_closing"] = lambda lang: closing_chart(closing, lang)
    return out


def table_text(c: Comparison, world: str, lang: str = "en") -> str:
    """The sites of one world as a plain-text table (best first)."""
    head = {"en": ("site", "mean NPV", "± se", "P(built)", f"P(prod ≤ {c.deadline})",
                   "first prod.", "base-case NPV"),
            "nl": ("locatie", "gem. NPV", "± se", "P(gebouwd)", f"P(prod ≤ {c.deadline})",
                   "eerste prod.", "NPV basisgeval")}[lang]
    rows = [head]
    for s in sorted_sites(c, world):
        r = c.table.loc[(s, world)]
        fp = r["first_production_p50"]
        rows.append((site_name(s, lang), f"{r['npv_mean']:,.1f}", f"{r['npv_mean_se']:.1f}",
                     f"{r['p_built']:.1%}", f"{r['p_production_by_deadline']:.1%}",
                     "—" if not np.isfinite(fp) else f"{fp:.1f}", f"{r['base_npv']:,.1f}"))
    widths = [max(len(x[i]) for x in rows) for i in range(len(head))]
    return "\n".join("  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in
                               enumerate(zip(row, widths))) for row in rows)


def waterfall_text(c: Comparison, world: str, lang: str = "en") -> str:
    """The gap waterfall of one world as text lines."""
    wf = c.waterfall.loc[world]
    lines = [f"{site_name(c.reference, lang)} → {site_name(c.best(world), lang)} "
             f"({_measure_label(c, lang)}):"]
    for cause, r in wf.iterrows():
        lines.append(f"  {CAUSE_NAMES[cause][lang == 'nl']:<14} {r['step']:+9.1f}")
    lines.append(f"  {_w('total', lang):<14} {c.gap(world):+9.1f}")
    return "\n".join(lines)


def write_report(folder: str | Path, c: Comparison, closing: pd.DataFrame | None = None,
                 world: str = "base") -> list[Path]:
    """Write the site charts (PNG, both languages), ``sites.csv`` and ``sites.html`` /
    ``sites.nl.html`` into ``folder`` (created); returns the files written."""
    import matplotlib as mpl

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    c.table.to_csv(folder / "sites.csv")
    c.waterfall.to_csv(folder / "sites_gap.csv")
    written += [folder / "sites.csv", folder / "sites_gap.csv"]
    if closing is not None:
        closing_csv(closing).to_csv(folder / "sites_close.csv")
        written.append(folder / "sites_close.csv")
    for lang in ("en", "nl"):
        imgs = []
        for name, draw in chart_set(c, closing, world).items():
            fig = draw(lang)
            png = folder / f"{name}.{lang}.png"
            with mpl.rc_context({"savefig.dpi": 150}):
                fig.savefig(png, metadata={"Software": None})
            imgs.append(png.name)
            written.append(png)
        page = folder / ("sites.html" if lang == "en" else "sites.nl.html")
        page.write_text(_html(c, imgs, closing, world, lang), encoding="utf-8")
        written.append(page)
    return written


def _html(c: Comparison, imgs: list[str], closing, world: str, lang: str) -> str:
    esc = html.escape
    title = _w("where", lang)
    body = [f"<h1>{esc(title)}</h1>",
            f"<pre>{esc(table_text(c, world, lang))}</pre>",
            f"<pre>{esc(waterfall_text(c, world, lang))}</pre>"]
    img = lambda i: f'<img src="{esc(i)}" style="max-width:100%">'  # noqa: E731
    body += [img(i) for i in imgs if not i.startswith("sites_closing")]
    body.append(f"<h2>{esc(_w('cost', lang))}</h2>")
    body += [img(i) for i in imgs if i.startswith("sites_closing")]
    if closing is None or not len(closing):
        body.append(f"<p>{esc(_w('pending', lang))}</p>")
    else:
        body.append(f"<p>{esc(closing_finding(closing, lang))}. "
                    f"{esc(least_aid_finding(closing, lang))}</p>")
        body.append(f"<pre>{esc(closing_text(closing, lang))}</pre>")
    return (f'<!DOCTYPE html><html lang="{lang}"><meta charset="utf-8"><title>{esc(title)}'
            f"</title><body>{''.join(body)}</body></html>")
