"""The engine: sample, evaluate every option in every world chunk by chunk, assemble.

:func:`simulate` is the one entry point (the CLI is a thin face over it).  The
work is split into chunks of whole random-number blocks
(:data:`simcrm.engine.sampling.BLOCK`); each chunk is independent and seeded only by
its block indices, so the result is bit-identical whatever the chunk size, the
number of workers or the scheduler.  A chunk is evaluated by
:func:`simcrm.engine.evaluate.evaluate_chunk`, assembled by
:mod:`simcrm.engine.dataset` and kept in memory or streamed to disk by
:mod:`simcrm.io.sinks`.
"""

from __future__ import annotations

import math
import os
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import xarray as xr

from simcrm._blas import on_one_blas_thread
from simcrm._lazy import lazy_import
from simcrm.engine.dataset import assemble, open_uncached, stored_summary, with_summary
from simcrm.engine.evaluate import base_case, evaluate_chunk, investor_fits
from simcrm.engine.sampling import BLOCK
from simcrm.io.sinks import MemorySink, StreamSink
from simcrm.spec.outputs import LINES, METRICS
from simcrm.spec.registry import MARKETS
from simcrm.spec.scenario import Scenario

# simcrm.engine.parallel imports dask.distributed, which costs 0.19 s of start-up on
# top of numpy/scipy/xarray (python -X importtime, 2-core host); only a run on a
# scheduler needs it, so it is loaded then.
parallel = lazy_import("simcrm.engine.parallel")

__all__ = ["DEFAULT_CHUNK", "Plan", "Results", "available_memory", "base_case",
           "estimate_memory", "local_default", "make_plan", "simulate", "stored_summary",
           "with_summary"]
"""Public names; ``base_case`` and ``stored_summary`` live in :mod:`simcrm.engine.evaluate`
and :mod:`simcrm.engine.dataset` and are kept here for existing callers."""

DEFAULT_CHUNK = 4 * BLOCK
"""Default draws per chunk, chosen by measurement (``simcrm bench``): a chunk's
(draw, year) arrays of 40 years are then 1.3 MB, so a business case's working set
stays near the cache, while Python's per-call overhead is still amortised."""

STREAM_BYTES = 256 * 2**20
"""Per-draw results larger than this [bytes] are streamed to disk chunk by chunk."""

DEFAULT_MAX_DRAWS = 10_000_000
"""Upper limit on the draws of a ``precision`` run unless ``max_draws`` is given."""

MIN_PRECISION_DRAWS = 4 * BLOCK
"""A ``precision`` run has at least this many draws."""

MEANINGFUL_NAN = ("irr", "project_irr", "payback")
IF_NOT_BUILT_NAN = ("lcop", "first_production", "breakeven_price", "production_end")
"""Metrics that are NaN, with a meaning, in a draw where the plant is not built."""
"""Metrics whose NaN has a meaning (no IRR; not paid back within the horizon); any other
non-finite number is counted (:attr:`Results.nonfinite`) and reported."""

PARALLEL_CELLS = 20_000_000
"""Runs with more cash-flow cells than this use all local cores by default (about five
seconds of work on one core); smaller ones stay in this process."""


@dataclass(frozen=True)
class Plan:
    """How a run is cut into chunks.

    Attributes
    ----------
    draws : int
        Draws of the run (at most, for a ``precision`` run).
    chunk_blocks : int
        Random-number blocks per chunk.
    """

    draws: int
    chunk_blocks: int

    @property
    def n_blocks(self) -> int:
        """Random-number blocks of the run."""
        return math.ceil(self.draws / BLOCK)

    @property
    def chunk_draws(self) -> int:
        """Draws per chunk (the last one may have fewer)."""
        return self.chunk_blocks * BLOCK

    def chunks(self) -> list[tuple[int, int]]:
        """``(first_draw, stop_draw)`` of every chunk."""
        step = self.chunk_draws
        return [(a, min(a + step, self.draws)) for a in range(0, self.draws, step)]


def make_plan(draws: int, chunk_size: int | None) -> Plan:
    """Chunks of ``chunk_size`` draws, rounded up to whole blocks of :data:`BLOCK`."""
    cs = DEFAULT_CHUNK if chunk_size is None else int(chunk_size)
    if cs < 1:
        raise ValueError("chunk size must be at least 1")
    return Plan(int(draws), max(1, math.ceil(cs / BLOCK)))


