"""Charts and a report of the national view (``simcrm portfolio``), in English and Dutch.

Four charts, each titled with what it shows (:func:`findings` computes the messages):

* ``capacity`` — output per material by year as a share of EU demand (P10–P90 band and
  median), without support and with the allocation, against the Dutch share of the
  EU benchmark;
* ``frontier`` — the pooled annual budget against the objective, with the allocation at
  today's envelopes;
* ``allocation`` — the chosen option per plant and its expected gain;
* ``budget`` — budget cash per year against each envelope (expected and P90), with the
  largest share of draws above it.

They draw what :func:`simcrm.analysis.portfolio.report` gives (lists of rows), nothing
more, and pass :func:`simcrm.present.layout.check` like the run's charts.
:func:`write_report` writes ``charts/{en,nl}/*.png`` and ``portfolio.html`` /
``portfolio.nl.html``.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from simcrm.present.charts import FIGSIZE, W, _figure, _finish, _style
from simcrm.present.text import meur, num, pct, wrap
from simcrm.spec.portfolio import NONE, Portfolio

BASE_COLOUR, ALLOC_COLOUR, LIMIT_COLOUR = "#6b6b6b", "#0072B2", "#3b3b3b"
P90_COLOUR = "#E69F00"
SMALL_GAIN = 1e-4
"""A gain below this share of a year's EU demand is called small in the allocation's title
(the allocation itself takes any positive expected gain)."""

WORDS = {
    "title": ("The national view: Dutch plants against the EU benchmark",
              "Het nationale beeld: Nederlandse fabrieken naast de EU-benchmark"),
    "none_reach": ("By {y}, the Dutch plants reach their share of the {b} benchmark for no "
                   "material in most draws, even with the allocation",
                   "In {y} halen de Nederlandse fabrieken hun deel van de {b}-benchmark in de "
                   "meeste trekkingen voor geen enkel materiaal, ook niet met de verdeling"),
    "some_reach": ("By {y}, with the allocation, the Dutch plants likely reach their share of "
                   "the {b} benchmark for {yes}, not for {no}",
                   "In {y} halen de Nederlandse fabrieken met de verdeling waarschijnlijk hun "
                   "deel van de {b}-benchmark voor {yes}, niet voor {no}"),
    "all_reach": ("By {y}, with the allocation, the Dutch plants likely reach their share of "
                  "the {b} benchmark for every material",
                  "In {y} halen de Nederlandse fabrieken met de verdeling waarschijnlijk hun "
                  "deel van de {b}-benchmark voor elk materiaal"),
    "and": ("and", "en"),
    "share_axis": ("Output, % of EU demand", "Productie, % van EU-vraag"),
    "baseline": ("No support (median, P10–P90)", "Geen steun (mediaan, P10–P90)"),
    "allocated": ("Allocation (median, P10–P90)", "Verdeling (mediaan, P10–P90)"),
    "target": ("Dutch share of the benchmark", "Nederlands deel van de benchmark"),
    "p_target": ("P(target {y}) {p}", "P(doel {y}) {p}"),
    "cap_foot": ("Dutch share of the benchmark: {ns} × {b} of EU demand (central); world: "
                 "{w}; {n} draws, seed {seed}.",
                 "Nederlands deel van de benchmark: {ns} × {b} van de EU-vraag (centraal); "
                 "wereld: {w}; {n} trekkingen, seed {seed}."),
    "frontier_axis": ("Pooled budget (MEUR/yr)", "Gebundeld budget (mln EUR/jaar)"),
    "frontier_flat": ("No budget on the frontier adds to the objective: the gain comes from "
                      "levers without budget cash",
                      "Geen budget op de grens voegt iets toe: de winst komt van instrumenten "
                      "zonder kasbeslag"),
    "frontier_msg": ("A pooled {b} a year buys 90 % of what budget can add; today's "
                     "envelopes buy {p} of it",
                     "Een gebundeld budget van {b} per jaar koopt 90 % van wat budget kan "
                     "toevoegen; de huidige budgetten {p} ervan"),
    "frontier_line": ("Optimal allocation, pooled budget", "Optimale verdeling, gebundeld budget"),
    "today": ("Allocation at today's envelopes", "Verdeling binnen de huidige budgetten"),
    "fr_foot": ("Exact mixed-integer programme (HiGHS) on the simulated outcomes; world: {w}; "
                "{n} draws.",
                "Exact geheeltallig programma (HiGHS) op de gesimuleerde uitkomsten; wereld: "
                "{w}; {n} trekkingen."),
    "alloc_msg": ("Support for {k} of {n} plants; {plant} adds most",
                  "Steun voor {k} van de {n} fabrieken; {plant} voegt het meeste toe"),
    "alloc_small": ("Support for {k} of {n} plants ({z} of them adding less than {t}); "
                    "{plant} adds most",
                    "Steun voor {k} van de {n} fabrieken ({z} daarvan voegen minder dan {t} "
                    "toe); {plant} voegt het meeste toe"),
    "alloc_none": ("Under today's envelopes no support adds to the objective",
                   "Binnen de huidige budgetten voegt geen steun iets toe"),
    "alloc_axis": ("Expected gain, {obj}", "Verwachte winst, {obj}"),
    "alloc_note": ("Grey: no support chosen.", "Grijs: geen steun gekozen."),
    "budget_ok": ("The allocation keeps every envelope in every year in more than 90 % of "
                  "the draws",
                  "De verdeling blijft in elk jaar in meer dan 90 % van de trekkingen binnen "
                  "elk budget"),
    "budget_msg": ("Within every envelope in expectation, but {env} is exceeded in {p} of the "
                   "draws in {y}",
                   "Gemiddeld binnen elk budget, maar {env} wordt in {y} in {p} van de "
                   "trekkingen overschreden"),
    "budget_over": ("{env} is exceeded in expectation in {y}",
                    "{env} wordt in {y} gemiddeld overschreden"),
    "cash_axis": ("MEUR/yr", "mln EUR/jaar"),
    "mean": ("Expected", "Verwacht"),
    "p90": ("P90", "P90"),
    "envelope": ("Envelope", "Budget"),
    "max_p": ("P(above) up to {p}", "P(erboven) tot {p}"),
    "empty": ("Not drawn on and no budget: {envs}.", "Niet gebruikt en geen budget: {envs}."),
    "bud_foot": ("Budget cash, undiscounted, by instrument family; world: {w}; {n} draws.",
                 "Kasuitgaven, niet verdisconteerd, per instrumentfamilie; wereld: {w}; {n} "
                 "trekkingen."),
    "optimal": ("The allocation is optimal for the model and the menus given, nothing more: "
                "options not on a plant's menu, levers at other intensities and everything "
                "outside the model are not considered.",
                "De verdeling is optimaal voor het model en de gegeven menu's, niet meer: "
                "opties die niet op het menu van een fabriek staan, instrumenten met een "
                "andere intensiteit en alles buiten het model zijn niet bekeken."),
    "h_capacity": ("What the country gets", "Wat het land krijgt"),
    "h_frontier": ("Budget and gain", "Budget en winst"),
    "h_allocation": ("The allocation at today's envelopes", "De verdeling binnen de huidige "
                     "budgetten"),
    "h_budget": ("Budget cash against the envelopes", "Kasuitgaven naast de budgetten"),
    "h_market": ("Market size", "Marktomvang"),
    "market_binds": ("Market size binds for {m}: the plants' expected output ({q} t/yr, "
                     "{s} of the {M} t/yr ex-China market in {y}) lowers the product price "
                     "by up to {f} (price flexibility {b}).",
                     "Marktomvang telt voor {m}: de verwachte productie ({q} t/jaar, {s} van "
                     "de markt buiten China van {M} t/jaar in {y}) verlaagt de productprijs "
                     "met tot {f} (prijsflexibiliteit {b})."),
    "market_free": ("Market size does not bind for {m}: the price falls by at most {f}.",
                    "Marktomvang telt niet voor {m}: de prijs daalt hooguit {f}."),
    "market_method": ("One-pass approximation, not an equilibrium: the price fall is computed "
                      "from the expected output of the allocation at prices without the "
                      "effect, and every plant and option is then simulated once more at the "
                      "lowered prices; the tables and charts are of that second pass.",
                      "Benadering in één stap, geen evenwicht: de prijsdaling volgt uit de "
                      "verwachte productie van de verdeling bij prijzen zonder het effect, "
                      "daarna is elke fabriek en optie nog één keer gesimuleerd bij de "
                      "lagere prijzen; de tabellen en grafieken zijn van die tweede stap."),
    "objective": {"tonnes": ("% of one year's EU demand, by {y}",
                             "% van één jaar EU-vraag, tot {y}"),
                  "capacity": ("P(built) × capacity, % of EU demand",
                               "P(gebouwd) × capaciteit, % van EU-vraag"),
                  "stress": ("tonnes in stress years, % of one year's EU demand",
                             "ton in stressjaren, % van één jaar EU-vraag")},
}


def _w(key: str, lang: str) -> str:
    return WORDS[key][lang == "nl"]


def objective_label(objective: str, pf: Portfolio, lang: str) -> str:
    """The objective's unit in words (the gain of the allocation is a share of EU demand,
    summed over materials)."""
    return WORDS["objective"][objective][lang == "nl"].format(y=pf.deadline_year)


def _join(items: list[str], lang: str) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {_w('and', lang)} " \
        + items[-1]


def material_label(pf: Portfolio, m: str, lang: str) -> str:
    mat = pf.materials[m]
    return mat.label_nl if lang == "nl" else mat.label_en


def plant_label(pf: Portfolio, p: str, lang: str) -> str:
    """``Material – site`` of a plant."""
    return f"{material_label(pf, pf.plants[p].material, lang)} – {pf.plants[p].site}"


def option_label(pf: Portfolio, p: str, o: str, lang: str) -> str:
    if o == NONE:
        return "geen steun" if lang == "nl" else "no support"
    opt = pf.plants[p].scenario.options.get(o)
    lab = (opt.label_nl if lang == "nl" else opt.label_en) if opt else ""
    return lab or o


def envelope_label(pf: Portfolio, e: str, lang: str) -> str:
    env = pf.envelopes[e]
    return (env.label_nl if lang == "nl" else env.label_en) or e


# --------------------------------------------------------------------------------------
# The messages
# --------------------------------------------------------------------------------------


def capacity_finding(rep: dict, pf: Portfolio, lang: str) -> str:
    """Which materials reach the Dutch share of the benchmark in the deadline year with
    the allocation in at least half of the draws."""
    rows = [r for r in rep["capacity_allocated"] if r["year"] == pf.deadline_year]
    yes = [material_label(pf, r["material"], lang) for r in rows if r["p_target"] >= 0.5]
    no = [material_label(pf, r["material"], lang) for r in rows if r["p_target"] < 0.5]
    b = pct(pf.benchmark_share, lang)
    if not yes:
        return _w("none_reach", lang).format(y=pf.deadline_year, b=b)
    if not no:
        return _w("all_reach", lang).format(y=pf.deadline_year, b=b)
    return _w("some_reach", lang).format(y=pf.deadline_year, b=b, yes=_join(yes, lang),
                                         no=_join(no, lang))


def frontier_finding(rep: dict, lang: str) -> str:
    """The smallest pooled budget that gets 90 % of the attainable gain (over no budget),
    and the share of that gain the allocation at today's envelopes gets."""
    fr = [(r["pooled_meur_per_yr"], r["objective"]) for r in rep["frontier"]
          if np.isfinite(r["objective"])]
    if not fr:
        return _w("frontier_flat", lang)
    lo, hi = fr[0][1], max(v for _, v in fr)
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        return _w("frontier_flat", lang)
    b90 = next(b for b, v in fr if v - lo >= 0.9 * (hi - lo) - 1e-12)
    today = rep["allocation_obj"].objective
    share = float(np.clip((today - lo) / (hi - lo), 0.0, 1.0))
    return _w("frontier_msg", lang).format(b=meur(b90, lang), p=pct(share, lang))


