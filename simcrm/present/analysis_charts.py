"""Charts of what drives the result: Sobol' indices, PRIM boxes, regret, convergence.

Each function returns a :class:`matplotlib.figure.Figure` whose title states
the finding, in English (``lang="en"``) or Dutch (``lang="nl"``).  They follow
the briefing style of :mod:`simcrm.present.charts` (type sizes, colours, option labels
and footnote come from there).  :func:`report_sections` gives the report its
sections on these analyses.
"""

from __future__ import annotations

import html

import matplotlib as mpl
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from simcrm.analysis import robustness
from simcrm.analysis.discovery import OVERRUN_KEYS
from simcrm.analysis.findings import Analyses, analyses
from simcrm.present import charts
from simcrm.present import text as i18n
from simcrm.present.charts import MUTED, Facts
from simcrm.present.text import pct
from simcrm.spec import outputs

TEXT = {
    # Sobol'
    "sobol_title": {"en": "The spread in NPV comes most from {factor}: {st} of its variance",
                    "nl": "De spreiding in NCW komt het meest van {factor}: {st} van de "
                          "variantie"},
    "sobol_title_rough": {"en": "The spread in NPV comes most from {factor} (its share is too "
                                "uncertain to state at this number of simulations)",
                          "nl": "De spreiding in NCW komt het meest van {factor} (het aandeel is "
                                "bij dit aantal simulaties te onzeker om te noemen)"},
    "sobol_corr": {"en": "Rank correlations between inputs are left out of this design "
                         "(Sobol' indices assume independent inputs).",
                   "nl": "Rangcorrelaties tussen invoergrootheden zijn in dit ontwerp "
                         "weggelaten (Sobol'-indices veronderstellen onafhankelijke invoer)."},
    "sobol_xlabel": {"en": "Share of the variance of NPV [%]",
                     "nl": "Aandeel in de variantie van de NCW [%]"},
    "sobol_note": {"en": "{option}. Sobol' indices, N = {n}, {ev} model runs; lines: 95 % "
                         "interval. {markets}",
                   "nl": "{option}. Sobol'-indices, N = {n}, {ev} modelberekeningen; lijnen: "
                         "95 %-interval. {markets}"},
    "sobol_grouped": {"en": "Market shocks: one factor per price path.",
                      "nl": "Marktschokken: één factor per prijspad."},
    "sobol_fixed": {"en": "Market prices held on their expected path.",
                    "nl": "Marktprijzen op hun verwachte pad gehouden."},
    "shocks": {"en": "{m} shocks", "nl": "Schokken in {m}"},
    # PRIM
    "prim_traj_x": {"en": "Share of all loss cases\ninside the conditions [%]",
                    "nl": "Aandeel van alle\nverliesgevallen [%]"},
    "prim_traj_y": {"en": "Share of losses\ninside the conditions [%]",
                    "nl": "Aandeel verlies binnen\nde afbakening [%]"},
    "prim_path": {"en": "Trade-off curve", "nl": "Afwegingscurve"},
    "prim_chosen": {"en": "Chosen conditions", "nl": "Gekozen afbakening"},
    "prim_fail": {"en": "Loss-making", "nl": "Verlieslatend"},
    "prim_ok": {"en": "Profitable", "nl": "Rendabel"},
    # a failure other than a loss (late production): neutral words
    "prim_traj_x_any": {"en": "Share of all failures\ninside the conditions [%]",
                        "nl": "Aandeel van alle\nfaalgevallen [%]"},
    "prim_traj_y_any": {"en": "Share of failures\ninside the conditions [%]",
                        "nl": "Aandeel faalgevallen binnen\nde afbakening [%]"},
    "prim_fail_any": {"en": "Fails", "nl": "Faalt"},
    "prim_ok_any": {"en": "Does not fail", "nl": "Faalt niet"},
    "prim_note": {"en": "{option}, {world}. Search for failure conditions (PRIM) over {n} "
                        "simulations.",
                  "nl": "{option}, {world}. Zoeken naar faalcondities (PRIM) over {n} "
                        "simulaties."},
    # robustness
    "rob_title": {"en": "Most robust: {option}, at most {regret} below the best option in "
                        "any world",
                  "nl": "Meest robuust: {option}, hooguit {regret} onder de beste optie in "
                        "elk scenario"},
    "rob_title_best": {"en": "Most robust: {option}, the best option in every world",
                       "nl": "Meest robuust: {option}, de beste optie in elk scenario"},
    "rob_cbar": {"en": "Regret: mean NPV below the best option in the world [MEUR]",
                 "nl": "Achterstand op de beste optie: gemiddelde NCW onder de beste optie "
                       "in dat scenario [mln euro]"},
    "rob_worst": {"en": "Chance of a\nprofitable plant,\nworst world",
                  "nl": "Kans op een\nrendabele fabriek,\nslechtste scenario"},
    "rob_max": {"en": "Largest\nregret", "nl": "Grootste\nachterstand"},
    "rob_best": {"en": "Best option by the rule of the headline numbers, per world: {best}.",
                 "nl": "Beste optie volgens de regel van de kerncijfers, per scenario: "
                       "{best}."},
    "rob_note": {"en": "Ranked by minimax regret: the smallest largest shortfall over the "
                       "worlds.",
                 "nl": "Gerangschikt op de kleinste maximale achterstand op de beste optie "
                       "over alle scenario's."},
    # convergence
    "conv_title": {"en": "{n} draws pin the chance of profit down to ±{half} points and the "
                         "mean NPV to ±{mhalf}",
                   "nl": "{n} simulaties leggen de kans op winst vast op ±{half} procentpunt "
                         "en de gemiddelde NCW op ±{mhalf}"},
    "conv_x": {"en": "Number of simulations", "nl": "Aantal simulaties"},
    "conv_p": {"en": "Chance of a profitable plant [%]",
               "nl": "Kans op een rendabele fabriek [%]"},
    "conv_m": {"en": "Mean NPV [MEUR]", "nl": "Gemiddelde NCW [mln EUR]"},
    "conv_band": {"en": "95 % interval", "nl": "95 %-interval"},
    "conv_note": {"en": "{option}, {world}. Running estimate as draws are added.",
                  "nl": "{option}, {world}. Lopende schatting naarmate simulaties worden "
                        "toegevoegd."},
    # report sections
    "sec_sobol": {"en": "What drives the spread in NPV (Sobol' indices)",
                  "nl": "Wat de spreiding in NCW bepaalt (Sobol'-indices)"},
    "sec_prim": {"en": "When does the plant fail? (search for failure conditions)",
                 "nl": "Wanneer maakt de fabriek verlies? (zoeken naar faalcondities)"},
    "sec_rob": {"en": "Robustness across worlds", "nl": "Robuustheid over scenario's"},
    "sec_conv": {"en": "Monte Carlo precision", "nl": "Nauwkeurigheid van de simulatie"},
}


