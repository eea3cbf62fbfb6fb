"""Briefing charts and the self-contained report.

:func:`write_report` draws every chart in both languages into
``<results>/charts/<lang>/NAME.png|svg`` and writes ``report.html`` in the
chosen language (plus ``report.<other>.html`` in the other one).  A report is a
single file: charts are embedded as base64 PNG, styles are inline, there are no
scripts, fonts or links to the network, and a print stylesheet lays it out on A4.
"""

from __future__ import annotations

import base64
import html
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from simcrm.analysis import ranking
from simcrm.analysis.findings import Analyses, analyses, scenario_files
from simcrm.analysis.summary import summarise
from simcrm.engine.dataset import open_uncached
from simcrm.present import briefing
from simcrm.present import text as i18n
from simcrm.present.analysis_charts import report_sections
from simcrm.present.charts import DPI, Chart, Facts, draw_all
from simcrm.present.gap_section import gap_section
from simcrm.present.text import meur, num, pct, points, t
from simcrm.spec import outputs
from simcrm.spec.scenario import ScenarioError, load_scenario

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------
# Assumptions: every key = value of the scenario text with its source comment
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assumption:
    """One setting of the scenario file and the comment that cites its source."""

    file: str
    key: str
    value: str
    source: str


def _split_comment(line: str) -> tuple[str, str]:
    """``(code, comment)`` of a TOML line; a ``#`` inside a string is not a comment."""
    quote = None
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#":
            return line[:i].rstrip(), line[i + 1:].strip()
        i += 1
    return line.rstrip(), ""


def _depth(code: str) -> int:
    d, quote = 0, None
    for c in code:
        if quote:
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "[{":
            d += 1
        elif c in "]}":
            d -= 1
    return d


def parse_assumptions(text: str) -> list[Assumption]:
    """Every ``key = value`` of the scenario text (all files) with its source: the comment
    on the line (and on continuation lines) and the comment block just above the key."""
    out = []
    for path, body in scenario_files(text):
        fname = Path(path).name if path else ""
        section = ""
        above: list[str] = []
        lines = body.splitlines()
        i = 0
        while i < len(lines):
            code, comment = _split_comment(lines[i])
            s = code.strip()
            i += 1
            if not s:
                if comment and not set(comment) <= set("=-#~ "):
                    above.append(comment)
                elif not comment:
                    above = []
                continue
            m = re.fullmatch(r"\[\[?\s*([^\]]+?)\s*\]\]?", s)
            if m:
                section, above = m.group(1), []
                continue
            if "=" not in s:
                above = []
                continue
            key, _, value = s.partition("=")
            notes = [comment] if comment else []
            value = value.strip()
            depth = _depth(value)
            while depth > 0 and i < len(lines):
                c2, cm2 = _split_comment(lines[i])
                i += 1
                value += " " + c2.strip()
                if cm2:
                    notes.append(cm2)
                depth += _depth(c2)
            full = f"{section}.{key.strip()}" if section else key.strip()
            if full in ("extends",) or full.endswith((".label_en", ".label_nl", ".description")) \
                    or full in ("scenario.name", "scenario.description"):
                above = []
                continue
            source = " ".join(above + notes)
            out.append(Assumption(fname, full, value, source))
            above = []
    return out


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------

