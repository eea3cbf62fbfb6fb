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
                "p_irr_above_hurdle", "p_production_by_deadline", "budget_cash_pv_mean",
                "fiscal_return_mean", "public_cost_net_mean"):
        # public money has no noise where no lever pays (the baseline): se 0
        assert (df[f"{col}_se"] > 0).all() or col.startswith(("public", "budget", "fiscal")), col
    for col in ("gross_grant_equivalent_mean", "aid_intensity_mean", "state_aid_ok",
                "state_aid_reason"):
        assert col in df.columns, col
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


# --- issue 19: validation that cannot crash, extends -----------------------------------

def _validate(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(main, ["validate", str(p)])
    assert "Traceback" not in r.output and r.exit_code in (0, 2), r.output
    return r, p


@pytest.mark.parametrize(("setting", "expect"), [
    ('share = ["a"]', "entry 1: must be a number"),
    ("share = [[0.1]]", "entry 1: a list of intensities holds plain numbers only"),
    ('share = [{dist = "uniform", low = 0, high = 1}]', "holds plain numbers only"),
    ("share = [0.1, nan]", "entry 2: must be a finite number"),
    ("taxable = [true]", "a list of intensities is allowed only for numbers"),
])
def test_list_valued_lever_settings_are_checked_entry_by_entry(tmp_path, setting, expect):
    r, p = _validate(tmp_path, GOOD + f"\n[options.g.capex_grant]\n{setting}\n")
    assert r.exit_code == 2 and expect in r.stderr and "options.g.capex_grant" in r.stderr
    assert str(p) in r.stderr


@pytest.mark.parametrize(("value", "expect"), [
    ("nan", "must be a finite number"), ("inf", "must be a finite number"),
    ("1e308", "outside the allowed range"),
    ('{ dist = "pert", low = 40, mode = 50, high = 60, lambda = inf }', "lambda must be a finite"),
    ('{ dist = "uniform", low = 40, high = inf }', "high must be a finite"),
    ('{ dist = "lognormal", median = 50, p90 = inf }', "p90 must be a finite"),
    ('{ dist = "lognormal", median = 1e-300, p90 = 1e300 }', "at most 1000 × the median"),
    ("{ dist = [] }", "unknown distribution []"),
    ('{ dist = "discrete", values = [40, 50], probs = [nan, nan] }', "finite numbers"),
    ('{ dist = "discrete", values = [40, 50], probs = [nan, 1.0] }', "finite numbers"),
])
def test_non_finite_and_absurd_numbers_are_refused_naming_the_key(tmp_path, value, expect):
    r, _ = _validate(tmp_path, GOOD.replace("capex_meur = 50", f"capex_meur = {value}"))
    assert r.exit_code == 2 and "plant.capex_meur" in r.stderr and expect in r.stderr


def test_world_change_with_infinity_is_refused(tmp_path):
    r, _ = _validate(tmp_path, GOOD + "\n[worlds.w]\nplant.capex_meur = { plus = inf }\n")
    assert r.exit_code == 2 and "worlds.w.plant.capex_meur" in r.stderr
    assert "plus must be a finite number" in r.stderr


def test_tiny_capacity_and_short_horizon_are_refused(tmp_path):
    r, _ = _validate(tmp_path, GOOD.replace("capacity_tpa = 10000", "capacity_tpa = 5e-324"))
    assert r.exit_code == 2 and "plant.capacity_tpa" in r.stderr
    r, _ = _validate(tmp_path, GOOD.replace("horizon_years = 8", "horizon_years = 2")
                     .replace("construction_months = 12", "construction_months = 30"))
    assert r.exit_code == 2 and "simulation.horizon_years" in r.stderr
    assert "at least 4 years" in r.stderr


def test_wrong_pert_fields_give_one_message_not_a_correlation_one(tmp_path):
    from .conftest import SMALL

    text = SMALL.replace("[plant]", '[plant]\ncapex_overrun = { dist = "pert", low = 1, '
                         'mode = 1.1, high = 1.5, sd = 2 }\n', 1)
    text = text.replace("\ncapex_overrun = ", "\n# capex_overrun = ").replace(
        '# capex_overrun = { dist = "pert"', 'capex_overrun = { dist = "pert"', 1)
    r, _ = _validate(tmp_path, text)
    assert r.exit_code == 2 and "unknown field sd" in r.stderr
    assert "rank_correlations" not in r.stderr


def test_world_labels_and_levers_in_a_world(tmp_path):
    r, _ = _validate(tmp_path, GOOD + '\n[worlds.w]\nlabel_en = "W"\nlabel_nl = "W"\n'
                     'description = "d"\nplnt = 1\n')
    assert r.exit_code == 2 and "label_en" in r.stderr.split("allowed:")[1]
    r, _ = _validate(tmp_path, GOOD + "\n[worlds.w.capex_grant]\nshare = 0.2\n")
    assert r.exit_code == 2 and "is a policy lever" in r.stderr
    assert "did you mean `operations`" not in r.stderr


def test_worlds_base_overrides_are_inherited_by_other_worlds(tmp_path):
    import simcrm

    _, p = _validate(tmp_path, GOOD + "\n[worlds.base]\nplant.capex_overrun = 1.2\n"
                     "[worlds.w]\nplant.capex_meur = { times = 2 }\n")
    sc = simcrm.load_scenario(p)
    assert sc.worlds["base"].inputs["plant.capex_overrun"] == 1.2
    assert sc.worlds["w"].inputs["plant.capex_overrun"] == 1.2
    assert sc.worlds["w"].inputs["plant.capex_meur"] == 100


def test_extends_errors_name_the_chain_and_where_they_looked(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "mid.toml").write_text('partial = true\nextends = "../gone.toml"\n')
    r, p = _validate(tmp_path, 'extends = "sub/mid.toml"\n' + GOOD)
    assert r.exit_code == 2
    assert f"{p} → extends sub/mid.toml: extends: file not found: '../gone.toml'" in r.stderr
    assert f"looked for {tmp_path / 'gone.toml'})" in r.stderr
    (sub / "mid.toml").write_text("partial = true\n[plant]\ncapex_meur = nan\n")
    r, p = _validate(tmp_path, 'extends = "sub/mid.toml"\n' + GOOD.replace(
        "capex_meur = 50\n", ""))
    assert r.exit_code == 2 and f"{p} → extends sub/mid.toml: plant.capex_meur" in r.stderr
    r, _ = _validate(tmp_path, 'extends = "/etc/hostname"\n' + GOOD)
    assert r.exit_code == 2 and ".toml files only" in r.stderr


def test_extends_diamond_and_long_chain_are_read_once_without_recursion(tmp_path):
    import time

    for i in range(19):  # each file extends the next twice: 2^19 reads if re-read
        (tmp_path / f"d{i}.toml").write_text(
            f'partial = true\nextends = ["d{i + 1}.toml", "d{i + 1}.toml"]\n')
    (tmp_path / "d19.toml").write_text("partial = true\n")
    t0 = time.perf_counter()
    r, _ = _validate(tmp_path, 'extends = "d0.toml"\n' + GOOD)
    assert r.exit_code == 0 and time.perf_counter() - t0 < 5
    for i in range(1500):
        (tmp_path / f"c{i}.toml").write_text(f'partial = true\nextends = "c{i + 1}.toml"\n')
    (tmp_path / "c1500.toml").write_text(GOOD.replace("[scenario]", "partial = true\n"
                                                      "[scenario]"))
    r, _ = _validate(tmp_path, 'extends = "c0.toml"\n')
    assert r.exit_code == 0, r.output


def test_deeply_nested_arrays_are_refused_not_a_recursion_error(tmp_path):
    r, p = _validate(tmp_path, GOOD.replace("capex_meur = 50", "capex_meur = "
                                            + "[" * 20000 + "1" + "]" * 20000))
    assert r.exit_code == 2 and "nested more than" in r.stderr and str(p) in r.stderr
    r, p = _validate(tmp_path, GOOD + "\n[x]\n" + "a" + ".a" * 20000 + " = 1\n")
    assert r.exit_code == 2 and "nested more than" in r.stderr


SWALLOW = '''
import os, signal, time
from simcrm import cli

@cli.main.command("swallow")
def swallow():
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(2)
    except KeyboardInterrupt:
        pass  # as numba's LLVM callbacks do when the signal lands in them
    raise RuntimeError("no compiled object yet")

cli.main(["swallow"])
'''


def test_an_interrupt_a_library_swallows_still_ends_the_command_as_interrupted():
    """SIGTERM while numba compiles a kernel: its LLVM layer swallows the interrupt and
    fails with an error of its own; the analyst still sees one line saying the run was
    interrupted, not an internal error or a traceback."""
    p = subprocess.run([sys.executable, "-c", SWALLOW], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 130, p.stderr
    assert p.stderr.strip() == "error: interrupted; nothing was written"


def test_an_interrupt_python_could_not_raise_is_not_reported_as_a_traceback(capsys):
    from simcrm import cli

    class Raises:  # an exception in __del__ is one Python cannot raise
        def __init__(self, e):
            self.e = e

        def __del__(self):
            raise self.e

    previous, sys.unraisablehook = sys.unraisablehook, cli._unraisable
    cli._SIGNALLED.set()
    try:
        Raises(KeyboardInterrupt())
        assert capsys.readouterr().err == ""
        Raises(ValueError("a real one"))  # still reported
        assert "a real one" in capsys.readouterr().err
    finally:
        cli._SIGNALLED.clear()
        sys.unraisablehook = previous
