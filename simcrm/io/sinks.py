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
from simcrm.engine.dataset import (
    coords,
    open_uncached,
    provenance,
    results_dataset,
    write_netcdf,
)
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

    Each append writes whole HDF5 chunks of one computation chunk of draws: one chunk
    of every option × world for a variable stored raw, one per option × world for a
    deflated one (:func:`_stream_encoding` says why).  Only chunks with kept cash-flow
    lines stay in memory (:attr:`kept`).

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
        # the arrays are written as they are: no masked arrays, no packing, so
        # netCDF4-python need not look for fill values and scale attributes each time
        self.nc.set_auto_maskandscale(False)
        for var in self.nc.variables.values():
            # a chunk is written once and never read back while the file is written:
            # no chunk cache (the library's default, 64 MB each, adds up to gigabytes);
            # HDF5 then writes each chunk as soon as it is complete
            var.set_var_chunk_cache(size=0)

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
        with np.errstate(all="ignore"):
            self.summary = summarise_file(self.path)
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


HDF5_CHUNK_LIMIT = 2**32 - 1
"""HDF5 refuses chunks of this many bytes or more: a raw variable whose chunk of every
option × world would be that large (a computation chunk of millions of draws) keeps
chunks of one option × world."""


def _stream_encoding(v: xr.DataArray, step: int) -> dict:
    """How :class:`StreamSink` stores the variable ``v`` of the first chunk: zlib level 1
    without the byte shuffle (as ``results.nc``) in HDF5 chunks of one option × world
    and ``step`` draws; a variable whose first chunk does not deflate to at most
    :data:`STREAM_RAW_RATIO` of its size is stored uncompressed, in HDF5 chunks of
    every option × world and ``step`` draws.

    Deflating costs about the same time per byte whatever it saves, so only variables
    that shrink a lot are worth it: flags, counts and lines that are mostly zero or one
    value (``built``, ``idle_years``, ``nameplate_tpa``, a baseline's public money: 1-15 %)
    are compressed; NPVs, IRRs, break-even prices, paybacks, tonnes and continuous
    inputs (25-96 %) are stored raw.  On the benchmark (8 options × 3 worlds, 4 096-draw chunks)
    deflating everything that shrank below 60 % took 0.11 CPU-s per chunk, a fifth of the
    chunk's simulation, and made the file 0.46 times its raw size; now it takes about
    0.01 CPU-s and the file is 0.75 times its raw size.  The byte shuffle would
    make these mostly-zero variables larger (``fiscal_return`` 22 % of its size
    against 15 %) and twice as slow to deflate and to read back.

    HDF5 spends about 20 µs on each chunk it writes or reads besides the bytes (its
    chunk index, file space, a pwrite), so a raw variable has one chunk per append:
    its 24 chunks of one option × world took 0.55 ms to append on the benchmark,
    one chunk of all 24 takes 0.24 ms (0.011 -> 0.005 CPU-s per 4 096-draw chunk for
    the 39 raw variables).  The summary still reads only the option × world it asks
    for: a raw chunk larger than the (reader's) chunk cache is read from the file
    directly, the selected 32 kB of each chunk (:func:`summarise_file`).  A deflated
    chunk must be inflated whole to read any of it, so a deflated variable keeps
    chunks of one option × world: the summary inflates each chunk once (it would
    inflate each 24 times in chunks of all of them, or cache whole variables).
    Deflating one option × world at a time is no slower than all of them at once.
    Another reader of one option × world of a raw variable goes through the chunk
    cache if the chunk fits in it (netCDF's default: 64 MB per variable) and reads
    whole chunks; when the variable is larger than the cache (more than 350 000 draws
    on the benchmark) that is 24 times the bytes: all 24 option × worlds of ``npv``
    one by one took 0.075 CPU-s through a 16 MB cache on 200 000 draws, against
    0.022 s with chunks of one option × world, and 0.010 s either way without a cache
    (``set_var_chunk_cache(size=0)``, as :func:`summarise_file` reads).  Reading
    all options and worlds of a range of draws (``results.nc``'s users, charts,
    sensitivity) reads one chunk where it read 24.

    The trial compression stops as soon as the variable is known to be stored raw
    (incompressible draws after 5 of the 24 rows): the same choice, and the first
    append took 0.13 instead of 0.20 CPU-s."""
    if v.dtype.kind in "fiub":
        rows = np.ascontiguousarray(v.values).reshape(-1, v.shape[-1])
        budget, packed = STREAM_RAW_RATIO * rows.nbytes, 0
        for r in rows:
            packed += len(zlib.compress(r, 1))
            if packed > budget:
                lead = v.shape[:-1]
                if np.prod(lead, dtype=float) * step * v.dtype.itemsize >= HDF5_CHUNK_LIMIT:
                    lead = (1,) * len(lead)
                return {"chunksizes": lead + (step,), "zlib": False}
    return {"chunksizes": (1,) * (v.ndim - 1) + (step,), "zlib": True, "complevel": 1,
            "shuffle": False}


def summarise_file(path: str | Path, ds: xr.Dataset | None = None) -> xr.Dataset:
    """:func:`simcrm.analysis.summary.summarise` of a results file, one option × world at a time.

    The per-draw results are never all in memory: each statistic is computed from one
    option × world (and the baseline of the same world) read from the file, so
    quantiles and CVaR are exact, with the same formulas as ``summarise``.  Memory
    is a few arrays of one value per draw.

    The per-draw variables are read without a chunk cache: each option × world is read
    once, so a cache only costs memory and copies.  HDF5 then reads the selected values
    of a raw chunk straight from the file and inflates a deflated chunk into a buffer it
    frees at once.  HDF5 shares an open variable, and its cache, between all handles
    of a file in a process, and the first opening sets the cache: so the file is opened
    here before ``ds``.  Before, ``ds`` was opened first, with the library's cache of
    64 MB per variable, and on the benchmark's 200 000 draws the caches held whole
    variables, 0.58 GB at the end of the summary (17 variables × 24 option × worlds
    × 200 000 draws × 8 B); now the summary adds 0.04 GB to the process.

    Parameters
    ----------
    path : path
        A results netCDF file.
    ds : xarray.Dataset, optional
        The file, already opened (lazily); without it the file is opened here and the
        summary is loaded before it is closed.  A ``ds`` of the same file that has read
        a per-draw variable keeps that variable's cache for the summary's reads.

    Returns
    -------
    xarray.Dataset
        As :func:`~simcrm.analysis.summary.summarise`.
    """
    with netCDF4.Dataset(path, "r") as nc:
        nc.set_auto_maskandscale(False)
        for var in nc.variables.values():
            if var.dimensions[-1:] == ("draw",):
                var.set_var_chunk_cache(size=0)
        own = ds is None
        if own:
            ds = open_uncached(path)
        try:
            sm = summary_from(ds, lambda name, o, w: np.asarray(nc[name][o, w, :]))
            # loaded now: its label coordinates must not read the file once it is closed
            return sm.load() if own else sm
        finally:
            if own:
                ds.close()
