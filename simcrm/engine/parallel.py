"""Chunks as dask tasks: local workers or a dask.distributed cluster.

Each chunk of draws is one task (:func:`simcrm.engine.evaluate.evaluate_chunk`);
cheap per-draw calls are never shipped.  Chunk outputs come back in draw order,
with at most a few chunks in flight per worker, so the memory of a huge run stays
bounded.  A chunk's numbers depend only on its block indices, so results are
bit-identical whatever the scheduler or the number of workers.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterator

import dask
import numpy as np
from distributed import Client, LocalCluster
from distributed import TimeoutError as DaskTimeoutError

from simcrm.engine.evaluate import evaluate_chunk
from simcrm.spec.scenario import Scenario

log = logging.getLogger("simcrm")

LOCAL_SCHEDULERS = ("threads", "processes")
"""Names of the local dask schedulers; anything else must be an address ``tcp://...``."""

CONNECT_SECONDS = 20
"""How long to try to reach a scheduler before giving up [s]."""

STALL_SECONDS = 300
"""A run with no chunk finished for this long says so (and again at each multiple) [s]."""

POLL_SECONDS = 5
"""How often the run checks that its workers are still there while it waits [s]."""


WORKER_ENVIRON = {
    "MALLOC_TRIM_THRESHOLD_": 128 * 2**20,
    "MALLOC_MMAP_THRESHOLD_": 32 * 2**20,
    "OMP_NUM_THREADS": 1,
    "MKL_NUM_THREADS": 1,
    "OPENBLAS_NUM_THREADS": 1,
}
"""Environment of the local worker processes simcrm starts (dask's
``distributed.nanny.pre-spawn-environ``, set before a worker process starts).

dask's own default, ``MALLOC_TRIM_THRESHOLD_=65536``, fixes glibc's mmap threshold at
128 KiB: every temporary array of a chunk (a 4 096-draw × 40-year array is 1.3 MB) is
then mapped from and returned to the kernel, page faults and all, and the benchmark's
chunks cost 3.9× the CPU time they cost in a plain process (1.2 against 4.6 M cells per
CPU-second, measured on the 2-core development machine).  A 32 MiB mmap threshold (the
largest glibc accepts on 64-bit) and a 128 MiB trim threshold give back the plain
process's speed; memory stays bounded by the chunks in flight.  One BLAS thread per
worker, as dask sets it.  A cluster reached by ``--scheduler tcp://`` takes these from
its own configuration (docs/architecture.md, "Performance")."""

MALLOC_SLOW_BELOW = 2**20
"""A worker whose ``MALLOC_TRIM_THRESHOLD_`` is below this [bytes] and that has no
``MALLOC_MMAP_THRESHOLD_`` runs simcrm slowly (see :data:`WORKER_ENVIRON`)."""


class ClusterLost(RuntimeError):
    """The dask scheduler or every worker went away (or could not be reached)."""


def check_scheduler(scheduler: str | None) -> None:
    """Refuse a ``scheduler`` that is neither a local one nor an address.

    Raises
    ------
    ValueError
        With a message naming what is allowed.
    """
    if scheduler is None or scheduler in LOCAL_SCHEDULERS:
        return
    if "://" not in scheduler or not scheduler.split("://", 1)[1]:
        raise ValueError(f"--scheduler {scheduler!r} is not allowed: give 'threads', "
                         "'processes' or a dask scheduler address such as tcp://host:8786")


def _client(scheduler: str | None, workers: int | None) -> tuple[Client, LocalCluster | None]:
    """A client and the local cluster it owns (``None`` for a remote scheduler).

    Local worker threads share one process, so dask's per-worker memory limit (by
    default the machine's memory divided by the workers, measured against the whole
    process) would make every worker pause as soon as the process holds more than one
    share: with ``--workers 20`` they all paused and the run never progressed.  Thread
    workers therefore get no per-worker limit (``memory_limit=0``); the run bounds its
    own memory (chunks in flight, streaming).  Worker processes keep the default, which
    measures each process by itself.
    """
    check_scheduler(scheduler)
    if scheduler and "://" in scheduler:
        try:
            return Client(scheduler, timeout=CONNECT_SECONDS), None
        except (OSError, DaskTimeoutError, ValueError, TypeError) as e:
            raise ClusterLost(f"cannot reach the dask scheduler at {scheduler} "
                              f"({e.__class__.__name__}: {e})") from None
    n = int(workers or os.cpu_count() or 1)
    processes = scheduler == "processes"
    saved = {k: os.environ.get(k) for k in WORKER_ENVIRON}
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ": WORKER_ENVIRON}):
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes,
                                   dashboard_address=":0",
                                   **({} if processes else {"memory_limit": 0}))
    finally:  # dask sets them in this process to pass them on; put ours back
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Client(cluster), cluster