OK_COLOUR = "#0072b2"
"""Profitable draws: blue (Okabe-Ito), with round markers."""
FAIL_COLOUR = "#e69f00"
"""Loss-making draws: orange (Okabe-Ito), with triangles; never a red/green pair."""


def tr(key: str, lang: str, **kw) -> str:
    """A text of this module in ``lang`` with fields filled in."""
    s = TEXT[key][i18n.check_lang(lang)]
    return s.format(**kw) if kw else s


def factor_label(name: str, lang: str) -> str:
    """Short name of a Sobol' factor or a sampled input."""
    if name.endswith(".shocks"):
        m = name.split(".")[1]
        mn = i18n.MARKET_NAMES.get(m)
        m = (mn[1].lower() if lang == "nl" else mn[0]) if mn else m
        return tr("shocks", lang, m=m)
    return i18n.input_label(name, lang)


def _lower(label: str) -> str:
    if len(label) > 1 and not (label[1].isupper() or label[1].isdigit()):
        return label[0].lower() + label[1:]
    return label


def _facts(ds: xr.Dataset | None, facts: Facts | None) -> Facts | None:
    if facts is not None:
        return facts
    return Facts(ds) if ds is not None else None


def _foot(facts: Facts | None, lang: str, world: bool = True) -> str:
    return facts.footnote(lang, world) if facts is not None else ""


def _olabel(facts: Facts | None, option: str, lang: str) -> str:
    return facts.label(option, lang) if facts is not None else option


# --------------------------------------------------------------------------------------
# Sobol'
# --------------------------------------------------------------------------------------


