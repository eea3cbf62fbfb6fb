"""The command line: bad input gets one clear message and exit code 2, good input a results
folder."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from simcrm.cli import main

from .conftest import HAND_PLANT, SMALL

GOOD = HAND_PLANT.format(tax=0.25)

BROKEN = {
    # name: (text, what the message must contain)
    "unknown key": (GOOD.replace("capex_meur", "capex_mer"),
                    ["plant.capex_mer", "did you mean `capex_meur`"]),
    "unknown section": (GOOD + "\n[plnt]\nx = 1\n", ["plnt", "did you mean `plant`"]),
    "wrong type": (GOOD.replace("capacity_tpa = 10000", 'capacity_tpa = "10 kt"'),
                   ["plant.capacity_tpa", "must be a number"]),
    "negative capacity": (GOOD.replace("capacity_tpa = 10000", "capacity_tpa = -5"),
                          ["plant.capacity_tpa", "outside the allowed range"]),
    "negative capex": (GOOD.replace("capex_meur = 50", "capex_meur = -50"),
                       ["plant.capex_meur", "outside the allowed range"]),
    "p90 below median": (GOOD.replace("capex_meur = 50",
                                      'capex_meur = { dist = "lognormal", median = 50, p90 = 40 }'),
                         ["plant.capex_meur", "p90 above the median"]),
    "probability above 1": (GOOD.replace("permit_months = 0", "permit_months = 0\n"
                                         "appeal_prob = 1.5"),
                            ["permitting.appeal_prob", "outside the allowed range [0, 1]"]),
    "unknown distribution": (GOOD.replace("capex_meur = 50",
                                          'capex_meur = { dist = "gauss", mean = 5, sd = 1 }'),
                             ["plant.capex_meur", "unknown distribution"]),
    "triangle out of order": (GOOD.replace(
        "capex_meur = 50", 'capex_meur = { dist = "triangular", low = 60, mode = 50, high = 70 }'),
        ["plant.capex_meur", "low ≤ mode ≤ high"]),
    "distribution crossing a bound": (GOOD.replace(
        "utilisation = 1.0", 'utilisation = { dist = "normal", mean = 0.9, sd = 0.1 }'),
        ["plant.utilisation", "outside the allowed range"]),
    "invalid correlation matrix": (SMALL.replace(
        'rank_correlations = [["plant.capex_overrun", "plant.construction_months", 0.5]]',
        'rank_correlations = [["plant.capex_overrun", "plant.construction_months", 0.9], '
        '["plant.capex_overrun", "plant.capex_meur", 0.9], '
        '["plant.capex_meur", "plant.construction_months", -0.9]]'),
        ["simulation.rank_correlations", "not form a valid correlation matrix"]),
    "correlation of a fixed input": (SMALL.replace(
        '"plant.construction_months", 0.5', '"plant.life_years", 0.5'),
        ["simulation.rank_correlations", "fixed in every world"]),
    "syntax error": (GOOD.replace("capex_meur = 50", "capex_meur = = 50"),
                     ["TOML syntax error", "line"]),
    "bad sampler": (GOOD.replace('seed = 7', 'seed = 7\nsampler = "sobel"'),
                    ["simulation.sampler", "did you mean `sobol`"]),
    "unknown lever": (GOOD + "\n[options.a.capex_grnt]\nshare = 0.2\n",
                      ["options.a.capex_grnt", "did you mean `capex_grant`"]),
    "lever setting out of range": (GOOD + "\n[options.a.capex_grant]\nshare = [0.1, 1.2]\n",
                                   ["options.a.capex_grant.share", "outside the allowed range"]),
    "missing lever setting": (GOOD + "\n[options.a.price_floor]\ntwo_sided = true\n",
                              ["options.a.price_floor.strike", "is required"]),
    "world overrides unknown key": (GOOD + "\n[worlds.hot]\nmarkets.power.start = 150\n",
                                    ["worlds.hot.markets.power", "unknown key"]),
    "infinite number": (GOOD.replace("capex_meur = 50", "capex_meur = inf"),
                        ["plant.capex_meur", "finite"]),
    "whole number expected": (GOOD.replace("horizon_years = 8", "horizon_years = 8.5"),
                              ["simulation.horizon_years", "whole number"]),
    "missing required key": (GOOD.replace("capex_meur = 50", ""),
                             ["plant.capex_meur", "is required"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_scenario_gives_one_clear_line_and_exit_2(tmp_path, case):
    text, needles = BROKEN[case]
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["run", str(path), "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1, r.output
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert str(path) in lines[0]
    assert not out.exists()
    v = CliRunner().invoke(main, ["validate", str(path)])
    assert v.exit_code == 2 and v.output == r.output


def test_missing_file_and_extends_loop_and_missing_parent(tmp_path):
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "nope.toml")])
    assert r.exit_code == 2 and "nope.toml: file not found" in r.output
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "a.toml")])
    assert r.exit_code == 2 and "extends" in r.output and "loop" in r.output
    (tmp_path / "c.toml").write_text('extends = "gone.toml"\n' + GOOD)
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "c.toml")])
    assert r.exit_code == 2 and "extends: file not found" in r.output and "gone.toml" in r.output


def test_validate_lists_every_problem_at_once(tmp_path):
    text = (GOOD.replace("capex_meur = 50", "capex_meur = -50")
            .replace("capacity_tpa = 10000", 'capacity_tpa = "x"') + "\n[plnt]\n")
    p = tmp_path / "two.toml"
    p.write_text(text)
    r = CliRunner().invoke(main, ["validate", str(p)])
    assert r.exit_code == 2
    assert "3 problems" in r.output
    for key in ("plant.capex_meur", "plant.capacity_tpa", "plnt"):
        assert key in r.output


def test_extends_merges_and_errors_name_the_file_they_are_in(tmp_path):
    (tmp_path / "worlds.toml").write_text("[worlds.hot]\nmarkets.electricity.start = -3\n")
    (tmp_path / "plant.toml").write_text('extends = "worlds.toml"\n' + GOOD)
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "plant.toml")])
    assert r.exit_code == 2
    assert "worlds.toml: worlds.hot.markets.electricity.start" in r.output


def test_run_writes_results_and_refuses_to_overwrite(tmp_path, small_path):
    out = tmp_path / "res"
    args = ["run", str(small_path), "--draws", "1500", "--out", str(out), "--no-charts",
            "--keep-cashflows", "20"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    for f in ("results.nc", "cashflows.nc", "summary.csv", "sensitivity.csv",
              "scenario/small.toml"):
        assert (out / f).is_file(), f
    assert "P(NPV>0)" in r.output and "baseline" in r.output
    before = (out / "results.nc").stat().st_mtime_ns
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2 and "already exists" in r.output and "--force" in r.output
    assert (out / "results.nc").stat().st_mtime_ns == before
    r = CliRunner().invoke(main, args + ["--force", "--seed", "5"])
    assert r.exit_code == 0, r.output
    assert not list(tmp_path.glob(".res*")), "temporary folders left behind"


def test_summary_csv_has_the_promised_columns(tmp_path, small_path):
    import pandas as pd

    out = tmp_path / "res"
    r = CliRunner().invoke(main, ["run", str(small_path), "--draws", "1200", "--out", str(out),
                                  "--no-charts", "-q"])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out / "summary.csv")
    for col in ("option", "world", "npv_mean", "npv_p10", "npv_p50", "npv_p90", "p_npv_pos",
                "p_npv_pos_se", "irr_mean", "irr_undefined", "p_production_by_deadline"):
        assert col in df.columns
    # every headline statistic comes with its standard error
    for col in ("npv_mean", "npv_p10", "npv_p50", "npv_p90", "p_npv_pos", "irr_mean",
                "p_irr_above_hurdle", "p_production_by_deadline", "public_cost_gross_mean"):
        assert (df[f"{col}_se"] > 0).all() or col.startswith("public"), col
    assert len(df) == 2  # baseline × 2 worlds


def test_no_traceback_from_a_real_process(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text(GOOD.replace("capex_meur = 50", "capex_meur = -1"))
    r = subprocess.run([sys.executable, "-m", "simcrm.cli", "run", str(p), "--out",
                        str(tmp_path / "o")], capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "plant.capex_meur" in r.stderr
    assert not (tmp_path / "o").exists()


def test_partial_files_validate_but_do_not_run(tmp_path):
    part = tmp_path / "shared.toml"
    part.write_text("partial = true\n[worlds.hot]\nmarkets.electricity.start = { times = 1.5 }\n"
                    "[options.grant.capex_grant]\nshare = 0.2\n")
    r = CliRunner().invoke(main, ["validate", str(part)])
    assert r.exit_code == 0, r.output
    assert "valid partial file" in r.output
    r = CliRunner().invoke(main, ["run", str(part), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "partial file" in r.output
    # a bad value in a partial file is still found
    part.write_text("partial = true\n[worlds.hot]\nmarkets.electricity.start = -1\n")
    r = CliRunner().invoke(main, ["validate", str(part)])
    assert r.exit_code == 2
    assert "worlds.hot.markets.electricity.start" in r.output
    # the scenario that extends it is a full scenario again
    full = tmp_path / "full.toml"
    part.write_text("partial = true\n[worlds.hot]\nmarkets.electricity.start = { times = 1.5 }\n")
    full.write_text('extends = "shared.toml"\n' + GOOD)
    r = CliRunner().invoke(main, ["validate", str(full)])
    assert r.exit_code == 0, r.output
    assert "2 world(s)" in r.output
