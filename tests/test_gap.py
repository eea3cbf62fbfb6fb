"""The funding gap (simcrm.analysis.gap and `simcrm gap`).

The answer is checked by feeding it back: the grant share found on one seed, evaluated
on draws of another seed, gives an expected NPV at the hurdle within its standard
errors of zero; the other checks are the shape of the curve, the P(built) target, the
cases without an answer and the command line's error paths.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner

import simcrm
from simcrm import levers
from simcrm.analysis import gap
from simcrm.cli import main
from simcrm.engine.evaluate import evaluate, random_numbers, world_draws
from simcrm.levers.base import Lever, param
from simcrm.present.gap_section import gap_section

from .conftest import SMALL_NEW

GAP_OPTIONS = """
[options.grant]
label_en = "Grant"
label_nl = "Subsidie"
[options.grant.capex_grant]
share = [0.1, 0.3]
[options.floor.price_floor]
strike = 15000
[options.relief.energy_relief]
power_price_reduction = 10
first_year = 2028
last_year = 2030
[options.guarantee.loan_guarantee]
gearing = 0.6
"""
N = 2048


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    p = tmp_path_factory.mktemp("gap") / "gap.toml"
    p.write_text(SMALL_NEW + GAP_OPTIONS, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def sc(path):
    return simcrm.load_scenario(path)


@pytest.fixture(scope="module")
def tpl(sc):
    return {t.name: t for t in gap.templates(sc)}


@pytest.fixture(scope="module")
def base(sc):
    return gap.draws(sc, "base", N)


@pytest.fixture(scope="module")
def grant_gap(sc, tpl, base):
    return gap.solve(sc, tpl["grant"], "base", gap.Target("npv", 0.0), d=base)


def test_templates_join_the_options_of_a_list_and_skip_levers_without_intensity(tpl):
    assert set(tpl) == {"grant", "floor", "relief"}  # no intensity: the guarantee
    g = tpl["grant"]
    assert (g.lever, g.setting, g.unit, g.values) == ("capex_grant", "share", "1", (0.1, 0.3))
    assert g.options == ("grant-0.1", "grant-0.3")
    assert (g.label_en, g.label_nl) == ("Grant", "Subsidie")
    assert (g.lo, g.hi) == (0.0, 1.0)  # the registry range of the share
    # no upper bound in the registry: up to OPEN_RANGE_FACTOR x the scenario's value
    assert (tpl["floor"].lo, tpl["floor"].hi) == (0.0, gap.OPEN_RANGE_FACTOR * 15000)
    assert tpl["relief"].hi == levers.LEVERS["energy_relief"].intensity_range[1]
    lv = g.levers_at(0.25)
    assert lv["capex_grant"]["share"] == 0.25 and g.levers["capex_grant"]["share"] == 0.1


def test_the_gap_of_a_grant_fed_back_gives_npv_zero_on_other_draws(sc, tpl, grant_gap):
    g = grant_gap
    assert g.status == "solved" and 0.0 < g.intensity < 1.0
    assert abs(g.stats["npv_mean"]) < 0.05 * g.stats["npv_mean_se"]  # root to XTOL
    # fed back as the grant share and evaluated on draws of another seed
    other = sc.with_settings(seed=20250101)
    lv = tpl["grant"].levers_at(g.intensity)
    n = 4096
    (met, _), = evaluate(other, world_draws(other, "base", random_numbers(other, 0, n)),
                         [lv], breakeven=False)
    npv = met["npv"]
    se_new = npv.std(ddof=1) / np.sqrt(n)
    se = np.hypot(se_new, g.stats["npv_mean_se"])  # this sample's and the solve's
    assert abs(npv.mean()) < 2 * se, (npv.mean(), se)
    # the intensity's standard error is the NPV's over the slope of the curve
    assert 0 < g.intensity_se < 0.05


def test_the_grant_curve_rises_and_the_answer_moves_with_the_target(sc, tpl, base, grant_gap):
    s = [v for _, v in grant_gap.curve]
    assert np.all(np.diff(s) > 0)  # more grant, more NPV: common random numbers, no noise
    lo = gap.solve(sc, tpl["grant"], "base", gap.Target("npv", -30.0), d=base)
    hi = gap.solve(sc, tpl["grant"], "base", gap.Target("npv", 30.0), d=base)
    assert lo.intensity < grant_gap.intensity < hi.intensity
    again = gap.solve(sc, tpl["grant"], "base", gap.Target("npv", 0.0), d=base)
    assert again.intensity == grant_gap.intensity  # reproducible bit for bit
    # at the answer: the grant's budget cash and grant equivalent are positive, the
    # aid intensity is the grant equivalent over the eligible capex of the built draws
    st = grant_gap.stats
    assert st["budget_cash_pv_mean"] > 0 and st["gross_grant_equivalent_mean"] > 0
    # a grant alone: its grant equivalent over the eligible capex, both discounted alike
    # at the EU rate and paid with the construction spending, is the grant share itself
    assert st["aid_intensity"] == pytest.approx(grant_gap.intensity, rel=1e-9)


def test_the_p_built_target_is_reached_and_missed_just_below(sc, tpl, base):
    target = gap.Target("p_built", 0.4)
    g = gap.solve(sc, tpl["grant"], "base", target, d=base)
    assert g.status == "solved"
    assert g.stats["p_built"] >= 0.4
    tol = gap.XTOL * (tpl["grant"].hi - tpl["grant"].lo)
    below, = gap.cases(sc, base, tpl["grant"], [g.intensity - tol], "p_built")
    assert below["built"].mean() < 0.4
    # the investor's rule applied: fewer plants built than reach FID at that share
    every, = gap.cases(sc, base, tpl["grant"], [g.intensity], "npv")
    assert g.stats["p_built"] < every["built"].mean()


def test_no_answer_is_said_plainly(sc, tpl, base):
    # three years of 10 EUR/MWh relief cannot close the gap of this plant
    r = gap.solve(sc, tpl["relief"], "base", gap.Target("npv", 0.0), d=base)
    assert r.status == "not_enough" and np.isnan(r.intensity)
    assert r.stats["npv_mean"] < 0  # the shortfall at the top of the range
    assert "not enough up to 200 EUR/MWh" in gap.intensity_text(gap._row(sc, r))
    # a target already met without the lever
    r = gap.solve(sc, tpl["grant"], "base", gap.Target("npv", -1e4), d=base)
    assert r.status == "none_needed" and r.intensity == 0.0
    assert gap.intensity_text(gap._row(sc, r)) == "none needed"
    # a P(built) that no grant reaches: some projects never reach FID
    r = gap.solve(sc, tpl["grant"], "base", gap.Target("p_built", 1.0), d=base)
    assert r.status == "not_enough"


def test_state_aid_verdict_names_the_limit(sc, tpl, grant_gap):
    st = dict(grant_gap.stats)
    ok, why, why_nl = gap.state_aid_verdict(sc, "base", tpl["relief"].levers_at(10.0), st)
    assert not ok and "floor of 50 EUR/MWh" in why
    assert "geen bodem van 50 €/MWh" in why_nl  # the same reasons, in Dutch
    assert why_nl.count("; ") == why.count("; ")
    big = {**st, "gross_grant_equivalent_mean": 250.0}
    ok, why, why_nl = gap.state_aid_verdict(sc, "base", tpl["grant"].levers_at(0.5), big)
    assert not ok and "per-project cap of 200 MEUR" in why
    assert "plafond per project van 200\u00a0mln EUR" in why_nl
    assert grant_gap.state_aid_ok == (st["gross_grant_equivalent_mean"] <= 200)


def test_bad_targets_and_worlds_are_refused(sc, tpl):
    with pytest.raises(ValueError, match="P\\(built\\)"):
        gap.Target("p_built", 0.0)
    with pytest.raises(ValueError, match="npv"):
        gap.Target("irr", 0.1)
    with pytest.raises(ValueError, match="unknown world 'mars'"):
        gap.draws(sc, "mars", 10)


def test_an_intensity_must_name_a_numeric_setting():
    bad = Lever(name="bad_intensity", order=9999, stage="operating", label_en="x",
                label_nl="x", params=(param("bad_intensity.flag", "bool", "", False, "x"),),
                intensity="flag")
    with pytest.raises(ValueError, match="numeric"):
        levers.register(bad)
    assert "bad_intensity" not in levers.LEVERS


# --------------------------------------------------------------------------------------
# Command line and report
# --------------------------------------------------------------------------------------


def test_cli_writes_gap_csv_with_units_and_never_overwrites_silently(path, tmp_path):
    out = tmp_path / "res"
    args = ["gap", str(path), "--draws", "256", "--worlds", "base", "--out", str(out), "-q"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out / "gap.csv")
    assert "npv_mean [MEUR]" in df.columns and "budget_cash_pv_mean [MEUR]" in df.columns
    df = gap.from_csv(df)
    assert set(df["option"]) == {"grant", "floor", "relief"}
    assert set(df["target"]) == {"npv", "p_built"} and (df["draws"] == 256).all()
    assert (out / ".simcrm-results").is_file()  # a results folder simcrm wrote
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2 and "already exists; use --force" in r.output
    r = CliRunner().invoke(main, [*args, "--force"])
    assert r.exit_code == 0, r.output
    # the report's section, in both languages
    ds = xr.Dataset(coords={"world": ["base", "high-energy"],
                            "world_label_en": ("world", ["Base", "High energy"]),
                            "world_label_nl": ("world", ["Basis", "Hoge energie"])},
                    attrs={"scenario": "small", "seed": 11})
    for lang, word in (("en", "Funding gap"), ("nl", "Financieringstekort")):
        (title, items), = gap_section(out, ds, lang)
        assert title.startswith(word) and "<table>" in items[-1]
        assert "Basis" in items[-1] if lang == "nl" else "Base" in items[-1]
    assert gap_section(tmp_path, ds, "en") == []  # no gap.csv, no section


@pytest.mark.parametrize(("extra", "message"), [
    (["--worlds", "base,mars"], "--worlds: unknown world 'mars'"),
    (["--target-p-built", "0"], "--target-p-built"),
    (["--draws", "1"], "--draws"),
])
def test_cli_bad_input_exits_2(path, tmp_path, extra, message):
    r = CliRunner().invoke(main, ["gap", str(path), "--out", str(tmp_path / "o"), *extra])
    assert r.exit_code == 2 and message in r.output
    assert "Traceback" not in r.output


def test_cli_refuses_a_folder_it_did_not_write_and_a_scenario_without_intensity(
        path, tmp_path, write):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    r = CliRunner().invoke(main, ["gap", str(path), "--out", str(mine), "--draws", "64"])
    assert r.exit_code == 2 and "simcrm did not write" in r.output
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    plain = write(SMALL_NEW + "[options.fast.permit_fast_track]\ncap_months = 15\n",
                  "plain.toml")
    r = CliRunner().invoke(main, ["gap", str(plain), "--out", str(tmp_path / "p")])
    assert r.exit_code == 2 and "no option has a lever with an intensity" in r.output
