"""Where a run's chunk outputs go: memory, or a netCDF file on disk.

:class:`StreamSink` appends the per-draw results of each chunk to a netCDF file
(a run of millions of draws never holds them all in memory) and
:func:`summarise_file` computes the option × world summary from that file.  The
file is moved into a results folder only by :mod:`simcrm.io.results`.
"""

from __future__ import annotations

import os
import tempfile
import zlib
from pathlib import Path

import netCDF4
import numpy as np
import xarray as xr

from simcrm.analysis.summary import summary_from
from simcrm.engine.dataset import coords, provenance, results_dataset, write_netcdf
from simcrm.spec.names import input_variable
from simcrm.spec.scenario import Scenario


class MemorySink:
    """Keeps every chunk output in memory (small runs)."""

    def __init__(self):
        self.parts: list[dict] = []

    def add(self, part: dict, a: int, b: int) -> None:
        """Take the output of the chunk of draws ``a`` .. ``b``."""
        self.parts.append(part)

    def abort(self) -> None:
        """Let go of everything (the run failed)."""
        self.parts = []


def _new_file(prefix: str, folder: str | Path | None) -> Path:
    """An empty file with a unique name in ``folder``, with the usual permissions.

    :func:`tempfile.mkstemp` makes files readable by their owner only (0600); the
    streamed file becomes ``results.nc``, so it gets what the umask allows, like any
    file the user writes.
    """
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".nc", dir=folder)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)
    return Path(name)


class StreamSink:
    """Appends each chunk's per-draw results to a netCDF file along ``draw``.

    Variables are stored in HDF5 chunks of one option × world and one computation
    chunk of draws, so appending writes whole HDF5 chunks and reading one option ×
    world (for the summary) reads one contiguous run of them.  Only chunks with kept
    cash-flow lines stay in memory (:attr:`kept`).

    Parameters
    ----------
    sc : Scenario
        The scenario being run.
    draws : int
        Draws of the run (at most).
    chunk_draws : int
        Draws per computation chunk.
    folder : path, optional
        Folder of the file (default: the system's temporary folder).
    """

    def __init__(self, sc: Scenario, draws: int, chunk_draws: int,
                 folder: str | Path | None = None):
        self.sc = sc
        self.step = min(int(chunk_draws), int(draws))
        self.chunk_draws = int(chunk_draws)
        self.path = _new_file(f".simcrm-{sc.name}-", folder)
        self.nc = None
        self.kept: list[dict] = []

    def add(self, part: dict, a: int, b: int) -> None:
        """Append the output of the chunk of draws ``a`` .. ``b``."""
        if "lines" in part:
            self.kept.append({"lines": part["lines"]})
        if self.nc is None:
            self._create(part, a, b)
            return
        nc = self.nc
        nc["draw"][a:b] = np.arange(a, b)
        for k, v in part["metrics"].items():
            nc[k][:, :, a:b] = v
        for k, v in part["inputs"].items():
            nc[input_variable(k)][:, a:b] = v

    def _create(self, part: dict, a: int, b: int) -> None:
        crd = coords(self.sc, b - a)
        crd["draw"] = xr.Variable("draw", np.arange(a, b), crd["draw"].attrs)
        ds = results_dataset(self.sc, [part], crd)
        enc = {k: _stream_encoding(v, self.step) for k, v in ds.data_vars.items()
               if "draw" in v.dims}
        enc["draw"] = {"chunksizes": (self.step,)}
        write_netcdf(ds, self.path, enc, unlimited_dims=["draw"])
        self.nc = netCDF4.Dataset(self.path, "a")
        for var in self.nc.variables.values():
            # a chunk is written once: a small cache per variable is enough (the
            # library's default, about 16 MB each, adds up to gigabytes)
            var.set_var_chunk_cache(size=1 << 20)

    def finish(self, sc: Scenario, seconds: float, notes: dict | None = None) -> Path:
        """Close the file with its provenance; compute the summary from it (kept as
        :attr:`summary`, not written into the file); return its path.

        Parameters
        ----------
        sc : Scenario
            The scenario as run (its ``draws`` setting is the draws done).
        seconds : float
            Run time [s].
        """
        nc = self.nc
        for k, v in provenance(sc).items():
            nc.setncattr(k, v)
        nc.setncattr("run_seconds", round(seconds, 3))
        nc.setncattr("chunk_size", self.chunk_draws)
        for k, v in (notes or {}).items():
            nc.setncattr(k, v)
        nc.setncattr("streamed", "per-draw results were written to disk chunk by chunk; "
                     "the summary was computed from this file")
        nc.close()
        self.nc = None
        with xr.open_dataset(self.path, engine="netcdf4") as ds, np.errstate(all="ignore"):
            # loaded now: its label coordinates must not read the file after it moves
            self.summary = summarise_file(self.path, ds).load()
        with netCDF4.Dataset(self.path, "a") as nc:
            nc.setncattr("decision_rule", self.summary.attrs["decision_rule"])
        return self.path

    def abort(self) -> None:
        """Close and remove the file (the run failed or was interrupted)."""
        if self.nc is not None:
            self.nc.close()
            self.nc = None
        self.path.unlink(missing_ok=True)
        self.kept = []


