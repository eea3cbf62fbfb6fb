"""The self-contained report: contents, both languages, CLI, and a real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from simcrm.cli import main
from simcrm.present import text as i18n
from simcrm.present.report import parse_assumptions

from .conftest import SMALL

REPORT_OPTIONS = """
[report]
lang = "nl"                  # the briefing goes to a Dutch minister
[options.grant.capex_grant]
share = [0.1, 0.3]           # sources §5.2: grant shares 4-50 %
[options.fast.permit_fast_track]
cap_months = 15              # EU CRMA: 15 months for processing projects
[options.loan.public_loan]
share = 0.3
[worlds.dump]
markets.product.start = { times = 0.6 }
"""

CHART_NAMES = {"npv-distribution", "cost-vs-probability", "first-production", "tornado",
               "heatmap-worlds", "response-grant", "cashflow-fan"}


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("report")
    p = d / "rep.toml"
    p.write_text(SMALL + REPORT_OPTIONS, encoding="utf-8")
    out = d / "results"
    r = CliRunner().invoke(main, ["run", str(p), "--out", str(out), "--draws", "2000",
                                  "--keep-cashflows", "300", "--quiet"])
    assert r.exit_code == 0, r.output
    return out


def test_run_draws_every_chart_in_both_languages_and_formats(results_dir):
    for lang in ("en", "nl"):
        d = results_dir / "charts" / lang
        for name in CHART_NAMES:
            assert (d / f"{name}.png").stat().st_size > 10_000, (lang, name)
            assert (d / f"{name}.svg").stat().st_size > 5_000, (lang, name)
    # the scenario asks for Dutch: report.html is Dutch, the English one beside it
    nl = (results_dir / "report.html").read_text(encoding="utf-8")
    en = (results_dir / "report.en.html").read_text(encoding="utf-8")
    assert '<html lang="nl">' in nl
    assert '<html lang="en">' in en
    assert i18n.t("key_heading", "nl") in nl
    assert i18n.t("key_heading", "en") in en


def test_report_is_self_contained(results_dir):
    text = (results_dir / "report.html").read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text)
    assert "@import" not in text
    assert "url(" not in text
    assert "@font-face" not in text
    imgs = re.findall(r'<img src="([^"]+)"', text)
    assert text.count('<figure id="chart-') == len(CHART_NAMES)
    assert len(imgs) >= len(CHART_NAMES)
    assert all(s.startswith("data:image/png;base64,") for s in imgs)
    assert "@page { size: A4" in text
    assert "@media print" in text
    assert "page-break-inside: avoid" in text


def test_report_contents(results_dir):
    text = (results_dir / "report.html").read_text(encoding="utf-8")
    for key in ("key_heading", "read_heading", "table", "more_charts", "annex", "method",
                "assumptions"):
        assert i18n.t(key, "nl") in text
    # key message first, then the main chart, then the table, then the annex
    order = [text.index('id="key-message"'), text.index('id="chart-cost-vs-probability"'),
             text.index('<td class="swatch">'), text.index('class="annex"')]
    assert order == sorted(order)
    assert (results_dir / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert (results_dir / "briefing.docx").stat().st_size > 10_000
    # the comparison table: one row per option per world
    assert text.count('<td class="swatch">') == 5 * 3
    # assumptions come with the source written beside them in the scenario file
    assert "EU CRMA: 15 months for processing projects" in text
    assert "cap months" in text  # a name, grouped under its topic
    assert "<h4>Beleidsopties</h4>" in text
    # headline numbers are in Dutch number style
    assert re.search(r"\d+\u00a0%", text)


def test_report_command_redraws_in_the_chosen_language(results_dir, tmp_path):
    d = tmp_path / "copy"
    shutil.copytree(results_dir, d)
    shutil.rmtree(d / "charts")
    (d / "report.html").unlink()
    r = CliRunner().invoke(main, ["report", str(d), "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert '<html lang="en">' in (d / "report.html").read_text(encoding="utf-8")
    assert '<html lang="nl">' in (d / "report.nl.html").read_text(encoding="utf-8")
    for lang in ("en", "nl"):
        assert {p.stem for p in (d / "charts" / lang).glob("*.png")
                if not p.stem.startswith("analysis-")} == CHART_NAMES
        assert {p.stem for p in (d / "charts" / lang).glob("*.svg")} == CHART_NAMES


def test_report_without_cashflows_leaves_out_the_fan(results_dir, tmp_path):
    d = tmp_path / "nocf"
    d.mkdir()
    shutil.copy(results_dir / "results.nc", d)
    r = CliRunner().invoke(main, ["report", str(d)])
    assert r.exit_code == 0, r.output
    assert {p.stem for p in (d / "charts" / "nl").glob("*.png")
            if not p.stem.startswith("analysis-")} == CHART_NAMES - {"cashflow-fan"}


def test_report_command_needs_results(tmp_path):
    r = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert r.exit_code == 2
    assert "results.nc" in r.output


def test_parse_assumptions():
    text = """# ===== /x/main.toml =====
