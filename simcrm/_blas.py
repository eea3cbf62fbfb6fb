"""One BLAS thread inside simcrm's own numerical steps.

simcrm's matrix work is small (least squares over a few dozen columns, the inverse of a
rank-correlation matrix) and runs next to its own workers; OpenBLAS's default of one
thread per core made the sensitivity table cost several times its single-thread CPU
time, its extra threads spinning while they waited for work.  :func:`one_blas_thread`
limits BLAS to one thread for the duration of a step and restores the setting after it,
so a notebook that imports simcrm keeps its own BLAS threading.
"""

from __future__ import annotations

import contextlib
import functools

from threadpoolctl import threadpool_limits

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")
"""Environment variables that set the BLAS threads of a new process (dask workers)."""


def one_blas_thread() -> contextlib.AbstractContextManager:
    """A context in which BLAS (OpenBLAS, MKL, BLIS) uses one thread."""
    return threadpool_limits(limits=1, user_api="blas")


def on_one_blas_thread(func):
    """Decorator: ``func`` runs inside :func:`one_blas_thread`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with one_blas_thread():
            return func(*args, **kwargs)

    return wrapper