STREAM_RAW_RATIO = 0.2
"""A streamed variable that deflates to more than this share of its size is stored raw.
Lower than :data:`simcrm.engine.dataset.NETCDF_RAW_RATIO`: the streamed file is written
while the user waits for every chunk, so a variable must shrink at least five-fold to be
worth deflating there (a few counts and money lines shrink only to 25-30 % and cost
3-4 ms per 4 096-draw chunk each)."""


def _stream_encoding(v: xr.DataArray, step: int) -> dict:
    """How :class:`StreamSink` stores the variable ``v`` of the first chunk: HDF5 chunks
    of one option × world and ``step`` draws, zlib level 1 without the byte shuffle (as
    ``results.nc``); a variable whose first chunk does not deflate to at most
    :data:`STREAM_RAW_RATIO` of its size is stored uncompressed.

    Deflating costs about the same time per byte whatever it saves, so only variables
    that shrink a lot are worth it: flags, counts and lines that are mostly zero or one
    value (``built``, ``idle_years``, ``nameplate_tpa``, a baseline's public money: 1-15 %)
    are compressed; NPVs, IRRs, break-even prices, paybacks, tonnes and continuous
    inputs (25-96 %) are stored raw.  On the benchmark (8 options × 3 worlds, 4 096-draw chunks)
    deflating everything that shrank below 60 % took 0.11 CPU-s per chunk, a fifth of the
    chunk's simulation, and made the file 0.46 times its raw size; now it takes about
    0.01 CPU-s and the file is 0.75 times its raw size.  The byte shuffle would
    make these mostly-zero variables larger (``fiscal_return`` 22 % of its size
    against 15 %) and twice as slow to deflate and to read back."""
    chunks = (1,) * (v.ndim - 1) + (step,)
    if v.dtype.kind in "fiub":
        rows = np.ascontiguousarray(v.values).reshape(-1, v.shape[-1])
        packed = sum(len(zlib.compress(r.tobytes(), 1)) for r in rows)
        if packed > STREAM_RAW_RATIO * rows.nbytes:
            return {"chunksizes": chunks, "zlib": False}
    return {"chunksizes": chunks, "zlib": True, "complevel": 1, "shuffle": False}


def summarise_file(path: str | Path, ds: xr.Dataset | None = None) -> xr.Dataset:
    """:func:`simcrm.analysis.summary.summarise` of a results file, one option × world at a time.

    The per-draw results are never all in memory: each statistic is computed from one
    option × world (and the baseline of the same world) read from the file, so
    quantiles and CVaR are exact, with the same formulas as ``summarise``.  Memory
    is a few arrays of one value per draw.

    Parameters
    ----------
    path : path
        A results netCDF file.
    ds : xarray.Dataset, optional
        The file, already opened (lazily).

    Returns
    -------
    xarray.Dataset
        As :func:`~simcrm.analysis.summary.summarise`.
    """
    own = ds is None
    if own:
        ds = xr.open_dataset(path, engine="netcdf4")
    try:
        with netCDF4.Dataset(path, "r") as nc:
            nc.set_auto_mask(False)
            return summary_from(ds, lambda name, o, w: np.asarray(nc[name][o, w, :]))
    finally:
        if own:
            ds.close()
