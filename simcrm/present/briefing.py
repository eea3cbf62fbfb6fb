"""Print and Word outputs of a run: ``report.pdf`` (A4) and ``briefing.docx``.

Both open with the key message (:meth:`simcrm.present.charts.Facts.key`), then the
main chart and the comparison table, in the report language.

The PDF is built with matplotlib's PDF backend (no system libraries, installs from
PyPI everywhere): every page is an A4 figure; page 1 holds the key message, the main
chart and the table; every further page holds whole charts (a chart's title is part of
its image, so a chart never splits from its heading) and a table continued on a next
page repeats its header row. The Word note is built with python-docx.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib as mpl
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from simcrm.analysis import ranking
from simcrm.present import text as i18n
from simcrm.present.charts import Chart, Facts
from simcrm.present.text import pct, points, t

A4 = (8.27, 11.69)
"""A4 portrait [in]."""
MARGIN = 0.75
"""Page margin [in]."""
ROWS_PAGE1 = 14
"""Table rows on page 1; the rest continue on the next page under a repeated header."""
ACCENT = "#0b5394"


def table_rows(f: Facts, lang: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the short comparison table (world shown, every option)."""
    eff = ranking.effect_of(f.sm)
    head = [t("col_option", lang), t("col_p" if eff == "p_npv_pos" else "col_built", lang),
            t("col_gain", lang), t("col_cost", lang), t("col_per100", lang),
            t("col_aid", lang), t("col_investable", lang)]
    rows = []
    for o in f.options:
        d = f.s(f"d_{eff}", o)
        gain = "–" if o == f.baseline else (("+" if d > 0 else "") + points(d, lang)
                                           + ("" if f.distinct(o) else " *"))
        per = f.s("gain_per_100meur", o)
        ok = f.s("state_aid_ok", o)
        rows.append([f.label(o, lang),
                     f"{pct(f.s(eff, o), lang)} ± {points(f.s(f'{eff}_se', o), lang)}",
                     gain, i18n.num(f.s("budget_cash_pv_mean", o), lang, 0),
                     "–" if o == f.baseline or per != per else points(per, lang),
                     "–" if ok != ok else t("yes" if ok > 0 else "no", lang),
                     t("yes" if f.s("investable", o) > 0 else "no", lang)])
    return head, rows


def _title(f: Facts, lang: str) -> str:
    return t("report_title", lang, scenario=f.plant(lang))


def _key_box(fig: Figure, f: Facts, lang: str, top: float) -> float:
    """Draw the key-message box from ``top`` (figure fraction) down; return its bottom."""
    km = f.key(lang)
    body = "\n".join(textwrap.wrap(km.verdict, 92)) + "\n\n" + \
        "\n".join(textwrap.wrap(km.recommendation, 92))
    n = body.count("\n") + 2
    h = (n * 10 * 1.3 + 18) / 72 / A4[1]
    fig.add_artist(mpl.patches.Rectangle((MARGIN / A4[0], top - h), 1 - 2 * MARGIN / A4[0], h,
                                         transform=fig.transFigure, fc="#eef3fa", ec=ACCENT,
                                         lw=1.2))
    fig.text(MARGIN / A4[0] + 0.015, top - 0.008, t("key_heading", lang), fontsize=10,
             fontweight="bold", color=ACCENT, va="top")
    fig.text(MARGIN / A4[0] + 0.015, top - 0.008 - 16 / 72 / A4[1], body, fontsize=10,
             va="top", linespacing=1.3)
    return top - h


def _image(fig: Figure, png: Path, top: float, max_h: float) -> float:
    """Place a chart image (full text width) from ``top`` down; return its bottom."""
    img = mpl.image.imread(str(png))
    w_in = A4[0] - 2 * MARGIN
    h_in = w_in * img.shape[0] / img.shape[1]
    if h_in > max_h:
        w_in, h_in = w_in * max_h / h_in, max_h
    ax = fig.add_axes((MARGIN / A4[0], top - h_in / A4[1], w_in / A4[0], h_in / A4[1]))
    ax.imshow(img, interpolation="lanczos")
    ax.set_axis_off()
    return top - h_in / A4[1]


def _table(fig: Figure, head: list[str], rows: list[list[str]], top: float) -> float:
    """Draw a table from ``top`` down; return its bottom."""
    if not rows:
        return top
    wrapped = [[textwrap.fill(c, 32 if j == 0 else 13) for j, c in enumerate(r)] for r in rows]
    hw = [textwrap.fill(c, 32 if j == 0 else 10) for j, c in enumerate(head)]
    lines = [max(c.count("\n") + 1 for c in r) for r in [hw, *wrapped]]
    h = sum(lines) * 9 * 1.45 / 72 / A4[1] + 0.004 * len(lines)
    ax = fig.add_axes((MARGIN / A4[0], top - h, 1 - 2 * MARGIN / A4[0], h))
    ax.set_axis_off()
    tab = ax.table(cellText=wrapped, colLabels=hw, loc="upper left", cellLoc="right",
                   colWidths=[0.31, 0.13, 0.1, 0.12, 0.12, 0.11, 0.11], bbox=(0, 0, 1, 1))
    tab.auto_set_font_size(False)
    tab.set_fontsize(8.5)
    for (r, c), cell in tab.get_celld().items():
        cell.set_edgecolor("#d0d0d0")
        cell.set_linewidth(0.5)
        cell.set_height(lines[r] / sum(lines))
        if c == 0:
            cell.set_text_props(ha="left")
            cell.PAD = 0.02
        if r == 0:
            cell.set_facecolor("#f3f6fa")
            cell.set_text_props(fontweight="bold")
    return top - h


