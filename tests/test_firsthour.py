"""The first hour of a new user: quick commands, packaged scenarios, init/list/schema,
results that CF and spreadsheet tools accept, and the EMA/SALib bridges."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import simcrm
from simcrm.cli import main
from simcrm.spec import library

ROOT = Path(__file__).resolve().parents[1]


def _modules_after(code: str) -> set[str]:
    code += "\nimport sys; print('MODULES', ' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return set(out.stdout.split("MODULES", 1)[1].split())


@pytest.mark.parametrize("code", [
    "import simcrm",
    "from simcrm.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass",
    "from simcrm.cli import main\ntry:\n    main(['list'])\nexcept SystemExit:\n    pass",
])
def test_quick_commands_import_no_heavy_library(code):
    loaded = _modules_after(code)
    # `list` reads the levers, whose financing kernels load numba (0.1 s, with the bare
    # scipy package); nothing else
    assert not loaded & {"xarray", "scipy.stats", "pandas", "matplotlib", "dask", "netCDF4"}
    if "list" not in code:
        assert "numba" not in loaded


def test_the_api_loads_on_first_use_and_registers_the_accessor():
    loaded = _modules_after("import simcrm\nsimcrm.load_scenario")
    assert "simcrm.accessor" in loaded
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        simcrm.nope  # noqa: B018


def test_extends_names_a_packaged_file(tmp_path):
    p = tmp_path / "elsewhere" / "mine.toml"
    p.parent.mkdir()
    text = (library.library_dir() / "battery-recycling.toml").read_text(encoding="utf-8")
    p.write_text(text.replace('extends = ["worlds.toml", "tno-levers.toml"]',
                              'extends = ["simcrm:worlds", "simcrm:tno-levers"]'),
                 encoding="utf-8")
    sc = simcrm.load_scenario(p)
    assert "china-dumping" in sc.worlds and "capex-grant-0.2" in sc.options
    assert library.resolve_extends("simcrm:worlds", tmp_path) == library.library_file("worlds")
    assert library.resolve_extends("a.toml", tmp_path) == tmp_path / "a.toml"


def test_packaged_library_is_the_top_level_folder():
    for f in (ROOT / "scenarios").glob("*.toml"):
        assert (library.library_dir() / f.name).read_bytes() == f.read_bytes()


def test_init_writes_a_scenario_that_works_outside_the_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["init", "my-plant", "--from", "rare-earth-separation"])
    assert r.exit_code == 0, r.output
    text = (tmp_path / "my-plant.toml").read_text(encoding="utf-8")
    assert 'extends = ["simcrm:worlds", "simcrm:tno-levers"]' in text
    assert 'name = "my-plant"' in text and "# " in text  # comments kept
    r = CliRunner().invoke(main, ["validate", "my-plant.toml"])
    assert r.exit_code == 0 and "valid" in r.output
    r = CliRunner().invoke(main, ["init", "my-plant"])
    assert r.exit_code == 2 and "already exists" in r.output
    r = CliRunner().invoke(main, ["init", "x", "--from", "unobtainium"])
    assert r.exit_code == 2 and "lithium-hydroxide-refinery" in r.output


def test_list_shows_archetypes_worlds_options_and_levers():
    r = CliRunner().invoke(main, ["list"])
    assert r.exit_code == 0
    for word in ("Archetypes", "lithium-hydroxide-refinery", "Worlds", "china-dumping",
                 "Options", "capex-grant", "Levers", "price_floor"):
        assert word in r.output
    assert "worlds.toml" not in r.output and "tno-levers " not in r.output  # partial files


def test_schema_command_writes_json(tmp_path):
    out = tmp_path / "s.json"
    r = CliRunner().invoke(main, ["schema", "--out", str(out)])
    assert r.exit_code == 0, r.output
    s = json.loads(out.read_text(encoding="utf-8"))
    assert s["properties"]["plant"]["additionalProperties"] is False
    assert "capex_grant" in s["properties"]["options"]["additionalProperties"]["properties"]


@pytest.fixture(scope="module")
def quick_folder(tmp_path_factory, small_path):
    out = tmp_path_factory.mktemp("quick") / "run"
    r = CliRunner().invoke(main, ["run", str(small_path), "--quick", "--draws", "1024",
                                  "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out


def test_quick_run_writes_no_charts(quick_folder):
    assert (quick_folder / "results.nc").is_file()
    assert not (quick_folder / "report.html").exists()
    assert not (quick_folder / "charts").exists()


def test_results_follow_cf_naming_and_hold_no_machine_path(quick_folder):
    import netCDF4

    for name in ("results.nc", "cashflows.nc"):
        with netCDF4.Dataset(quick_folder / name) as nc:
            assert nc.Conventions.startswith("CF-") and "simcrm" in nc.history
            for k, v in nc.variables.items():
                assert "." not in k, k
                assert getattr(v, "units", "1") not in ("MEUR", "MEUR/yr", "EUR/t"), k
            texts = [str(nc.getncattr(a)) for a in nc.ncattrs()]
            texts += [str(v.getncattr(a)) for v in nc.variables.values() for a in v.ncattrs()]
    for t in texts:
        assert str(Path.home()) not in t and "/tmp/" not in t and str(ROOT) not in t


def test_inputs_keep_their_registry_key(quick_folder):
    import xarray as xr

    with xr.open_dataset(quick_folder / "results.nc") as ds:
        v = ds["input_plant_capex_overrun"]
        assert v.attrs["key"] == "plant.capex_overrun" and v.attrs["role"] == "input"
        assert ds["npv"].attrs["simcrm_units"] == "MEUR" and ds["npv"].attrs["units"] == "1e6"
        assert ds["first_production"].attrs["simcrm_units"] == "year"


def test_summary_xlsx_holds_every_row_with_units(quick_folder):
    from openpyxl import load_workbook

    csv = pd.read_csv(quick_folder / "summary.csv")
    wb = load_workbook(quick_folder / "summary.xlsx")
    rows = 0
    for world in csv["world"].unique():
        ws = wb[world]
        head = [c.value for c in ws[1]]
        assert any("[MEUR]" in str(h) for h in head) and any("[%]" in str(h) for h in head)
        opts = [ws.cell(row=i, column=1).value for i in range(2, ws.max_row + 1)]
        assert opts == list(csv.loc[csv["world"] == world, "option"])
        rows += len(opts)
    assert rows == len(csv)


@pytest.fixture(scope="module")
def small_run(small_path):
    return simcrm.simulate(simcrm.load_scenario(small_path), draws=1024)


def test_api_keeps_no_cash_flows_by_default_and_reprs_are_short(small_run):
    assert small_run.cashflows.sizes.get("draw", 0) == 0
    assert len(repr(small_run)) < 200 and len(repr(small_run.scenario)) < 200


def test_to_frame_and_to_ema_shapes(small_run):
    ds = small_run.results
    n = ds.sizes["option"] * ds.sizes["world"] * ds.sizes["draw"]
    df = ds.simcrm.to_frame()
    assert len(df) == n and list(df.columns[:4]) == ["option", "world", "draw", "npv"]
    assert "plant.capex_meur" in df.columns and df.attrs["units"]["npv"] == "MEUR"
    experiments, outcomes = simcrm.to_ema(small_run)
    assert len(experiments) == n
    assert {"scenario", "policy", "model"} <= set(experiments.columns)
    assert set(outcomes) >= {"npv", "irr", "budget_cash_pv"}
    assert all(v.shape == (n,) for v in outcomes.values())
    # experiments and outcomes line up with the Dataset
    row = experiments.index[-1]
    o, w = experiments.loc[row, "policy"], experiments.loc[row, "world"]
    d = experiments.loc[row, "scenario"] % ds.sizes["draw"]
    assert outcomes["npv"][row] == ds["npv"].sel(option=o, world=w, draw=d).item()


def test_salib_analyses_ema_experiments(small_run):
    delta = pytest.importorskip("SALib.analyze.delta")
    experiments, outcomes = simcrm.to_ema(small_run)
    sel = ((experiments["policy"] == "baseline") & (experiments["world"] == "base")).to_numpy()
    names = [c for c in experiments.columns if c not in ("world", "scenario", "policy", "model")]
    names = [c for c in names if np.ptp(experiments.loc[sel, c].to_numpy()) > 0]
    X = experiments.loc[sel, names].to_numpy(float)
    problem = {"num_vars": len(names), "names": names,
               "bounds": [[X[:, j].min(), X[:, j].max()] for j in range(len(names))]}
    Si = delta.analyze(problem, X, outcomes["npv"][sel], num_resamples=5, seed=1)
    assert len(Si["S1"]) == len(names) and np.isfinite(Si["S1"]).all()