CSS = """
:root { --ink: #1f1f1f; --muted: #5f5f5f; --rule: #d9d9d9; --accent: #0b5394; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", sans-serif;
       color: var(--ink); max-width: 1100px; margin: 0 auto; padding: 24px 32px;
       line-height: 1.45; font-size: 16px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 32px 0 10px; border-bottom: 2px solid var(--accent);
     padding-bottom: 4px; }
h3 { font-size: 17px; margin: 20px 0 6px; }
.sub { color: var(--muted); margin: 0 0 6px; }
.lang { float: right; font-size: 14px; }
.headline { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr));
            gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--rule); border-left: 5px solid var(--accent); padding: 10px 14px;
        border-radius: 4px; break-inside: avoid; page-break-inside: avoid; }
.card .big { font-size: 28px; font-weight: 700; display: block; }
.card .what { color: var(--muted); font-size: 14px; }
figure { margin: 18px 0 26px; break-inside: avoid; page-break-inside: avoid; }
figure img { width: 100%; height: auto; display: block; border: 1px solid #eeeeee; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 6px 0 12px;
        break-inside: avoid; page-break-inside: avoid; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 6px; text-align: right;
         vertical-align: top; }
th { background: #f3f6fa; font-weight: 600; }
td.l, th.l { text-align: left; }
tr.best td { font-weight: 700; }
td.swatch { width: 14px; padding: 0; }
td.swatch span { display: inline-block; width: 12px; height: 12px; border-radius: 2px; }
table.assume { table-layout: fixed; break-inside: auto; page-break-inside: auto; }
table.assume td { text-align: left; font-size: 12.5px; overflow-wrap: anywhere; }
table.assume td.k, table.assume td.v { font-family: Consolas, "DejaVu Sans Mono", monospace; }
table.assume col.k { width: 30%; } table.assume col.v { width: 17%; }
table.assume tr { break-inside: avoid; page-break-inside: avoid; }
.key { border: 2px solid var(--accent); background: #eef3fa; padding: 8px 16px 10px;
       border-radius: 4px; margin: 14px 0; break-inside: avoid; page-break-inside: avoid; }
.key h2 { border: none; margin: 4px 0; font-size: 18px; color: var(--accent); }
.key .verdict { font-weight: 700; font-size: 17px; margin: 4px 0; }
.key .rec { margin: 4px 0; }
.read { font-size: 14px; color: #333333; }
thead { display: table-header-group; }
h2.annex { break-before: page; page-break-before: always; }
.note { color: var(--muted); font-size: 13.5px; }
footer { color: var(--muted); font-size: 12px; margin-top: 30px; border-top: 1px solid var(--rule);
         padding-top: 6px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h1 { font-size: 20pt; }
  h2 { font-size: 14pt; break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  .lang { display: none; }
  figure { break-inside: avoid; page-break-inside: avoid; margin: 8mm 0; }
  figure img { max-height: 240mm; width: auto; max-width: 100%; border: none; }
  table { font-size: 8.5pt; }
  table.assume td { font-size: 7.5pt; }
  .card .big { font-size: 18pt; }
  a { color: inherit; text-decoration: none; }
}
"""


def _e(s) -> str:
    return html.escape(str(s), quote=True)


def _headline(f: Facts, lang: str) -> str:
    b, best = f.baseline, f.best
    cards = [(pct(f.s("p_built", b), lang), t("h_p0", lang)),
             (meur(f.s("npv_mean", b), lang), t("h_npv0", lang)),
             (pct(f.s("p_production_by_deadline", b), lang),
              t("h_prod", lang, deadline=f.deadline))]
    if best != b:
        cards.append((pct(f.s("p_built", best), lang),
                      t("h_best", lang, best=f.label(best, lang)) + " — " +
                      t("h_best_p", lang, p=pct(f.s("p_built", best), lang),
                        d=points(f.s("d_p_built", best), lang)) + "; " +
                      t("h_best_cost", lang, cost=meur(f.s("budget_cash_pv_mean", best), lang),
                        net=meur(f.s("public_cost_net_mean", best), lang),
                        gge=meur(f.s("gross_grant_equivalent_mean", best), lang))))
    inv = [f.label(o, lang) for o in f.options if f.s("investable", o) > 0]
    cards.append((str(len(inv)), t("h_investable", lang) + ": " +
                  (", ".join(inv) if inv else t("h_none", lang))))
    items = "".join(f'<div class="card"><span class="big">{_e(v)}</span>'
                    f'<span class="what">{_e(w)}</span></div>' for v, w in cards)
    dec = f.decision
    rule = t("best_rule", lang, rule=rule_text(dec, lang), world=f.wlabel(f.world, lang))
    return f'<div class="headline">{items}</div>\n<p class="note">{_e(rule)}</p>'


def rule_text(dec: dict, lang: str) -> str:
    """The decision rule in ``lang`` (the sponsor's loss limit only when it is set)."""
    text = t("rule", lang, npv=num(dec["min_mean_npv_meur"], lang))
    if dec["max_loss_prob"] is not None:
        text += t("rule_loss", lang, loss=pct(dec["max_loss_prob"], lang))
    return text


def _fmt(v: float, kind: str, lang: str) -> str:
    if not np.isfinite(v):
        return "–"
    if kind == "meur":
        return num(v, lang)
    if kind == "pct":
        return pct(v, lang)
    if kind == "pts":
        return ("+" if v > 0 else "") + points(v, lang)
    if kind == "aid":
        return t("yes" if v > 0 else "no", lang)
    return str(v)