def allocation_finding(rep: dict, pf: Portfolio, lang: str) -> str:
    rows = rep["allocation"]
    chosen = [r for r in rows if r["option"] not in ("", NONE)]
    if not chosen or max(r["gain"] for r in chosen) <= 0:
        return _w("alloc_none", lang)
    top = max(chosen, key=lambda r: r["gain"])
    small = sum(r["gain"] < SMALL_GAIN for r in chosen)
    return _w("alloc_small" if small else "alloc_msg", lang).format(
        k=len(chosen), n=len(rows), z=small, t=pct(SMALL_GAIN, lang, 2),
        plant=plant_label(pf, top["plant"], lang))


def budget_finding(rep: dict, pf: Portfolio, lang: str) -> str:
    rows = rep["budget_allocated"]
    over = [r for r in rows if r["mean"] > r["envelope_meur"] + 1e-9]
    if over:
        r = max(over, key=lambda r: r["mean"] - r["envelope_meur"])
        return _w("budget_over", lang).format(env=envelope_label(pf, r["envelope"], lang),
                                              y=r["year"])
    worst = max(rows, key=lambda r: r["p_exceed"])
    if worst["p_exceed"] <= 0.1:
        return _w("budget_ok", lang)
    return _w("budget_msg", lang).format(env=envelope_label(pf, worst["envelope"], lang),
                                         p=pct(worst["p_exceed"], lang), y=worst["year"])