def sobol_chart(sob: xr.Dataset, option: str | None = None, lang: str = "en",
                ds: xr.Dataset | None = None, facts: Facts | None = None,
                top: int = 10) -> Figure:
    """Bars of the total and first-order Sobol' indices of one option, with 95 % intervals.

    Parameters
    ----------
    sob : xarray.Dataset
        From :func:`simcrm.analysis.sensitivity.sobol`.
    option : str, optional
        Default: the first option of ``sob``.
    ds : xarray.Dataset, optional
        The run's results (for option labels and the footnote).
    """
    lang = i18n.check_lang(lang)
    facts = _facts(ds, facts)
    option = option or str(sob["option"].values[0])
    s = sob.sel(option=option)
    order = np.argsort(-s["ST"].values)[:top][::-1]
    names = [str(v) for v in s["factor"].values[order]]
    st, stc = s["ST"].values[order] * 100, s["ST_conf"].values[order] * 100
    s1, s1c = s["S1"].values[order] * 100, s["S1_conf"].values[order] * 100
    y = np.arange(len(names))
    with charts._style():
        fig = charts._figure((charts.W, 2.4 + 0.36 * len(names)))
        ax = fig.subplots()
        ax.barh(y + 0.2, st, 0.38, xerr=stc, color="#4c72b0", label=outputs.label("ST", lang),
                error_kw={"ecolor": "#222222", "lw": 1.2, "capsize": 3})
        ax.barh(y - 0.2, np.clip(s1, 0, None), 0.38, xerr=s1c, color="#a1c4e8",
                label=outputs.label("S1", lang), error_kw={"ecolor": "#555555", "lw": 1.0,
                                                       "capsize": 3})
        ax.set_yticks(y, [factor_label(n, lang) for n in names])
        ax.set_xlabel(tr("sobol_xlabel", lang))
        ax.set_xlim(0, max(100.0, float(np.max(st + stc, initial=0)) * 1.05))
        ax.legend(loc="lower right", frameon=True)
        ax.grid(axis="y", visible=False)
        first = names[-1] if names else ""
        top_st = float(s["ST"].sel(factor=first)) if first else float("nan")
        top_ci = float(s["ST_conf"].sel(factor=first)) if first else float("nan")
        # an index is a share of the variance: an estimate above 100 % or with an interval
        # wider than ±50 points is sampling noise, not a finding to put in a title
        rough = not (0.0 <= top_st <= 1.0 and top_ci <= 0.5)
        title = tr("sobol_title_rough" if rough else "sobol_title", lang,
                   factor=_lower(factor_label(first, lang)),
                   st=pct(top_st, lang) if first and not rough else "–")
        note = tr("sobol_note", lang, option=_olabel(facts, option, lang),
                  n=i18n.num(sob.attrs.get("N", 0), lang),
                  ev=i18n.num(sob.attrs.get("evaluations", 0), lang),
                  markets=tr("sobol_grouped" if sob.attrs.get("markets") == "grouped"
                             else "sobol_fixed", lang))
        return charts._finish(fig, title, _foot(facts, lang), note)


# --------------------------------------------------------------------------------------
# PRIM
# --------------------------------------------------------------------------------------