@dataclass
class Results:
    """What a run produces: per-draw results and the audit trail of cash flows.

    Attributes
    ----------
    results : xarray.Dataset
        Per-draw metrics and inputs (option, world, draw).
    cashflows : xarray.Dataset
        Yearly cash-flow lines of the first draws (option, world, draw, year).
    scenario : Scenario
        The scenario as run.
    seconds : float
        Run time [s].
    """

    results: xr.Dataset
    cashflows: xr.Dataset
    scenario: Scenario
    seconds: float = 0.0
    results_path: Path | None = None
    """For a streamed run: the netCDF file ``results`` was opened from (lazily); it is
    moved into the results folder when written, and removed when the Results object is
    dropped without being written."""
    summary: xr.Dataset | None = None
    """The option × world comparison (:func:`simcrm.analysis.summary.summarise`), computed
    by the run (from the file for a streamed run)."""
    budget: xr.DataArray | None = None
    """Expected budget cash per calendar year [MEUR/yr], undiscounted, dims option, world,
    year: what a budget envelope (kasbeslag) is set against (``budget.csv``)."""

    def __repr__(self) -> str:  # short: the Datasets have their own reprs
        r = self.results
        return (f"<Results {self.scenario.name!r}: {r.sizes.get('option', 0)} options × "
                f"{r.sizes.get('world', 0)} worlds × {r.sizes.get('draw', 0):,} draws, "
                f"cash flows of {self.cashflows.sizes.get('draw', 0):,} draws, "
                f"{self.seconds:.1f} s>")

    def __post_init__(self):
        if self.results_path is not None:
            weakref.finalize(self, _remove_file, str(self.results_path))


