"""The briefing outputs: one key message everywhere, A4 PDF, Word note, A4-fit charts."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import simcrm
from simcrm.cli import main
from simcrm.present import charts, layout

SCENARIOS = sorted(p for p in Path("scenarios").glob("*.toml")
                   if p.stem not in ("worlds", "tno-levers"))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("brief") / "results"
    r = CliRunner().invoke(main, ["run", "scenarios/lithium-hydroxide-refinery.toml", "--out",
                                  str(out), "--draws", "600", "--keep-cashflows", "100"])
    assert r.exit_code == 0, r.output
    return out, r.output


def test_key_message_is_the_same_everywhere(run_dir):
    out, terminal = run_dir
    pypdf = pytest.importorskip("pypdf")
    from docx import Document

    with simcrm.open_results(out) if hasattr(simcrm, "open_results") else \
            __import__("xarray").open_dataset(out / "results.nc") as ds:
        f = charts.Facts(ds.load())
    lang = f.ds.attrs.get("report_lang") or "en"
    km = f.key(lang)
    assert km.verdict in terminal
    html = (out / "report.html").read_text(encoding="utf-8")
    assert km.verdict in html
    page1 = " ".join(pypdf.PdfReader(out / "report.pdf").pages[0].extract_text().split())
    assert km.text[:40].split()[0] in page1
    assert pypdf.PdfReader(out / "report.pdf").metadata["/Subject"] == km.text
    doc = Document(out / "briefing.docx")
    body = "\n".join(p.text for p in doc.paragraphs)
    assert km.verdict in body
    assert len(doc.inline_shapes) == 1
    assert len(doc.tables) == 1
    # the first chart names the same option
    assert f.label(km.option, lang) in charts.title_of(charts.cost_vs_probability(f.ds, lang, f)) \
        or km.case in ("none", "already")


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_chart_fits_a4(path):
    sc = simcrm.load_scenario(path)
    r = simcrm.simulate(sc, draws=300, keep_cashflows=60)
    f = charts.Facts(r.results, cashflows=r.cashflows)
    bad = {}
    for lang in ("en", "nl"):
        for name, draw in charts.chart_set(f):
            problems = layout.check(draw(lang))
            if problems:
                bad[(lang, name)] = problems[:3]
    assert not bad, bad


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_analysis_chart_fits_a4(path):
    """The annex charts (Sobol', PRIM, robustness, convergence) pass the same layout
    check, in both languages (a small Sobol' design keeps it quick)."""
    from simcrm.analysis.findings import analyses
    from simcrm.present import analysis_charts

    sc = simcrm.load_scenario(path)
    r = simcrm.simulate(sc, draws=300)
    f = charts.Facts(r.results)
    an = analyses(f, sc, sobol_n=64)
    bad = {}
    for lang in ("en", "nl"):
        for title, items in analysis_charts.report_sections(f.ds, lang, facts=f, computed=an):
            for k, item in enumerate(i for i in items if not isinstance(i, str)):
                problems = layout.check(item)
                if problems:
                    bad[(lang, title, k)] = problems[:4]
    assert not bad, bad
