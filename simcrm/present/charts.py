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

from simcrm.analysis import ranking
from simcrm.analysis.findings import Family, Findings, KeyMessage, cap_kink, key_message
from simcrm.levers import setting_params
from simcrm.present import text as i18n
from simcrm.present.text import meur, pct, points, t
from simcrm.spec.names import input_variable

DPI = 250
W = 16 / 2.54
"""Width of every chart [in]: the width of a chart in an A4 note, so that the sizes
below are the printed sizes."""
FIGSIZE = (W, 4.2)
GREY = "#b8b8b8"
"""Options not distinguishable from no policy."""
LABEL_WIDTH = 30
"""Characters per line of an option label on an axis; longer labels wrap."""
MAX_OPTIONS = 25
"""Charts show at most this many options (the table shows all)."""
BASELINE_COLOUR = "#3b3b3b"
MUTED = "#6b6b6b"
TITLE_WIDTH = 64
"""Characters per title line; longer titles wrap."""

RC = {
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "figure.titlesize": 11,
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
        self.shown = self._shown()

    def _shown(self) -> list[str]:
        """The options the charts draw: all, or at most :data:`MAX_OPTIONS` (the baseline,
        the best option and those with the highest P(NPV > 0)), in scenario order."""
        if len(self.options) <= MAX_OPTIONS:
            return list(self.options)
        p = self.sm["p_npv_pos"].sel(world=self.world, option=self.options).values
        keep = {self.baseline, self.best}
        for i in np.argsort(-p, kind="stable"):
            if len(keep) >= MAX_OPTIONS:
                break
            keep.add(self.options[int(i)])
        return [o for o in self.options if o in keep]

    def cap_note(self, lang: str) -> str:
        """A note when not every option is drawn, else empty."""
        if len(self.shown) == len(self.options):
            return ""
        return t("capped", lang, n=len(self.shown), total=len(self.options))

    def distinct(self, option: str) -> bool:
        """Whether the option's gain in P(NPV > 0) is a finding
        (:func:`simcrm.analysis.ranking.significant`); True for the baseline."""
        if option == self.baseline:
            return True
        d = f"d_{ranking.effect_of(self.sm)}"
        return ranking.significant(self.s(d, option), self.s(f"{d}_se", option))

    def colour(self, option: str) -> str:
        """The option's colour, grey when it is not distinguishable from no policy."""
        return self.colours[option] if self.distinct(option) else GREY

    def key(self, lang: str) -> KeyMessage:
        """:func:`simcrm.analysis.findings.key_message` with these option labels."""
        return key_message(self.sm, self.world, lang, self.label, self.baseline)

    def wrapped(self, option: str, lang: str, width: int = LABEL_WIDTH) -> str:
        """The option's label over lines of at most ``width`` characters."""
        return i18n.wrap(self.label(option, lang), width)

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
            out[o] = i18n.tidy_label(lab, lang)
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
        """Label of a world (a scenario, to the reader)."""
        coord = f"world_label_{lang}"
        if coord in self.ds.coords:
            return i18n.tidy_label(str(self.ds[coord].sel(world=world).values), lang)
        return world

    def plant(self, lang: str) -> str:
        """The plant in words."""
        return i18n.plant_name(str(self.ds.attrs.get("scenario", "?")), lang)

    def footnote(self, lang: str, world: bool = True, draws: int | None = None) -> str:
        """The source line under a chart."""
        a = self.ds.attrs
        n = self.ds.sizes["draw"] if draws is None else draws
        kw = dict(scenario=self.plant(lang), draws=i18n.num(n, lang),
                  seed=a.get("seed", "?"), version=a.get("simcrm_version", "?"),
                  date=i18n.date_long(str(a.get("created", "")), lang),
                  world=self.wlabel(self.world, lang))
        return t("footnote" if world else "footnote_all_worlds", lang, **kw)


# --------------------------------------------------------------------------------------
# Figure helpers
# --------------------------------------------------------------------------------------


def _lines(f: Facts | None, lang: str) -> float:
    """Average number of lines of the wrapped option labels (for figure heights)."""
    if f is None:
        return 1.0
    return max(1.0, float(np.mean([f.wrapped(o, lang).count("\n") + 1 for o in f.shown])))


def _figure(size: tuple[float, float] = FIGSIZE) -> Figure:
    fig = Figure(figsize=size, layout="constrained")
    fig.get_layout_engine().set(h_pad=0.04, w_pad=0.04)
    return fig


NOTE_PT = 8.0
"""Size of the notes and the source line [pt]."""


def _finish(fig: Figure, title: str, foot: str, note: str = "") -> Figure:
    """Title (the finding), then the note and the source line under the chart; the
    layout leaves room for both."""
    fig.suptitle("\n".join(textwrap.wrap(title, TITLE_WIDTH, break_on_hyphens=False)),
                 x=0.01, ha="left")
    per_line = int(W * 72 / (NOTE_PT * 0.6))
    lines = []
    for part in (note, foot):
        if part:
            lines.append("\n".join(textwrap.wrap(part, per_line, break_on_hyphens=False)))
    text = "\n".join(lines)
    n = text.count("\n") + 1 if text else 0
    h = (n * NOTE_PT * 1.25 + 6) / 72 / fig.get_figheight()
    fig.get_layout_engine().set(rect=(0.0, h, 1.0, 1.0 - h))
    fig.text(0.01, 0.006, text, ha="left", va="bottom", fontsize=NOTE_PT, color="#333333",
             linespacing=1.25)
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
    npv = ds["npv"].sel(world=f.world, option=f.shown)
    labels = [f.wrapped(o, lang) for o in f.shown]
    n = len(f.shown)
    with _style():
        fig = _figure((W, max(3.4, 1.7 + 0.34 * n * _lines(f, lang))))
        ax = fig.add_subplot()
        df = pd.DataFrame({"npv": npv.values.ravel(),
                           "option": np.repeat(labels, npv.sizes["draw"])})
        pal = {f.wrapped(o, lang): f.colour(o) for o in f.shown}
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
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(5))
        g = f.profit()
        _right_column(ax, [pct(f.s("p_npv_pos", o), lang) for o in f.shown],
                      t("npv_ptext", lang), [f.distinct(o) for o in f.shown],
                      [o == f.best for o in f.shown])
        km = f.key(lang)
        if km.option != f.baseline:
            title = t("npv_title", lang, best=f.label(km.option, lang),
                      p=pct(f.s("p_npv_pos", km.option), lang), p0=pct(g.base, lang))
        else:
            title = t("npv_title_none", lang, p0=pct(g.base, lang))
        note = " ".join(x for x in (t("npv_note", lang), _grey_note(f, lang),
                                    f.cap_note(lang)) if x)
        return _finish(fig, title, f.footnote(lang), note)


