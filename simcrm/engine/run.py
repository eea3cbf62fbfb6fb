"""The engine: sample, evaluate every option in every world chunk by chunk, assemble.

:func:`simulate` is the one entry point (the CLI is a thin face over it).  The
work is split into chunks of whole random-number blocks
(:data:`simcrm.engine.sampling.BLOCK`); each chunk is independent and seeded only by
its block indices, so the result is bit-identical whatever the chunk size, the
number of workers or the scheduler.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from simcrm import __version__
from simcrm.engine.sampling import BLOCK, concat, sample_block
from simcrm.kernels.finance import DISCOUNTING
from simcrm.kernels.markets import price_path
from simcrm.model.business_case import METRICS, PLANT_LINES, Context, business_case
from simcrm.spec.distributions import Dist
from simcrm.spec.registry import INPUTS, MARKET_UNITS, MARKETS
from simcrm.spec.scenario import Scenario, correlation_matrix

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


@dataclass(frozen=True)
class Plan:
    """How a run is cut into chunks."""

    draws: int
    chunk_blocks: int

    @property
    def n_blocks(self) -> int:
        return math.ceil(self.draws / BLOCK)

    def chunks(self) -> list[tuple[int, int]]:
        """``(first_draw, stop_draw)`` of every chunk."""
        step = self.chunk_blocks * BLOCK
        return [(a, min(a + step, self.draws)) for a in range(0, self.draws, step)]


def make_plan(draws: int, chunk_size: int | None) -> Plan:
    """Chunks of ``chunk_size`` draws, rounded up to whole blocks of :data:`BLOCK`."""
    cs = DEFAULT_CHUNK if chunk_size is None else int(chunk_size)
    if cs < 1:
        raise ValueError("chunk size must be at least 1")
    return Plan(int(draws), max(1, math.ceil(cs / BLOCK)))


# --------------------------------------------------------------------------------------
# One chunk
# --------------------------------------------------------------------------------------


def _jump_streams(sc: Scenario) -> list[tuple[str, str]]:
    """The (market, kind) jump uniforms some world needs, in a fixed order."""
    need = set()
    for m in MARKETS:
        for kind in ("crash", "spike"):
            key = f"markets.{m}.{kind}_prob"
            for w in sc.worlds.values():
                if isinstance(w.inputs[key], Dist) or w.inputs[key] > 0:
                    linked = w.inputs.get(f"markets.{m}.jumps_with_product", False)
                    need.add(("product" if linked else m, kind))
    return [(m, kind) for m in MARKETS for kind in ("crash", "spike") if (m, kind) in need]


def _copula(sc: Scenario, keys: list[str]):
    pairs = sc.settings["simulation.rank_correlations"] or []
    if not pairs:
        return None, None
    names = [k for k in keys if any(k in (a, b) for a, b, _ in pairs)]
    c = correlation_matrix(pairs, names, rank=True)
    return np.linalg.cholesky(c), [keys.index(k) for k in names]


def world_inputs(sc: Scenario, world: str, u: np.ndarray, keys: list[str]) -> dict:
    """Inputs of a world: distributions mapped from the uniforms ``u``, fixed values as is."""
    out = {}
    for k, v in sc.worlds[world].inputs.items():
        if isinstance(v, Dist):
            # a distribution may put up to 0.1 % of its mass outside the allowed range
            # (checked at validation); those rare draws are held at the range's edge
            p = INPUTS[k]
            out[k] = np.clip(v.ppf(u[:, keys.index(k)]), p.lo, p.hi)
        else:
            out[k] = v
    return out


def world_prices(sc: Scenario, world: str, inp: dict, z: np.ndarray, jumps: dict) -> dict:
    """Market paths of a world [EUR per unit], shape (draw, year) each."""
    n, T, _ = z.shape
    w = sc.worlds[world]
    pairs = w.inputs.get("markets.correlations") or []
    if pairs:
        chol = np.linalg.cholesky(correlation_matrix(pairs, list(MARKETS), rank=False))
        z = z @ chol.T
    nominal = sc.settings["scenario.terms"] == "nominal"
    esc = (1.0 + inp["finance.inflation"]) ** np.arange(T) if nominal else None
    prices = {}
    for i, m in enumerate(MARKETS):
        p = lambda k, m=m: inp[f"markets.{m}.{k}"]  # noqa: E731
        # a market whose jumps go with the product's uses the product's event uniforms
        src = "product" if inp.get(f"markets.{m}.jumps_with_product", False) else m
        crash = jumps.get((src, "crash"))
        spike = jumps.get((src, "spike"))
        prices[m] = price_path(
            z[:, :, i], p("start"), p("long_run"), p("reversion"), p("volatility"),
            crash=None if crash is None else crash < np.asarray(p("crash_prob"))[..., None],
            crash_size=p("crash_size"),
            spike=None if spike is None else spike < np.asarray(p("spike_prob"))[..., None],
            spike_size=p("spike_size"), escalation=esc)
    return prices


def varying_markets(sc: Scenario) -> list[str]:
    """Markets whose path differs between draws in some world."""
    out = []
    for m in MARKETS:
        keys = [f"markets.{m}.{k}" for k in ("start", "long_run", "volatility", "crash_prob",
                                               "spike_prob")]
        for w in sc.worlds.values():
            if any(isinstance(w.inputs[k], Dist) for k in keys) or any(
                    w.inputs[k] > 0 for k in keys[2:]):
                out.append(m)
                break
    return out


def run_chunk(sc: Scenario, start: int, stop: int, keep: int, breakeven: bool = True) -> dict:
    """Evaluate draws ``start`` .. ``stop`` for every option and world.

    Returns
    -------
    dict
        ``metrics``: name -> ndarray (option, world, draw);
        ``inputs``: key -> ndarray (world, draw);
        ``lines``: name -> ndarray (option, world, draw, year) for the draws below
        ``keep`` (absent if none).
    """
    st = sc.settings
    seed = int(st["simulation.seed"])
    T = int(st["simulation.horizon_years"])
    keys = sc.uncertain_keys
    chol, cidx = _copula(sc, keys)
    jstreams = _jump_streams(sc)
    b0, b1 = start // BLOCK, math.ceil(stop / BLOCK)
    blocks = [sample_block(seed, b, keys, T, MARKETS, jstreams, st["simulation.sampler"],
                           chol, cidx) for b in range(b0, b1)]
    rd = concat(blocks, (b1 - b0) * BLOCK)
    lo = start - b0 * BLOCK
    sl = slice(lo, lo + (stop - start))
    u, z, appeal_u = rd.u[sl], rd.z[sl], rd.appeal[sl]
    jumps = {k: v[sl] for k, v in rd.jumps.items()}
    n = stop - start
    n_keep = max(0, min(stop, keep) - start)
    W, O = len(sc.worlds), len(sc.options)
    metrics = {k: np.empty((O, W, n)) for k in METRICS}
    vm = varying_markets(sc)
    inputs = {k: np.empty((W, n)) for k in keys}
    inputs["permitting.appeal"] = np.empty((W, n))
    for m in vm:
        inputs[f"markets.{m}.path_mean"] = np.empty((W, n))
    lines: dict[str, np.ndarray] = {}
    for wi, wname in enumerate(sc.worlds):
        inp = world_inputs(sc, wname, u, keys)
        prices = world_prices(sc, wname, inp, z, jumps)
        appeal = (appeal_u < np.asarray(inp["permitting.appeal_prob"])).astype(float)
        for k in keys:
            inputs[k][wi] = inp[k]
        inputs["permitting.appeal"][wi] = appeal
        for m in vm:
            inputs[f"markets.{m}.path_mean"][wi] = prices[m].mean(axis=1)
        ctx = Context(inp, prices, appeal, st)
        for oi, opt in enumerate(sc.options.values()):
            met, ln = business_case(ctx, opt.levers, keep_lines=n_keep > 0, breakeven=breakeven)
            for k, v in met.items():
                metrics[k][oi, wi] = v
            if ln is not None:
                for k, v in ln.items():
                    if k not in lines:
                        lines[k] = np.zeros((O, W, n_keep, T))
                    lines[k][oi, wi] = v[:n_keep]
    out = {"metrics": metrics, "inputs": inputs}
    if n_keep:
        out["lines"] = lines
    return out


# --------------------------------------------------------------------------------------
# Whole run
# --------------------------------------------------------------------------------------


@dataclass
class Results:
    """What a run produces: per-draw results and the audit trail of cash flows."""

    results: xr.Dataset
    cashflows: xr.Dataset
    scenario: Scenario
    seconds: float = 0.0
    results_path: Path | None = None
    """For a streamed run: the netCDF file ``results`` was opened from (lazily); it is
    moved into the results folder when written, and removed when the Results object is
    dropped without being written."""

    def __post_init__(self):
        if self.results_path is not None:
            weakref.finalize(self, _remove_file, str(self.results_path))


def _remove_file(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass  # moved into a results folder, or already gone


def simulate(scenario: Scenario, *, draws: int | None = None, seed: int | None = None,
             chunk_size: int | None = None, keep_cashflows: int = 1000,
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
        Keep the yearly cash-flow lines of the first ``keep_cashflows`` draws.
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
        world is below ``precision``; the run stops at the first whole block of
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
    over = {}
    if draws is not None:
        over["draws"] = int(draws)
    if seed is not None:
        over["seed"] = int(seed)
    sc = scenario.with_settings(**over) if over else scenario
    n = int(sc.settings["simulation.draws"])
    if precision is not None:
        if not precision > 0:
            raise ValueError("precision must be positive")
        n = int(max_draws) if max_draws else DEFAULT_MAX_DRAWS
        sc = sc.with_settings(draws=n)
    plan = make_plan(n, chunk_size)
    chunks = plan.chunks()
    if stream is None:
        stream = n * _bytes_per_draw(sc) > STREAM_BYTES
    sink = _StreamSink(sc, plan, stream_dir) if stream else _MemorySink()
    stop = _PrecisionStop(precision) if precision is not None else None
    t0 = time.perf_counter()
    gen = _execute(sc, chunks, keep_cashflows, progress, scheduler, workers, breakeven)
    n_done = 0
    try:
        for (a, b), part in zip(chunks, gen):
            end = stop.update(part["metrics"]["npv"], a, b) if stop else None
            if end is not None and end < b:
                part = _trim(part, end - a, keep_cashflows - a)
                b = end
            sink.add(part, a, b)
            n_done = b
            if end is not None:
                break
    except BaseException:
        sink.abort()
        raise
    finally:
        gen.close()
    seconds = time.perf_counter() - t0
    if n_done != n:
        sc = sc.with_settings(draws=n_done)
    if stream:
        path = sink.finish(sc, seconds)
        res = xr.open_dataset(path, engine="netcdf4")
        _, cf = assemble(sc, sink.kept, keep_cashflows, metrics=False)
        return Results(res, cf, sc, seconds, results_path=path)
    res, cf = assemble(sc, sink.parts, keep_cashflows)
    res.attrs["run_seconds"] = round(seconds, 3)
    res.attrs["chunk_size"] = plan.chunk_blocks * BLOCK
    return Results(with_summary(res), cf, sc, seconds)


def with_summary(res: xr.Dataset) -> xr.Dataset:
    """Add the option × world comparison (``summary_*`` variables) to a results Dataset."""
    from simcrm.analysis.summary import summarise

    res = res.drop_vars([k for k in res.data_vars if k.startswith("summary_")])
    sm = summarise(res)
    for k, v in sm.data_vars.items():
        res[f"summary_{k}"] = v.assign_attrs(role="summary")
    res.attrs["decision_rule"] = sm.attrs["decision_rule"]
    return res


def stored_summary(res: xr.Dataset) -> xr.Dataset:
    """The option × world summary stored in a results Dataset (``summary_*`` variables)."""
    names = [k for k in res.data_vars if k.startswith("summary_")]
    sm = res[names].rename({k: k.removeprefix("summary_") for k in names})
    for k in sm.data_vars:
        sm[k].attrs.pop("role", None)
    from simcrm.analysis.summary import decision_of

    dec = decision_of(res)
    sm.attrs = {"decision_rule": res.attrs.get("decision_rule", ""),
                "draws": int(res.sizes["draw"]),
                "deadline_year": int(dec["production_deadline_year"]),
                "hurdle_irr": float(dec["hurdle_irr"])}
    return sm.load()


PARALLEL_CELLS = 20_000_000
"""Runs with more cash-flow cells than this use all local cores by default (about five
seconds of work on one core); smaller ones stay in this process."""


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


def _execute(sc, chunks, keep, progress, scheduler, workers, breakeven):
    total = sum(b - a for a, b in chunks)
    done = 0
    if scheduler is None:
        scheduler, workers = local_default(sc, len(chunks), workers)
    if scheduler is None:
        for a, b in chunks:
            part = run_chunk(sc, a, b, keep, breakeven)
            done += b - a
            if progress:
                progress(done, total)
            yield part
        return
    from simcrm.engine.parallel import execute_dask

    yield from execute_dask(sc, chunks, keep, progress, scheduler, workers, breakeven)


def assemble(sc: Scenario, parts: list[dict], keep: int,
             metrics: bool = True) -> tuple[xr.Dataset | None, xr.Dataset]:
    """Join chunk outputs into the results and cash-flow Datasets.

    With ``metrics=False`` only the cash flows are assembled (``parts`` need only
    hold the chunks with kept lines) and the results Dataset is None.
    """
    st = sc.settings
    n = int(st["simulation.draws"])
    T = int(st["simulation.horizon_years"])
    years = int(st["simulation.fid_year"]) + np.arange(T)
    coords = _coords(sc, n)
    res = _results_dataset(sc, parts, coords) if metrics else None
    lines = [p["lines"] for p in parts if "lines" in p]
    n_keep = min(n, keep)
    cdata = {}
    if lines:
        for k in list(lines[0]):
            # each line's pieces are let go as soon as they are joined
            arr = np.concatenate([ln.pop(k) for ln in lines], axis=2)
            units = "t/yr" if k == "production" else "MEUR/yr"
            cdata[k] = xr.Variable(("option", "world", "draw", "year"), arr,
                                   {"units": units, "long_name": _line_name(k)})
    ccoords = dict(coords)
    ccoords["draw"] = coords["draw"][:n_keep]
    ccoords["year"] = xr.Variable("year", years, {"units": "year",
                                                   "long_name": "Calendar year"})
    cf = xr.Dataset(cdata, coords=ccoords, attrs=provenance(sc))
    cf.attrs["sign_convention"] = ("Plant lines: inflows to the investor positive, outflows "
                                   "negative. gov_* lines: outlays of the state, positive.")
    return res, cf


def _results_dataset(sc: Scenario, parts: list[dict], coords: dict) -> xr.Dataset:
    """Per-draw metrics and inputs of ``parts`` as the results Dataset."""
    data = {}
    for k, (units, long_name) in METRICS.items():
        arr = np.concatenate([p["metrics"][k] for p in parts], axis=-1)
        data[k] = xr.Variable(("option", "world", "draw"), arr,
                              {"units": units, "long_name": long_name})
    for k in parts[0]["inputs"]:
        arr = np.concatenate([p["inputs"][k] for p in parts], axis=-1)
        data[k] = xr.Variable(("world", "draw"), arr, _input_attrs(k))
    return xr.Dataset(data, coords=coords, attrs=provenance(sc))


def _line_name(k: str) -> str:
    if k in PLANT_LINES:
        return PLANT_LINES[k]
    if k == "net_cash_flow":
        return "Net cash flow to the investor (sum of the plant lines)"
    if k == "production":
        return "Production"
    if k == "gov_outlays":
        return "Government outlays, all levers"
    if k == "gov_receipts":
        return "Government receipts from levers (fees, paybacks, resale)"
    return "Government outlay: " + k.removeprefix("gov_").replace("_", " ")


def _input_attrs(k: str) -> dict:
    if k in INPUTS:
        p = INPUTS[k]
        return {"units": p.unit, "long_name": p.description, "role": "input"}
    if k == "permitting.appeal":
        return {"units": "1", "long_name": "Whether the permit was appealed (1) or not (0)",
                "role": "input"}
    m = k.split(".")[1]
    return {"units": MARKET_UNITS[m], "long_name": f"Mean {m} price over the horizon in this "
            "draw", "role": "input"}


def _coords(sc: Scenario, n: int) -> dict:
    opts = list(sc.options.values())
    worlds = list(sc.worlds.values())
    return {
        "option": xr.Variable("option", [o.name for o in opts], {"long_name": "Policy option"}),
        "world": xr.Variable("world", [w.name for w in worlds], {"long_name": "World"}),
        "draw": xr.Variable("draw", np.arange(n), {"long_name": "Monte Carlo draw"}),
        "option_label_en": xr.Variable("option", [o.label_en or o.name for o in opts]),
        "option_label_nl": xr.Variable("option", [o.label_nl or o.label_en or o.name
                                                   for o in opts]),
        "world_label_en": xr.Variable("world", [w.label_en or w.name for w in worlds]),
        "world_label_nl": xr.Variable("world", [w.label_nl or w.label_en or w.name
                                                 for w in worlds]),
    }


def provenance(sc: Scenario) -> dict:
    """Dataset attributes that make a results file explain itself."""
    st = sc.settings
    return {
        "title": f"simcrm results: {sc.name}",
        "scenario": sc.name,
        "scenario_description": st["scenario.description"],
        "scenario_file": str(sc.path) if sc.path else "",
        "scenario_toml": sc.text,
        "seed": int(st["simulation.seed"]),
        "draws": int(st["simulation.draws"]),
        "sampler": st["simulation.sampler"],
        "fid_year": int(st["simulation.fid_year"]),
        "horizon_years": int(st["simulation.horizon_years"]),
        "price_year": int(st["scenario.price_year"]),
        "currency": st["scenario.currency"],
        "terms": st["scenario.terms"],
        "discounting": DISCOUNTING,
        "simcrm_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host_cpus": os.cpu_count() or 1,
        "decision_min_mean_npv_meur": float(st["decision.min_mean_npv_meur"]),
        "decision_max_loss_prob": float(st["decision.max_loss_prob"]),
        "decision_hurdle_irr": float(st["decision.hurdle_irr"]),
        "decision_production_deadline_year": int(st["decision.production_deadline_year"]),
        "report_lang": st["report.lang"],
    }


def base_case(sc: Scenario, world: str = "base", option: str = "baseline") -> tuple[dict, dict]:
    """The deterministic base case: every uncertain input at its mean, no market shocks
    or jumps, and an appeal counted by its expected delay.

    Returns
    -------
    metrics : dict of float
        As :data:`simcrm.model.business_case.METRICS`.
    lines : dict of ndarray, shape (year,)
        The yearly cash-flow lines [MEUR/yr] (``production`` in t/yr).
    """
    st = sc.settings
    T = int(st["simulation.horizon_years"])
    inp = {k: (v.mean() if isinstance(v, Dist) else v) for k, v in sc.worlds[world].inputs.items()}
    for m in MARKETS:
        inp[f"markets.{m}.volatility"] = 0.0
    z = np.zeros((1, T, len(MARKETS)))
    prices = world_prices(sc, world, inp, z, {})
    appeal = np.array([float(inp["permitting.appeal_prob"])])
    ctx = Context(inp, prices, appeal, st)
    met, lines = business_case(ctx, sc.options[option].levers, keep_lines=True)
    return ({k: float(v[0]) for k, v in met.items()}, {k: v[0] for k, v in lines.items()})


# --------------------------------------------------------------------------------------
# Where chunk outputs go: memory, or a netCDF file on disk; when a run may stop
# --------------------------------------------------------------------------------------


def _bytes_per_draw(sc: Scenario) -> int:
    """Bytes of per-draw results (metrics and inputs) one draw adds."""
    O, W = len(sc.options), len(sc.worlds)
    return 8 * (O * W * len(METRICS) + W * (len(sc.uncertain_keys) + 1 + len(MARKETS)))


class _MemorySink:
    """Keeps every chunk output (small runs)."""

    def __init__(self):
        self.parts: list[dict] = []

    def add(self, part: dict, a: int, b: int) -> None:
        self.parts.append(part)

    def abort(self) -> None:
        self.parts = []


class _StreamSink:
    """Appends each chunk's per-draw results to a netCDF file along ``draw``.

    Variables are stored uncompressed in HDF5 chunks of one option × world and one
    computation chunk of draws, so appending writes whole HDF5 chunks and reading one
    option × world (for the summary) reads one contiguous run of them.  Only chunks
    with kept cash-flow lines stay in memory.
    """

    def __init__(self, sc: Scenario, plan: Plan, folder: str | Path | None):
        self.sc, self.plan = sc, plan
        fd, name = tempfile.mkstemp(prefix=f".simcrm-{sc.name}-", suffix=".nc",
                                    dir=folder)
        os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(name, 0o666 & ~umask)  # it becomes results.nc: usual permissions, not 0600
        self.path = Path(name)
        self.nc = None
        self.kept: list[dict] = []

    def add(self, part: dict, a: int, b: int) -> None:
        import netCDF4

        if "lines" in part:
            self.kept.append({"lines": part["lines"]})
        if self.nc is None:
            coords = _coords(self.sc, b - a)
            coords["draw"] = xr.Variable("draw", np.arange(a, b), coords["draw"].attrs)
            ds = _results_dataset(self.sc, [part], coords)
            step = min(self.plan.chunk_blocks * BLOCK, self.plan.draws)
            enc = {k: {"chunksizes": (1,) * (v.ndim - 1) + (step,), "zlib": True,
                       "complevel": 1, "shuffle": True}
                   for k, v in ds.data_vars.items()}
            enc["draw"] = {"chunksizes": (step,)}
            ds.to_netcdf(self.path, engine="netcdf4", unlimited_dims=["draw"], encoding=enc)
            self.nc = netCDF4.Dataset(self.path, "a")
            for var in self.nc.variables.values():
                # a chunk is written once: a small cache per variable is enough (the
                # library's default, about 16 MB each, adds up to gigabytes)
                var.set_var_chunk_cache(size=1 << 20)
            return
        nc = self.nc
        nc["draw"][a:b] = np.arange(a, b)
        for k, v in part["metrics"].items():
            nc[k][:, :, a:b] = v
        for k, v in part["inputs"].items():
            nc[k][:, a:b] = v

    def finish(self, sc: Scenario, seconds: float) -> Path:
        """Close the file with its provenance and summary; return its path."""
        nc = self.nc
        for k, v in provenance(sc).items():
            nc.setncattr(k, v)
        nc.setncattr("run_seconds", round(seconds, 3))
        nc.setncattr("chunk_size", self.plan.chunk_blocks * BLOCK)
        nc.setncattr("streamed", "per-draw results were written to disk chunk by chunk; "
                     "the summary_* variables were computed from this file")
        nc.close()
        self.nc = None
        with xr.open_dataset(self.path, engine="netcdf4") as ds:
            sm = summarise_file(self.path, ds)
        import netCDF4

        with netCDF4.Dataset(self.path, "a") as nc:
            for k, v in sm.data_vars.items():
                var = nc.createVariable(f"summary_{k}", "f8", ("option", "world"))
                var[:] = v.values
                for ak, av in v.attrs.items():
                    var.setncattr(ak, av)
                var.setncattr("role", "summary")
                var.setncattr("coordinates", " ".join(
                    c for c in ("option_label_en", "option_label_nl", "world_label_en",
                                "world_label_nl") if c in ds.coords))
            nc.setncattr("decision_rule", sm.attrs["decision_rule"])
        return self.path

    def abort(self) -> None:
        if self.nc is not None:
            self.nc.close()
            self.nc = None
        self.path.unlink(missing_ok=True)
        self.kept = []


class _PrecisionStop:
    """Finds the first whole block where every option × world has se(P(NPV>0)) < P."""

    def __init__(self, precision: float):
        self.precision = float(precision)
        self.pos = None

    def update(self, npv: np.ndarray, a: int, b: int) -> int | None:
        """Take the NPVs of draws ``a`` .. ``b``; return the draw count to stop at, if any."""
        pos = np.cumsum(npv > 0, axis=-1)
        if self.pos is not None:
            pos += self.pos[..., None]
        self.pos = pos[..., -1]
        ends = np.arange((a // BLOCK + 1) * BLOCK, b + 1, BLOCK)
        if not ends.size or ends[-1] != b:
            ends = np.append(ends, b)
        ends = ends[ends >= MIN_PRECISION_DRAWS]
        if not ends.size:
            return None
        p = pos[..., ends - a - 1] / ends
        se = np.sqrt(p * (1 - p) / ends)
        ok = np.nonzero((se < self.precision).all(axis=(0, 1)))[0]
        return int(ends[ok[0]]) if ok.size else None


def _trim(part: dict, m: int, keep_m: int) -> dict:
    """The first ``m`` draws of a chunk output (``keep_m`` of its kept lines)."""
    out = {"metrics": {k: v[..., :m] for k, v in part["metrics"].items()},
           "inputs": {k: v[..., :m] for k, v in part["inputs"].items()}}
    if "lines" in part and min(m, keep_m) > 0:
        out["lines"] = {k: v[:, :, :min(m, keep_m)] for k, v in part["lines"].items()}
    return out


def summarise_file(path: str | Path, ds: xr.Dataset | None = None) -> xr.Dataset:
    """:func:`simcrm.analysis.summary.summarise` of a results file, one option × world at a time.

    The per-draw results are never all in memory: each statistic is computed from one
    option × world (and the baseline of the same world) read from the file, so
    quantiles and CVaR are exact, with the same formulas as ``summarise``.  Memory
    is a few arrays of one value per draw.
    """
    import netCDF4

    from simcrm.analysis.summary import summary_from

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
