"""Site comparison: the same plant in the Netherlands, Germany, Belgium and France."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import simcrm
from simcrm.analysis import sites as S
from simcrm.cli import main
from simcrm.engine.evaluate import base_case
from simcrm.present import layout, sites_charts
from simcrm.spec import sites as spec_sites
from simcrm.spec.scenario import ScenarioError

LITHIUM = Path("scenarios/lithium-hydroxide-refinery.toml").resolve()
SITE_FILES = sorted(Path("scenarios/sites").glob("*.toml"))


@pytest.fixture(scope="module")
def plant():
    return simcrm.load_scenario(LITHIUM)


def test_the_shipped_sites_load_and_set_every_cause(plant):
    assert {p.stem for p in SITE_FILES} >= {"nl", "de", "be", "fr"}
    for p in SITE_FILES:
        site = spec_sites.load_site(p.stem)
        assert site.causes() == {"energy", "grid", "permits", "tax", "support", "labour"}
        sc = spec_sites.site_scenario(plant, site)
        assert list(sc.options) == [spec_sites.SITE_OPTION]
        assert sc.settings == plant.settings


def test_the_dutch_site_is_the_plant_scenario_as_written(plant):
    """nl.toml repeats the Dutch context of worlds.toml: the base case does not move."""
    sc = spec_sites.site_scenario(plant, spec_sites.load_site("nl"))
    for w in plant.worlds:
        assert base_case(sc, w, "site")[0]["npv"] == base_case(plant, w)[0]["npv"]


def test_worlds_apply_on_top_of_the_site(plant):
    """high-energy doubles the site's power price, not the Dutch one."""
    sc = spec_sites.site_scenario(plant, spec_sites.load_site("de"))
    base = sc.worlds["base"].inputs["markets.electricity.start"]
    assert base == 73.0
    assert sc.worlds["high-energy"].inputs["markets.electricity.start"] == 2.0 * base


def _profile(tmp: Path, name: str, power: float) -> Path:
    p = tmp / f"{name}.toml"
    p.write_text("partial = true\n[worlds.base]\n"
                 f"markets.electricity.start = {power}  # assumption: test\n"
                 f"markets.electricity.long_run = {power}  # assumption: test\n",
                 encoding="utf-8")
    return p


def test_power_price_difference_is_its_after_tax_present_value(tmp_path):
    """Deterministic case: a site that differs only in the power price by Δ EUR/MWh
    differs in NPV by Σ_t Δ × MWh_t × (1 − tax) / (1 + r)^t, computed here by hand from
    the plant's production, its mean electricity use and the tax rate. The plant is made
    profitable in every operating year (high LiOH price, no ramp-up, full loss offset),
    so every extra euro of power cost lowers tax in the same year."""
    plant_file = tmp_path / "plant.toml"
    plant_file.write_text(
        f'extends = ["{LITHIUM.as_posix()}"]\n'
        "[markets.product]\nstart = 60000.0\nlong_run = 60000.0\n"
        "[plant]\nrampup_years = { dist = \"uniform\", low = 0.0, high = 1e-6 }\n"
        "[finance]\nloss_offset_share_above = 1.0\n", encoding="utf-8")
    plant = simcrm.load_scenario(plant_file)
    a = spec_sites.site_scenario(plant, spec_sites.load_site(str(_profile(tmp_path, "a", 70.0))))
    b = spec_sites.site_scenario(plant, spec_sites.load_site(str(_profile(tmp_path, "b", 80.0))))
    ma, la = base_case(a, "base", "site")
    mb, _ = base_case(b, "base", "site")
    assert np.all(la["tax"][la["production"] > 0] < 0)  # tax paid in every operating year
    mwh_per_t = (2.0 + 4 * 3.0 + 4.5) / 6  # mean of PERT(2, 3, 4.5) MWh/t in the lithium file
    r, tax = 0.12, 0.258  # the lithium file's discount rate and the Dutch tax rate
    t = np.arange(la["production"].size)
    expected = -np.sum(10.0 * la["production"] * mwh_per_t * (1 - tax) / 1e6 / (1 + r) ** t)
    assert mb["npv"] - ma["npv"] == pytest.approx(expected, rel=1e-9)
    assert expected < -1  # a material amount (about 0.65 MEUR a year), not a vacuous test


@pytest.fixture(scope="module")
def twin(plant, tmp_path_factory):
    """nl against an identical copy of nl."""
    d = tmp_path_factory.mktemp("twin")
    shutil.copy("scenarios/sites/nl.toml", d / "nl2.toml")
    return S.compare(plant, ["nl", str(d / "nl2.toml")], draws=1024)


def test_identical_sites_give_identical_results(twin):
    """Common random numbers: the same draws at every site, so a copy of a site gives
    exactly the same numbers (not just the same within sampling error)."""
    t = twin.table
    pd.testing.assert_frame_equal(t.xs("nl", level="site"), t.xs("nl2", level="site"))
    assert (twin.waterfall["step"] == 0).all()