TABLE_COLUMNS = [("npv_mean", "meur"), ("p_built", "pct"), ("p_npv_pos", "pct"),
                 ("p_production_by_deadline", "pct"), ("budget_cash_pv_mean", "meur"),
                 ("gross_grant_equivalent_mean", "meur"), ("fiscal_return_mean", "meur"),
                 ("gain_per_100meur", "pts"), ("state_aid_ok", "aid")]
"""``(statistic, format)`` of the report's comparison table; headings from
:func:`simcrm.spec.outputs.header`."""


VERDICTS = {ranking.NOISE: "verdict_noise", ranking.LOWERS_NPV: "verdict_lowers",
            ranking.FAILS_AID: "verdict_aid", "": "verdict_helps"}
"""Text keys of the ranking's verdicts (:func:`simcrm.analysis.ranking.assess`)."""


def _table(f: Facts, lang: str, world: str) -> str:
    head = ('<tr><th class="swatch"></th><th class="l">' + _e(outputs.label("option", lang))
            + "</th>" + "".join(f"<th>{_e(outputs.header(v, lang, deadline=f.deadline))}</th>"
                                for v, _ in TABLE_COLUMNS)
            + f"<th>{_e(outputs.label('investable', lang))}</th>"
            + f"<th>{_e(t('col_verdict', lang))}</th></tr>")
    why = ranking.assess(f.sm, world, f.baseline)
    rows = []
    for o in f.options:
        cells = []
        for var, kind in TABLE_COLUMNS:
            v = f.s(var, o, world)
            s = _fmt(v, kind, lang)
            if var == "p_npv_pos":
                s += f" ± {points(f.s('p_npv_pos_se', o, world), lang)}"
            cells.append(f"<td>{_e(s)}</td>")
        inv = t("yes" if f.s("investable", o, world) > 0 else "no", lang)
        cls = ' class="best"' if o == f.best and world == f.world else ""
        verdict = t(VERDICTS.get(why.get(o, ""), "verdict_helps"), lang) if o != f.baseline \
            else ""
        rows.append(f'<tr{cls}><td class="swatch"><span style="background:{f.colours[o]}">'
                    f'</span></td><td class="l">{_e(f.label(o, lang))}</td>{"".join(cells)}'
                    f'<td>{_e(inv)}</td><td class="l">{_e(verdict)}</td></tr>')
    return f"<table>\n{head}\n" + "\n".join(rows) + "\n</table>"


def _state_aid_notes(f: Facts, lang: str, world: str) -> str:
    """The options that fail the EU state-aid check, each with its reason in the
    report's language (``state_aid_reason_nl`` in Dutch)."""
    if "state_aid_reason" not in f.sm:
        return ""
    var = "state_aid_reason_nl" if lang == "nl" and "state_aid_reason_nl" in f.sm \
        else "state_aid_reason"
    items = []
    for o in f.options:
        why = str(f.sm[var].sel(option=o, world=world).values)
        if why:
            items.append(f"<li><b>{_e(f.label(o, lang))}</b>: {_e(why)}</li>")
    if not items:
        return ""
    return (f'<p class="note">{_e(t("state_aid_fails", lang))}</p>\n<ul class="note">'
            + "".join(items) + "</ul>\n")


_URL = re.compile(r"https?://[^\s)]+")


def _source_html(src: str) -> str:
    """A source with its web addresses as links."""
    out, pos = [], 0
    for m in _URL.finditer(src):
        out.append(_e(src[pos:m.start()]))
        out.append(f'<a href="{_e(m.group(0))}">{_e(m.group(0))}</a>')
        pos = m.end()
    out.append(_e(src[pos:]))
    return "".join(out)


TOPICS = {"plant": ("Plant", "Fabriek"), "operations": ("Operations", "Bedrijfsvoering"),
          "markets": ("Markets", "Markten"), "permitting": ("Permits", "Vergunningen"),
          "finance": ("Finance", "Financiering"), "options": ("Policy options", "Beleidsopties"),
          "worlds": ("Scenarios", "Scenario's"), "scenario": ("Scenario", "Scenario")}
"""Headings of the assumption groups (the first part of a key)."""

_INTERNAL = re.compile(r"\b(TODO|FIXME|XXX|NB:|note to self|internal)\b", re.I)