def _right_column(ax, values: list[str], head: str, dark: list[bool], bold: list[bool]):
    """Numbers per row as right-hand tick labels (so the layout makes room for them),
    with ``head`` as the right axis label."""
    ax2 = ax.twinx()
    ax2.set_ylim(ax.get_ylim())
    ax2.set_yticks(range(len(values)), values)
    ax2.grid(False)
    ax2.tick_params(axis="y", length=0)
    for lab, d, b in zip(ax2.get_yticklabels(), dark, bold, strict=False):
        lab.set_color("black" if d else MUTED)
        lab.set_fontweight("bold" if b else "normal")
    ax2.set_title(head, loc="right", fontsize=8, color=MUTED)
    for sp in ax2.spines.values():
        sp.set_visible(False)
    return ax2


def _grey_note(f: Facts, lang: str) -> str:
    """Says what grey means when some option is drawn grey."""
    if all(f.distinct(o) for o in f.shown):
        return ""
    return t("grey_note", lang)


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
    """The main chart: budget cash against the ranked effect per option (the chance the
    plant is built; P(NPV > 0) when the investor always builds).

    Its title is the key message's short title (:meth:`Facts.key`). Options whose gain
    is not distinguishable from no policy are grey hollow squares; the others are
    filled circles in their colour, efficient ones (no cheaper option does better) with
    a black ring on the dashed frontier. Labels stand in a column to the right, joined
    to their points by thin lines, pushed apart so that they never overlap.
    """
    lang = i18n.check_lang(lang)
    f = facts or Facts(ds)
    opts = f.shown
    cost = np.array([f.s("budget_cash_pv_mean", o) for o in opts])
    effect = ranking.effect_of(f.sm)
    p = np.array([f.s(effect, o) for o in opts]) * 100
    eff_all = dict(zip(f.options, f.efficient(), strict=False))
    unlawful = {o for o in opts if f.s("state_aid_ok", o) == 0}
    eff = np.array([eff_all[o] and f.distinct(o) and o not in unlawful for o in opts])
    km = f.key(lang)
    with _style():
        fig = _figure((W, max(4.4, 1.6 + 0.3 * len(opts) * _lines(f, lang))))
        ax, lax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
        idx = np.flatnonzero(eff)
        idx = idx[np.argsort(cost[idx])]
        ax.plot(cost[idx], p[idx], color="black", lw=1.2, ls="--", zorder=1)
        for i, o in enumerate(opts):
            d = f.distinct(o)
            ax.scatter(cost[i], p[i], s=70 if eff[i] else 45, marker="o" if d else "s",
                       facecolor=f.colours[o] if d else "white",
                       edgecolor="black" if eff[i] else (f.colours[o] if d else MUTED),
                       linewidth=1.6 if eff[i] else 1.2, zorder=6 if eff[i] else 5)
        span = max(np.ptp(p), 2.0)
        ax.set_ylim(max(0, p.min() - 0.12 * span), p.max() + 0.12 * span)
        xspan = max(np.ptp(cost), 1.0)
        ax.set_xlim(min(0, cost.min()) - 0.06 * xspan, cost.max() + 0.08 * xspan)
        ax.set_xlabel(t("cost_xlabel", lang))
        ax.set_ylabel(t("p_ylabel" if effect == "p_npv_pos" else "built_ylabel", lang))
        ax.xaxis.set_major_formatter(_num_fmt(lang))
        ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(6, integer=True))
        lax.set_axis_off()
        lax.set_ylim(ax.get_ylim())
        texts = []
        for i, o in enumerate(opts):
            d = f.distinct(o)
            name = f.wrapped(o, lang, 34) + (f"\n{t('aid_fails_mark', lang)}"
                                             if o in unlawful else "")
            texts.append(lax.text(0.04, p[i], name, va="center", ha="left",
                                  fontsize=8,
                                  transform=blended_transform_factory(lax.transAxes,
                                                                      ax.transData),
                                  fontweight="bold" if o == km.option else "normal",
                                  color="black" if d else MUTED, linespacing=1.05))
        handles = [Line2D([], [], marker="o", ls="--", color="black", markersize=7,
                          markerfacecolor="white", markeredgewidth=1.6,
                          label=i18n.wrap(t("efficient", lang), 26))]
        if not all(f.distinct(o) for o in opts):
            handles.append(Line2D([], [], marker="s", ls="", color=MUTED, markersize=6,
                                  markerfacecolor="white", label=i18n.wrap(
                                      t("indistinct", lang).capitalize(), 30)))
        ax.legend(handles=handles, loc="best", frameon=True, fontsize=8)
        note = " ".join(x for x in (_grey_note(f, lang), f.cap_note(lang)) if x)
        _finish(fig, km.title, f.footnote(lang), note)
        for _ in range(3):  # the layout settles over a few draws
            _declutter(fig, texts, lax)
        for i, tx in enumerate(texts):
            y = tx.get_position()[1]
            fig.add_artist(mpl.patches.ConnectionPatch(
                (cost[i], p[i]), (0.03, y), coordsA=ax.transData,
                coordsB=blended_transform_factory(lax.transAxes, ax.transData),
                color="#9a9a9a", lw=0.6, zorder=0))
        return fig


