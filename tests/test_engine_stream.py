"""Large runs: streaming to disk, stopping at a precision, clean interruption."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import simcrm
from simcrm.analysis.summary import summarise
from simcrm.engine.run import simulate
from simcrm.io.results import write_results


def _s(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def test_streamed_run_equals_in_memory_run(levers_path, tmp_path):
    sc = simcrm.load_scenario(levers_path)
    mem = simulate(sc, draws=3000, chunk_size=2048, keep_cashflows=200)
    disk = simulate(sc, draws=3000, chunk_size=1024, keep_cashflows=200, stream=True,
                    stream_dir=tmp_path)
    assert disk.results_path is not None and disk.results_path.parent == tmp_path
    per_draw = [k for k in mem.results.data_vars if not k.startswith("summary_")]
    for k in per_draw:
        x, y = mem.results[k].values, disk.results[k].values
        if x.dtype.kind == "f":
            assert np.array_equal(x, y, equal_nan=True), k
        else:  # text (a char array on disk)
            assert [_s(v) for v in x.ravel()] == [_s(v) for v in y.ravel()], k
    # the streamed summary (computed from the file, one option × world at a time)
    ref = summarise(mem.results)
    got = disk.summary
    assert not [k for k in disk.results.data_vars if k.startswith("summary_")]
    assert set(ref.data_vars) == set(got.data_vars)
    for k in ref.data_vars:
        if ref[k].dtype.kind != "f":
            assert (got[k].values == ref[k].values).all(), k
            continue
        np.testing.assert_allclose(got[k].values, ref[k].values, rtol=1e-12, atol=1e-12,
                                   err_msg=k)
    for k in mem.cashflows.data_vars:
        assert np.array_equal(mem.cashflows[k].values, disk.cashflows[k].values), k
    out = write_results(disk, tmp_path / "out")
    assert {"results.nc", "cashflows.nc", "summary.csv"} <= {p.name for p in out.iterdir()}
    assert not disk.results_path.exists() or disk.results_path.parent == out
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_streamed_file_stores_what_does_not_deflate_uncompressed(levers_path, tmp_path):
    """Continuous results (NPV) are stored raw, in one HDF5 chunk of every option ×
    world per append; results with many repeats (built, 0/1) deflated, in chunks of
    one option × world; ``draw`` stays unlimited (a precision run's draws are not known
    in advance).  The values read back are the run's either way (test above)."""
    import netCDF4

    sc = simcrm.load_scenario(levers_path)
    disk = simulate(sc, draws=2048, chunk_size=1024, stream=True, stream_dir=tmp_path)
    disk.results.close()
    with netCDF4.Dataset(disk.results_path) as nc:
        O, W = len(nc.dimensions["option"]), len(nc.dimensions["world"])
        assert O > 1 and W > 1
        assert nc.dimensions["draw"].isunlimited()
        assert nc["npv"].filters()["zlib"] is False
        assert nc["built"].filters()["zlib"] is True
        assert nc["built"].filters()["shuffle"] is False
        assert nc["npv"].chunking() == [O, W, 1024]
        assert nc["built"].chunking() == [1, 1, 1024]
        raw_inputs = [v for v in nc.variables.values()
                      if v.dimensions == ("world", "draw") and not v.filters()["zlib"]]
        assert raw_inputs and all(v.chunking() == [W, 1024] for v in raw_inputs)


def test_stream_chunks_stay_below_the_hdf5_limit():
    """A raw chunk of every option × world would pass HDF5's 4 GiB limit on chunks of
    hundreds of millions of draws: then each option × world has its own chunks."""
    from simcrm.io.sinks import _stream_encoding

    v = xr.DataArray(np.random.default_rng(1).normal(size=(8, 3, 64)),
                     dims=("option", "world", "draw"))
    assert _stream_encoding(v, 4096) == {"chunksizes": (8, 3, 4096), "zlib": False}
    assert _stream_encoding(v, 2**25) == {"chunksizes": (1, 1, 2**25), "zlib": False}


def test_streamed_summary_is_the_summary_of_the_file(levers_path, tmp_path):
    """The summary read from the file one option × world at a time (no chunk cache,
    raw chunks of every option × world) has the same bits as ``summarise`` of the whole
    file in memory; a last append shorter than a chunk included."""
    from simcrm.io.sinks import summarise_file

    sc = simcrm.load_scenario(levers_path)
    disk = simulate(sc, draws=2500, chunk_size=1024, stream=True, stream_dir=tmp_path)
    disk.results.close()
    whole = xr.load_dataset(disk.results_path)
    assert whole.sizes["draw"] == 2500
    ref = summarise(whole)
    for got in (disk.summary, summarise_file(disk.results_path)):
        assert set(got.data_vars) == set(ref.data_vars)
        for k in ref.data_vars:
            x, y = got[k].values, ref[k].values
            assert x.dtype == y.dtype, k
            if x.dtype.kind == "f":
                assert np.array_equal(x, y, equal_nan=True), k
            else:
                assert (x == y).all(), k


def test_precision_run_is_reproducible_whatever_the_chunk_size(small_path, tmp_path):
    sc = simcrm.load_scenario(small_path)
    a = simulate(sc, precision=0.006, max_draws=20000, chunk_size=3000, breakeven=False)
    b = simulate(sc, precision=0.006, max_draws=20000, chunk_size=8192, breakeven=False,
                 stream=True, stream_dir=tmp_path)
    n = a.results.sizes["draw"]
    assert n == b.results.sizes["draw"] and n % 1024 == 0 and 4096 <= n < 20000
    assert a.results.attrs["draws"] == n
    assert np.array_equal(a.results["npv"].values, b.results["npv"].values)
    assert float(a.summary["p_npv_pos_se"].max()) < 0.006
    # one block fewer would not have been precise enough
    full = simulate(sc, draws=n - 1024, breakeven=False)
    assert float(full.summary["p_npv_pos_se"].max()) >= 0.006
    path = b.results_path
    assert path.exists()
    b.results.close()
    del b
    import gc

    gc.collect()
    assert not path.exists(), "a streamed file that was never written must be removed"


def test_interrupted_run_leaves_no_files(small_path, tmp_path):
    sc = simcrm.load_scenario(small_path)

    def stop(done, total):
        if done > 1024:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(sc, draws=4096, chunk_size=1024, progress=stop, stream=True,
                 stream_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
    res = simulate(sc, draws=2048, stream=True, stream_dir=tmp_path)

    def interrupt(folder):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_results(res, tmp_path / "out", write_extra=interrupt)
    assert list(tmp_path.iterdir()) == []