def _assumptions(ds: xr.Dataset, lang: str) -> str:
    """The scenario's inputs as a readable table grouped by topic, sources as links;
    comments that are internal notes are left out."""
    items = parse_assumptions(ds.attrs.get("scenario_toml", ""))
    if not items:
        return ""
    groups: dict[str, list[Assumption]] = {}
    for a in items:
        if a.key.startswith(("simulation.", "report.", "decision.")):
            continue
        groups.setdefault(a.key.split(".")[0], []).append(a)
    head = (f"<thead><tr><th class=\"l\">{_e(t('a_key', lang))}</th><th class=\"l\">"
            f"{_e(t('a_value', lang))}</th><th class=\"l\">{_e(t('a_source', lang))}</th>"
            "</tr></thead>")
    parts = [f"<p class=\"note\">{_e(t('assumptions_intro', lang))}</p>"]
    for topic, rows in groups.items():
        body = []
        for a in rows:
            src = "" if _INTERNAL.search(a.source) else a.source
            name = i18n.input_label(a.key, lang, a.key.split(".", 1)[-1].replace("_", " "))
            body.append(f'<tr><td class="k">{_e(name)}</td><td class="v">{_e(a.value)}</td>'
                        f"<td>{_source_html(src) or _e(t('a_nosource', lang))}</td></tr>")
        name = TOPICS.get(topic, (topic.replace("_", " ").capitalize(),) * 2)
        parts.append(f"<h4>{_e(name[1] if lang == 'nl' else name[0])}</h4>\n"
                     "<table class=\"assume\"><colgroup><col class=\"k\"><col class=\"v\">"
                     f"<col></colgroup>{head}<tbody>\n" + "\n".join(body)
                     + "\n</tbody></table>")
    return "\n".join(parts)


