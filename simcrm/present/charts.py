"""Briefing charts: one message per chart, in English or Dutch.

Every plot function takes the per-draw results Dataset (and the language) and
returns a :class:`matplotlib.figure.Figure`; nothing is shown on screen and no
pyplot state is used, so the functions are safe in scripts, tests and servers.
The message of a chart is its ``suptitle`` and is computed from the numbers.

Conventions shared by all charts:

* one colour per option everywhere (:func:`option_colours`, from seaborn's
  colour-blind-safe palette; the options of one response curve share a hue,
  darker for a higher intensity; the baseline is dark grey);
* option and world names are their labels in the chosen language;
* a footnote names the scenario, world, draws, seed, simcrm version and run date.

The numbers and rankings a chart states come from
:class:`simcrm.analysis.findings.Findings` (best option, significance, efficient
options: :mod:`simcrm.analysis.ranking`); this module only words and draws them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from simcrm.analysis.findings import Family, Findings
from simcrm.levers import setting_params
from simcrm.present import text as i18n
from simcrm.present.text import meur, pct, points, t

DPI = 200
FIGSIZE = (11.0, 6.4)
BASELINE_COLOUR = "#3b3b3b"
MUTED = "#6b6b6b"
TITLE_WIDTH = 62
"""Characters per title line; longer titles wrap."""

RC = {
    "font.size": 14,
    "axes.titlesize": 15,
    "axes.labelsize": 14.5,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 12.5,
    "figure.titlesize": 18,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
    "svg.hashsalt": "simcrm",
    "savefig.dpi": DPI,
}


def _style():
    """Context manager with the briefing style (seaborn whitegrid, large type)."""
    style = sns.axes_style("whitegrid", {"axes.edgecolor": "#444444", "grid.color": "#e4e4e4"})
    return mpl.rc_context({**style, **RC})


# --------------------------------------------------------------------------------------
# Facts shared by the charts of one Dataset
# --------------------------------------------------------------------------------------


def option_colours(options: list[str], families: list[Family], baseline: str = "baseline"
                   ) -> dict[str, str]:
    """A fixed colour per option (colour-blind-safe palette; families share a hue)."""
    pal = [c for i, c in enumerate(sns.color_palette("colorblind", 10).as_hex()) if i != 7]
    fam_of = {o: f for f in families for o, _ in f.members}
    out: dict[str, str] = {}
    k = 0
    done: set[str] = set()
    for o in options:
        if o == baseline:
            out[o] = BASELINE_COLOUR
            continue
        f = fam_of.get(o)
        if f is not None:
            if f.name in done:
                continue
            done.add(f.name)
            base = np.array(mpl.colors.to_rgb(pal[k % len(pal)]))
            order = sorted(range(len(f.members)), key=lambda i: f.members[i][1])
            n = len(order)
            for rank, i in enumerate(order):
                mix = 0.55 * (n - 1 - rank) / max(n - 1, 1)  # lightest for the lowest intensity
                out[f.members[i][0]] = mpl.colors.to_hex(base * (1 - mix) + mix)
        else:
            out[o] = pal[k % len(pal)]
        k += 1
    return out


class Facts(Findings):
    """What the charts of one results Dataset share: the numbers of
    :class:`~simcrm.analysis.findings.Findings`, plus option labels and colours.

    Parameters
    ----------
    ds : xarray.Dataset
        Per-draw results.
    summary : xarray.Dataset, optional
        Its summary (computed when omitted).
    cashflows : xarray.Dataset, optional
        The audit cash flows, for the cash-flow fan.
    """

    def __init__(self, ds: xr.Dataset, summary: xr.Dataset | None = None,
                 cashflows: xr.Dataset | None = None):
        super().__init__(ds, summary, cashflows)
        self.colours = option_colours(self.options, self.families, self.baseline)
        self._labels: dict[str, dict[str, str]] = {}

    # -- words
    def label(self, option: str, lang: str) -> str:
        """Label of an option: the scenario's label if given, else one made from its levers."""
        if lang not in self._labels:
            self._labels[lang] = self._make_labels(lang)
        return self._labels[lang][option]

    def _make_labels(self, lang: str) -> dict[str, str]:
        coord = f"option_label_{lang}"
        raw = (self.ds[coord].values if coord in self.ds.coords
               else self.ds["option"].values)
        out = {}
        fam = {o: (f, x) for f in self.families for o, x in f.members}
        opts_t = self.tables.get("options") or {}
        for o, lab in zip(self.options, raw, strict=False):
            lab = str(lab)
            if o in fam and fam[o][0].lever and lab.endswith(f" ({fam[o][1]:g})"):
                # "Capex grant (0.1)" -> "Capex grant 10 %"
                f, x = fam[o]
                lab = f"{lab[: -len(f' ({x:g})')]} {i18n.setting_value(f.key, x, f.unit, lang)}"
            elif lab == o and o != self.baseline:
                lab = self._auto_label(o, opts_t, fam, lang) or o
            elif o == self.baseline and lab == o:
                lab = t("no_policy", lang).capitalize()
            out[o] = lab
        seen: dict[str, int] = {}
        for lab in out.values():
            seen[lab] = seen.get(lab, 0) + 1
        return {o: (f"{lab} ({o})" if seen[lab] > 1 else lab) for o, lab in out.items()}

    def _auto_label(self, o: str, opts_t: dict, fam: dict, lang: str) -> str:
        if o in fam:
            f, x = fam[o]
            table = opts_t.get(f.name, {})
            parts = []
            for lv, lt in table.items():
                if not isinstance(lt, dict):
                    continue
                if lv == f.lever:
                    parts.append(f"{i18n.setting_label(f.key, lang)} "
                                 f"{i18n.setting_value(f.key, x, f.unit, lang)}")
                else:
                    parts.append(i18n.lever_label(lv, lang))
            return " + ".join(parts) if parts else ""
        table = opts_t.get(o)
        if not isinstance(table, dict):
            return ""
        levers = [(lv, lt) for lv, lt in table.items() if isinstance(lt, dict)]
        if len(levers) == 1:
            lv, lt = levers[0]
            if not lt:
                return i18n.lever_label(lv, lang)
            k, v = next(iter(lt.items()))
            key = f"{lv}.{k}"
            params = setting_params()
            unit = params[key].unit if key in params else ""
            return f"{i18n.setting_label(key, lang)} {i18n.setting_value(key, v, unit, lang)}"
        return " + ".join(i18n.lever_label(lv, lang) for lv, _ in levers)

    def wlabel(self, world: str, lang: str) -> str:
        coord = f"world_label_{lang}"
        if coord in self.ds.coords:
            return str(self.ds[coord].sel(world=world).values)
        return world

    def footnote(self, lang: str, world: bool = True) -> str:
        a = self.ds.attrs
        kw = dict(scenario=a.get("scenario", "?"), draws=i18n.num(self.ds.sizes["draw"], lang),
                  seed=a.get("seed", "?"), version=a.get("simcrm_version", "?"),
                  date=str(a.get("created", ""))[:10], world=self.wlabel(self.world, lang))
        return t("footnote" if world else "footnote_all_worlds", lang, **kw)


