"""What the briefing charts say: titles, axis labels, options drawn, in both languages."""

from __future__ import annotations

import re

import numpy as np
import pytest
import xarray as xr

import simcrm
from simcrm.analysis import ranking
from simcrm.present import charts
from simcrm.present import text as i18n
from simcrm.present.text import pct, t

from .conftest import SMALL

CHART_OPTIONS = """
[options.grant]
label_en = "Capex grant"
label_nl = "Investeringssubsidie"
[options.grant.capex_grant]
share = [0.1, 0.3]           # a response curve
[options.fast.permit_fast_track]
cap_months = 15              # CRMA cap
[options.floor.price_floor]
strike = 15000
[options.loan.public_loan]
share = 0.3
[state_aid]
# these tests judge the charts, not the aid: a plant that is profitable without policy
# would make every aid over-compensate under the funding-gap method
method = "tender"
[worlds.dump]
label_en = "Chinese dumping"
label_nl = "Chinese dumping (NL)"
markets.product.start = { times = 0.6 }
"""


@pytest.fixture(scope="session")
def chart_run(tmp_path_factory):
    p = tmp_path_factory.mktemp("charts") / "charts.toml"
    p.write_text(SMALL + CHART_OPTIONS, encoding="utf-8")
    sc = simcrm.load_scenario(p)
    return simcrm.simulate(sc, draws=2000, keep_cashflows=300)


@pytest.fixture(scope="session")
def facts(chart_run):
    return charts.Facts(chart_run.results, cashflows=chart_run.cashflows)


LANGS = pytest.mark.parametrize("lang", ["en", "nl"])


def _yticks(ax) -> list[str]:
    return [x.get_text().replace("\n", " ") for x in ax.get_yticklabels()]


def _texts(fig) -> list[str]:
    return [x.get_text() for ax in fig.axes for x in ax.texts] + [x.get_text()
                                                                  for x in fig.texts]


def test_families_and_labels(facts):
    assert [f.name for f in facts.families] == ["grant"]
    fam = facts.families[0]
    assert fam.key == "capex_grant.share"
    assert [o for o, _ in fam.members] == ["grant-0.1", "grant-0.3"]
    assert facts.label("grant-0.1", "en") == "Capex grant 10\u00a0%"
    assert facts.label("grant-0.3", "nl") == "Investeringssubsidie 30\u00a0%"
    assert facts.label("fast", "en") == "Permit cap 15\u00a0months"
    assert facts.label("fast", "nl") == "Maximale vergunningsduur 15\u00a0maanden"
    assert facts.label("baseline", "nl") == "Geen beleid"
    assert facts.wlabel("dump", "nl") == "Chinese dumping (NL)"


def test_colours_fixed_and_distinct(facts):
    cols = facts.colours
    assert set(cols) == set(facts.options)
    assert len(set(cols.values())) == len(cols)
    again = charts.option_colours(facts.options, facts.families)
    assert again == cols
    assert cols["baseline"] == charts.BASELINE_COLOUR


@LANGS
def test_npv_distribution(facts, lang):
    fig = charts.npv_distribution(facts.ds, lang, facts)
    ax = fig.axes[0]
    assert ax.get_xlabel() == t("npv_xlabel", lang)
    assert _yticks(ax) == [facts.label(o, lang) for o in facts.options]
    p0 = pct(facts.s("p_npv_pos", "baseline"), lang)
    title = charts.title_of(fig)
    assert p0 in title
    key = facts.key(lang).option  # one story: the chart names the key message's option
    assert facts.label(key, lang) in title
    assert pct(facts.s("p_npv_pos", key), lang) in title
    shown = [x for x in _yticks(fig.axes[1]) if x.endswith("%")]
    assert len(shown) == len(facts.options)
    foot = fig.texts[-1].get_text().replace("\n", " ")
    assert facts.plant(lang) in foot and "2" in foot
    assert foot.count(t("footnote", lang).split()[0]) == 1  # "Source:" / "Bron:"