def prim_chart(res, lang: str = "en", option: str = "", world: str = "",
               ds: xr.Dataset | None = None, facts: Facts | None = None) -> Figure:
    """The PRIM trade-off (coverage against density) and the box on its two main inputs.

    Parameters
    ----------
    res : simcrm.analysis.discovery.PrimResult
    option, world : str
        For the note.
    """
    lang = i18n.check_lang(lang)
    facts = _facts(ds, facts)
    restr = res.restrictions()
    sfx = "" if res.what == "npv" else "_any"
    with charts._style():
        fig = charts._figure((charts.W, 4.4))
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.15]})
        tj = res.trajectory
        ax1.plot(tj["coverage"] * 100, tj["density"] * 100, "-o", color="#8c8c8c", ms=4,
                 label=tr("prim_path", lang))
        ax1.plot([res.coverage * 100], [res.density * 100], "*", color=FAIL_COLOUR, ms=12,
                 label=tr("prim_chosen", lang), zorder=5)
        ax1.axhline(res.base_rate * 100, color=MUTED, lw=1, ls=":")
        ax1.set_xlabel(tr("prim_traj_x" + sfx, lang))
        ax1.set_ylabel(tr("prim_traj_y" + sfx, lang))
        ax1.set_xlim(0, 102)
        ax1.legend(loc="lower left", frameon=True)
        names = list(restr["input"])
        rest = [k for k in res.names if k not in names]
        names = (names + rest)[:2]
        if len(names) == 2:
            j0, j1 = res.names.index(names[0]), res.names.index(names[1])
            x, yv = res.X[:, j0], res.X[:, j1]
            k = min(3000, x.size)
            idx = np.random.default_rng(0).choice(x.size, k, replace=False) if x.size > k \
                else np.arange(x.size)
            f = res.y[idx]
            ax2.scatter(x[idx][~f], yv[idx][~f], s=8, color=OK_COLOUR, marker="o",
                        alpha=0.45, label=tr("prim_ok" + sfx, lang), lw=0)
            ax2.scatter(x[idx][f], yv[idx][f], s=12, color=FAIL_COLOUR, marker="^",
                        alpha=0.55, label=tr("prim_fail" + sfx, lang), lw=0)
            lo = [res.box.lower[j] if np.isfinite(res.box.lower[j]) else x.min() if j == j0
                  else yv.min() for j in (j0, j1)]
            hi = [res.box.upper[j] if np.isfinite(res.box.upper[j]) else x.max() if j == j0
                  else yv.max() for j in (j0, j1)]
            ax2.add_patch(Rectangle((lo[0], lo[1]), hi[0] - lo[0], hi[1] - lo[1], fill=False,
                                    ec="black", lw=2.5, zorder=5))
            ax2.set_xlabel(_axis_label(names[0], res.units.get(names[0], ""), lang))
            ax2.set_ylabel(_axis_label(names[1], res.units.get(names[1], ""), lang))
            ax2.legend(loc="upper right", frameon=True, markerscale=3)
            for a, nm, u in ((ax2.xaxis, names[0], res.units.get(names[0], "")),
                             (ax2.yaxis, names[1], res.units.get(names[1], ""))):
                if nm in OVERRUN_KEYS:
                    a.set_major_formatter(mpl.ticker.FuncFormatter(
                        lambda v, _: pct(v - 1.0, lang)))
                elif u not in ("1",):
                    a.set_major_formatter(mpl.ticker.FuncFormatter(
                        lambda v, _: i18n.num(v, lang)))
                    if a is ax2.xaxis:  # wide numbers (100,000 EUR/t) need room
                        a.set_major_locator(mpl.ticker.MaxNLocator(4))
        else:
            ax2.set_axis_off()
        title = res.describe(lang, top=2).split(". ")[0]
        note = tr("prim_note", lang, option=_olabel(facts, option, lang) if option else "",
                  world=facts.wlabel(world, lang) if facts is not None and world else world,
                  n=i18n.num(res.X.shape[0], lang))
        return charts._finish(fig, title, _foot(facts, lang), note)


def _axis_label(name: str, unit: str, lang: str) -> str:
    lab = factor_label(name, lang)
    return f"{lab} [{unit}]" if unit and unit != "1" else lab


# --------------------------------------------------------------------------------------
# Robustness
# --------------------------------------------------------------------------------------