def market_lines(rep: dict, pf: Portfolio, lang: str = "en") -> list[str]:
    """Whether the market-size effect binds, per material with a price flexibility, and
    how it is computed; empty without one."""
    rows = rep.get("market") or []
    out = []
    for r in rows:
        m = material_label(pf, r["material"], lang)
        if r["binds"]:
            out.append(_w("market_binds", lang).format(
                m=m, q=num(r["output_tpa"], lang), s=pct(r["output_tpa"] / r["market_tpa"],
                                                           lang, 1),
                M=num(r["market_tpa"], lang), y=r["year"], f=pct(r["max_price_fall"], lang, 1),
                b=num(r["price_flexibility"], lang, 2)))
        else:
            out.append(_w("market_free", lang).format(m=m, f=pct(r["max_price_fall"], lang, 1)))
    return out + [_w("market_method", lang)] if out else []


def findings(rep: dict, pf: Portfolio, lang: str = "en") -> dict[str, str]:
    """The message of each chart, by chart name."""
    return {"capacity": capacity_finding(rep, pf, lang),
            "frontier": frontier_finding(rep, lang),
            "allocation": allocation_finding(rep, pf, lang),
            "budget": budget_finding(rep, pf, lang)}


# --------------------------------------------------------------------------------------
# The charts
# --------------------------------------------------------------------------------------