@LANGS
def test_cost_vs_probability(facts, lang):
    fig = charts.cost_vs_probability(facts.ds, lang, facts)
    ax = fig.axes[0]
    assert ax.get_xlabel() == t("cost_xlabel", lang)
    assert ax.get_ylabel() == t("p_ylabel", lang)
    assert len(ax.collections) == len(facts.options)  # one dot per option
    labels = [x.get_text().replace("\n", " ") for x in fig.axes[1].texts]
    # an option outside the EU state-aid rules is marked as such (here: the 30 % grant,
    # above the EUR 200 M cap per project)
    unlawful = {o for o in facts.options if facts.s("state_aid_ok", o) == 0}
    assert unlawful
    assert sorted(labels) == sorted(facts.label(o, lang) + (f" {t('aid_fails_mark', lang)}"
                                                            if o in unlawful else "")
                                    for o in facts.options)
    km = facts.key(lang)
    assert charts.title_of(fig) == km.title
    bold = {x.get_text().replace("\n", " ") for x in fig.axes[1].texts
            if x.get_fontweight() == "bold"}
    assert bold == {facts.label(km.option, lang)}
    # options within two paired standard errors are grey hollow squares
    grey = [o for o in facts.options if not facts.distinct(o)]
    assert all(facts.colour(o) == charts.GREY for o in grey)


def test_pareto_efficient():
    cost = np.array([0, 10, 20, 5, 30])
    p = np.array([0.2, 0.3, 0.25, 0.2, 0.5])
    assert ranking.pareto_efficient(cost, p).tolist() == [True, True, False, False, True]


@LANGS
def test_tornado(facts, lang):
    fig = charts.tornado(facts.ds, lang, facts, top=5)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_title(loc="left").replace("\n", " ") == facts.label("baseline", lang)
    assert fig.axes[1].get_title(loc="left").replace("\n", " ") == facts.label(facts.best, lang)
    for ax in fig.axes:
        assert ax.get_xlabel().replace("\n", " ") == t("tornado_xlabel", lang)
        assert len(ax.patches) == 5
    names = _yticks(fig.axes[0])
    assert any(n.split(" (")[0] in charts.title_of(fig) for n in names)
    assert "path_mean" not in " ".join(names)
    if lang == "nl":
        assert "Productprijs (gemiddeld)" in names


@LANGS
def test_first_production(facts, lang):
    fig = charts.first_production(facts.ds, lang, facts)
    ax = fig.axes[0]
    assert ax.get_xlabel() == t("fp_xlabel", lang)
    assert _yticks(ax) == [facts.label(o, lang) for o in facts.options]
    deadline = facts.deadline
    lines = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [deadline + 1] * 2]
    assert len(lines) == 1
    assert str(deadline) in charts.title_of(fig)
    p0 = pct(facts.s("p_production_by_deadline", "baseline"), lang)
    assert p0 in charts.title_of(fig)
    # the permit cap brings production forward
    assert facts.label("fast", lang) in charts.title_of(fig)


@LANGS
def test_heatmap(facts, lang):
    fig = charts.heatmap_worlds(facts.ds, lang, facts)
    ax = fig.axes[0]
    assert len(ax.texts) == len(facts.options) * len(facts.worlds)
    assert [x.get_text().replace("\n", " ") for x in ax.get_xticklabels()] == [
        facts.wlabel(w, lang) for w in facts.worlds]
    assert _yticks(ax) == [facts.label(o, lang) for o in facts.options]
    best_in = {w: max(facts.s("p_npv_pos", o, w) for o in facts.options) for w in facts.worlds}
    worst = min(best_in, key=best_in.get)
    assert facts.wlabel(worst, lang) in charts.title_of(fig)
    assert pct(best_in[worst], lang) in charts.title_of(fig)
    assert fig.axes[1].get_ylabel().replace("\n", " ") == t("heat_cbar", lang)


@LANGS
def test_response_curve(facts, lang):
    fam = facts.families[0]
    fig = charts.response_curve(facts.ds, fam, lang, facts)
    a1, a2 = fig.axes
    assert a1.get_ylabel() == t("resp_p_ylabel", lang)
    assert a2.get_ylabel() == t("resp_cost_ylabel", lang)
    assert a1.get_xlabel() == f"{i18n.setting_label(fam.key, lang)} [%]"
    assert list(a1.get_xticks()) == [10, 30]
    title = charts.title_of(fig)
    assert i18n.setting_label(fam.key, lang) in title
    assert pct(facts.s("p_npv_pos", "baseline"), lang) in title
    assert "30\u00a0%" in title


@LANGS
def test_cashflow_fan(facts, lang):
    fig = charts.cashflow_fan(facts.ds, facts.cf, lang, facts)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylabel() == t("fan_ylabel", lang)
    assert [ax.get_title(loc="left").replace("\n", " ") for ax in fig.axes] == [
        facts.label("baseline", lang),
                                                   facts.label(facts.best, lang)]
    legend = [x.get_text() for x in fig.axes[0].get_legend().get_texts()]
    assert legend == [t("fan_band", lang), t("fan_median", lang)]
    assert re.search(r"20\d\d|" + re.escape(t("never", lang)), charts.title_of(fig))


