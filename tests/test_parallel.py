"""Chunks as dask tasks: the numbers do not depend on the scheduler or the workers."""

from __future__ import annotations

import numpy as np
import pytest

import simcrm
from simcrm.engine.run import simulate

distributed = pytest.importorskip("distributed")


def _same(a, b):
    for k in a.results.data_vars:
        x, y = a.results[k].values, b.results[k].values
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), k
    for k in a.cashflows.data_vars:
        assert np.array_equal(a.cashflows[k].values, b.cashflows[k].values, equal_nan=True), k


def test_distributed_cluster_gives_bit_identical_results(levers_path):
    sc = simcrm.load_scenario(levers_path)
    local = simulate(sc, draws=2500, chunk_size=1024, keep_cashflows=1500)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        done = []
        remote = simulate(sc, draws=2500, chunk_size=2048, keep_cashflows=1500,
                          scheduler=cluster.scheduler_address,
                          progress=lambda d, t: done.append((d, t)))
    _same(local, remote)
    assert done[-1] == (2500, 2500)
    assert [d for d, _ in done] == sorted(d for d, _ in done)


def test_chunk_outputs_come_back_in_order(small_path):
    from simcrm.engine.evaluate import evaluate_chunk
    from simcrm.engine.parallel import execute_dask
    from simcrm.engine.run import make_plan

    sc = simcrm.load_scenario(small_path)
    chunks = make_plan(5 * 1024, 1024).chunks()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        parts = list(execute_dask(sc, chunks, 0, None, cluster.scheduler_address, None, False,
                                  in_flight=2))
    for (a, b), part in zip(chunks, parts, strict=True):
        ref = evaluate_chunk(sc, a, b, 0, False)
        assert np.array_equal(part["metrics"]["npv"], ref["metrics"]["npv"])


def test_local_worker_processes_start_with_fast_malloc_settings(small_path, monkeypatch):
    """dask's default MALLOC_TRIM_THRESHOLD_=65536 made every chunk several times slower on
    worker processes; simcrm's own workers start with WORKER_ENVIRON, the results stay
    bit-identical and this process's environment is left as it was."""
    from simcrm.engine import parallel
    from simcrm.engine.run import make_plan

    for k in parallel.WORKER_ENVIRON:
        monkeypatch.delenv(k, raising=False)
    sc = simcrm.load_scenario(small_path)
    client, cluster = parallel._client("processes", 1)
    try:
        env = client.run(parallel._malloc_environ)
        assert parallel.slow_malloc_workers(client) == []
    finally:
        client.close()
        cluster.close()
    assert [e["MALLOC_MMAP_THRESHOLD_"] for e in env.values()] == [str(32 * 2**20)]
    assert [e["MALLOC_TRIM_THRESHOLD_"] for e in env.values()] == [str(128 * 2**20)]
    assert not any(k in __import__("os").environ for k in parallel.WORKER_ENVIRON)
    chunks = make_plan(2048, 1024).chunks()
    parts = list(parallel.execute_dask(sc, chunks, 0, None, "processes", 2, False))
    local = simulate(sc, draws=2048, chunk_size=1024, breakeven=False)
    npv = np.concatenate([p["metrics"]["npv"] for p in parts], axis=-1)
    assert np.array_equal(npv, local.results["npv"].values, equal_nan=True)
    assert all(p["cpu_seconds"] > 0 for p in parts)


def test_workers_with_dasks_default_malloc_settings_are_named(monkeypatch):
    import dask

    from simcrm.engine import parallel

    for k in parallel.WORKER_ENVIRON:
        monkeypatch.delenv(k, raising=False)
    with dask.config.set({"distributed.nanny.pre-spawn-environ":
                          {"MALLOC_TRIM_THRESHOLD_": 65536}}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                     dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        assert parallel.slow_malloc_workers(client) == list(cluster.scheduler_info["workers"])