# --------------------------------------------------------------------------------------
# Figure helpers
# --------------------------------------------------------------------------------------


def _figure(size: tuple[float, float] = FIGSIZE) -> Figure:
    fig = Figure(figsize=size, layout="constrained")
    fig.get_layout_engine().set(rect=(0.0, 0.075, 1.0, 0.925), h_pad=0.06, w_pad=0.06)
    return fig


def _finish(fig: Figure, title: str, foot: str, note: str = "") -> Figure:
    fig.suptitle("\n".join(textwrap.wrap(title, TITLE_WIDTH, break_on_hyphens=False)),
                 x=0.01, ha="left")
    if note:
        fig.text(0.01, 0.045, note, ha="left", va="bottom", fontsize=11.5, color="#333333")
    fig.text(0.01, 0.008, foot, ha="left", va="bottom", fontsize=9.5, color=MUTED)
    return fig


def title_of(fig: Figure) -> str:
    """The message of a chart (its suptitle, unwrapped)."""
    return fig.get_suptitle().replace("\n", " ")


def _num_fmt(lang: str):
    return mpl.ticker.FuncFormatter(lambda v, _: i18n.num(v, lang))


# --------------------------------------------------------------------------------------
# The charts
# --------------------------------------------------------------------------------------


def npv_distribution(ds: xr.Dataset, lang: str = "en", facts: Facts | None = None) -> Figure:
    """Distribution of the investor's NPV per option (violins), with P(NPV > 0) written on it."""
    lang = i18n.check_lang(lang)
    f = facts or Facts(ds)
    npv = ds["npv"].sel(world=f.world)
    labels = [f.label(o, lang) for o in f.options]
    n = len(f.options)
    with _style():
        fig = _figure((11.0, max(5.2, 1.5 + 0.55 * n)))
        ax = fig.add_subplot()
        df = pd.DataFrame({"npv": npv.values.ravel(),
                           "option": np.repeat(labels, npv.sizes["draw"])})
        pal = {f.label(o, lang): f.colours[o] for o in f.options}
        sns.violinplot(data=df, x="npv", y="option", hue="option", palette=pal, legend=False,
                       orient="h", cut=0, inner="quart", density_norm="width", linewidth=1,
                       saturation=1, ax=ax, order=labels, hue_order=labels)
        lo = float(np.nanpercentile(npv.values, 1, axis=-1).min())
        hi = float(np.nanpercentile(npv.values, 99, axis=-1).max())
        pad = 0.04 * (hi - lo)
        ax.set_xlim(lo - pad, hi + pad)
        ax.axvline(0, color="black", lw=1.6, zorder=0)
        ax.set_xlabel(i18n.t("npv_xlabel", lang))
        ax.set_ylabel("")
        ax.xaxis.set_major_formatter(_num_fmt(lang))
        tr = blended_transform_factory(ax.transAxes, ax.transData)
        ax.text(1.02, -0.75, t("npv_ptext", lang), transform=tr, ha="left", va="center",
                fontsize=12, color=MUTED)
        g = f.profit()
        for i, o in enumerate(f.options):
            ax.text(1.02, i, pct(f.s("p_npv_pos", o), lang), transform=tr, ha="left",
                    va="center", fontsize=14, fontweight="bold" if o == g.option else "normal")
        if g.found:
            title = t("npv_title", lang, best=f.label(g.option, lang), p=pct(g.value, lang),
                      p0=pct(g.base, lang))
        else:
            title = t("npv_title_none", lang, p0=pct(g.base, lang))
        return _finish(fig, title, f.footnote(lang), t("npv_note", lang))