def test_best_option_rule():
    # the investor always builds here: options are ranked by P(NPV > 0)
    def summary(p, inv, gain, cost):
        o = ["baseline", "a", "b", "c"]
        da = lambda v: xr.DataArray(np.array(v, float)[:, None], dims=("option", "world"))  # noqa: E731
        zero = [0, 0, 0, 0]
        sm = xr.Dataset({"p_npv_pos": da(p), "investable": da(inv), "d_p_npv_pos": da(gain),
                         "d_p_npv_pos_se": da([0, 0.001, 0.001, 0.001]),
                         "d_npv_mean": da(zero), "d_npv_mean_se": da([1, 1, 1, 1]),
                         "state_aid_ok": da([1, 1, 1, 1]), "budget_cash_pv_mean": da(cost)},
                        coords={"option": o, "world": ["base"]})
        sm.attrs["effect"] = "p_npv_pos"
        return sm

    # investable options first, the most gain per euro among them: b (0.55 for 10)
    sm = summary([0.2, 0.8, 0.75, 0.9], [0, 1, 1, 0], [0, 0.6, 0.55, 0.7], [0, 100, 10, 50])
    assert ranking.best_option(sm, "base") == "b"
    # none investable: most gain per euro; a free option that helps wins
    sm = summary([0.2, 0.3, 0.25, 0.4], [0, 0, 0, 0], [0, 0.1, 0.05, 0.2], [0, 100, 10, 400])
    assert ranking.best_option(sm, "base") == "b"
    sm = summary([0.2, 0.3, 0.25, 0.4], [0, 0, 0, 0], [0, 0.1, 0.05, 0.2], [0, 0, 10, 400])
    assert ranking.best_option(sm, "base") == "a"
    # nothing helps: the baseline
    sm = summary([0.2, 0.2, 0.2, 0.2], [0, 0, 0, 0], [0, 0, 0, 0], [0, 5, 10, 400])
    assert ranking.best_option(sm, "base") == "baseline"


def test_draw_all_both_languages_both_formats(facts, tmp_path):
    out = charts.draw_all(facts.ds, tmp_path, facts=facts)
    names = {"npv-distribution", "cost-vs-probability", "first-production", "tornado",
             "heatmap-worlds", "response-grant", "cashflow-fan"}
    for lang in ("en", "nl"):
        assert {c.name for c in out[lang]} == names
        for c in out[lang]:
            assert c.png == tmp_path / lang / f"{c.name}.png"
            assert c.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert c.svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    titles = {lang: {c.name: c.title for c in out[lang]} for lang in out}
    assert all(titles["en"][n] != titles["nl"][n] for n in names)
    # text stays text in the SVG, in the chart's language
    svg = (tmp_path / "nl" / "heatmap-worlds.svg").read_text(encoding="utf-8")
    assert "Beleidsoptie" in svg


def test_texts_complete():
    for key, v in i18n.TEXTS.items():
        assert set(v) == {"en", "nl"}, key
        assert type(v["en"]) is type(v["nl"]), key
        if isinstance(v["en"], str):
            assert set(re.findall(r"{(\w+)}", v["en"])) == set(re.findall(r"{(\w+)}", v["nl"])), \
                key
    assert i18n.num(12345.6, "nl", 1) == "12.345,6"
    assert i18n.num(-12345.6, "en", 1) == "−12,345.6"
    assert i18n.pct(0.189, "nl") == "19\u00a0%"
    with pytest.raises(ValueError, match="unknown language"):
        i18n.check_lang("de")


def test_headline_and_best_option_use_the_same_paired_rule():
    """A small gain that is clear draw by draw (paired) but within the unpaired noise of
    P(NPV > 0): the NPV chart's headline and the best option both name it."""
    rng = np.random.default_rng(5)
    n = 2000
    base = rng.normal(-50, 100, n)
    grant = base + 5.0  # lifts the draws just below zero, nothing else
    npv = np.stack([base, grant])[:, None, :]
    one = np.ones_like(npv)
    cost = np.stack([np.zeros(n), np.full(n, 10.0)])[:, None, :]
    ds = xr.Dataset(
        {"npv": (("option", "world", "draw"), npv),
         "irr": (("option", "world", "draw"), one * 0.05),
         "first_production": (("option", "world", "draw"), one * 2029.5),
         "budget_cash_pv": (("option", "world", "draw"), cost),
         "public_cost_net": (("option", "world", "draw"), cost)},
        coords={"option": ["baseline", "grant"], "world": ["base"], "draw": np.arange(n)})
    f = charts.Facts(ds)
    gain, se = f.s("d_p_npv_pos", "grant"), f.s("d_p_npv_pos_se", "grant")
    assert gain < 2 * f.s("p_npv_pos_se", "grant")  # within the unpaired noise ...
    assert ranking.significant(gain, se)  # ... but a finding on paired differences
    assert f.best == "grant"
    title = charts.title_of(charts.npv_distribution(ds, "en", f))
    assert f.label("grant", "en") in title, title
    assert f.profit().found and f.profit().option == f.best