def _remove_file(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass  # moved into a results folder, or already gone


@on_one_blas_thread  # small matrices beside its own workers: more BLAS threads only spin
def simulate(scenario: Scenario, *, draws: int | None = None, seed: int | None = None,
             chunk_size: int | None = None, keep_cashflows: int = 0,
             progress: Callable[[int, int], None] | None = None,
             scheduler: str | None = None, workers: int | None = None,
             breakeven: bool = True, precision: float | None = None,
             max_draws: int | None = None, stream: bool | None = None,
             stream_dir: str | Path | None = None) -> Results:
    """Run the Monte Carlo simulation of a scenario.

    Parameters
    ----------
    scenario : Scenario
        From :func:`simcrm.load_scenario`.
    draws, seed : int, optional
        Override the scenario's ``[simulation]`` settings.
    chunk_size : int, optional
        Draws per chunk (rounded up to whole blocks of 1024); does not change the numbers.
    keep_cashflows : int
        Keep the yearly cash-flow lines of the first ``keep_cashflows`` draws (default
        none: they take 75 MB per 1 000 draws of a small case; ``simcrm run`` keeps 1 000).
    progress : callable, optional
        Called as ``progress(draws_done, draws_total)`` after each chunk.
    scheduler : str, optional
        ``None`` runs in this process; ``"threads"``/``"processes"`` use dask locally with
        ``workers`` workers; ``"tcp://host:port"`` uses a dask.distributed cluster.
    workers : int, optional
        Number of local workers.
    breakeven : bool
        Compute the break-even price (costs a few extra evaluations per draw).
    precision : float, optional
        Keep adding draws until the standard error of P(NPV > 0) of every option ×
        world is below ``precision`` [1]; the run stops at the first whole block of
        :data:`~simcrm.engine.sampling.BLOCK` draws (at least :data:`MIN_PRECISION_DRAWS`)
        where it is, so the same seed and precision give the same draws whatever the
        chunk size or workers.  ``draws`` is then ignored.
    max_draws : int, optional
        Upper limit on the draws of a ``precision`` run (default
        :data:`DEFAULT_MAX_DRAWS`).
    stream : bool, optional
        Write the per-draw results chunk by chunk to a netCDF file instead of holding
        them in memory (default: when they would exceed :data:`STREAM_BYTES`).  The
        summary is then computed from the file, one option × world at a time.
    stream_dir : path, optional
        Folder for the streamed file (default: the system's temporary folder).

    Returns
    -------
    Results
    """
    sc = _run_scenario(scenario, draws, seed, precision, max_draws)
    n = int(sc.settings["simulation.draws"])
    if sc.settings["decision.investor"] == "expected-npv" and not sc.value_fits:
        sc = replace(sc, value_fits=investor_fits(sc, n))  # the pilot, before any chunk
    plan = make_plan(n, chunk_size)
    if stream is None:
        stream = n * _bytes_per_draw(sc) > STREAM_BYTES
    sink = StreamSink(sc, plan.draws, plan.chunk_draws, stream_dir) if stream else MemorySink()
    stop = _PrecisionStop(precision) if precision is not None else None
    count = _NonFinite()
    t0 = time.perf_counter()
    parts = _execute(sc, plan.chunks(), keep_cashflows, progress, scheduler, workers,
                     breakeven)
    sums: dict = {}
    n_done = _collect(parts, plan.chunks(), sink, stop, keep_cashflows, count, sums)
    seconds = time.perf_counter() - t0
    if n_done != n:
        sc = sc.with_settings(draws=n_done)
    notes = {"nonfinite_draws": count.flat()}
    if stop is not None:
        notes["precision_note"] = stop.note(n_done)
    if stream:
        path = sink.finish(sc, seconds, notes)
        res = open_uncached(path)
        _, cf = assemble(sc, sink.kept, keep_cashflows, metrics=False)
        return Results(res, cf, sc, seconds, results_path=path, summary=sink.summary,
                       budget=_budget(sc, sums, n_done))
    res, cf = assemble(sc, sink.parts, keep_cashflows)
    res.attrs["run_seconds"] = round(seconds, 3)
    res.attrs["chunk_size"] = plan.chunk_draws
    res.attrs.update(notes)
    with np.errstate(all="ignore"):  # NaN metrics were counted; statistics of them are NaN
        res, sm = with_summary(res)
    return Results(res, cf, sc, seconds, summary=sm, budget=_budget(sc, sums, n_done))


def _budget(sc: Scenario, sums: dict, n: int) -> xr.DataArray | None:
    """Expected budget cash per calendar year from the summed draws (undiscounted)."""
    if "budget_cash" not in sums or n == 0:
        return None
    years = int(sc.settings["simulation.valuation_year"]) + np.arange(sums["budget_cash"].shape[-1])
    return xr.DataArray(
        sums["budget_cash"] / n, dims=("option", "world", "year"),
        coords={"option": list(sc.options), "world": list(sc.worlds), "year": years},
        name="budget_cash", attrs={"units": "MEUR/yr", "long_name": "Expected budget cash of "
                                   "the levers per calendar year (outlays less receipts, "
                                   "undiscounted, over all draws)"})


def _run_scenario(sc: Scenario, draws: int | None, seed: int | None,
                  precision: float | None, max_draws: int | None) -> Scenario:
    """The scenario with the run's overrides; a ``precision`` run has its upper limit."""
    over = {}
    if draws is not None:
        over["draws"] = int(draws)
    if seed is not None:
        over["seed"] = int(seed)
    if over:
        sc = sc.with_settings(**over)
    if precision is not None:
        if not precision > 0:
            raise ValueError("precision must be positive")
        sc = sc.with_settings(draws=int(max_draws) if max_draws else DEFAULT_MAX_DRAWS)
    return sc


def _collect(parts: Iterator[dict], chunks: list[tuple[int, int]], sink, stop, keep: int,
             count: _NonFinite | None = None, yearly: dict | None = None) -> int:
    """Feed chunk outputs to ``sink`` until done or ``stop`` says so; return the draws done.
    The yearly sums of each chunk (over its draws, to its last block) are added into
    ``yearly``."""
    n_done = 0
    try:
        for (a, b), part in zip(chunks, parts):
            end = stop.update(part["metrics"]["npv"], a, b) if stop else None
            if end is not None and end < b:
                part = _trim(part, end - a, keep - a)
                b = end
            if count is not None:
                count.add(part["metrics"])
            for k, v in part.pop("yearly", {}).items():
                s = v[:, :, -1]  # the running sum at the chunk's last block
                if yearly is not None:
                    yearly[k] = s if k not in yearly else yearly[k] + s
            sink.add(part, a, b)
            n_done = b
            if end is not None:
                break
    except BaseException:
        sink.abort()
        raise
    finally:
        parts.close()
    return n_done


def local_default(sc: Scenario, n_chunks: int, workers: int | None) -> tuple[str | None, int]:
    """The local scheduler and worker count used when none is asked for.

    Threads in this process measured faster than worker processes on the benchmark
    (2 cores: 6.0 M against 3.6 M cells/s; the compiled kernels and numpy release the
    GIL, and no results have to be copied between processes).
    """
    cells = (int(sc.settings["simulation.draws"]) * len(sc.options) * len(sc.worlds)
             * int(sc.settings["simulation.horizon_years"]))
    cpus = os.cpu_count() or 1
    if workers is None:
        workers = cpus if cells > PARALLEL_CELLS else 1
    if workers <= 1 or n_chunks <= 1:
        return None, 1
    return "threads", workers


def _execute(sc, chunks, keep, progress, scheduler, workers, breakeven) -> Iterator[dict]:
    """Chunk outputs in draw order, from this process or from dask workers."""
    total = sum(b - a for a, b in chunks)
    done = 0
    if scheduler is None:
        scheduler, workers = local_default(sc, len(chunks), workers)
    if scheduler is None:
        for a, b in chunks:
            with np.errstate(all="ignore"):  # non-finite numbers are counted instead
                part = evaluate_chunk(sc, a, b, keep, breakeven)
            done += b - a
            if progress:
                progress(done, total)
            yield part
        return
    yield from parallel.execute_dask(sc, chunks, keep, progress, scheduler, workers,
                                     breakeven)


def _bytes_per_draw(sc: Scenario) -> int:
    """Bytes of per-draw results (metrics and inputs) one draw adds."""
    O, W = len(sc.options), len(sc.worlds)
    return 8 * (O * W * len(METRICS) + W * (len(sc.uncertain_keys) + 1 + len(MARKETS)))


CHART_BYTES_PER_CELL = (350, 3.2)
"""Memory the charts and report take per option × world × draw [bytes], as
``a + b × options``: a two-point fit of measurements (issue 19: 310 options × 5 worlds
× 10 000 draws, 22.6 GB with charts against 1.8 GB without; lithium-hydroxide-refinery,
10 options × 5 worlds × 100 000 draws, 2.4 GB peak with charts).  The charts grow
faster than the options.  Re-measure when the charts change."""

CHART_DRAWS = 200_000
"""Draws the charts are drawn from at most (``simcrm.present.report.CHART_DRAWS``)."""

BASE_BYTES = 400 * 2**20
"""Memory of the process before any results [bytes] (Python, numpy, xarray, dask)."""

WORK_ARRAYS = 48
"""(draw, year) arrays a chunk's business case holds at once (one option × world is
evaluated at a time)."""


def estimate_memory(sc: Scenario, *, draws: int | None = None, keep_cashflows: int = 1000,
                    chunk_size: int | None = None, workers: int | None = None,
                    charts: bool = True) -> dict[str, int]:
    """Peak memory a run is expected to need, by part [bytes].

    Parameters
    ----------
    sc : Scenario
    draws : int, optional
        The run's draws (default: the scenario's).
    keep_cashflows, chunk_size, workers :
        As for :func:`simulate`.
    charts : bool
        Whether the charts and report are drawn after the run.

    Returns
    -------
    dict
        ``results`` (per-draw results held in memory), ``cashflows`` (the kept
        yearly lines), ``chunks`` (chunks being computed), ``charts``, ``process`` and
        ``total``.
    """
    n = int(draws or sc.settings["simulation.draws"])
    cells = len(sc.options) * len(sc.worlds)
    years = int(sc.settings["simulation.horizon_years"])
    plan = make_plan(n, chunk_size)
    per_draw = n * _bytes_per_draw(sc)
    held = per_draw if per_draw <= STREAM_BYTES else 2 * STREAM_BYTES // 8 + 64 * n
    _, nw = local_default(sc, len(plan.chunks()), workers)
    in_flight = 2 * max(nw, 1) + 1 if nw > 1 else 1
    parts = {
        "results": held,
        # the chunks' kept lines and their concatenation are held at once: twice
        "cashflows": 2 * 8 * min(keep_cashflows, n) * cells * years * len(LINES),
        "chunks": in_flight * min(plan.chunk_draws, n) * (8 * years * WORK_ARRAYS
                                                            + _bytes_per_draw(sc)),
        "charts": int((CHART_BYTES_PER_CELL[0] + CHART_BYTES_PER_CELL[1] * len(sc.options))
                      * cells * min(n, CHART_DRAWS)) if charts else 0,
        "process": BASE_BYTES,
    }
    parts["total"] = sum(parts.values())
    return parts


def available_memory() -> int | None:
    """Memory this process may still use [bytes]: the least of the machine's available
    memory, a cgroup (container) limit and an address-space limit; None if unknown."""
    limits = []
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        cg = Path("/sys/fs/cgroup")
        mx, cur = (cg / "memory.max").read_text().strip(), (cg / "memory.current").read_text()
        if mx != "max":
            limits.append(int(mx) - int(cur))
    except (OSError, ValueError):
        pass
    try:
        import resource

        for r in (resource.RLIMIT_AS, resource.RLIMIT_DATA):
            soft = resource.getrlimit(r)[0]
            if soft != resource.RLIM_INFINITY:
                limits.append(soft)
    except (ImportError, OSError, ValueError):
        pass
    return min(limits) if limits else None


class _NonFinite:
    """Counts, per option × world, the draws with a metric that is not a finite number
    (NaN or ±inf; for the metrics of :data:`MEANINGFUL_NAN` only ±inf, for those of
    :data:`IF_NOT_BUILT_NAN` NaN only where the plant is built)."""

    def __init__(self):
        self.counts: np.ndarray | None = None

    def add(self, metrics: dict[str, np.ndarray]) -> None:
        bad = None
        built = np.asarray(metrics["built"]) > 0 if "built" in metrics else True
        for k, v in metrics.items():
            v = np.asarray(v)
            if v.dtype.kind != "f":
                continue
            b = np.isinf(v) if k in MEANINGFUL_NAN else ~np.isfinite(v)
            if k in IF_NOT_BUILT_NAN:
                b = np.isinf(v) | (np.isnan(v) & built)
            bad = b if bad is None else bad | b
        if bad is None:
            return
        n = bad.sum(axis=-1)
        self.counts = n if self.counts is None else self.counts + n

    def flat(self) -> np.ndarray:
        """Counts of option × world, row-major, as a netCDF-friendly 1-D integer array."""
        return np.asarray(self.counts if self.counts is not None else [0], np.int64).ravel()


class _PrecisionStop:
    """Finds the first whole block where every option × world has se(P(NPV>0)) < P."""

    def __init__(self, precision: float):
        self.precision = float(precision)
        self.pos = None
        self.reached = False
        self.worst = float("nan")

    def note(self, n: int) -> str:
        """What the run says about its precision (empty if it was reached)."""
        if self.reached:
            return ""
        worst = f"{self.worst:.2%}" if self.worst == self.worst else "not known"
        return (f"the precision {self.precision:g} was NOT reached: the run stopped at its "
                f"limit of {n:,} draws (--max-draws), where the largest standard error of "
                f"P(NPV>0) is {worst}; a --precision run needs at least "
                f"{MIN_PRECISION_DRAWS:,} draws. Raise --max-draws or loosen --precision.")

    def update(self, npv: np.ndarray, a: int, b: int) -> int | None:
        """Take the NPVs of draws ``a`` .. ``b``; return the draw count to stop at, if any."""
        pos = np.cumsum(npv > 0, axis=-1)
        if self.pos is not None:
            pos += self.pos[..., None]
        self.pos = pos[..., -1]
        ends = np.arange((a // BLOCK + 1) * BLOCK, b + 1, BLOCK)
        if not ends.size or ends[-1] != b:
            ends = np.append(ends, b)
        p_all = self.pos / b
        self.worst = float(np.sqrt(p_all * (1 - p_all) / b).max()) if b > 1 else float("nan")
        ends = ends[ends >= MIN_PRECISION_DRAWS]
        if not ends.size:
            return None
        p = pos[..., ends - a - 1] / ends
        se = np.sqrt(p * (1 - p) / ends)
        ok = np.nonzero((se < self.precision).all(axis=(0, 1)))[0]
        if ok.size:
            self.reached = True
            return int(ends[ok[0]])
        return None


def _trim(part: dict, m: int, keep_m: int) -> dict:
    """The first ``m`` draws of a chunk output (``keep_m`` of its kept lines)."""
    out = {"metrics": {k: v[..., :m] for k, v in part["metrics"].items()},
           "inputs": {k: v[..., :m] for k, v in part["inputs"].items()},
           # the running sums up to the last block kept (m is a whole number of blocks)
           "yearly": {k: v[:, :, :-(-m // BLOCK)] for k, v in part.get("yearly", {}).items()}}
    if "lines" in part and min(m, keep_m) > 0:
        out["lines"] = {k: v[:, :, :min(m, keep_m)] for k, v in part["lines"].items()}
    return out