def _grid(n: int, height_per_row: float = 2.1) -> tuple[Figure, list, object]:
    """Small multiples, two a row, under a thin row for the shared legend."""
    cols = 1 if n == 1 else 2
    rows = int(np.ceil(n / cols))
    fig = _figure((W, max(FIGSIZE[1], 1.9 + height_per_row * rows)))
    gs = fig.add_gridspec(rows + 1, cols, height_ratios=[0.16 * rows] + [1.0] * rows)
    lax = fig.add_subplot(gs[0, :])
    lax.axis("off")
    axes = [fig.add_subplot(gs[1 + i // cols, i % cols]) for i in range(n)]
    return fig, axes, lax


def capacity_chart(rep: dict, pf: Portfolio, meta: dict, lang: str = "en") -> Figure:
    """Output per material by year as % of EU demand: P10–P90 band and median without
    support and with the allocation; the Dutch share of the benchmark dashed."""
    mats = pf.material_names
    target = 100 * pf.national_share * pf.benchmark_share
    with _style():
        fig, axes, lax = _grid(len(mats))
        for ax, m in zip(axes, mats):
            for key, colour, label in (("capacity_baseline", BASE_COLOUR, "baseline"),
                                       ("capacity_allocated", ALLOC_COLOUR, "allocated")):
                rows = [r for r in rep[key] if r["material"] == m]
                y = np.array([r["year"] for r in rows])
                dem = pf.materials[m].demand_in(y)
                q = {k: 100 * np.array([r[k] for r in rows]) / dem for k in ("p10", "p50", "p90")}
                ax.fill_between(y, q["p10"], q["p90"], color=colour, alpha=0.18, lw=0)
                ax.plot(y, q["p50"], color=colour, lw=1.6, label=_w(label, lang))
            ax.axhline(target, color=LIMIT_COLOUR, lw=1.0, ls="--", label=_w("target", lang))
            ax.axvline(pf.deadline_year, color="#b8b8b8", lw=0.8)
            p = next(r["p_target"] for r in rep["capacity_allocated"]
                     if r["material"] == m and r["year"] == pf.deadline_year)
            ax.set_title(f"{material_label(pf, m, lang)} · "
                         + _w("p_target", lang).format(y=pf.deadline_year, p=pct(p, lang)),
                         loc="left", fontsize=8.5)
            ax.set_ylim(bottom=0)
            ax.tick_params(axis="x", labelrotation=0)
            ax.xaxis.set_major_locator(_year_locator())
        axes[0].set_ylabel(_w("share_axis", lang))
        if len(axes) > 2:
            axes[2].set_ylabel(_w("share_axis", lang))
        h, lab = axes[0].get_legend_handles_labels()
        lax.legend(h, lab, loc="center", ncol=2, frameon=False, fontsize=8.5)
        _finish(fig, capacity_finding(rep, pf, lang), _w("cap_foot", lang).format(
            ns=pct(pf.national_share, lang), b=pct(pf.benchmark_share, lang), **_meta(meta, lang)))
    return fig


def _year_locator():
    import matplotlib.ticker as mt

    return mt.MaxNLocator(nbins=4, integer=True)


def meta_of(ds, pf: Portfolio, world: str, objective: str | None = None) -> dict:
    """What the footnotes say: world (with its en/nl label from the first plant's
    scenario), draws, seed and the allocation's objective."""
    wd = next(iter(pf.plants.values())).scenario.worlds.get(world)
    label = {"en": (wd.label_en if wd else "") or world, "nl": (wd.label_nl if wd else "") or world}
    return {"world": world, "world_label": label, "draws": int(ds.sizes["draw"]),
            "seed": ds.attrs.get("seed", pf.seed),
            "objective": objective or pf.allocation["objective"]}


def _meta(meta: dict, lang: str) -> dict:
    return {"w": meta.get("world_label", {}).get(lang, meta["world"]),
            "n": num(meta["draws"], lang), "seed": meta["seed"]}


def frontier_chart(rep: dict, pf: Portfolio, meta: dict, lang: str = "en") -> Figure:
    """Pooled annual budget → objective (a step line: the optimum between two budgets is
    at least the lower one's), with the allocation at today's envelopes."""
    fr = [(r["pooled_meur_per_yr"], r["objective"]) for r in rep["frontier"]]
    b = np.array([x for x, _ in fr], float)
    v = 100 * np.array([y for _, y in fr], float)
    today = 100 * rep["allocation_obj"].objective
    with _style():
        fig = _figure()
        ax = fig.add_subplot()
        ax.step(b, v, where="post", color=ALLOC_COLOUR, lw=1.6, marker="o", ms=3.5,
                label=_w("frontier_line", lang))
        if np.isfinite(today):
            ax.axhline(today, color=P90_COLOUR, lw=1.2, ls="--", label=_w("today", lang))
        ax.set_xlabel(_w("frontier_axis", lang))
        ax.set_ylabel(_w("alloc_axis", lang).format(
            obj=objective_label(meta["objective"], pf, lang)).replace(", ", ",\n", 1))
        ax.set_ylim(bottom=0, top=max(float(np.nanmax(v, initial=0)), today
                                      if np.isfinite(today) else 0) * 1.25 + 1e-9)
        ax.legend(loc="lower right", frameon=False)
        _finish(fig, frontier_finding(rep, lang), _w("fr_foot", lang).format(**_meta(meta, lang)),
                _w("optimal", lang))
    return fig


def allocation_chart(rep: dict, pf: Portfolio, meta: dict, lang: str = "en") -> Figure:
    """The chosen option per plant (on the bar) and its expected gain over no support."""
    rows = rep["allocation"]
    n = len(rows)
    y = -np.arange(n, dtype=float)
    gains = 100 * np.array([r["gain"] for r in rows])
    with _style():
        fig = _figure((W, max(FIGSIZE[1], 1.9 + 0.42 * n)))
        ax = fig.add_subplot()
        colours = [BASE_COLOUR if r["option"] in ("", NONE) else ALLOC_COLOUR for r in rows]
        ax.barh(y, gains, color=colours, height=0.6)
        ax.set_yticks(y, [plant_label(pf, r["plant"], lang) for r in rows])
        top = max(float(gains.max(initial=0)), 1e-9)
        ax.set_xlim(0, top * 2.6)
        for yi, g, r in zip(y, gains, rows):
            ax.text(g + top * 0.03, yi, wrap(option_label(pf, r["plant"], r["option"] or NONE,
                                                        lang), 30),
                    va="center", fontsize=8, color="#333333", linespacing=1.0)
        ax.set_xlabel(_w("alloc_axis", lang).format(obj=objective_label(meta["objective"], pf,
                                                                           lang)))
        ax.grid(axis="y", visible=False)
        _finish(fig, allocation_finding(rep, pf, lang),
                _w("fr_foot", lang).format(**_meta(meta, lang)),
                _w("alloc_note", lang) if BASE_COLOUR in colours else "")
    return fig


def budget_chart(rep: dict, pf: Portfolio, meta: dict, lang: str = "en") -> Figure:
    """Per envelope drawn on (or with a budget): expected and P90 budget cash per year
    against the envelope, with the largest share of draws above it."""
    rows = rep["budget_allocated"]
    used = [e for e in pf.envelopes
            if any((abs(r["mean"]) > 1e-9 or r["envelope_meur"] > 0 or abs(r["p90"]) > 1e-9)
                   for r in rows if r["envelope"] == e)]
    empty = [envelope_label(pf, e, lang) for e in pf.envelopes if e not in used]
    with _style():
        fig, axes, lax = _grid(max(len(used), 1))
        for ax, e in zip(axes, used):
            rs = [r for r in rows if r["envelope"] == e]
            yr = np.array([r["year"] for r in rs])
            ax.plot(yr, [r["mean"] for r in rs], color=ALLOC_COLOUR, lw=1.6, label=_w("mean", lang))
            ax.plot(yr, [r["p90"] for r in rs], color=P90_COLOUR, lw=1.2, ls="--",
                    label=_w("p90", lang))
            ax.step(yr, [r["envelope_meur"] for r in rs], where="mid", color=LIMIT_COLOUR,
                    lw=1.0, label=_w("envelope", lang))
            ax.axhline(0, color="#b8b8b8", lw=0.6)
            pmax = max(r["p_exceed"] for r in rs)
            ax.set_title(f"{envelope_label(pf, e, lang)}\n"
                         + _w("max_p", lang).format(p=pct(pmax, lang)), loc="left", fontsize=8.5)
            ax.xaxis.set_major_locator(_year_locator())
        if not used:
            axes[0].set_visible(False)
        for i, ax in enumerate(axes):
            if i % 2 == 0:
                ax.set_ylabel(_w("cash_axis", lang))
        if used:
            h, lab = axes[0].get_legend_handles_labels()
            lax.legend(h, lab, loc="center", ncol=3, frameon=False, fontsize=8.5)
        note = _w("empty", lang).format(envs=", ".join(empty)) if empty else ""
        _finish(fig, budget_finding(rep, pf, lang), _w("bud_foot", lang).format(
            **_meta(meta, lang)), note)
    return fig


def chart_set(rep: dict, pf: Portfolio, meta: dict) -> dict[str, callable]:
    """Name -> ``draw(lang) -> Figure`` of the portfolio charts."""
    return {name: (lambda lang, f=f: f(rep, pf, meta, lang)) for name, f in (
        ("capacity", capacity_chart), ("frontier", frontier_chart),
        ("allocation", allocation_chart), ("budget", budget_chart))}


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


def _table(head: list[str], rows: list[list[str]]) -> str:
    esc = html.escape
    h = "".join(f"<th>{esc(x)}</th>" for x in head)
    b = "".join("<tr>" + "".join(f"<td>{esc(str(x))}</td>" for x in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{b}</tbody></table>"


def allocation_table(rep: dict, pf: Portfolio, meta: dict, lang: str = "en") -> str:
    nl = lang == "nl"
    head = (["fabriek", "locatie", "materiaal", "gekozen optie", "winst (%)",
             "niet toegestaan (staatssteun)"] if nl else
            ["plant", "site", "material", "option chosen", "gain (%)",
             "off the menu (state aid)"])
    rows = [[r["plant"], r["site"], material_label(pf, r["material"], lang),
             option_label(pf, r["plant"], r["option"] or NONE, lang),
             num(100 * r["gain"], lang, 2), r.get("excluded_nl" if nl else "excluded") or "—"]
            for r in rep["allocation"]]
    return _table(head, rows)


def capacity_html(rep: dict, pf: Portfolio, lang: str) -> str:
    nl = lang == "nl"
    head = (["materiaal", "jaar", "geen steun P50 (t/jaar)", "verdeling P10", "P50", "P90",
             "P50 % EU-vraag", "doel (t/jaar)", "P(doel)"] if nl else
            ["material", "year", "no support P50 (t/yr)", "allocation P10", "P50", "P90",
             "P50 % of EU demand", "target (t/yr)", "P(target)"])
    base = {(r["material"], r["year"]): r for r in rep["capacity_baseline"]}
    show = {pf.deadline_year - 2, pf.deadline_year, pf.deadline_year + 5, pf.last_year}
    rows = [[material_label(pf, r["material"], lang), r["year"],
             num(base[(r["material"], r["year"])]["p50"], lang), num(r["p10"], lang),
             num(r["p50"], lang), num(r["p90"], lang), num(100 * r["share_of_demand"], lang, 1),
             num(r["target_tpa"], lang), pct(r["p_target"], lang)]
            for r in rep["capacity_allocated"] if r["year"] in show]
    return _table(head, rows)


def frontier_html(rep: dict, pf: Portfolio, lang: str) -> str:
    head = [_w("frontier_axis", lang), "%"] + list(pf.plants)
    rows = [[num(r["pooled_meur_per_yr"], lang), num(100 * r["objective"], lang, 2)]
            + [option_label(pf, p, r.get(p) or NONE, lang) for p in pf.plants]
            for r in rep["frontier"]]
    return _table(head, rows)


def budget_html(rep: dict, pf: Portfolio, lang: str) -> str:
    nl = lang == "nl"
    head = (["budget", "jaar", "verwacht", "P90", "budget (mln EUR/jaar)", "P(erboven)"] if nl
            else ["envelope", "year", "expected", "P90", "envelope (MEUR/yr)", "P(above)"])
    rows = [[envelope_label(pf, r["envelope"], lang), r["year"], num(r["mean"], lang, 1),
             num(r["p90"], lang, 1), num(r["envelope_meur"], lang, 1), pct(r["p_exceed"], lang)]
            for r in rep["budget_allocated"]
            if abs(r["mean"]) > 1e-9 or abs(r["p90"]) > 1e-9]
    return _table(head, rows)


def write_report(folder: str | Path, rep: dict, pf: Portfolio, meta: dict,
                 extra: dict | None = None) -> list[Path]:
    """Write ``charts/{en,nl}/*.png`` and ``portfolio.html`` / ``portfolio.nl.html`` into
    ``folder``; returns the files written.

    Parameters
    ----------
    rep : dict
        :func:`simcrm.analysis.portfolio.report`.
    meta : dict
        ``world``, ``draws``, ``seed``, ``objective`` and optionally ``world_label``
        (``{"en": ..., "nl": ...}``).
    extra : dict, optional
        ``{lang: [paragraph, ...]}`` for the market-size section.
    """
    import matplotlib as mpl

    folder = Path(folder)
    written = []
    for lang in ("en", "nl"):
        d = folder / "charts" / lang
        d.mkdir(parents=True, exist_ok=True)
        imgs = {}
        for name, draw in chart_set(rep, pf, meta).items():
            fig = draw(lang)
            png = d / f"{name}.png"
            with mpl.rc_context({"savefig.dpi": 150}):
                fig.savefig(png, metadata={"Software": None})
            imgs[name] = f"charts/{lang}/{name}.png"
            written.append(png)
        page = folder / ("portfolio.nl.html" if lang == "nl" else "portfolio.html")
        page.write_text(_html(rep, pf, meta, imgs, lang, (extra or {}).get(lang, [])),
                        encoding="utf-8")
        written.append(page)
    return written


def _html(rep: dict, pf: Portfolio, meta: dict, imgs: dict, lang: str, extra: list) -> str:
    esc = html.escape
    f = findings(rep, pf, lang)
    img = lambda k: f'<img src="{esc(imgs[k])}" alt="{esc(f[k])}" style="max-width:100%">'  # noqa: E731
    body = [f"<h1>{esc(_w('title', lang))}</h1>",
            f"<p>{esc(pf.description)}</p>" if pf.description else "",
            f"<h2>{esc(_w('h_capacity', lang))}</h2>", f"<p>{esc(f['capacity'])}.</p>",
            img("capacity"), capacity_html(rep, pf, lang),
            f"<h2>{esc(_w('h_allocation', lang))}</h2>", f"<p>{esc(f['allocation'])}. "
            f"{esc(_w('optimal', lang))}</p>", img("allocation"),
            allocation_table(rep, pf, meta, lang),
            f"<h2>{esc(_w('h_frontier', lang))}</h2>", f"<p>{esc(f['frontier'])}.</p>",
            img("frontier"), frontier_html(rep, pf, lang),
            f"<h2>{esc(_w('h_budget', lang))}</h2>", f"<p>{esc(f['budget'])}.</p>",
            img("budget"), budget_html(rep, pf, lang)]
    extra = market_lines(rep, pf, lang) + list(extra)
    if extra:
        body += [f"<h2>{esc(_w('h_market', lang))}</h2>"] + [f"<p>{esc(x)}</p>" for x in extra]
    style = ("<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
             "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;"
             "padding:2px 6px;text-align:right}</style>")
    title = _w("title", lang)
    return (f'<!DOCTYPE html><html lang="{lang}"><meta charset="utf-8"><title>{esc(title)}'
            f"</title>{style}<body>{''.join(body)}</body></html>")