def test_no_red_green_pairs():
    """The colour check finds a red/green pair, and no chart of a run uses one (the
    PRIM chart's profitable/loss-making dots are blue/orange with different markers)."""
    import matplotlib as mpl
    from matplotlib.figure import Figure

    from simcrm.analysis.findings import analyses
    from simcrm.present import analysis_charts, layout
    from simcrm.present.charts import Facts, chart_set

    fig = Figure()
    ax = fig.subplots()
    ax.scatter([0, 1], [0, 1], color="#55a868")
    ax.scatter([0, 1], [1, 0], color="#c44e52")
    assert layout.red_green(fig)
    assert layout._hue_class(mpl.colors.to_rgba(analysis_charts.OK_COLOUR)) is None
    assert layout._hue_class(mpl.colors.to_rgba(analysis_charts.FAIL_COLOUR)) is None

    sc = simcrm.load_scenario("scenarios/rare-earth-separation.toml")
    r = simcrm.simulate(sc, draws=300, keep_cashflows=60)
    f = Facts(r.results, cashflows=r.cashflows)
    bad = {name: layout.red_green(draw("en")) for name, draw in chart_set(f)}
    an = analyses(f, sc, sobol_n=64)
    for title, items in analysis_charts.report_sections(f.ds, "en", facts=f, computed=an):
        for k, it in enumerate(i for i in items if not isinstance(i, str)):
            bad[(title, k)] = layout.red_green(it)
    assert not {k: v for k, v in bad.items() if v}


def test_cap_kink_is_named_on_the_response_curve(tmp_path):
    """A money cap that stops the public cost rising is named at the kink; a curve
    without a binding cap has no note."""
    from pathlib import Path

    from simcrm.analysis.findings import Family, cap_kink
    from simcrm.present import layout
    from simcrm.present.charts import Facts, response_curve

    fam = Family("capex-grant", "capex_grant", "share", "1",
                 (("capex-grant-0.1", 0.1), ("capex-grant-0.2", 0.2), ("capex-grant-0.3", 0.3)))
    tables = {"options": {"capex-grant": {"capex_grant": {"share": [0.1, 0.2, 0.3],
                                                          "cap_meur": 200.0}}}}
    x = np.array([0.1, 0.2, 0.3])
    k = cap_kink(fam, x, np.array([100.0, 190.0, 191.0]), tables)
    assert k is not None and k.index == 1 and k.value == 200 and k.unit == "MEUR"
    assert cap_kink(fam, x, np.array([100.0, 200.0, 300.0]), tables) is None
    assert cap_kink(fam, x, np.array([100.0, 190.0, 191.0]),
                    {"options": {"capex-grant": {"capex_grant": {"share": [0.1]}}}}) is None

    src = Path("scenarios/nickel-cobalt-refining.toml").resolve()
    p = tmp_path / "low-cap.toml"
    p.write_text(f'extends = ["{src.as_posix()}"]\n\n'
                 "[options.capex-grant.capex_grant]\ncap_meur = 30.0\n", encoding="utf-8")
    r = simcrm.simulate(simcrm.load_scenario(p), draws=300)
    f = Facts(r.results)
    fam = next(fm for fm in f.families if fm.lever == "capex_grant")
    notes = {"en": "cap EUR 30 million reached", "nl": "plafond € 30 mln bereikt"}
    for lang, note in notes.items():
        fig = response_curve(f.ds, fam, lang, f)
        assert note in [tx.get_text() for tx in fig.axes[1].texts]
        assert not layout.check(fig)
    plain = Facts(simcrm.simulate(simcrm.load_scenario(src), draws=300).results)
    fam = next(fm for fm in plain.families if fm.lever == "capex_grant")
    assert not response_curve(plain.ds, fam, "en", plain).axes[1].texts
