"""The throughput benchmark behind ``simcrm bench`` / ``make bench``.

Runs the committed scenario ``scenarios/benchmark.toml`` (packaged: ``simcrm:benchmark``;
8 options × 3 worlds × 40 years) through :func:`simcrm.engine.run.simulate` and reports
what the performance contract asks for: cash-flow cells (option × world × draw × year) and draws per
second, peak memory, the random-number floor (the time numpy's PCG64 needs to
generate the normals and uniforms the run consumed) and the run's ratio to it, the
share of time spent in the IRR and in the break-even search, the speed-up over
evaluating the model one draw at a time through simcrm's own API (as per-experiment
tools such as EMA Workbench or @RISK do; measured on a sample of draws), the fixed
cost of a run (imports, and the post-processing of a 20 000-draw run: summary,
sensitivity table, results files) and, with ``--workers N``, the engine's speed per
CPU-second on N dask worker processes against this process.  Timings are measured,
never asserted in tests.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from simcrm.engine.evaluate import (
    evaluate,
    evaluate_chunk,
    investor_fits,
    jump_streams,
    random_numbers,
    world_draws,
)
from simcrm.engine.run import make_plan, simulate
from simcrm.engine.sampling import BLOCK, BlockDraws
from simcrm.kernels.finance import irr
from simcrm.spec.library import library_file
from simcrm.spec.registry import MARKETS
from simcrm.spec.scenario import Scenario, load_scenario

BENCHMARK = library_file("benchmark")  # shipped in the package: works from a wheel


def _random_numbers_per_draw(sc: Scenario) -> tuple[int, int]:
    """(normals, uniforms) one draw consumes."""
    T = int(sc.settings["simulation.horizon_years"])
    normals = T * len(MARKETS)
    uniforms = len(sc.uncertain_keys) + T * len(jump_streams(sc)) + 1
    return normals, uniforms


def random_floor(normals: int, uniforms: int, seed: int = 0) -> float:
    """Seconds numpy (PCG64) needs to generate ``normals`` normals and ``uniforms``
    uniforms, in blocks of 2**20 into a reused buffer."""
    g = np.random.Generator(np.random.PCG64(seed))
    buf = np.empty(2**20)
    t0 = time.perf_counter()
    for total, fill in ((normals, g.standard_normal), (uniforms, g.random)):
        left = total
        while left > 0:
            m = min(left, buf.size)
            fill(out=buf[:m])
            left -= m
    return time.perf_counter() - t0


def irr_share(sc: Scenario, draws: int = 4096) -> float:
    """Share of a chunk's time spent in :func:`simcrm.kernels.finance.irr`.

    The chunk of the first ``draws`` draws is evaluated as in a run
    (:func:`~simcrm.engine.evaluate.evaluate_chunk`, no cash-flow lines kept, the
    scenario's investor) with every call of the IRR the business case makes (of the
    net and of the project cash flow) timed (thread CPU time).

    Returns
    -------
    float
        IRR time / chunk time [1].
    """
    from simcrm.model import business_case as bc

    spent = [0.0]

    def timed(cash_flow, *args, **kwargs):
        t = time.thread_time()
        out = irr(cash_flow, *args, **kwargs)
        spent[0] += time.thread_time() - t
        return out

    with np.errstate(all="ignore"):
        evaluate_chunk(sc, 0, min(256, draws), 0)  # compiled kernels loaded
        bc.irr = timed
        try:
            t0 = time.thread_time()
            evaluate_chunk(sc, 0, draws, 0)
            total = time.thread_time() - t0
        finally:
            bc.irr = irr
    return spent[0] / total


def breakeven_share(sc: Scenario, draws: int = 4096) -> float:
    """Share of a chunk's time spent in the break-even search: the chunk of the first
    ``draws`` draws evaluated with and without it (thread CPU time, best of two).

    Returns
    -------
    float
        Break-even time / chunk time [1].
    """
    best = {True: np.inf, False: np.inf}
    with np.errstate(all="ignore"):
        for _ in range(2):
            for be in (True, False):
                t = time.thread_time()
                evaluate_chunk(sc, 0, draws, 0, breakeven=be)
                best[be] = min(best[be], time.thread_time() - t)
    return max(0.0, 1.0 - best[False] / best[True])


def kernel_speed(sc: Scenario, draws: int = 4096) -> dict:
    """Cells per CPU-second of one chunk with each ``simulation.kernel`` (the numpy
    reference and the fused compiled path; thread CPU time, best of two), and their
    ratio.

    Returns
    -------
    dict
        ``kernel`` (the scenario's), ``numpy_cells_per_cpu_second``,
        ``fused_cells_per_cpu_second`` and ``fused_over_numpy`` [1].
    """
    O, W, T = len(sc.options), len(sc.worlds), int(sc.settings["simulation.horizon_years"])
    cells = draws * O * W * T
    best = {}
    with np.errstate(all="ignore"):
        for kernel in ("numpy", "fused"):
            k = sc.with_settings(kernel=kernel)
            evaluate_chunk(k, 0, 256, 0)  # compiled kernels loaded
            best[kernel] = np.inf
            for _ in range(2):
                t = time.thread_time()
                evaluate_chunk(k, 0, draws, 0)
                best[kernel] = min(best[kernel], time.thread_time() - t)
    return {"kernel": sc.settings.get("simulation.kernel") or "fused",
            "numpy_cells_per_cpu_second": cells / best["numpy"],
            "fused_cells_per_cpu_second": cells / best["fused"],
            "fused_over_numpy": best["numpy"] / best["fused"]}


POST_DRAWS = 20_000
"""Draws of the run whose post-processing ``simcrm bench`` times (the fixed cost)."""

_TIMED_RUN = """
import json, resource, sys, time


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


import simcrm.cli as cli
import simcrm.engine.run as run
import simcrm.io.results as rio

marks = {"chunks": 0.0}
_simulate, _chunk, _write = run.simulate, run.evaluate_chunk, rio.ResultsFolder.write


def simulate(*a, **k):
    marks["simulate"] = cpu()
    out = _simulate(*a, **k)
    marks["simulated"] = cpu()
    return out


def evaluate_chunk(*a, **k):
    t = time.thread_time()
    out = _chunk(*a, **k)
    marks["chunks"] += time.thread_time() - t
    return out


def write(self, *a, **k):
    marks["write"] = cpu()
    out = _write(self, *a, **k)
    marks["written"] = cpu()
    return out


run.simulate, run.evaluate_chunk, rio.ResultsFolder.write = simulate, evaluate_chunk, write
cli.main(sys.argv[1:], standalone_mode=False)
marks["total"] = cpu()
print(json.dumps(marks))
"""
"""``simcrm run`` in a fresh Python, with the process's CPU time noted where the run
starts and ends simulating and writing, and the time spent evaluating chunks of draws."""


def post_processing(path: str | Path | None = None, draws: int = POST_DRAWS) -> dict:
    """Time ``simcrm run --no-charts --workers 1`` of ``draws`` draws of the scenario at
    ``path`` (default: the benchmark) in a fresh Python, as a user runs it, keeping
    1 000 draws' cash-flow lines (the default): the start-up (the interpreter, imports,
    reading and checking the scenario), the simulation (the compiled kernels loaded on
    first use, the investor's pilot fit, the chunks of draws, the summary) and the
    writing of the results folder (summary and sensitivity tables, results.nc,
    cashflows.nc, the Excel summary), in CPU seconds of the process.

    Returns
    -------
    dict
        CPU seconds of each part [s]; ``post_processing_share``, the writing's share of
        the whole run's CPU time; ``fixed_cost_cpu_seconds``, the run's CPU time outside
        the evaluation of draws (start-up, kernel loading, pilot fit, summary, writing)
        [s]; the wall-clock seconds of the whole process [s].
    """
    with tempfile.TemporaryDirectory(prefix="simcrm-bench-") as tmp:
        args = [sys.executable, "-c", _TIMED_RUN, "run", str(path or BENCHMARK),
                "--draws", str(int(draws)), "--no-charts", "--quiet", "--workers", "1",
                "--keep-cashflows", "1000", "--out", str(Path(tmp) / "out")]
        t0 = time.perf_counter()
        out = subprocess.run(args, capture_output=True, text=True, cwd=tmp)
        wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"the timed run failed: {out.stderr.strip()[-2000:]}")
    m = json.loads(out.stdout.strip().splitlines()[-1])
    simulate, write = m["simulated"] - m["simulate"], m["written"] - m["write"]
    return {"draws": int(draws), "startup_cpu_seconds": round(m["simulate"], 3),
            "simulate_cpu_seconds": round(simulate, 3),
            "chunks_cpu_seconds": round(m["chunks"], 3),
            "write_cpu_seconds": round(write, 3),
            "total_cpu_seconds": round(m["total"], 3), "wall_seconds": round(wall, 3),
            "post_processing_share": write / m["total"],
            "fixed_cost_cpu_seconds": round(m["total"] - m["chunks"], 3)}


def worker_speed(sc: Scenario, workers: int, scheduler: str | None = None,
                 chunks: int | None = None) -> dict:
    """Cells per CPU-second of the engine in this process and on dask workers.

    The same chunks of 4 096 draws are evaluated here and as dask tasks (on
    ``workers`` local worker processes, or on the cluster at ``scheduler``); each
    chunk's CPU time is measured on the thread that evaluates it, so worker start-up
    and scheduling are not counted.  Here they are evaluated on as many threads at once
    as there are workers, so that both ways share the machine alike (two cores busy at
    once each run slower than one alone: the caches and the memory are shared), and
    also one at a time (``in_process_alone_cells_per_cpu_second``).

    A worker process's first chunk also loads simcrm's lazy imports and compiled
    kernels (this process has them loaded before it is timed), so the ratio is given
    both over every chunk and over the chunks after each worker's first
    (``worker_over_in_process_warm``: the engine's speed on a worker that runs).

    Returns
    -------
    dict
        ``in_process_cells_per_cpu_second`` (``workers`` threads at once) and
        ``in_process_alone_cells_per_cpu_second`` (one thread),
        ``worker_cells_per_cpu_second``, their ratios, the ratio without each worker's
        first chunk, the workers' wall-clock throughput and the scheduler.
    """
    from simcrm.engine.parallel import execute_dask

    O, W, T = len(sc.options), len(sc.worlds), int(sc.settings["simulation.horizon_years"])
    plan = make_plan(int(chunks or 4 * workers) * 4096, 4096).chunks()
    cells = sum(b - a for a, b in plan) * O * W * T
    def timed(chunk):
        with np.errstate(all="ignore"):
            t = time.thread_time()
            evaluate_chunk(sc, *chunk, 0)
            return chunk[0], time.thread_time() - t

    with np.errstate(all="ignore"):
        evaluate_chunk(sc, 0, 1024, 0)  # compiled kernels loaded
    alone = dict(map(timed, plan))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        here = dict(pool.map(timed, plan))
    where = scheduler if scheduler and "://" in scheduler else "processes"
    t0 = time.perf_counter()
    parts = list(execute_dask(sc, plan, 0, None, where, workers, True))
    wall = time.perf_counter() - t0
    on_workers = sum(p["cpu_seconds"] for p in parts)
    first = {}
    for (a, _), p in zip(plan, parts):
        pid = p.get("worker_pid")
        if pid not in first or p["started"] < first[pid][1]:
            first[pid] = (a, p["started"])
    warm = [(a, p["cpu_seconds"]) for (a, _), p in zip(plan, parts)
            if a not in {f[0] for f in first.values()}]
    total = sum(here.values())
    return {"worker_scheduler": where, "workers": workers,
            "in_process_cells_per_cpu_second": cells / total,
            "in_process_alone_cells_per_cpu_second": cells / sum(alone.values()),
            "worker_cells_per_cpu_second": cells / on_workers,
            "worker_over_in_process": total / on_workers,
            "worker_over_in_process_alone": sum(alone.values()) / on_workers,
            "worker_over_in_process_warm": (sum(here[a] for a, _ in warm)
                                            / sum(c for _, c in warm)) if warm else math.nan,
            "worker_processes": len(first),
            "worker_cells_per_wall_second_with_startup": cells / wall}


def single_draw_seconds(sc: Scenario, k: int = 200) -> float:
    """Seconds per draw when the model is evaluated one draw at a time.

    Every option and world of one draw goes through the engine's evaluator
    (:func:`~simcrm.engine.evaluate.world_draws` and
    :func:`~simcrm.engine.evaluate.evaluate`, with the run's investor when ``sc`` has
    its fits, so the same model as the run); the random numbers are drawn beforehand
    and not timed, which favours the one-at-a-time way.

    Returns
    -------
    float
        Time per draw [s].
    """
    rd = random_numbers(sc, 0, BLOCK)
    levers = [o.levers for o in sc.options.values()]
    t0 = time.perf_counter()
    for i in range(k):
        j = i % BLOCK
        one = BlockDraws(rd.u[j:j + 1], rd.z[j:j + 1],
                         {s: v[j:j + 1] for s, v in rd.jumps.items()}, rd.appeal[j:j + 1],
                         {s: v[j:j + 1] for s, v in rd.events.items()})
        for w in sc.worlds:
            evaluate(sc, world_draws(sc, w, one), levers,
                     fits=[sc.value_fits.get((o, w)) for o in sc.options])
    return (time.perf_counter() - t0) / k


def run_bench(path: str | Path | None = None, draws: int | None = None,
              chunk_size: int | None = None, workers: int | None = None,
              scheduler: str | None = None, single: int = 200,
              progress=None, post_draws: int | None = None) -> dict:
    """Run the benchmark and return its figures (see the module docstring).

    ``workers`` of 2 or more (or a ``tcp://`` scheduler) also measures the engine's
    speed per CPU-second on dask worker processes (:func:`worker_speed`);
    ``post_draws`` (default: :data:`POST_DRAWS`, or the run's draws if fewer) is the
    size of the run whose fixed cost is timed (:func:`post_processing`); 0 leaves it out.
    """
    sc = load_scenario(path or BENCHMARK)
    if scheduler is None and workers is None:
        workers = 1  # the per-core figure; --workers N measures local threads
    if draws is not None:
        sc = sc.with_settings(draws=int(draws))
    n = int(sc.settings["simulation.draws"])
    O, W, T = len(sc.options), len(sc.worlds), int(sc.settings["simulation.horizon_years"])
    with tempfile.TemporaryDirectory(prefix="simcrm-bench-") as tmp:
        # warm-up: a run of one chunk loads the compiled kernels and the lazy imports
        # (numba's type registries, xarray's of dask.array), as any run before it in
        # this process would; a fresh process pays them once (fixed_cost's start-up)
        warm = simulate(sc.with_settings(draws=BLOCK * 4), keep_cashflows=0,
                        workers=workers, scheduler=scheduler, stream=True, stream_dir=tmp)
        warm.results.close()
    # the whole run in one window, wall-clock and CPU alike: the pilot fit, the chunks,
    # the streaming to disk and the summary (``res.seconds`` is the chunks and streaming)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="simcrm-bench-") as tmp:
        res = simulate(sc, chunk_size=chunk_size, keep_cashflows=0, workers=workers,
                       scheduler=scheduler, progress=progress, stream_dir=tmp)
        streamed = res.results_path is not None
        res.results.close()
    cpu, seconds = time.process_time() - cpu0, time.perf_counter() - wall0
    cells = n * O * W * T
    # the shares and kernel speeds on chunks as a run evaluates them: with its investor
    probe = sc
    if sc.settings["decision.investor"] == "expected-npv" and not sc.value_fits:
        probe = replace(sc, value_fits=investor_fits(sc, n))
    nz, nu = _random_numbers_per_draw(sc)
    floor = random_floor(nz * n, nu * n)
    per_draw = single_draw_seconds(probe, single) if single else float("nan")
    n_workers = 1 if (scheduler is None and (workers or 1) <= 1) else (workers or os.cpu_count())
    remote = scheduler is not None and "://" in str(scheduler)
    out = {
        "scenario": str(sc.path) if sc.path else sc.name,
        "draws": n, "options": O, "worlds": W, "years": T,
        "cells": cells,
        "chunk_size": int(res.results.attrs.get("chunk_size", 0)),
        "workers": n_workers if not remote else scheduler,
        "scheduler": scheduler or ("in-process" if n_workers == 1 else "threads"),
        "streamed_to_disk": streamed,
        "seconds": round(seconds, 3),
        "draws_seconds": round(res.seconds, 3),
        "cpu_seconds_main_process": round(cpu, 3),
        "cells_per_second": cells / seconds,
        "cells_per_wall_second": cells / seconds,
        "cells_per_cpu_second": cells / cpu if not remote else float("nan"),
        "cells_per_second_per_core": cells / seconds / (n_workers if isinstance(n_workers, int)
                                                        else 1),
        "draws_per_second": n / seconds,
        "peak_memory_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_memory_method": "resource.getrusage(RUSAGE_SELF).ru_maxrss of this process "
                              "(peak resident set; local worker processes not included)",
        "random_normals": nz * n, "random_uniforms": nu * n,
        "random_floor_seconds": round(floor, 4),
        "ratio_to_random_floor": seconds / floor,
        "irr_share_of_time": irr_share(probe),
        "breakeven_share_of_time": breakeven_share(probe),
        "kernel_speed": kernel_speed(probe),
        "single_draw_sample": int(single),
        "single_draw_seconds_per_draw": per_draw,
        "single_draw_extrapolated_seconds": per_draw * n,
        "speedup_over_single_draw": per_draw * n / seconds,
        "speedup_over_single_draw_per_cpu_second": (per_draw * n / cpu if not remote
                                                    else float("nan")),
        "host_cpus": os.cpu_count(),
    }
    post_draws = min(POST_DRAWS, n) if post_draws is None else int(post_draws)
    if post_draws:
        out["fixed_cost"] = post_processing(path, post_draws)
    if remote or (isinstance(n_workers, int) and n_workers >= 2):
        out["worker_speed"] = worker_speed(probe, n_workers if not remote else 2, scheduler)
    return out


def format_bench(r: dict) -> str:
    """The benchmark figures as readable lines."""
    lines = [
        f"scenario        {r['scenario']}: {r['draws']:,} draws × {r['options']} options × "
        f"{r['worlds']} worlds × {r['years']} years = {r['cells']:,} cash-flow cells",
        f"run             {r['seconds']:.2f} s on {r['workers']} worker(s) ({r['scheduler']}), "
        f"chunks of {r['chunk_size']:,} draws" + (", streamed to disk" if r["streamed_to_disk"]
                                                   else "")
        + f"; {r['draws_seconds']:.2f} s of it evaluating and storing draws (the rest: the "
        "pilot fit and the summary)",
        f"throughput      {r['cells_per_wall_second'] / 1e6:.2f} M cells per wall-second "
        f"({r['cells_per_second_per_core'] / 1e6:.2f} M per core), "
        f"{r['cells_per_cpu_second'] / 1e6:.2f} M per CPU-second (target ≥ 10); "
        f"{r['draws_per_second']:,.0f} draws/s",
        f"random floor    {r['random_floor_seconds']:.3f} s for {r['random_normals']:,} normals "
        f"+ {r['random_uniforms']:,} uniforms; run / floor = {r['ratio_to_random_floor']:.1f}",
        f"IRR, break-even {r['irr_share_of_time']:.0%} and {r['breakeven_share_of_time']:.0%} "
        "of a chunk's time",
        f"peak memory     {r['peak_memory_mib']:,.0f} MiB ({r['peak_memory_method']})",
        f"one at a time   {r['single_draw_seconds_per_draw'] * 1e3:.2f} ms per draw "
        f"({r['single_draw_sample']} draws timed) → "
        f"{r['single_draw_extrapolated_seconds']:,.0f} s; "
        f"speed-up {r['speedup_over_single_draw']:,.0f}× (target ≥ 100)",
    ]
    if "kernel_speed" in r:
        k = r["kernel_speed"]
        lines.append(
            f"kernel          {k['kernel']}; one chunk: numpy "
            f"{k['numpy_cells_per_cpu_second'] / 1e6:.2f} M, fused "
            f"{k['fused_cells_per_cpu_second'] / 1e6:.2f} M cells per CPU-second "
            f"({k['fused_over_numpy']:.2f}×)")
    if "fixed_cost" in r:
        f = r["fixed_cost"]
        lines.append(
            f"fixed cost      `simcrm run --no-charts` of {f['draws']:,} draws in a fresh "
            f"Python: {f['total_cpu_seconds']:.1f} CPU-s, of which start-up "
            f"{f['startup_cpu_seconds']:.1f} s, simulating {f['simulate_cpu_seconds']:.1f} s "
            f"(chunks of draws {f['chunks_cpu_seconds']:.1f} s), writing the results folder "
            f"{f['write_cpu_seconds']:.1f} s; post-processing "
            f"{f['post_processing_share']:.0%} of the run (target ≤ 20 %); "
            f"{f['fixed_cost_cpu_seconds']:.1f} CPU-s outside the chunks")
    if "worker_speed" in r:
        w = r["worker_speed"]
        lines.append(
            f"dask workers    {w['worker_cells_per_cpu_second'] / 1e6:.2f} M cells per CPU-second "
            f"on {w['workers']} {w['worker_scheduler']} worker(s), "
            f"{w['in_process_cells_per_cpu_second'] / 1e6:.2f} M in this process on as many "
            f"threads: {w['worker_over_in_process']:.0%} (target ≥ 90 %), "
            f"{w['worker_over_in_process_warm']:.0%} after each worker's first chunk; "
            f"{w['worker_over_in_process_alone']:.0%} of "
            f"{w['in_process_alone_cells_per_cpu_second'] / 1e6:.2f} M on one thread alone")
    return "\n".join(lines)
