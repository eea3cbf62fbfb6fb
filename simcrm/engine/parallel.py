"""Chunks as dask tasks: local workers or a dask.distributed cluster.

Each chunk of draws is one task (:func:`simcrm.engine.evaluate.evaluate_chunk`);
cheap per-draw calls are never shipped.  Chunk outputs come back in draw order,
with at most a few chunks in flight per worker, so the memory of a huge run stays
bounded.  A chunk's numbers depend only on its block indices, so results are
bit-identical whatever the scheduler or the number of workers.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator

from distributed import Client, LocalCluster

from simcrm.engine.evaluate import evaluate_chunk
from simcrm.spec.scenario import Scenario


def _client(scheduler: str | None, workers: int | None) -> tuple[Client, LocalCluster | None]:
    """A client and the local cluster it owns (``None`` for a remote scheduler)."""
    if scheduler and "://" in scheduler:
        return Client(scheduler), None
    n = int(workers or os.cpu_count() or 1)
    cluster = LocalCluster(n_workers=n, threads_per_worker=1,
                           processes=scheduler == "processes", dashboard_address=":0")
    return Client(cluster), cluster


def execute_dask(sc: Scenario, chunks: list[tuple[int, int]], keep: int,
                 progress: Callable[[int, int], None] | None, scheduler: str | None,
                 workers: int | None, breakeven: bool,
                 in_flight: int | None = None) -> Iterator[dict]:
    """Run :func:`~simcrm.engine.evaluate.evaluate_chunk` on every chunk with dask.

    Parameters
    ----------
    sc : Scenario
    chunks : list of (int, int)
        ``(first_draw, stop_draw)`` of each chunk.
    keep : int
        Keep yearly cash-flow lines of draws below this.
    progress : callable or None
        ``progress(draws_done, draws_total)`` after each chunk, in order.
    scheduler : str or None
        ``"tcp://host:port"`` for an existing cluster; ``"processes"`` for local worker
        processes; otherwise (``"threads"``) worker threads in this process.
    workers : int or None
        Local workers (default: one per CPU).
    breakeven : bool
        Compute the break-even price.
    in_flight : int, optional
        Chunks submitted ahead of the one being collected (default: 2 per worker).

    Yields
    ------
    dict
        The output of :func:`evaluate_chunk` for each chunk, in the order of ``chunks``.
    """
    client, cluster = _client(scheduler, workers)
    pending: deque = deque()
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or int(workers or 1))
        ahead = int(in_flight or 2 * n_workers + 1)
        [sc_f] = client.scatter([sc], broadcast=True)
        total = sum(b - a for a, b in chunks)
        done = 0
        todo = iter(chunks)

        def submit_next() -> None:
            nxt = next(todo, None)
            if nxt is not None:
                a, b = nxt
                pending.append((b - a, client.submit(evaluate_chunk, sc_f, a, b, keep,
                                                     breakeven,
                                                     key=f"simcrm-chunk-{a}-{b}-{id(sc_f)}",
                                                     retries=1)))

        for _ in range(ahead):
            submit_next()
        while pending:
            size, fut = pending.popleft()
            part = fut.result()
            fut.release()
            submit_next()
            done += size
            if progress:
                progress(done, total)
            yield part
    finally:
        for _, fut in pending:
            fut.cancel()
        client.close()
        if cluster is not None:
            cluster.close()