def render_html(f: Facts, charts: list[Chart], lang: str, other: str | None = None,
                sections: list[tuple[str, list]] | None = None) -> str:
    """The report as one HTML text (charts embedded as base64 PNG).

    ``sections`` are extra ``(title, items)`` sections placed after the charts; an item
    is PNG bytes (a chart) or an HTML string.
    """
    a = f.ds.attrs
    dec = f.decision
    title = t("report_title", lang, scenario=f.plant(lang))
    sub = t("report_sub", lang, version=a.get("simcrm_version", "?"),
            draws=num(f.ds.sizes["draw"], lang),
            date=i18n.date_long(str(a.get("created", "")), lang))
    parts = [f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
             f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
             f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"]
    if other:
        parts.append(f'<p class="lang"><a href="{_e(other)}">'
                     f'{_e(t("other_lang", lang))}</a></p>\n')
    parts.append(f"<h1>{_e(title)}</h1>\n<p class=\"sub\">{_e(sub)}</p>\n")
    km = f.key(lang)
    parts.append(f'<div class="key" id="key-message"><h2>{_e(t("key_heading", lang))}</h2>'
                 f'<p class="verdict">{_e(km.verdict)}</p>'
                 f'<p class="rec">{_e(km.recommendation)}</p></div>\n')
    guide = t("read_text", lang, draws=num(f.ds.sizes["draw"], lang),
              world=f.wlabel(f.world, lang))
    parts.append(f'<div class="read"><h3>{_e(t("read_heading", lang))}</h3><p>'
                 f"{_e(guide)}</p></div>\n")

    def fig_html(c: Chart) -> str:
        b64 = base64.b64encode(c.png.read_bytes()).decode("ascii")
        return (f'<figure id="chart-{_e(c.name)}"><img src="data:image/png;base64,{b64}" '
                f'alt="{_e(c.alt or c.title)}"></figure>\n')

    if charts:
        parts.append(fig_html(charts[0]))
    rule = rule_text(dec, lang)
    parts.append(f"<h2>{_e(t('table', lang))}: {_e(f.wlabel(f.world, lang))}</h2>\n"
                 f"{_table(f, lang, f.world)}\n"
                 f'<p class="note">{_e(t("table_note", lang, rule=rule))}</p>\n'
                 f'<p class="note">{_e(t("public_money_note", lang))}</p>\n'
                 f"{_state_aid_notes(f, lang, f.world)}")
    parts.append(f"<h2>{_e(t('more_charts', lang))}</h2>\n")
    for c in charts[1:]:
        parts.append(fig_html(c))
    parts.append(f'<h2 class="annex">{_e(t("annex", lang))}</h2>\n')
    for title_, items in sections or []:
        parts.append(f"<h3>{_e(title_)}</h3>\n")
        for item in items:
            if isinstance(item, bytes):
                b64 = base64.b64encode(item).decode("ascii")
                parts.append(f'<figure class="analysis"><img src="data:image/png;base64,{b64}" '
                             f'alt="{_e(title_)}"></figure>\n')
            else:
                parts.append(f"{item}\n")
    for w in f.worlds:
        if w == f.world:
            continue
        parts.append(f"<h3>{_e(t('table', lang))}: {_e(f.wlabel(w, lang))}</h3>\n"
                     f"{_table(f, lang, w)}\n")
    parts.append(f"<h3>{_e(t('method', lang))}</h3>\n")
    se = float(f.sm["p_npv_pos_se"].max())
    timing = t("timing_" + f.ds.attrs.get("cash_flow_timing", "start-of-year"), lang)
    for p in i18n.paragraphs("method_text", lang, draws=num(f.ds.sizes["draw"], lang),
                             se=points(se, lang), timing=timing):
        parts.append(f"<p>{_e(p)}</p>\n")
    assume = _assumptions(f.ds, lang)
    if assume:
        parts.append(f"<h3>{_e(t('assumptions', lang))}</h3>\n{assume}\n")
    parts.append(f"<footer>{_e(f.footnote(lang, world=False))}</footer>\n</body>\n</html>\n")
    return "".join(parts)


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def write_report(folder: str | Path, results: xr.Dataset | None = None,
                 lang: str | None = None, scenario=None) -> Path:
    """Draw the charts into ``folder/charts`` and write ``folder/report.html``.

    Charts are drawn in both languages (``charts/en/`` and ``charts/nl/``, each chart as
    PNG and SVG); ``report.html`` is in the chosen language and ``report.<other>.html``
    in the other one.  The cash-flow fan chart needs ``folder/cashflows.nc``.

    Parameters
    ----------
    folder : path
        A results folder (or the temporary folder a run is writing).
    results : xarray.Dataset, optional
        The per-draw results; read from ``folder/results.nc`` when omitted.
    lang : {"nl", "en"}, optional
        Language; default: the scenario's ``[report] lang``.
    scenario : Scenario, optional
        The scenario, for the Sobol' section (it evaluates the model again); read from
        the copy in ``folder/scenario/`` when omitted, left out if that fails.  The
        Sobol' design runs at most once per report, for both languages, and not at all
        if the folder holds its result already (:data:`SOBOL_FILES`, e.g. from an
        earlier drawing of this report).

    Returns
    -------
    Path
        The report file.
    """
    t0 = time.perf_counter()
    folder = Path(folder)
    if results is None:
        with open_uncached(folder / "results.nc") as ds:
            results = _for_charts(ds)
    else:
        results = _for_charts(results)
    lang = i18n.check_lang(lang or results.attrs.get("report_lang") or "en")
    other = next(x for x in i18n.LANGS if x != lang)
    cf_path = folder / "cashflows.nc"
    cf = xr.open_dataset(cf_path) if cf_path.is_file() else None
    try:
        facts = Facts(results, summarise(results), cashflows=cf)
        chart_dir = folder / "charts"
        for lg in i18n.LANGS:  # stale charts of an earlier drawing would mislead
            for old in (chart_dir / lg).glob("*.png"):
                old.unlink()
            for old in (chart_dir / lg).glob("*.svg"):
                old.unlink()
        charts = draw_all(results, chart_dir, i18n.LANGS, cashflows=cf, facts=facts)
    finally:
        if cf is not None:
            cf.close()
    computed = _analyses(folder, facts, scenario)
    sections = {lg: _analysis_sections(results, lg, facts, chart_dir / lg, computed)
                + gap_section(folder, results, lg) for lg in i18n.LANGS}
    main = folder / "report.html"
    second = folder / f"report.{other}.html"
    _write_text(main, render_html(facts, charts[lang], lang, second.name, sections[lang]))
    _write_text(second, render_html(facts, charts[other], other, main.name, sections[other]))
    _write_file(folder / "report.pdf", lambda p: briefing.write_pdf(p, facts, charts[lang], lang))
    _write_file(folder / "briefing.docx",
                lambda p: briefing.write_docx(p, facts, charts[lang][0], lang))
    log.info("charts and report written in %.1f s", time.perf_counter() - t0)
    return main


CHART_DRAWS = 200_000
"""Charts and report of bigger runs use the first this many draws (their footnotes say
so); summary.csv always holds the statistics of all draws."""


def _for_charts(ds: xr.Dataset) -> xr.Dataset:
    """The draws the charts are drawn from, in memory."""
    n = ds.sizes["draw"]
    if n <= CHART_DRAWS:
        return ds.load()
    sub = ds.isel(draw=slice(0, CHART_DRAWS)).load()
    sub = sub.drop_vars([k for k in sub.data_vars if k.startswith("summary_")])
    sub.attrs["draws"] = CHART_DRAWS
    log.info("charts drawn from the first %d of %d draws", CHART_DRAWS, n)
    return sub


SOBOL_FILES = ("sobol.nc", "charts/sobol.nc")
"""Where a results folder may hold the Sobol' result of its report, relative to the
folder, in the order they are looked for; the report stores the one it computes in the
last."""


def _stored_sobol(folder: Path, ds: xr.Dataset, option: str, world: str
                  ) -> xr.Dataset | None:
    """A Sobol' result stored in the folder for this run, option and world, or None."""
    for rel in SOBOL_FILES:
        path = folder / rel
        if not path.is_file():
            continue
        try:
            with xr.open_dataset(path) as f:
                sob = f.load()
        except (OSError, ValueError) as e:
            log.warning("stored Sobol' result %s not read: %s", path, e)
            continue
        if (sob.attrs.get("scenario") == ds.attrs.get("scenario")
                and sob.attrs.get("world") == world and option in sob["option"].values):
            return sob.sel(option=[option])
    return None


def _analyses(folder: Path, facts: Facts, scenario=None) -> Analyses | None:
    """The report's analyses, computed once for both languages (Sobol' indices reused
    from the folder when stored there, else computed and stored)."""
    try:
        sob = _stored_sobol(folder, facts.ds, facts.best, facts.world)
        if sob is None and scenario is None:
            scenario = _saved_scenario(folder, facts.ds)
        computed = analyses(facts, scenario, sobol=sob)
    except Exception as e:  # an optional analysis must not cost the briefing its report
        log.warning("analysis sections left out of the report: %s", e)
        return None
    if sob is None and computed.sobol is not None:
        target = folder / SOBOL_FILES[-1]
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        computed.sobol.to_netcdf(tmp)
        tmp.replace(target)
    return computed


def _saved_scenario(folder: Path, ds: xr.Dataset):
    """The scenario as copied into the results folder, or None."""
    name = Path(str(ds.attrs.get("scenario_file", ""))).name
    path = folder / "scenario" / name
    if not name or not path.is_file():
        return None
    try:
        return load_scenario(path)
    except ScenarioError as e:
        log.warning("Sobol' section left out: the saved scenario does not load: %s", e)
        return None


def _analysis_sections(ds: xr.Dataset, lang: str, facts: Facts, chart_dir: Path,
                       computed: Analyses | None) -> list[tuple[str, list]]:
    """The sections of :func:`simcrm.present.analysis_charts.report_sections` (Sobol' indices when
    known, scenario discovery, robustness, convergence) drawn from ``computed``, with each
    figure drawn to ``chart_dir/analysis-K.png`` and embedded as PNG bytes."""
    if computed is None:
        return []
    try:
        secs = report_sections(ds, lang, facts=facts, computed=computed)
    except Exception as e:  # an optional analysis must not cost the briefing its report
        log.warning("analysis sections left out of the report: %s", e)
        return []
    out = []
    k = 0
    for title, items in secs:
        done = []
        for item in items:
            if isinstance(item, Figure):
                k += 1
                png = chart_dir / f"analysis-{k}.png"
                with mpl.rc_context({"savefig.dpi": DPI}):
                    item.savefig(png, dpi=DPI, metadata={"Software": None})
                item.clear()
                done.append(png.read_bytes())
            else:
                done.append(str(item))
        out.append((str(title), done))
    return out


def key_message_of(ds: xr.Dataset, summary: xr.Dataset | None = None,
                   lang: str | None = None) -> str:
    """The key message (verdict and recommendation) of a run, in the report language: the
    same sentences as the report, the PDF and the Word note."""
    lang = i18n.check_lang(lang or ds.attrs.get("report_lang") or "en")
    return Facts(ds, summary).key(lang).text


def _write_file(path: Path, write) -> None:
    """Write a file through a temporary name (``write(tmp_path)``), then rename."""
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    write(tmp)
    tmp.replace(path)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