def _malloc_environ() -> dict:
    return {k: os.environ.get(k) for k in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")}


def slow_malloc_workers(client: Client) -> list[str]:
    """Addresses of the cluster's workers whose malloc settings make simcrm slow: dask's
    default ``MALLOC_TRIM_THRESHOLD_=65536`` without a raised mmap threshold (see
    :data:`WORKER_ENVIRON`); empty when they cannot be asked."""
    try:
        env = client.run(_malloc_environ)
    except Exception:  # noqa: BLE001 - a worker that cannot answer is not warned about
        return []
    slow = []
    for address, e in env.items():
        trim, mmap = e.get("MALLOC_TRIM_THRESHOLD_"), e.get("MALLOC_MMAP_THRESHOLD_")
        if trim is not None and trim.isdigit() and int(trim) < MALLOC_SLOW_BELOW and not mmap:
            slow.append(address)
    return sorted(slow)


def _wait(client: Client, fut, started: float, address: str):
    """The result of ``fut``; says so when nothing finishes for a long time, and raises
    :class:`ClusterLost` when the scheduler or every worker is gone."""
    warned = 0
    while True:
        try:
            return fut.result(timeout=POLL_SECONDS)
        except DaskTimeoutError:
            pass
        except (KeyboardInterrupt, ClusterLost):
            raise
        except Exception as e:  # noqa: BLE001 - the cluster's many ways of failing
            if client.status not in ("running", "connecting") or _n_workers(client) == 0:
                raise ClusterLost(f"the dask scheduler {address} or all its workers were lost "
                                  f"({e.__class__.__name__})") from None
            raise
        if client.status not in ("running", "connecting"):
            raise ClusterLost(f"the connection to the dask scheduler {address} was lost")
        if _n_workers(client) == 0:
            raise ClusterLost(f"every worker of the dask scheduler {address} was lost")
        waited = time.monotonic() - started
        if waited > (warned + 1) * STALL_SECONDS:
            warned += 1
            log.warning("simcrm: no chunk has finished for %.0f s; the workers may be out of "
                        "memory or stuck. Ctrl-C stops the run (nothing is written).", waited)


def _n_workers(client: Client) -> int:
    try:
        return len(client.scheduler_info().get("workers", {}))
    except Exception:  # noqa: BLE001 - no answer is no workers
        return 0


def evaluate_quietly(sc, a, b, keep, breakeven):
    """:func:`evaluate_chunk` without floating-point warnings (a non-finite number is
    counted and reported by the run instead of warned about by numpy); the CPU time the
    chunk took on its worker thread is added as ``cpu_seconds`` [s], with the worker
    process and when the chunk started, ``worker_pid`` and ``started`` (``simcrm
    bench``)."""
    started = time.time()
    t0 = time.thread_time()
    with np.errstate(all="ignore"):
        part = evaluate_chunk(sc, a, b, keep, breakeven)
    part["cpu_seconds"] = time.thread_time() - t0
    part["worker_pid"], part["started"] = os.getpid(), started
    return part


WARM_DRAWS = 8
"""Draws a worker evaluates before its first chunk (:func:`warm_worker`)."""


def warm_worker(sc) -> int:
    """Load simcrm's lazy imports and the compiled kernels of the run on this worker by
    evaluating its first :data:`WARM_DRAWS` draws (thrown away), as a run in one process
    has them loaded after its first chunk; returns the worker's process id.  The first
    chunk of a worker then costs what the others cost (it took about 0.5 CPU-s more)."""
    with np.errstate(all="ignore"):
        evaluate_chunk(sc, 0, WARM_DRAWS, 0)
    return os.getpid()


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
        if cluster is None and (slow := slow_malloc_workers(client)):
            log.warning("simcrm: %d dask worker(s) (%s) run with dask's default "
                        "MALLOC_TRIM_THRESHOLD_=65536, which makes simcrm's chunks several "
                        "times slower; start them with MALLOC_MMAP_THRESHOLD_=%d and "
                        "MALLOC_TRIM_THRESHOLD_=%d (distributed.nanny.pre-spawn-environ, see "
                        "docs/architecture.md)", len(slow), ", ".join(slow[:3]),
                        WORKER_ENVIRON["MALLOC_MMAP_THRESHOLD_"],
                        WORKER_ENVIRON["MALLOC_TRIM_THRESHOLD_"])
        [sc_f] = client.scatter([sc], broadcast=True)
        address = getattr(client.scheduler, "address", None) or str(scheduler)
        started = time.monotonic()
        for w in list(client.scheduler_info().get("workers", {})):
            warm = client.submit(warm_worker, sc_f, workers=[w], allow_other_workers=True,
                                 pure=False, key=f"simcrm-warm-{w}-{id(sc_f)}")
            pending.append((0, warm))
        while pending:  # every worker at once; none is charged to a chunk
            _wait(client, pending[0][1], started, address)
            pending.popleft()[1].release()
        total = sum(b - a for a, b in chunks)
        done = 0
        todo = iter(chunks)

        def submit_next() -> None:
            nxt = next(todo, None)
            if nxt is not None:
                a, b = nxt
                pending.append((b - a, client.submit(evaluate_quietly, sc_f, a, b, keep,
                                                     breakeven,
                                                     key=f"simcrm-chunk-{a}-{b}-{id(sc_f)}",
                                                     retries=1)))

        for _ in range(ahead):
            submit_next()
        while pending:
            size, fut = pending.popleft()
            part = _wait(client, fut, time.monotonic(), address)
            fut.release()
            submit_next()
            done += size
            if progress:
                progress(done, total)
            yield part
    finally:
        for _, fut in pending:
            try:
                fut.cancel()
            except Exception:  # noqa: BLE001, S110 - a lost cluster cannot cancel
                pass
        try:
            client.close(timeout=5)
        except Exception:  # noqa: BLE001, S110 - closing a lost connection
            pass
        if cluster is not None:
            cluster.close()