# header comment that is not a source
[plant]
# Rock Tech Guben (2022)
capex_meur = 700.0
life_years = 25   # assumption: typical life
name_with_hash = "a # b"   # a string may hold a hash
rank = [
  ["a", "b", 0.5],   # overrun and delay go together
]

[options.x]
label_en = "X"
[options.x.capex_grant]
share = [0.1, 0.2]
# ===== /x/base.toml =====
[markets.gas]
start = 40  # TTF 2025
"""
    a = {x.key: x for x in parse_assumptions(text)}
    assert a["plant.capex_meur"].value == "700.0"
    assert a["plant.capex_meur"].source == "Rock Tech Guben (2022)"
    assert a["plant.life_years"].source == "assumption: typical life"
    assert a["plant.name_with_hash"].value == '"a # b"'
    assert a["plant.rank"].source == "overrun and delay go together"
    assert "0.5" in a["plant.rank"].value
    assert a["options.x.capex_grant.share"].source == ""
    assert "options.x.label_en" not in a
    assert a["markets.gas.start"].file == "base.toml"
    assert a["markets.gas.start"].source == "TTF 2025"


# --------------------------------------------------------------------------------------
# A real browser
# --------------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        if os.environ.get("CI"):
            pytest.fail("CI is set but Chromium/chromedriver are missing: the report must be "
                        "checked in a real browser in CI")
        pytest.skip("headless Chromium not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="simcrm-chromium-")
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--no-first-run", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", f"--user-data-dir={profile}", "--window-size=1200,900"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    return driver, profile


@pytest.mark.browser
def test_report_in_headless_chromium(results_dir):
    driver, profile = _browser()
    try:
        for name in ("report.html", "report.en.html"):
            driver.get((results_dir / name).resolve().as_uri())
            severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
            assert severe == [], severe
            widths = driver.execute_script(
                "return Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)")
            assert len(widths) >= len(CHART_NAMES)
            assert all(w > 0 for w in widths), widths
            assert driver.execute_script("return document.querySelectorAll('table').length") >= 3
            lang = driver.execute_script("return document.documentElement.lang")
            assert lang == ("nl" if name == "report.html" else "en")
        # it prints: Chromium lays the report out as PDF pages
        pdf = driver.print_page()
        assert len(pdf) > 10_000
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_report_runs_the_sobol_design_once_and_reuses_it(tmp_path, monkeypatch):
    import simcrm
    from simcrm.analysis import sensitivity
    from simcrm.present.report import SOBOL_FILES, write_report

    p = tmp_path / "s.toml"
    p.write_text(SMALL + REPORT_OPTIONS, encoding="utf-8")
    sc = simcrm.load_scenario(p)
    res = simcrm.simulate(sc, draws=400, keep_cashflows=20)
    folder = simcrm.write_results(res, tmp_path / "out")
    calls = []
    real = sensitivity.sobol

    def counted(*args, **kwargs):
        calls.append(args)
        kwargs["n"] = 64  # a small design: this test counts runs, not indices
        return real(*args, **kwargs)

    monkeypatch.setattr(sensitivity, "sobol", counted)
    write_report(folder, res.results, scenario=sc)
    assert len(calls) == 1  # one design for both languages
    assert (folder / SOBOL_FILES[-1]).is_file()
    for name in ("report.html", "report.en.html"):
        text = (folder / name).read_text(encoding="utf-8")
        assert "Sobol" in text
    write_report(folder, None)  # `simcrm report`: the stored result is reused
    assert len(calls) == 1
    assert "Sobol" in (folder / "report.html").read_text(encoding="utf-8")