def _page(lang: str, n: int) -> Figure:
    fig = Figure(figsize=A4)
    fig.text(1 - MARGIN / A4[0], 0.4 / A4[1], t("page", lang, n=n), ha="right", fontsize=8,
             color="#5f5f5f")
    return fig


def write_pdf(path: str | Path, f: Facts, charts: list[Chart], lang: str) -> Path:
    """Write ``report.pdf``: A4, page 1 = key message, main chart, table.

    Parameters
    ----------
    path : path
    f : Facts
    charts : list of Chart
        In report order; the first is the main chart.
    lang : {"en", "nl"}
    """
    path = Path(path)
    head, rows = table_rows(f, lang)
    km = f.key(lang)
    meta = {"Title": _title(f, lang), "Subject": km.text, "Creator": "simcrm",
            "CreationDate": None, "ModDate": None}
    with PdfPages(path, metadata=meta) as pdf:
        fig = _page(lang, 1)
        top = 1 - MARGIN / A4[1]
        fig.text(MARGIN / A4[0], top, "\n".join(textwrap.wrap(_title(f, lang), 58)),
                 fontsize=15, fontweight="bold", va="top")
        top -= 0.022 * (len(textwrap.wrap(_title(f, lang), 58)) - 1)
        sub = t("report_sub", lang, version=f.ds.attrs.get("simcrm_version", "?"),
                draws=i18n.num(f.ds.sizes["draw"], lang),
                date=i18n.date_long(str(f.ds.attrs.get("created", "")), lang))
        fig.text(MARGIN / A4[0], top - 0.03, sub, fontsize=9, color="#5f5f5f", va="top")
        y = _key_box(fig, f, lang, top - 0.05) - 0.012
        first, rest = rows[:ROWS_PAGE1], rows[ROWS_PAGE1:]
        tab_h = (len(first) + 4) * 1.3 * 9 * 1.45 / 72
        y = _image(fig, charts[0].png, y, max(3.0, y * A4[1] - MARGIN - tab_h - 0.5)) - 0.01
        fig.text(MARGIN / A4[0], y, t("table", lang) + ": " + f.wlabel(f.world, lang),
                 fontsize=10, fontweight="bold", va="top")
        y = _table(fig, head, first, y - 0.02)
        note = t("table_short_note", lang)
        fig.text(MARGIN / A4[0], y - 0.008, "\n".join(textwrap.wrap(note, 110)), fontsize=8,
                 va="top", color="#333333")
        pdf.savefig(fig)
        n = 2
        if rest:
            fig = _page(lang, n)
            top = 1 - MARGIN / A4[1]
            fig.text(MARGIN / A4[0], top, t("table", lang) + " " + t("contd", lang),
                     fontsize=10, fontweight="bold", va="top")
            _table(fig, head, rest, top - 0.02)
            pdf.savefig(fig)
            n += 1
        todo = list(charts[1:])
        while todo:
            fig = _page(lang, n)
            y = 1 - MARGIN / A4[1]
            avail = A4[1] - 2 * MARGIN
            while todo:
                img = mpl.image.imread(str(todo[0].png))
                h = (A4[0] - 2 * MARGIN) * img.shape[0] / img.shape[1]
                room = y * A4[1] - MARGIN
                if h > room and room < avail:
                    break
                y = _image(fig, todo.pop(0).png, y, min(room, avail)) - 0.02
            pdf.savefig(fig)
            n += 1
    return path


def write_docx(path: str | Path, f: Facts, main: Chart, lang: str) -> Path:
    """Write ``briefing.docx``: key message, main chart, comparison table, sources."""
    from docx import Document
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    sec = doc.sections[0]
    sec.page_height, sec.page_width = Cm(29.7), Cm(21.0)
    sec.left_margin = sec.right_margin = Cm(2.5)
    sec.top_margin = sec.bottom_margin = Cm(2.0)
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    doc.core_properties.title = _title(f, lang)
    doc.core_properties.language = lang
    doc.add_heading(_title(f, lang), level=1)
    km = f.key(lang)
    p = doc.add_paragraph()
    r = p.add_run(t("key_heading", lang) + ". ")
    r.bold = True
    r.font.color.rgb = RGBColor(0x0B, 0x53, 0x94)
    r = p.add_run(km.verdict)
    r.bold = True
    doc.add_paragraph(km.recommendation)
    doc.add_picture(str(main.png), width=Cm(16))
    doc.inline_shapes[0]._inline.docPr.set("descr", main.alt)  # alt text: the takeaway
    head, rows = table_rows(f, lang)
    doc.add_paragraph(t("table", lang) + ": " + f.wlabel(f.world, lang)).runs[0].bold = True
    tab = doc.add_table(rows=1, cols=len(head))
    tab.style = "Light Grid Accent 1"
    for c, h in zip(tab.rows[0].cells, head, strict=False):
        c.text = h
    for row in rows:
        cells = tab.add_row().cells
        for c, v in zip(cells, row, strict=False):
            c.text = v
    for row in tab.rows:
        for c in row.cells:
            for par in c.paragraphs:
                for run in par.runs:
                    run.font.size = Pt(8)
    doc.add_paragraph(t("table_short_note", lang)).runs[0].font.size = Pt(8)
    doc.add_paragraph(t("sources", lang)).runs[0].bold = True
    doc.add_paragraph(f.footnote(lang)).runs[0].font.size = Pt(8)
    path = Path(path)
    doc.save(str(path))
    return path