def robustness_chart(ds: xr.Dataset, lang: str = "en", facts: Facts | None = None,
                     rk: pd.DataFrame | None = None, rg: xr.Dataset | None = None) -> Figure:
    """Heatmap of the NPV regret per option × world, options ranked by minimax regret,
    with the worst-world P(NPV > 0) and the largest regret beside it.

    Parameters
    ----------
    ds : xarray.Dataset
        Per-draw results.
    rk, rg : optional
        :func:`simcrm.analysis.robustness.ranking` and ``regret`` of ``ds`` if computed
        already.
    """
    lang = i18n.check_lang(lang)
    facts = _facts(ds, facts)
    rk = robustness.ranking(ds, aid_ok=robustness.aid_ok(facts.sm)) if rk is None else rk
    rg = robustness.regret(ds) if rg is None else rg
    opts = list(rk["option"])
    worlds = [str(w) for w in ds["world"].values]
    M = rg["regret_npv"].sel(option=opts).transpose("option", "world").values
    with charts._style():
        fig = charts._figure((charts.W, 3.8 + 0.34 * len(opts) * charts._lines(facts, lang)))
        ax = fig.subplots()
        cols = len(worlds) + 2
        vmax = max(float(np.nanmax(M)), 1e-9)
        cmap = mpl.colormaps["Reds"]
        for i, _o in enumerate(opts):
            for j in range(len(worlds)):
                v = M[i, j]
                ax.add_patch(Rectangle((j, i), 1, 1, color=cmap(0.08 + 0.8 * v / vmax)))
                ax.text(j + 0.5, i + 0.5, i18n.num(v, lang), ha="center", va="center",
                        fontsize=8.5, color="white" if v / vmax > 0.6 else "black")
            r = rk.iloc[i]
            ax.text(len(worlds) + 0.5, i + 0.5, pct(r["p_npv_pos_worst"], lang), ha="center",
                    va="center", fontsize=8.5)
            ax.text(len(worlds) + 1.5, i + 0.5, i18n.num(r["regret_npv"], lang), ha="center",
                    va="center", fontsize=8.5, fontweight="bold" if i == 0 else "normal")
        ax.set_xlim(0, cols)
        ax.set_ylim(len(opts), 0)
        heads = [i18n.wrap(facts.wlabel(w, lang), 20) for w in worlds] \
            + [tr("rob_worst", lang), tr("rob_max", lang)]
        ax.set_xticks(np.arange(cols) + 0.5, heads, rotation=90, va="bottom",
                      ha="center")
        ax.xaxis.tick_top()
        unlawful = set(rk.loc[~rk["state_aid_ok"], "option"]) if "state_aid_ok" in rk else set()
        ax.set_yticks(np.arange(len(opts)) + 0.5,
                      [facts.wrapped(o, lang) + (f"\n{i18n.t('aid_fails_mark', lang)}"
                                                 if o in unlawful else "") for o in opts])
        ax.grid(False)
        for s in ax.spines.values():
            s.set_visible(False)
        ax.axvline(len(worlds), color="black", lw=1.5)
        sm = mpl.cm.ScalarMappable(norm=mpl.colors.Normalize(0, vmax), cmap=mpl.colors.
                                   LinearSegmentedColormap.from_list(
                                       "r", [cmap(0.08), cmap(0.88)]))
        cb = fig.colorbar(sm, ax=ax, orientation="horizontal", fraction=0.05, pad=0.02,
                          aspect=50)
        cb.set_label(i18n.wrap(tr("rob_cbar", lang), 60))
        best = rk.iloc[0]
        title = tr("rob_title" if best["regret_npv"] > 0 else "rob_title_best", lang,
                   option=facts.label(best["option"], lang),
                   regret=i18n.meur(best["regret_npv"], lang))
        return charts._finish(fig, title, facts.footnote(lang, world=False),
                              tr("rob_note", lang))


# --------------------------------------------------------------------------------------
# Convergence
# --------------------------------------------------------------------------------------


def convergence_chart(ds: xr.Dataset, option: str | None = None, world: str | None = None,
                      lang: str = "en", facts: Facts | None = None,
                      r: pd.DataFrame | None = None) -> Figure:
    """Running P(NPV > 0) and mean NPV with their 95 % band against the number of draws.

    ``r`` is :func:`simcrm.analysis.robustness.running` of option and world if computed
    already (default: the best option in the chart world).
    """
    lang = i18n.check_lang(lang)
    facts = _facts(ds, facts)
    option = option or facts.best
    world = world or facts.world
    r = robustness.running(ds, option, world) if r is None else r
    with charts._style():
        fig = charts._figure((charts.W, 4.2))
        ax1, ax2 = fig.subplots(1, 2)
        c = facts.colours.get(option, "#4c72b0")
        ax1.fill_between(r["draws"], r["p_lo"] * 100, r["p_hi"] * 100, color=c, alpha=0.25,
                         lw=0, label=tr("conv_band", lang))
        ax1.plot(r["draws"], r["p_npv_pos"] * 100, color=c, lw=2.5)
        ax1.set_ylabel(tr("conv_p", lang))
        ax2.fill_between(r["draws"], r["npv_lo"], r["npv_hi"], color=c, alpha=0.25, lw=0,
                         label=tr("conv_band", lang))
        ax2.plot(r["draws"], r["npv_mean"], color=c, lw=2.5)
        ax2.set_ylabel(tr("conv_m", lang))
        ax2.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: i18n.num(v, lang)))
        for ax, last in ((ax1, r["p_npv_pos"].iloc[-1] * 100), (ax2, r["npv_mean"].iloc[-1])):
            ax.set_xscale("log")
            ax.set_xlabel(tr("conv_x", lang))
            ax.axhline(last, color=MUTED, lw=1, ls=":")
            ax.legend(loc="upper right", frameon=True)
            ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(
                lambda v, _: i18n.num(v, lang)))
        end = r.iloc[-1]
        title = tr("conv_title", lang, n=i18n.num(end["draws"], lang),
                   half=i18n.num((end["p_hi"] - end["p_lo"]) / 2 * 100, lang, 1),
                   mhalf=i18n.meur((end["npv_hi"] - end["npv_lo"]) / 2, lang))
        note = tr("conv_note", lang, option=facts.label(option, lang),
                  world=facts.wlabel(world, lang))
        return charts._finish(fig, title, facts.footnote(lang), note)


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def _heading(column: str, lang: str) -> str:
    """A table column's heading (:func:`simcrm.spec.outputs.header`), else its name."""
    return outputs.header(column, lang) if column in outputs.OUTPUTS else str(column)


