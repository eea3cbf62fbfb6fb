"""The throughput benchmark behind ``simcrm bench`` / ``make bench``.

Runs the committed scenario ``scenarios/benchmark.toml`` (packaged: ``simcrm:benchmark``;
8 options × 3 worlds × 40 years) through :func:`simcrm.engine.run.simulate` and reports
what the performance contract asks for: cash-flow cells (option × world × draw × year) and draws per
second, peak memory, the random-number floor (the time numpy's PCG64 needs to
generate the normals and uniforms the run consumed) and the run's ratio to it, the
share of time spent in the IRR, and the speed-up over evaluating the model one draw
at a time through simcrm's own API (as per-experiment tools such as EMA Workbench
or @RISK do).  Timings are measured, never asserted in tests.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from simcrm.engine.evaluate import (
    evaluate,
    evaluate_chunk,
    jump_streams,
    random_numbers,
    world_draws,
)
from simcrm.engine.run import simulate
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
    (:func:`~simcrm.engine.evaluate.evaluate_chunk`, no cash-flow lines kept) and
    timed; then :func:`~simcrm.kernels.finance.irr` is timed on the net cash flows
    of the same draws (every option and world), which is the one IRR a business
    case computes.

    Returns
    -------
    float
        IRR time / chunk time [1].
    """
    t0 = time.perf_counter()
    evaluate_chunk(sc, 0, draws, 0)
    total = time.perf_counter() - t0
    flows = evaluate_chunk(sc, 0, draws, draws, breakeven=False)["lines"]["net_cash_flow"]
    spent = 0.0
    for row in flows.reshape(-1, *flows.shape[-2:]):
        row = np.ascontiguousarray(row)
        t = time.perf_counter()
        irr(row)
        spent += time.perf_counter() - t
    return spent / total


def single_draw_seconds(sc: Scenario, k: int = 200) -> float:
    """Seconds per draw when the model is evaluated one draw at a time.

    Every option and world of one draw goes through the engine's evaluator
    (:func:`~simcrm.engine.evaluate.world_draws` and
    :func:`~simcrm.engine.evaluate.evaluate`); the random numbers are drawn
    beforehand and not timed, which favours the one-at-a-time way.

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
                         {s: v[j:j + 1] for s, v in rd.jumps.items()}, rd.appeal[j:j + 1])
        for w in sc.worlds:
            evaluate(sc, world_draws(sc, w, one), levers)
    return (time.perf_counter() - t0) / k


def run_bench(path: str | Path | None = None, draws: int | None = None,
              chunk_size: int | None = None, workers: int | None = None,
              scheduler: str | None = None, single: int = 200,
              progress=None) -> dict:
    """Run the benchmark and return its figures (see the module docstring)."""
    sc = load_scenario(path or BENCHMARK)
    if scheduler is None and workers is None:
        workers = 1  # the per-core figure; --workers N measures local threads
    if draws is not None:
        sc = sc.with_settings(draws=int(draws))
    n = int(sc.settings["simulation.draws"])
    O, W, T = len(sc.options), len(sc.worlds), int(sc.settings["simulation.horizon_years"])
    cpu0 = time.process_time()
    with tempfile.TemporaryDirectory(prefix="simcrm-bench-") as tmp:
        res = simulate(sc, chunk_size=chunk_size, keep_cashflows=0, workers=workers,
                       scheduler=scheduler, progress=progress, stream_dir=tmp)
        streamed = res.results_path is not None
        res.results.close()
    cpu = time.process_time() - cpu0
    seconds = res.seconds
    cells = n * O * W * T
    nz, nu = _random_numbers_per_draw(sc)
    floor = random_floor(nz * n, nu * n)
    per_draw = single_draw_seconds(sc, single) if single else float("nan")
    n_workers = 1 if (scheduler is None and (workers or 1) <= 1) else (workers or os.cpu_count())
    return {
        "scenario": str(sc.path) if sc.path else sc.name,
        "draws": n, "options": O, "worlds": W, "years": T,
        "cells": cells,
        "chunk_size": int(res.results.attrs.get("chunk_size", 0)),
        "workers": n_workers if scheduler is None or "://" not in str(scheduler) else scheduler,
        "scheduler": scheduler or ("in-process" if n_workers == 1 else "threads"),
        "streamed_to_disk": streamed,
        "seconds": round(seconds, 3),
        "cpu_seconds_main_process": round(cpu, 3),
        "cells_per_second": cells / seconds,
        "cells_per_second_per_core": cells / seconds / (n_workers if isinstance(n_workers, int)
                                                        else 1),
        "draws_per_second": n / seconds,
        "peak_memory_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_memory_method": "resource.getrusage(RUSAGE_SELF).ru_maxrss of this process "
                              "(peak resident set; local worker processes not included)",
        "random_normals": nz * n, "random_uniforms": nu * n,
        "random_floor_seconds": round(floor, 4),
        "ratio_to_random_floor": seconds / floor,
        "irr_share_of_time": irr_share(sc),
        "single_draw_seconds_per_draw": per_draw,
        "single_draw_extrapolated_seconds": per_draw * n,
        "speedup_over_single_draw": per_draw * n / seconds,
        "host_cpus": os.cpu_count(),
    }


def format_bench(r: dict) -> str:
    """The benchmark figures as readable lines."""
    return "\n".join([
        f"scenario        {r['scenario']}: {r['draws']:,} draws × {r['options']} options × "
        f"{r['worlds']} worlds × {r['years']} years = {r['cells']:,} cash-flow cells",
        f"run             {r['seconds']:.2f} s on {r['workers']} worker(s) ({r['scheduler']}), "
        f"chunks of {r['chunk_size']:,} draws" + (", streamed to disk" if r["streamed_to_disk"]
                                                   else ""),
        f"throughput      {r['cells_per_second'] / 1e6:.2f} M cells/s "
        f"({r['cells_per_second_per_core'] / 1e6:.2f} M per core; target ≥ 20), "
        f"{r['draws_per_second']:,.0f} draws/s",
        f"random floor    {r['random_floor_seconds']:.3f} s for {r['random_normals']:,} normals "
        f"+ {r['random_uniforms']:,} uniforms; run / floor = {r['ratio_to_random_floor']:.1f} "
        "(target ≤ 3)",
        f"IRR             {r['irr_share_of_time']:.0%} of a chunk's time (target < 30 %)",
        f"peak memory     {r['peak_memory_mib']:,.0f} MiB ({r['peak_memory_method']})",
        f"one at a time   {r['single_draw_seconds_per_draw'] * 1e3:.2f} ms per draw → "
        f"{r['single_draw_extrapolated_seconds']:,.0f} s extrapolated; speed-up "
        f"{r['speedup_over_single_draw']:,.0f}×",
    ])