def _spread_labels(xs: list[float], ys: list[float], xgap: float, gap: float) -> list[float]:
    """Label heights moved apart, as little as possible, so that labels that start within
    ``xgap`` of each other are at least ``gap`` apart (clusters stay centred)."""
    n = len(ys)
    out = np.array(ys, float)
    # labels that may collide: connected components of "starts within xgap"
    comp = list(range(n))

    def root(i):
        while comp[i] != i:
            i = comp[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if abs(xs[i] - xs[j]) < xgap:
                comp[root(i)] = root(j)
    for r in {root(i) for i in range(n)}:
        idx = sorted((i for i in range(n) if root(i) == r), key=lambda i: ys[i])
        blocks = [[i] for i in idx]
        changed = True
        while changed:
            changed = False
            pos = []
            for b in blocks:
                c = float(np.mean([ys[i] for i in b]))
                pos.append([c + gap * (k - (len(b) - 1) / 2) for k in range(len(b))])
            for k in range(len(blocks) - 1):
                if pos[k + 1][0] - pos[k][-1] < gap - 1e-12:
                    blocks[k] = blocks[k] + blocks.pop(k + 1)
                    changed = True
                    break
        for b, ps in zip(blocks, pos, strict=False):
            for i, y in zip(b, ps, strict=False):
                out[i] = y
    return list(out)


def cost_vs_probability(ds: xr.Dataset, lang: str = "en", facts: Facts | None = None) -> Figure:
    """Expected public cost against P(NPV > 0) per option; efficient options highlighted."""
    lang = i18n.check_lang(lang)
    f = facts or Facts(ds)
    cost = np.array([f.s("public_cost_gross_mean", o) for o in f.options])
    p = np.array([f.s("p_npv_pos", o) for o in f.options]) * 100
    eff = f.efficient()
    with _style():
        fig = _figure()
        ax = fig.add_subplot()
        idx = np.flatnonzero(eff)
        idx = idx[np.argsort(cost[idx])]
        ax.plot(cost[idx], p[idx], color="black", lw=1.5, ls="--", zorder=1)
        for i, o in enumerate(f.options):
            ax.scatter(cost[i], p[i], s=230 if eff[i] else 120, color=f.colours[o],
                       edgecolor="black" if eff[i] else "none", linewidth=2,
                       alpha=1 if eff[i] else 0.7, zorder=6 if eff[i] else 5, label="_")
        span = max(np.ptp(p), 1.0)
        y0, y1 = max(0, p.min() - 0.15 * span), p.max() + 0.3 * span
        gap = 0.065 * (y1 - y0)
        ys = np.array(_spread_labels(list(cost), list(p), np.inf, gap))
        y0, y1 = min(y0, ys.min() - gap), max(y1, ys.max() + gap)
        ax.set_ylim(y0, y1)
        xspan = max(np.ptp(cost), 1.0)
        ax.set_xlim(cost.min() - 0.05 * xspan, cost.max() + 0.45 * xspan)
        for i, o in enumerate(f.options):
            moved = abs(ys[i] - p[i]) > 1e-9
            ax.annotate(f.label(o, lang), (cost[i], p[i]), xytext=(cost[i] + 0.03 * xspan,
                        ys[i]), va="center", fontsize=12,
                        fontweight="bold" if eff[i] else "normal",
                        color="black" if eff[i] else MUTED, zorder=4,
                        bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none",
                              "alpha": 0.75},
                        arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.8,
                                    "shrinkA": 0, "shrinkB": 8} if moved else None)
        ax.set_xlabel(t("cost_xlabel", lang))
        ax.set_ylabel(t("p_ylabel", lang))
        ax.xaxis.set_major_formatter(_num_fmt(lang))
        handles = [Line2D([], [], marker="o", ls="--", color="black", markersize=13,
                          markerfacecolor="white", markeredgewidth=2, label=t("efficient", lang)),
                   Line2D([], [], marker="o", ls="", color="#aaaaaa", markersize=10,
                          label=t("not_efficient", lang))]
        ax.legend(handles=handles, loc="upper left", frameon=True)
        ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        title = _cost_title(f, lang)
        return _finish(fig, title, f.footnote(lang))


