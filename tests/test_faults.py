"""Faults: a full disk, a lost cluster, Ctrl-C while writing, broken results files, a
run too big for the memory, a precision not reached — each ends in one clear line and
leaves nothing half-written."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from simcrm.cli import EXIT_CLUSTER_LOST, main

from .conftest import HAND_PLANT

GOOD = HAND_PLANT.format(tax=0.25)


def _scenario(tmp_path, text=GOOD, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "s.toml")


def test_bogus_scheduler_is_one_line_before_anything_runs(tmp_path):
    r = CliRunner().invoke(main, ["run", str(_scenario(tmp_path)), "--scheduler", "bogus",
                                  "--out", str(tmp_path / "out")])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert r.stderr.count("\n") == 1 and "--scheduler 'bogus'" in r.stderr
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_is_a_lost_cluster(tmp_path, monkeypatch):
    from simcrm.engine import parallel

    monkeypatch.setattr(parallel, "CONNECT_SECONDS", 1)
    r = CliRunner().invoke(main, ["run", str(_scenario(tmp_path)), "--draws", "2048",
                                  "--chunk-size", "1024", "--scheduler", "tcp://127.0.0.1:9",
                                  "--out", str(tmp_path / "out"), "--no-charts", "-q"])
    assert r.exit_code == EXIT_CLUSTER_LOST, r.output
    assert "nothing was written" in r.stderr and "rerun" in r.stderr
    assert r.stderr.count("\n") == 1
    assert _leftovers(tmp_path) == []


def test_losing_every_worker_ends_in_one_line(tmp_path, small_path):
    distributed = pytest.importorskip("distributed")
    import simcrm
    from simcrm.engine import parallel

    sc = simcrm.load_scenario(small_path)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        parts = parallel.execute_dask(sc, [(0, 1024), (1024, 2048)] * 20, 0, None,
                                      cluster.scheduler_address, None, False, in_flight=1)
        next(parts)
        for w in list(cluster.workers.values()):
            os.kill(w.process.process.pid, signal.SIGKILL)
        cluster.scale(0)
        with pytest.raises(parallel.ClusterLost, match="lost"):
            list(parts)


def test_thread_workers_have_no_per_worker_memory_limit():
    distributed = pytest.importorskip("distributed")  # noqa: F841
    from simcrm.engine import parallel

    client, cluster = parallel._client("threads", 3)
    try:
        limits = {w["memory_limit"] for w in client.scheduler_info()["workers"].values()}
        assert limits == {0}
    finally:
        client.close()
        cluster.close()


def test_full_disk_while_writing_leaves_nothing(tmp_path, monkeypatch):
    import simcrm.io.results as results

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(results, "write_extra_files", full, raising=False)
    monkeypatch.setattr("xarray.Dataset.to_netcdf", full)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["run", str(_scenario(tmp_path)), "--out", str(out),
                                  "--no-charts", "-q"])
    assert r.exit_code == 2, r.output
    assert "disk is full" in r.stderr and "Nothing was written" in r.stderr
    assert "Traceback" not in r.output and r.stderr.count("\n") == 1
    assert _leftovers(tmp_path) == []


def test_hdf_error_while_writing_is_a_write_error(tmp_path, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("NetCDF: HDF error")

    monkeypatch.setattr("xarray.Dataset.to_netcdf", broken)
    r = CliRunner().invoke(main, ["run", str(_scenario(tmp_path)), "--out",
                                  str(tmp_path / "out"), "--no-charts"])
    assert r.exit_code == 2 and "cannot write the results" in r.stderr
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_target_is_refused_before_simulating(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        r = CliRunner().invoke(main, ["run", str(_scenario(tmp_path)), "--out",
                                      str(ro / "out"), "--no-charts"])
        assert r.exit_code == 2 and "read-only" in r.stderr
    finally:
        ro.chmod(0o755)


def test_ctrl_c_while_writing_ends_at_once_and_removes_the_staging_folder(tmp_path):
    """A SIGINT inside to_netcdf (made slow here) ends the process within seconds."""
    scen = _scenario(tmp_path)
    code = f"""
