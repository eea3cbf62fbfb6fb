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