def _html_table(df: pd.DataFrame, lang: str) -> str:
    def fmt(v):
        if isinstance(v, float):
            if not np.isfinite(v):
                return "–"
            return i18n.num(v, lang, 0 if abs(v) >= 100 else 3)
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(_heading(c, lang))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{fmt(v)}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f'<table class="simcrm-analysis"><thead><tr>{head}</tr></thead>' \
           f"<tbody>{body}</tbody></table>"


def report_sections(ds: xr.Dataset, lang: str = "en", scenario=None, option: str | None = None,
                    world: str | None = None, sobol_n: int = 512,
                    facts: Facts | None = None, computed: Analyses | None = None
                    ) -> list[tuple[str, list]]:
    """The report's sections on these analyses.

    Parameters
    ----------
    ds : xarray.Dataset
        Per-draw results.
    lang : {"en", "nl"}
    scenario : Scenario, optional
        Needed for the Sobol' section when ``computed`` is not given (it evaluates the
        model on a design of ``sobol_n · (D + 2)`` rows for one option); without it
        that section is left out.
    option, world : str, optional
        The option for the Sobol', discovery and convergence sections (default: the
        best option, :func:`simcrm.analysis.ranking.best_option`) and the world
        (default ``base``).
    computed : Analyses, optional
        The analyses (:func:`simcrm.analysis.findings.analyses`), computed once for
        every language; computed here when omitted.

    Returns
    -------
    list of (title, items)
        ``items`` is a list of :class:`matplotlib.figure.Figure` and HTML strings
        (paragraphs and tables), in order.
    """
    lang = i18n.check_lang(lang)
    facts = _facts(ds, facts)
    an = computed or analyses(facts, scenario, option, world, sobol_n)
    option, world = an.option, an.world
    out: list[tuple[str, list]] = []
    if an.sobol is not None:
        note = html.escape(tr("sobol_grouped", lang) + " " + tr("sobol_corr", lang))
        out.append((tr("sec_sobol", lang), [sobol_chart(an.sobol, option, lang, facts=facts),
                                            f"<p class=\"note\">{note}</p>"]))
    res = an.prim
    out.append((tr("sec_prim", lang), [f"<p>{html.escape(res.describe(lang))}</p>",
                                       prim_chart(res, lang, option, world, facts=facts)]))
    if an.ranking is not None:
        rk = an.ranking[["rank", "option", "p_npv_pos_worst", "worst_world", "regret_npv",
                         "regret_npv_world", "regret_p_npv_pos", "regret_public_cost"]]
        rk = rk.assign(option=[facts.label(o, lang) for o in rk["option"]])
        best = "; ".join(f"{facts.wlabel(w, lang)}: {facts.label(o, lang)}"
                         for w, o in an.best.items())
        out.append((tr("sec_rob", lang), [robustness_chart(ds, lang, facts, an.ranking,
                                                           an.regret),
                                          _html_table(rk, lang),
                                          f"<p class=\"note\">"
                                          f"{html.escape(tr('rob_best', lang, best=best))}</p>"]))
    ct = an.convergence
    out.append((tr("sec_conv", lang), [convergence_chart(ds, option, world, lang, facts,
                                                         an.running),
                                       _html_table(ct.drop(columns=["option", "world"]), lang)]))
    return out
