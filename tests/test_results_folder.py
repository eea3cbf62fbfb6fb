"""No data loss: simcrm only ever replaces results folders it wrote itself."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import simcrm
from simcrm.cli import main
from simcrm.engine.run import simulate
from simcrm.io.results import MARKER, ResultsFolder, default_out_dir, write_results

ARGS = ["--draws", "64", "--no-charts", "--keep-cashflows", "4", "--quiet"]


def _run(scenario, out, *extra):
    return CliRunner().invoke(main, ["run", str(scenario), "--out", str(out), *ARGS, *extra])


def test_force_never_deletes_a_user_folder(tmp_path, small_path):
    user = tmp_path / "userdir"
    user.mkdir()
    (user / "thesis.tex").write_text("years of work")
    r = _run(small_path, user, "--force")
    assert r.exit_code == 2, r.output
    assert "did not write" in r.output and str(user) in r.output
    assert (user / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["userdir"]


def test_force_leaves_an_unrelated_old_sibling_alone(tmp_path, small_path):
    out = tmp_path / "res"
    sibling = tmp_path / ".res.old"
    sibling.mkdir()
    (sibling / "keep.txt").write_text("mine")
    assert _run(small_path, out).exit_code == 0
    assert (out / MARKER).is_file()
    r = _run(small_path, out, "--force", "--seed", "3")
    assert r.exit_code == 0, r.output
    assert (sibling / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".res.old", "res"]


def test_a_folder_that_appears_during_the_run_is_not_replaced(tmp_path, small_path):
    sc = simcrm.load_scenario(small_path)
    out = tmp_path / "res"
    with ResultsFolder(out, force=False) as folder:
        res = simulate(sc, draws=64, keep_cashflows=4, stream_dir=folder.staging)
        folder.write(res)
        out.mkdir()  # another run, or the user, creates the folder meanwhile
        (out / "notes.txt").write_text("not simcrm's")
        with pytest.raises(simcrm.io.results.OutputExistsError, match="did not write"):
            folder.commit()
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]  # no staging left


def test_second_concurrent_run_to_the_same_folder_is_refused(tmp_path, small_path):
    sc = simcrm.load_scenario(small_path)
    out = tmp_path / "res"
    with ResultsFolder(out) as first:
        with pytest.raises(simcrm.io.results.OutputExistsError, match="another simcrm run"):
            with ResultsFolder(out):
                pass
        first.write(simulate(sc, draws=64, keep_cashflows=4))
        first.commit()
    assert (out / "results.nc").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]  # lock file removed


def test_dotdot_scenario_name_cannot_name_the_results_root(tmp_path, small_path,
                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "..toml"
    shutil.copy(small_path, bad)
    assert default_out_dir(bad, "x") == Path("results/scenario")
    earlier = tmp_path / "results" / "earlier-run"
    earlier.mkdir(parents=True)
    (earlier / "results.nc").write_text("an earlier run")
    r = CliRunner().invoke(main, ["run", str(bad), *ARGS, "--force"])
    assert r.exit_code == 0, r.output
    assert (earlier / "results.nc").read_text() == "an earlier run"
    assert (tmp_path / "results" / "scenario" / "results.nc").is_file()


@pytest.mark.parametrize("target", [".", "..", "results/.."])
def test_working_folder_and_its_parents_are_refused(tmp_path, small_path, monkeypatch,
                                                    target):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    (tmp_path / "mine.txt").write_text("x")
    r = _run(small_path, target, "--force")
    assert r.exit_code == 2 and "working in" in r.output, r.output
    assert (tmp_path / "mine.txt").is_file()


def test_links_files_and_read_only_targets_are_refused_before_simulating(tmp_path,
                                                                       small_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "afile").write_text("x")
    for name, words in [("link", "is a link"), ("dangling", "is a link"),
                        ("afile", "is a file")]:
        r = _run(small_path, tmp_path / name, "--force")
        assert r.exit_code == 2 and words in r.output, (name, r.output)
    if os.geteuid() != 0:  # root may write anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        r = _run(small_path, ro / "out")
        assert r.exit_code == 2 and "read-only" in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["real", "link", "dangling", "afile"] + (["ro"] if os.geteuid() != 0 else []))


def test_results_root_itself_is_never_replaced(tmp_path, small_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _run(small_path, "results/a").exit_code == 0
    r = _run(small_path, "results", "--force")
    assert r.exit_code == 2 and "did not write" in r.output
    assert (tmp_path / "results" / "a" / "results.nc").is_file()


def test_stale_staging_folder_of_a_killed_run_is_removed(tmp_path, small_path):
    out = tmp_path / "res"
    stale = tmp_path / ".res.tmp-killed"
    stale.mkdir()
    (stale / MARKER).write_text("{}")
    (stale / "results.nc").write_bytes(b"half")
    foreign = tmp_path / ".res.tmp-notours"  # no marker: not simcrm's, not touched
    foreign.mkdir()
    r = CliRunner().invoke(main, ["run", str(small_path), "--out", str(out), "--draws", "64",
                                  "--no-charts", "--keep-cashflows", "4"])
    assert r.exit_code == 0, r.output
    assert "interrupted run" in r.output
    assert not stale.exists() and foreign.exists()


def test_sigterm_leaves_nothing_behind(tmp_path, small_path):
    out = tmp_path / "res"
    p = subprocess.Popen([sys.executable, "-m", "simcrm.cli", "run", str(small_path),
                          "--out", str(out), "--draws", "400000", "--no-charts",
                          "--keep-cashflows", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".res.tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode != 0
    assert "interrupted" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_api_write_results_uses_the_same_rules(tmp_path, small_path):
    sc = simcrm.load_scenario(small_path)
    res = simulate(sc, draws=64, keep_cashflows=4)
    user = tmp_path / "mine"
    user.mkdir()
    (user / "a.txt").write_text("x")
    with pytest.raises(simcrm.io.results.OutputExistsError):
        write_results(res, user, force=True)
    out = write_results(res, tmp_path / "ok")
    assert (out / MARKER).is_file()
    write_results(res, out, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "ok"]


def test_netcdf_files_are_compressed_in_chunks_of_all_options_and_exact(tmp_path, small_path,
                                                                        monkeypatch):
    import netCDF4
    import numpy as np
    import xarray as xr

    from simcrm.engine import dataset

    res = simulate(simcrm.load_scenario(small_path), draws=2500, keep_cashflows=8)
    O, W = res.results.sizes["option"], res.results.sizes["world"]
    monkeypatch.setattr(dataset, "NETCDF_CHUNK_BYTES", 8 * O * W * 1000)
    out = write_results(res, tmp_path / "res")
    with netCDF4.Dataset(out / "results.nc") as nc:
        v = nc["npv"]
        assert v.dimensions == ("option", "world", "draw")
        assert v.chunking() == [O, W, 1000]  # one draw of every option × world together
        v = nc["built"]  # 0 or 1: deflates well
        assert v.filters()["zlib"] and not v.filters()["shuffle"] and v.filters()["complevel"] == 1
        assert nc["input_plant_capex_meur"].chunking() == [W, 1000 * O]
    with netCDF4.Dataset(out / "cashflows.nc") as nc:
        v = nc["net_cash_flow"]
        assert v.chunking()[:2] == [O, W] and v.chunking()[3] == v.shape[3]
        assert nc["capex"].filters()["zlib"]  # zero but in the construction years
    for name, ds in (("results.nc", res.results), ("cashflows.nc", res.cashflows)):
        with xr.open_dataset(out / name) as back:
            for k in ds.data_vars:
                x, y = back[k].values, ds[k].values
                if x.dtype.kind in "SUO":  # text (the state-aid verdicts)
                    x, y = x.astype(str), y.astype(str)
                assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), k


def test_a_variable_that_does_not_deflate_is_stored_uncompressed():
    import numpy as np
    import xarray as xr

    from simcrm.engine.dataset import netcdf_encoding

    g = np.random.default_rng(0)
    ds = xr.Dataset({"noise": (("option", "world", "draw"), g.random((2, 3, 5000))),
                     "zeros": (("option", "world", "draw"), np.zeros((2, 3, 5000)))})
    enc = netcdf_encoding(ds)
    assert enc["noise"]["zlib"] is False and enc["zeros"]["zlib"] is True
    assert enc["noise"]["chunksizes"] == enc["zeros"]["chunksizes"] == (2, 3, 1365)


def test_write_netcdf_writes_what_to_netcdf_writes_without_dask_distributed(tmp_path):
    """The file equals ``to_netcdf``'s (in memory or as dask arrays), and writing it does
    not import dask.distributed (0.2-0.4 s)."""
    import subprocess
    import sys

    import xarray as xr

    code = (
        "import sys, numpy as np, xarray as xr\n"
        "from pathlib import Path\n"
        "from simcrm.engine.dataset import netcdf_encoding\n"
        "from simcrm.io.results import write_netcdf\n"
        "ds = xr.Dataset({'npv': (('option', 'world', 'draw'), np.arange(600.).reshape(2, 3,"
        " 100), {'units': 'MEUR'})}, coords={'option': ['a', 'b'], 'world': ['x', 'y', 'z'],"
        " 'draw': np.arange(100)}, attrs={'title': 't'})\n"
        "ds['option'].encoding['dtype'] = 'S1'\n"
        f"out = Path({str(tmp_path)!r})\n"
        "write_netcdf(ds, out / 'fast.nc', netcdf_encoding(ds))\n"
        "print('distributed' in sys.modules)\n"
        "ds.to_netcdf(out / 'ref.nc', engine='netcdf4', encoding=netcdf_encoding(ds))\n"
        "write_netcdf(ds.chunk({'draw': 50}), out / 'dask.nc', netcdf_encoding(ds))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert run.stdout.split() == ["False"]
    with xr.open_dataset(tmp_path / "ref.nc") as ref:
        for name in ("fast.nc", "dask.nc"):
            with xr.open_dataset(tmp_path / name) as back:
                assert back.identical(ref)
                for k in ref.variables:
                    enc = [{e: v for e, v in x[k].encoding.items() if e != "source"}
                           for x in (back, ref)]
                    assert repr(enc[0]) == repr(enc[1]), k