@pytest.fixture(scope="module")
def four(plant):
    return S.compare(plant, ["nl", "de", "be", "fr"], draws=1024)


@pytest.mark.parametrize("measure", ["npv_mean", "base_npv"])
def test_waterfall_parts_add_up_to_the_gap(plant, four, measure):
    c = four if measure == "npv_mean" else S.compare(plant, ["nl", "de", "be", "fr"],
                                                     draws=1024, measure=measure)
    for w in c.world_labels:
        best = c.best(w)
        gap = c.table.loc[(best, w), measure] - c.table.loc[("nl", w), measure]
        assert c.gap(w) == pytest.approx(gap, abs=1e-9)
        others = [s for s in ("de", "be", "fr")]
        assert c.table.loc[(best, w), measure] == max(c.table.loc[(s, w), measure]
                                                      for s in others)
        wf = c.waterfall.loc[w]
        assert list(wf.index) == list(spec_sites.CAUSES)
        assert wf["cumulative"].iloc[-1] == pytest.approx(gap, abs=1e-9)


def test_sites_differ_by_what_they_change(four):
    """Germany's cheaper all-in power and faster permits make its built plant worth more
    than the Dutch one in the base world (deterministic base case)."""
    t = four.table
    assert t.loc[("de", "base"), "base_npv"] > t.loc[("nl", "base"), "base_npv"]
    assert S.is_finite_table(four)
    assert S.closing_levers(four, None) is None  # the seam for the funding-gap solver


def test_site_charts_fit_a4_in_both_languages(four, tmp_path):
    for lang in ("en", "nl"):
        for name, draw in sites_charts.chart_set(four).items():
            fig = draw(lang)
            assert layout.check(fig) == [], (name, lang)
            assert layout.red_green(fig) == [], (name, lang)
    closing = pd.DataFrame({"budget_cash_meur": [50.0, 80.0]}, index=["capex_grant", "x"])
    assert layout.check(sites_charts.closing_chart(closing, "nl")) == []
    files = sites_charts.write_report(tmp_path / "out", four)
    assert (tmp_path / "out" / "sites.nl.html").is_file() and len(files) == 8
    assert "Waar zou de investeerder bouwen?" in (tmp_path / "out" / "sites.nl.html").read_text(
        encoding="utf-8")


_NUMBER = re.compile(r"^\s*[\w.]+\s*=\s*(?:\{[^}]*\d|[-\d.])")


@pytest.mark.parametrize("path", SITE_FILES, ids=lambda p: p.stem)
def test_every_number_in_a_site_file_has_a_source(path):
    """A line that sets a number carries, in its own comment or in the comment block
    above it (up to a blank line, a table header or a divider), a public address or an
    `assumption:` note."""
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = []
    for i, line in enumerate(lines):
        if not _NUMBER.match(line):
            continue
        block = [line]
        j = i - 1
        while j >= 0 and lines[j].strip() and not lines[j].lstrip().startswith(("[", "# ---",
                                                                                  "# ===")):
            block.append(lines[j])
            j -= 1
        text = " ".join(block)
        if "http" not in text and "assumption" not in text:
            bad.append(f"{path.name}:{i + 1}: {line.strip()}")
    assert not bad, "\n".join(bad)


def test_sites_command_prints_the_table_and_the_gap(tmp_path):
    r = CliRunner().invoke(main, ["sites", str(LITHIUM), "--sites", "nl,de", "--draws", "512",
                                  "--out", str(tmp_path / "s")])
    assert r.exit_code == 0, r.output
    assert "Netherlands → Germany" in r.output and "Total gap" in r.output
    assert (tmp_path / "s" / "sites_gap.en.png").is_file()


@pytest.mark.parametrize(("args", "words"), [
    (["--sites", "nl,xx"], "unknown site 'xx'"),
    (["--sites", "nl,missing.toml"], "site profile not found"),
    (["--sites", "de,fr"], "reference site 'nl'"),
    (["--world", "mars"], "unknown world 'mars'"),
])
def test_sites_command_bad_input_is_one_clear_message(args, words):
    r = CliRunner().invoke(main, ["sites", str(LITHIUM), "--draws", "256", *args])
    assert r.exit_code == 2, r.output
    assert words in r.output and "Traceback" not in r.output


def test_a_site_profile_with_a_base_level_input_is_refused(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("partial = true\n[finance]\ntax_rate = 0.2\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"\[worlds.base\]"):
        spec_sites.load_site(str(p))
    r = CliRunner().invoke(main, ["sites", str(LITHIUM), "--sites", f"nl,{p}"])
    assert r.exit_code == 2 and "worlds.base" in r.output