def _cost_title(f: Facts, lang: str) -> str:
    o, free = f.cost_effective()
    if o is None:
        return t("cost_title_none", lang)
    if free:
        return t("cost_title_free", lang, best=f.label(o, lang),
                 gain=points(f.s("d_p_npv_pos", o), lang))
    return t("cost_title", lang, best=f.label(o, lang),
             gain=points(f.s("gain_per_100meur", o), lang))


def tornado(ds: xr.Dataset, lang: str = "en", facts: Facts | None = None,
            top: int = 8) -> Figure:
    """What drives NPV: Spearman rank correlation of NPV with each uncertain input, for the
    baseline and for the best option."""
    lang = i18n.check_lang(lang)
    f = facts or Facts(ds)
    opts = f.fan_options()
    tabs = [f.spearman(o).set_index("input") for o in opts]
    keys = list(dict.fromkeys(k for tab in tabs for k in tab.index))
    keys.sort(key=lambda k: -max(abs(tab["rho"].get(k, 0.0)) for tab in tabs))
    keys = keys[:top]
    names = [i18n.input_label(k, lang, str(tabs[0]["long_name"].get(k, k))) for k in keys]
    with _style():
        fig = _figure((12.0, max(5.6, 2.2 + 0.5 * len(keys))))
        axes = fig.subplots(1, len(opts), sharey=True, squeeze=False)[0]
        y = np.arange(len(keys))
        for ax, o, tab in zip(axes, opts, tabs, strict=False):
            rho = np.array([tab["rho"].get(k, 0.0) for k in keys])
            ax.barh(y, rho, color=f.colours[o], height=0.65, edgecolor="none")
            ax.axvline(0, color="black", lw=1.2)
            for yi, r in zip(y, rho, strict=False):
                ax.text(r + (0.03 if r >= 0 else -0.03), yi, i18n.num(r, lang, 2),
                        ha="left" if r >= 0 else "right", va="center", fontsize=12)
            ax.set_xlim(-1.05, 1.05)
            ax.set_title(f.label(o, lang), loc="left", fontweight="bold",
                         color=f.colours[o] if o != f.baseline else "black")
            ax.set_xlabel(t("tornado_xlabel", lang))
            ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(
                lambda v, _: i18n.num(v, lang, 1)))
        axes[0].set_yticks(y, names)
        axes[0].invert_yaxis()
        title = t("tornado_title", lang, input=names[0] if names else "?")
        return _finish(fig, title, f.footnote(lang), t("tornado_note", lang))