def _declutter(fig: Figure, texts: list, ax, pad_px: float = 2.0) -> None:
    """Move texts (in a column) vertically, as little as possible, so that none overlap
    and all stay within the axes' height."""
    if not texts:
        return
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    bbs = [tx.get_window_extent(r) for tx in texts]
    box = ax.get_window_extent(r)
    order = sorted(range(len(texts)), key=lambda i: (bbs[i].y0 + bbs[i].y1) / 2)
    hs = [bbs[i].height + pad_px for i in order]
    ys = [(bbs[i].y0 + bbs[i].y1) / 2 for i in order]
    total = sum(hs)
    lo, hi = box.y0 - 0.06 * box.height, box.y1 + 0.06 * box.height
    if total > hi - lo:
        lo, hi = (lo + hi - total) / 2, (lo + hi + total) / 2
    # place bottom-up, then top-down, then centre each overlapping run
    pos = []
    for k, (y, h) in enumerate(zip(ys, hs, strict=False)):
        low = max(lo + h / 2, pos[-1] + (hs[k - 1] + h) / 2 if pos else -np.inf)
        pos.append(max(y, low))
    for k in range(len(pos) - 1, -1, -1):
        top = hi - hs[k] / 2 if k == len(pos) - 1 else pos[k + 1] - (hs[k + 1] + hs[k]) / 2
        pos[k] = min(pos[k], top)
    inv = texts[0].get_transform().inverted()
    for k, i in enumerate(order):
        x = texts[i].get_position()[0]
        _, yd = inv.transform((0, pos[k]))
        texts[i].set_position((x, yd))


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
        fig = _figure((W, max(3.6, 2.4 + 0.45 * len(keys))))
        axes = fig.subplots(1, len(opts), sharey=True, squeeze=False)[0]
        y = np.arange(len(keys))
        for ax, o, tab in zip(axes, opts, tabs, strict=False):
            rho = np.array([tab["rho"].get(k, 0.0) for k in keys])
            ax.barh(y, rho, color=f.colours[o], height=0.65, edgecolor="none")
            ax.axvline(0, color="black", lw=1.2)
            for yi, r in zip(y, rho, strict=False):
                inside = abs(r) > 0.6  # a long bar: the value goes inside it, in white
                sign = 1.0 if r >= 0 else -1.0
                ax.text(r - sign * 0.03 if inside else r + sign * 0.03, yi,
                        i18n.num(r, lang, 2), va="center", fontsize=8.5,
                        ha=("right" if sign > 0 else "left") if inside else
                        ("left" if sign > 0 else "right"),
                        color="white" if inside else "black")
            ax.set_xlim(-1.05, 1.05)
            ax.set_title(i18n.wrap(f.label(o, lang), 22), loc="left", fontweight="bold",
                         color=f.colours[o] if o != f.baseline else "black")
            ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(
                lambda v, _: i18n.num(v, lang, 1)))
        echo = _echoes(ds, f.world, keys)
        shown = [i18n.wrap(n + (f" ({t('echo', lang, other=names[keys.index(echo[k])])})"
                                if k in echo else ""), 26) for n, k in zip(names, keys,
                                                                          strict=False)]
        for ax in axes:
            for bar, k in zip(ax.patches, keys, strict=False):
                if k in echo:
                    bar.set_hatch("///")
                    bar.set_alpha(0.55)
        axes[0].set_yticks(y, shown)
        axes[0].invert_yaxis()
        for ax in axes:
            ax.set_xlabel(i18n.wrap(t("tornado_xlabel", lang), 24))
        lead = next((n for n, k in zip(names, keys, strict=False) if k not in echo), "?")
        title = t("tornado_title", lang, input=lead)
        note = t("tornado_note", lang) + (" " + t("echo_note", lang) if echo else "")
        return _finish(fig, title, f.footnote(lang), note)


