"""glibc's malloc thresholds for the processes simcrm runs in.

A chunk of draws makes and frees hundreds of temporary arrays of 0.3-1.3 MB.  glibc
serves a request above its mmap threshold with fresh pages from the kernel and returns
free memory at the top of its heap once more than its trim threshold is free; both
start at 128 KiB and the mmap threshold rises only as mapped blocks are freed, so a run
keeps mapping arrays, faulting them in page by page and handing them back.  With the
thresholds of :data:`MALLOC_ENVIRON` (the largest mmap threshold glibc accepts on 64-bit,
and a trim threshold four times that) the arrays are reused from the heap: a streamed
run of the benchmark (100 000 draws) took 11.5-11.7 CPU-s instead of 12.3-13.5, with
a tenth of the page faults and the same peak memory.

:func:`tune_malloc` sets them in this process (the command line does, for every
command); the dask workers simcrm starts get them as environment variables
(:data:`simcrm.engine.parallel.WORKER_ENVIRON`).  A threshold the user has set in the
environment (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``) is left as it is.
Elsewhere than on glibc (macOS, musl) nothing changes.
"""

from __future__ import annotations

import ctypes
import os
import sys

MALLOC_ENVIRON = {
    "MALLOC_TRIM_THRESHOLD_": 128 * 2**20,
    "MALLOC_MMAP_THRESHOLD_": 32 * 2**20,
}
"""The thresholds [bytes], by the environment variable glibc reads them from."""

_MALLOPT = {"MALLOC_TRIM_THRESHOLD_": -1, "MALLOC_MMAP_THRESHOLD_": -3}
"""glibc's ``mallopt`` parameter of each (``M_TRIM_THRESHOLD``, ``M_MMAP_THRESHOLD``)."""


def tune_malloc() -> list[str]:
    """Set :data:`MALLOC_ENVIRON` in this process with glibc's ``mallopt``.

    Returns
    -------
    list of str
        The variables set (none where the C library is not glibc, or where the user's
        environment sets them).
    """
    if not sys.platform.startswith("linux"):
        return []
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return []
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return [name for name, value in MALLOC_ENVIRON.items()
            if name not in os.environ and mallopt(_MALLOPT[name], value) == 1]