def first_production(ds: xr.Dataset, lang: str = "en", facts: Facts | None = None) -> Figure:
    """Year of first production per option (P10–P90 and median) against the deadline."""
    lang = i18n.check_lang(lang)
    f = facts or Facts(ds)
    fp = ds["first_production"].sel(world=f.world).values
    q = np.nanpercentile(fp, [10, 50, 90], axis=-1)
    n = len(f.options)
    with _style():
        fig = _figure((11.0, max(5.2, 1.5 + 0.55 * n)))
        ax = fig.add_subplot()
        y = np.arange(n)
        for i, o in enumerate(f.options):
            ax.plot([q[0, i], q[2, i]], [i, i], color=f.colours[o], lw=12,
                    solid_capstyle="butt", label=f.label(o, lang))
            ax.plot(q[1, i], i, "o", color="white", markeredgecolor="black", markersize=10,
                    markeredgewidth=1.8)
        line = f.deadline + 1
        ax.axvline(line, color="#c0392b", lw=2.2, ls="--")
        ax.text(line, -0.75, " " + t("fp_deadline", lang, deadline=f.deadline), color="#c0392b",
                ha="left", va="center", fontsize=13, fontweight="bold")
        ax.set_yticks(y, [f.label(o, lang) for o in f.options])
        ax.set_ylim(n - 0.5, -1.2)
        ax.set_xlabel(t("fp_xlabel", lang))
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:.0f}"))
        lo, hi = min(np.nanmin(q[0]), line) - 0.5, max(np.nanmax(q[2]), line) + 0.5
        ax.set_xlim(lo, hi)
        tr = blended_transform_factory(ax.transAxes, ax.transData)
        ax.text(1.02, -0.75, t("fp_ptext", lang, deadline=f.deadline), transform=tr,
                ha="left", va="center", fontsize=12, color=MUTED)
        g = f.production()
        for i, o in enumerate(f.options):
            ax.text(1.02, i, pct(f.s("p_production_by_deadline", o), lang), transform=tr,
                    ha="left", va="center", fontsize=14,
                    fontweight="bold" if o == g.option and o != f.baseline else "normal")
        if g.found:
            title = t("fp_title_up", lang, deadline=f.deadline, p0=pct(g.base, lang),
                      p=pct(g.value, lang), best=f.label(g.option, lang))
        else:
            title = t("fp_title_none", lang, deadline=f.deadline, p0=pct(g.base, lang))
        return _finish(fig, title, f.footnote(lang), t("fp_note", lang))


def heatmap_worlds(ds: xr.Dataset, lang: str = "en", facts: Facts | None = None) -> Figure:
    """P(NPV > 0) for every option in every world."""
    lang = i18n.check_lang(lang)
    f = facts or Facts(ds)
    p = f.sm["p_npv_pos"].sel(option=f.options, world=f.worlds).values * 100
    n, m = p.shape
    with _style():
        fig = _figure((max(8.5, 5.5 + 1.6 * m), max(5.2, 1.8 + 0.55 * n)))
        ax = fig.add_subplot()
        annot = np.vectorize(lambda v: i18n.num(v, lang))(p)
        sns.heatmap(p, annot=annot, fmt="", cmap="viridis", vmin=0,
                    vmax=max(50.0, float(np.nanmax(p))), linewidths=1.5, linecolor="white",
                    annot_kws={"fontsize": 13}, ax=ax,
                    cbar_kws={"label": t("heat_cbar", lang), "shrink": 0.8},
                    xticklabels=[f.wlabel(w, lang) for w in f.worlds],
                    yticklabels=[f.label(o, lang) for o in f.options])
        ax.set_xlabel(t("heat_xlabel", lang))
        ax.set_ylabel(t("heat_ylabel", lang))
        ax.tick_params(axis="y", rotation=0)
        ax.tick_params(axis="x", rotation=0)
        ax.xaxis.tick_top()
        ax.xaxis.set_label_position("top")
        if m > 1:
            world, pw = f.hardest_world()
            title = t("heat_title", lang, world=f.wlabel(world, lang), p=pct(pw, lang))
        else:
            title = t("heat_title_one", lang, lo=pct(p.min() / 100, lang),
                      hi=pct(p.max() / 100, lang))
        return _finish(fig, title, f.footnote(lang, world=False))