def _echoes(ds: xr.Dataset, world: str, keys: list[str], limit: float = 0.5) -> dict:
    """Inputs that move with an input ranked above them (|Spearman rho| > ``limit``
    between the inputs): their correlation with NPV partly echoes that input's."""
    from scipy.stats import rankdata

    ranks = {}
    for k in keys:
        v = ds[input_variable(k) if input_variable(k) in ds else k].sel(world=world)
        v = v.isel(option=0) if "option" in v.dims else v
        ranks[k] = rankdata(np.asarray(v.values, float))
    out = {}
    for i, k in enumerate(keys):
        for j in keys[:i]:
            if np.ptp(ranks[k]) == 0 or np.ptp(ranks[j]) == 0:
                continue
            if abs(np.corrcoef(ranks[k], ranks[j])[0, 1]) > limit:
                out[k] = j
                break
    return out


def first_production(ds: xr.Dataset, lang: str = "en", facts: Facts | None = None) -> Figure:
    """Year of first production per option (P10–P90 and median) against the deadline."""
    lang = i18n.check_lang(lang)
    f = facts or Facts(ds)
    fp = ds["first_production"].sel(world=f.world, option=f.shown).values
    # the dates of the draws where the plant is built (NaN where it is not)
    q = np.full((3, fp.shape[0]), np.nan)
    for i, row in enumerate(fp):
        row = row[np.isfinite(row)]
        if row.size:
            q[:, i] = np.percentile(row, [10, 50, 90])
    n = len(f.shown)
    with _style():
        fig = _figure((W, max(3.4, 1.7 + 0.34 * n * _lines(f, lang))))
        ax = fig.add_subplot()
        y = np.arange(n)
        for i, o in enumerate(f.shown):
            if not np.isfinite(q[1, i]):
                continue  # never built in this scenario: nothing to draw
            ax.plot([q[0, i], q[2, i]], [i, i], color=f.colours[o], lw=7,
                    solid_capstyle="butt", label=f.label(o, lang))
            ax.plot(q[1, i], i, "o", color="white", markeredgecolor="black", markersize=6.5,
                    markeredgewidth=1.8)
        line = f.deadline + 1
        ax.axvline(line, color="black", lw=1.6, ls="--")
        ax.text(line, -0.75, t("fp_deadline", lang, deadline=f.deadline) + " ", color="black",
                ha="right", va="center", fontsize=8.5, fontweight="bold")
        ax.set_yticks(y, [f.wrapped(o, lang) for o in f.shown])
        ax.set_ylim(n - 0.5, -1.2)
        ax.set_xlabel(t("fp_xlabel", lang))
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(5, integer=True))
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:.0f}"))
        ok = np.isfinite(q[1])
        lo = min(q[0][ok].min() if ok.any() else line, line) - 0.5
        hi = max(q[2][ok].max() if ok.any() else line, line) + 0.5
        ax.set_xlim(lo, hi)
        g = f.production()
        _right_column(ax, [pct(f.s("p_production_by_deadline", o), lang) for o in f.shown],
                      t("fp_ptext", lang, deadline=f.deadline), [True] * n,
                      [o == g.option and g.found for o in f.shown])
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
    p = f.sm["p_npv_pos"].sel(option=f.shown, world=f.worlds).values * 100
    n, m = p.shape
    with _style():
        fig = _figure((W, max(3.6, 2.4 + 0.34 * n * _lines(f, lang))))
        ax = fig.add_subplot()
        annot = np.vectorize(lambda v: i18n.num(v, lang))(p)
        sns.heatmap(p, annot=annot, fmt="", cmap="viridis", vmin=0,
                    vmax=max(50.0, float(np.nanmax(p))), linewidths=1.5, linecolor="white",
                    annot_kws={"fontsize": 9}, ax=ax,
                    cbar_kws={"label": i18n.wrap(t("heat_cbar", lang), 24), "shrink": 0.8},
                    xticklabels=[i18n.wrap(f.wlabel(w, lang), max(8, int(34 / m)))
                                 for w in f.worlds],
                    yticklabels=[f.wrapped(o, lang) for o in f.shown])
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
        return _finish(fig, title, f.footnote(lang, world=False), f.cap_note(lang))


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
    cost = np.array([f.s("budget_cash_pv_mean", o) for o in opts])
    p0 = f.s("p_npv_pos", f.baseline)
    name = (i18n.setting_label(family.key, lang) if family.lever else family.name)
    unit = "%" if share else {"EUR/t": "€/t", "EUR/MWh": "€/MWh"}.get(family.unit, family.unit)
    xlabel = f"{name} [{unit}]" if unit else name
    hue = f.colours[opts[-1]]
    with _style():
        fig = _figure((W, 4.2))
        a1, a2 = fig.subplots(1, 2)
        a1.errorbar(xs, p, yerr=1.96 * se, color=hue, lw=3, marker="o", markersize=7,
                    capsize=4, label=name)
        for xi, pi, o in zip(xs, p, opts, strict=False):
            a1.plot(xi, pi, "o", color=f.colours[o], markersize=7, markeredgecolor="black")
        a1.axhline(p0 * 100, color=BASELINE_COLOUR, ls="--", lw=1.8)
        a1.text(xs[0], p0 * 100, f"{t('no_policy', lang)}: {pct(p0, lang)}", va="bottom",
                ha="left", color=BASELINE_COLOUR, fontsize=8.5)
        a1.set_ylabel(t("resp_p_ylabel", lang))
        a1.set_title(t("resp_p_panel", lang), loc="left", fontweight="bold")
        a1.set_ylim(0, max(p.max() + 2 * se.max(), p0 * 100) * 1.15 + 1)
        a2.plot(xs, cost, color=hue, lw=3, marker="o", markersize=7)
        for xi, ci, o in zip(xs, cost, opts, strict=False):
            a2.plot(xi, ci, "o", color=f.colours[o], markersize=7, markeredgecolor="black")
        kink = cap_kink(family, x, cost, f.tables)
        if kink is not None:
            yr = t("resp_cap_yr", lang) if kink.unit == "MEUR/yr" else ""
            a2.annotate(t("resp_cap", lang, v=i18n.num(kink.value, lang), yr=yr),
                        (xs[kink.index], cost[kink.index]), xytext=(4, -16),
                        textcoords="offset points", ha="left", va="top", fontsize=8.5,
                        color=BASELINE_COLOUR,
                        arrowprops={"arrowstyle": "-", "color": MUTED, "lw": 1})
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
        fig = _figure((W, 4.2))
        axes = fig.subplots(1, len(opts), sharey=True, squeeze=False)[0]
        for i, (ax, o) in enumerate(zip(axes, opts, strict=False)):
            c = f.colours[o]
            ax.fill_between(years, q[0, i], q[2, i], color=c, alpha=0.3, lw=0,
                            label=t("fan_band", lang))
            ax.plot(years, q[1, i], color=c, lw=3, label=t("fan_median", lang))
            ax.axhline(0, color="black", lw=1.2)
            ax.set_title(i18n.wrap(f.label(o, lang), 22), loc="left", fontweight="bold",
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
        note = t("fan_note", lang, n=i18n.num(cashflows.sizes["draw"], lang),
             total=i18n.num(ds.sizes["draw"], lang))
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
    alt: str = ""


def chart_set(facts: Facts) -> list[tuple[str, Callable[[str], Figure]]]:
    """``(name, draw(lang) -> Figure)`` of every chart this Dataset supports, in report order."""
    ds = facts.ds
    out: list[tuple[str, Callable[[str], Figure]]] = [
        ("cost-vs-probability", lambda lang: cost_vs_probability(ds, lang, facts)),
        ("npv-distribution", lambda lang: npv_distribution(ds, lang, facts)),
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
            alt = title_of(fig) + ". " + (f.key(lang).verdict if name == "cost-vs-probability"
                                           else fig.texts[-1].get_text().split("\n")[0])
            charts.append(Chart(name, lang, title_of(fig), png, svg, alt))
            fig.clear()
        out[lang] = charts
    return out