import sys, time, xarray
real = xarray.Dataset.to_netcdf
def slow(self, *a, **k):
    sys.stderr.write("WRITING\\n"); sys.stderr.flush()
    time.sleep(30)
    return real(self, *a, **k)
xarray.Dataset.to_netcdf = slow
from simcrm.cli import main
main(["run", {str(scen)!r}, "--out", {str(tmp_path / "out")!r}, "--no-charts", "-q"])
"""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, env=env)
    line = proc.stderr.readline()
    assert "WRITING" in line
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=20) == 130
    assert time.monotonic() - t0 < 10
    assert "interrupted while writing" in rest and "Traceback" not in rest
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("content", [b"", b"garbage" * 100, "foreign", "truncated"])
def test_report_and_sensitivity_on_a_broken_results_file(tmp_path, content):
    folder = tmp_path / "res"
    if content == "truncated":
        r = CliRunner().invoke(main, ["run", str(_scenario(tmp_path)), "--out", str(folder),
                                      "--no-charts", "--draws", "3000"])
        assert r.exit_code == 0, r.output
        data = (folder / "results.nc").read_bytes()
        (folder / "results.nc").write_bytes(data[: len(data) // 2])
    elif content == "foreign":
        import xarray as xr

        folder.mkdir()
        xr.Dataset({"x": ("t", [1.0, 2.0])}).to_netcdf(folder / "results.nc")
    else:
        folder.mkdir()
        (folder / "results.nc").write_bytes(content)
    for cmd in (["report", str(folder)], ["sensitivity", str(folder)]):
        r = CliRunner().invoke(main, cmd)
        assert r.exit_code == 2, (cmd, r.output)
        assert r.stderr.count("\n") == 1 and "results.nc" in r.stderr
        assert "Traceback" not in r.output


def test_report_on_an_empty_folder(tmp_path):
    r = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert r.exit_code == 2 and "not found" in r.stderr and r.stderr.count("\n") == 1


def test_precision_not_reached_is_said(tmp_path):
    r = CliRunner().invoke(main, ["run", str(_scenario(tmp_path)), "--precision", "0.01",
                                  "--max-draws", "1", "--out", str(tmp_path / "o"),
                                  "--no-charts"])
    assert r.exit_code == 0, r.output
    assert "precision 0.01 was NOT reached" in r.stderr


def test_max_draws_beyond_the_limit_is_refused(tmp_path):
    r = CliRunner().invoke(main, ["run", str(_scenario(tmp_path)), "--precision", "0.02",
                                  "--max-draws", str(10**11), "--out", str(tmp_path / "o"),
                                  "--no-charts"])
    assert r.exit_code == 2 and "simulation.draws" in r.stderr
    assert not (tmp_path / "o").exists()


def test_run_too_big_for_the_memory_is_refused_up_front_naming_the_charts(tmp_path,
                                                                        monkeypatch):

    from simcrm.cli import MEMORY_SHARE

    monkeypatch.setattr("simcrm.engine.run.available_memory", lambda: 5 * 2**30)
    opts = "".join(f"\n[options.g{i}.capex_grant]\nshare = 0.{i:02d}\n" for i in range(1, 60))
    worlds = "".join(f"\n[worlds.w{i}]\nplant.capex_meur = {{ times = 1.{i} }}\n"
                     for i in range(4))
    p = _scenario(tmp_path, GOOD.replace("draws = 1\n", "draws = 100000\n") + opts + worlds)
    r = CliRunner().invoke(main, ["run", str(p), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    assert "--no-charts" in r.stderr and "charts" in r.stderr and "--draws" in r.stderr
    assert "nothing was simulated" in r.stderr and not (tmp_path / "o").exists()
    from simcrm import load_scenario
    from simcrm.engine.run import estimate_memory

    need = estimate_memory(load_scenario(p), charts=False)
    assert need["total"] < MEMORY_SHARE * 5 * 2**30  # without charts it fits