def response_curve(ds: xr.Dataset, family: Family | str, lang: str = "en",
                   facts: Facts | None = None) -> Figure:
    """P(NPV > 0) and public cost against the intensity of one lever given as a list."""
    lang = i18n.check_lang(lang)
    f = facts or Facts(ds)
    if isinstance(family, str):
        family = next(fm for fm in f.families if fm.name == family)
    opts = [o for o, _ in family.members]
    x = np.array([v for _, v in family.members])
    order = np.argsort(x)
    opts, x = [opts[i] for i in order], x[order]
    share = family.unit == "1"
    xs = x * 100 if share else x
    p = np.array([f.s("p_npv_pos", o) for o in opts]) * 100
    se = np.array([f.s("p_npv_pos_se", o) for o in opts]) * 100
    cost = np.array([f.s("public_cost_gross_mean", o) for o in opts])
    p0 = f.s("p_npv_pos", f.baseline)
    name = (i18n.setting_label(family.key, lang) if family.lever else family.name)
    unit = "%" if share else {"EUR/t": "€/t", "EUR/MWh": "€/MWh"}.get(family.unit, family.unit)
    xlabel = f"{name} [{unit}]" if unit else name
    hue = f.colours[opts[-1]]
    with _style():
        fig = _figure((12.0, 6.0))
        a1, a2 = fig.subplots(1, 2)
        a1.errorbar(xs, p, yerr=1.96 * se, color=hue, lw=3, marker="o", markersize=11,
                    capsize=4, label=name)
        for xi, pi, o in zip(xs, p, opts, strict=False):
            a1.plot(xi, pi, "o", color=f.colours[o], markersize=11, markeredgecolor="black")
        a1.axhline(p0 * 100, color=BASELINE_COLOUR, ls="--", lw=1.8)
        a1.text(xs[0], p0 * 100, f"{t('no_policy', lang)}: {pct(p0, lang)}", va="bottom",
                ha="left", color=BASELINE_COLOUR, fontsize=12)
        a1.set_ylabel(t("resp_p_ylabel", lang))
        a1.set_title(t("resp_p_panel", lang), loc="left", fontweight="bold")
        a1.set_ylim(0, max(p.max() + 2 * se.max(), p0 * 100) * 1.15 + 1)
        a2.plot(xs, cost, color=hue, lw=3, marker="o", markersize=11)
        for xi, ci, o in zip(xs, cost, opts, strict=False):
            a2.plot(xi, ci, "o", color=f.colours[o], markersize=11, markeredgecolor="black")
        a2.set_ylabel(t("resp_cost_ylabel", lang))
        a2.set_title(t("resp_cost_panel", lang), loc="left", fontweight="bold")
        a2.set_ylim(min(0, cost.min() * 1.1), max(cost.max() * 1.15, 1))
        a2.yaxis.set_major_formatter(_num_fmt(lang))
        for ax in (a1, a2):
            ax.set_xlabel(xlabel)
            ax.set_xticks(xs)
            ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(
                lambda v, _: i18n.num(v, lang, 0 if float(v).is_integer() else 1)))
        g = f.response(family)
        if g.found:
            k = opts.index(g.option)
            xw = i18n.setting_value(family.key, x[k], family.unit, lang) if family.lever \
                else i18n.num(x[k], lang, 2)
            title = t("resp_title", lang, lever=name, x=xw, p0=pct(p0, lang),
                      p=pct(g.value, lang), cost=meur(cost[k], lang))
        else:
            title = t("resp_title_flat", lang, lever=name, p0=pct(p0, lang))
        return _finish(fig, title, f.footnote(lang))


def cashflow_fan(ds: xr.Dataset, cashflows: xr.Dataset, lang: str = "en",
                 facts: Facts | None = None) -> Figure:
    """Cumulative net cash flow to the investor (P10–P90 band and median), baseline and the
    best option, from the audit draws in ``cashflows.nc``."""
    lang = i18n.check_lang(lang)
    f = facts or Facts(ds)
    opts = f.fan_options()
    years, q, cross = f.cash_crossing(opts, cashflows)
    with _style():
        fig = _figure((12.0, 6.0))
        axes = fig.subplots(1, len(opts), sharey=True, squeeze=False)[0]
        for i, (ax, o) in enumerate(zip(axes, opts, strict=False)):
            c = f.colours[o]
            ax.fill_between(years, q[0, i], q[2, i], color=c, alpha=0.3, lw=0,
                            label=t("fan_band", lang))
            ax.plot(years, q[1, i], color=c, lw=3, label=t("fan_median", lang))
            ax.axhline(0, color="black", lw=1.2)
            ax.set_title(f.label(o, lang), loc="left", fontweight="bold",
                         color=c if o != f.baseline else "black")
            ax.set_xlabel(t("fan_xlabel", lang))
            ax.yaxis.set_major_formatter(_num_fmt(lang))
            ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(6, integer=True))
            if cross[i] is not None:
                ax.axvline(cross[i], color=MUTED, lw=1, ls=":")
        axes[0].set_ylabel(t("fan_ylabel", lang))
        axes[0].legend(loc="upper left", frameon=True)

        def yr(v):
            return str(v) if v is not None else t("never", lang)

        key = ("fan_title" if cross[0] != cross[-1] else
               "fan_title_never" if cross[0] is None else "fan_title_same")
        title = t(key, lang, y0=yr(cross[0]), y1=yr(cross[-1]), best=f.label(opts[-1], lang))
        note = t("fan_note", lang, n=i18n.num(cashflows.sizes["draw"], lang))
        return _finish(fig, title, f.footnote(lang), note)


# --------------------------------------------------------------------------------------
# All charts
# --------------------------------------------------------------------------------------


@dataclass
class Chart:
    """A chart drawn to files."""

    name: str
    lang: str
    title: str
    png: Path
    svg: Path


def chart_set(facts: Facts) -> list[tuple[str, Callable[[str], Figure]]]:
    """``(name, draw(lang) -> Figure)`` of every chart this Dataset supports, in report order."""
    ds = facts.ds
    out: list[tuple[str, Callable[[str], Figure]]] = [
        ("npv-distribution", lambda lang: npv_distribution(ds, lang, facts)),
        ("cost-vs-probability", lambda lang: cost_vs_probability(ds, lang, facts)),
        ("first-production", lambda lang: first_production(ds, lang, facts)),
        ("tornado", lambda lang: tornado(ds, lang, facts)),
        ("heatmap-worlds", lambda lang: heatmap_worlds(ds, lang, facts)),
    ]
    for fam in facts.families:
        out.append((f"response-{fam.name}",
                    lambda lang, fam=fam: response_curve(ds, fam, lang, facts)))
    cf = facts.cf
    if cf is not None and "net_cash_flow" in cf and cf.sizes.get("draw", 0) > 0:
        out.append(("cashflow-fan", lambda lang: cashflow_fan(ds, cf, lang, facts)))
    return out


def draw_all(ds: xr.Dataset, folder: str | Path, langs: tuple[str, ...] = i18n.LANGS,
             cashflows: xr.Dataset | None = None, facts: Facts | None = None
             ) -> dict[str, list[Chart]]:
    """Draw every chart in every language into ``folder/<lang>/NAME.png|svg``.

    Returns
    -------
    dict
        Language -> the charts drawn, in report order.
    """
    folder = Path(folder)
    f = facts or Facts(ds, cashflows=cashflows)
    out: dict[str, list[Chart]] = {}
    for lang in langs:
        d = folder / lang
        d.mkdir(parents=True, exist_ok=True)
        charts = []
        for name, draw in chart_set(f):
            fig = draw(lang)
            png, svg = d / f"{name}.png", d / f"{name}.svg"
            with _style():
                fig.savefig(png, dpi=DPI, metadata={"Software": None})
                fig.savefig(svg, metadata={"Date": None})
            charts.append(Chart(name, lang, title_of(fig), png, svg))
            fig.clear()
        out[lang] = charts
    return out
