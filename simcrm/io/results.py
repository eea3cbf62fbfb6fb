"""Writing a results folder safely.

A results folder is only ever written through :class:`ResultsFolder`:

* simcrm replaces a folder only if it wrote that folder itself (it holds the marker
  file :data:`MARKER`) and only with ``force``; it never touches a user's folder, a
  file, a link or its target, the working folder or a folder that holds it;
* a lock file per target (``.<name>.simcrm-lock`` beside it) keeps two runs from
  writing the same folder at once;
* everything is written into a staging folder beside the target (the streamed
  results file of a large run too) and renamed into place at the end, after the
  checks are made once more; an interrupted run removes its staging folder, and a
  staging folder left by a killed run is removed by the next run to the same target.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import netCDF4
import xarray as xr

from simcrm._blas import on_one_blas_thread
from simcrm._version import __version__
from simcrm.analysis.sensitivity import input_names, sensitivity_table
from simcrm.analysis.summary import (
    capacity_online,
    nonfinite_counts,
    summary_table,
)
from simcrm.engine.dataset import netcdf_encoding, open_uncached, stored_summary, write_netcdf
from simcrm.engine.run import Results
from simcrm.io.excel import write_summary_xlsx

CAPACITY_DRAWS = 200_000
"""Draws used for capacity.csv (the first ones): its standard error is then below 0.2 %
of the capacity, and memory stays bounded for runs of millions of draws."""

SENSITIVITY_DRAWS = 20_000
"""Draws used for sensitivity.csv (the first ones): enough for rank correlations to
about ±0.01, and quick and small for runs of millions of draws."""

MARKER = ".simcrm-results"
"""File inside every folder simcrm writes; only such folders are ever replaced."""


class OutputExistsError(Exception):
    """The results folder cannot be written (it exists, is not simcrm's, is locked ...)."""


class WriteError(OSError):
    """Writing the results failed (a full disk, a folder that became read-only ...);
    nothing was written: the staging folder is removed."""


class ResultsFileError(ValueError):
    """A results file that cannot be read: missing, truncated, corrupted, or not one
    that simcrm wrote; the message is one line for the analyst."""


INTERRUPTED_WHILE_WRITING = ("error: interrupted while writing the results; nothing was "
                             "written (the partial folder was removed)")
"""Printed when Ctrl-C or SIGTERM arrives while files are being written."""

EXIT_INTERRUPTED = 130
"""Exit code of a run ended by Ctrl-C or SIGTERM."""


@contextlib.contextmanager
def _exit_on_signal(cleanup):
    """While writing, Ctrl-C or SIGTERM removes what was written and ends the process.

    Raising KeyboardInterrupt inside ``to_netcdf`` left xarray's HDF5 lock held, and the
    file's close in a ``finally`` then waited on it for ever.  Here the signal is handled
    without raising: ``cleanup`` removes the staging folder and the lock file, one line
    is printed, and the process ends at once (exit code 130).  In a thread other than
    the main one (no signal handlers there) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        try:
            cleanup()
        finally:
            sys.stderr.write(INTERRUPTED_WHILE_WRITING + "\n")
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)

    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def write_failure(out: Path, staging: Path | None, e: BaseException) -> WriteError:
    """A :class:`WriteError` for a failed write, saying why in the analyst's words."""
    code = getattr(e, "errno", None)
    free = None
    with contextlib.suppress(OSError):
        free = shutil.disk_usage(staging or out.parent).free
    if code == errno.ENOSPC or (free is not None and free < 64 * 2**20):
        why = "the disk is full" + (f" ({free / 2**20:,.0f} MB free)" if free is not None
                                    else "") + "; free some space or choose another --out"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "the folder is not writable; choose another --out"
    else:
        why = f"{getattr(e, 'strerror', None) or e}"
    return WriteError(code or errno.EIO, f"cannot write the results to {out}: {why}. "
                      "Nothing was written")


def open_results(path: str | Path):
    """Open a results file written by ``simcrm run``, checked to be whole and readable.

    Parameters
    ----------
    path : path
        ``results.nc`` (or the folder holding it).

    Returns
    -------
    xarray.Dataset
        Opened lazily; close it when done.

    Raises
    ------
    ResultsFileError
        A one-line message: not found, not a netCDF file, truncated or corrupted, or
        not written by (this version of) simcrm.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "results.nc"
    if not path.is_file():
        raise ResultsFileError(f"{path} not found: give a folder written by `simcrm run`")
    try:
        with netCDF4.Dataset(path, "r") as nc:
            names = set(nc.variables)
            written_by = str(getattr(nc, "simcrm_version", "") or "")
            need = {"option", "world", "draw", "npv", "built"}  # "built": since issue 11
            if not need <= names:
                who = f"simcrm {written_by}" if written_by else "another program or version"
                raise ResultsFileError(
                    f"{path} is not a results file of this simcrm ({__version__}): it was "
                    f"written by {who} and lacks "
                    + ", ".join(sorted(need - names))
                    + ". Run the scenario again with `simcrm run`")
            for name in sorted(names):  # touch the last HDF5 chunk of every variable
                var = nc.variables[name]
                if var.size:
                    var.set_auto_mask(False)
                    var[tuple(slice(n - 1, n) for n in var.shape)]
    except ResultsFileError:
        raise
    except (OSError, RuntimeError, ValueError, IndexError, KeyError) as e:
        raise ResultsFileError(f"{path} cannot be read: it is truncated, corrupted or not a "
                               f"netCDF file ({e.__class__.__name__}: {str(e)[:80]}). Run the "
                               "scenario again with `simcrm run`") from None
    try:
        return open_uncached(path)
    except (OSError, RuntimeError, ValueError) as e:
        raise ResultsFileError(f"{path} cannot be read ({e.__class__.__name__}: "
                               f"{str(e)[:80]}). Run the scenario again with `simcrm run`"
                               ) from None


def safe_name(text: str) -> str:
    """A folder name made from ``text``: letters, digits, ``.``, ``_`` and ``-`` only,
    no leading or trailing dots (so ``..toml`` cannot name ``results/.``)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-")
    return name or "scenario"


def default_out_dir(scenario_path: str | Path | None, name: str) -> Path:
    """``results/<scenario-file-stem>`` (relative to the working directory), sanitised."""
    stem = Path(scenario_path).stem if scenario_path else name
    return Path("results") / safe_name(stem)


_KNOWN = re.compile(r"^(results\.nc|cashflows\.nc|summary\.(csv|xlsx)|sensitivity\.csv|"
                    r"capacity\.csv|gap\.csv|scenario|charts|report(\.[a-z]{2})?\.(html|pdf)|briefing\.docx)$")


def is_results_folder(path: str | Path) -> bool:
    """True if ``path`` is a folder that simcrm wrote: it holds the marker file, or (a
    folder written before the marker existed) only the files simcrm writes."""
    path = Path(path)
    if not path.is_dir() or path.is_symlink():
        return False
    if (path / MARKER).is_file():
        return True
    names = [p.name for p in path.iterdir()]
    return "results.nc" in names and all(_KNOWN.match(n) for n in names)


def check_out_dir(out: str | Path, force: bool) -> None:
    """Refuse, before anything is simulated, a target simcrm may not write.

    Raises
    ------
    OutputExistsError
        With a message that says what is wrong and what to do instead.
    """
    out = Path(out)
    absolute = Path(os.path.abspath(out))
    if out.is_symlink():
        raise OutputExistsError(
            f"{out} is a link; simcrm does not replace links or what they point to: "
            "give a plain folder with --out")
    here = Path.cwd().resolve()
    real = absolute.resolve()
    if real == here or real in here.parents:
        raise OutputExistsError(
            f"{out} is the folder you are working in (or holds it); give a new folder "
            "with --out, e.g. --out results/my-run")
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out} exists and is not a folder; give a folder with --out")
    if out.is_dir() and any(out.iterdir()):
        if not is_results_folder(out):
            raise OutputExistsError(
                f"{out} already exists and holds files simcrm did not write; simcrm only "
                "replaces results folders it wrote itself. Choose another --out (or move "
                "the folder away yourself)")
        if not force:
            raise OutputExistsError(
                f"{out} already exists; use --force to replace it, or --out to choose "
                "another folder")
    parent = absolute.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputExistsError(f"cannot make {out}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputExistsError(f"cannot write {out}: {parent} is read-only for you; "
                                "choose another --out")


class _Lock:
    """An exclusive, non-blocking lock on a lock file (removed when released)."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> bool:
        for _ in range(20):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                os.close(fd)
                if e.errno in (errno.EAGAIN, errno.EACCES):
                    return False
                raise
            try:  # the file we locked may have been removed by its previous holder
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                os.write(fd, f"{os.getpid()}\n".encode())
                return True
            os.close(fd)
        return False

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            os.unlink(self.path)
        except OSError:
            pass
        os.close(self.fd)
        self.fd = None


class ResultsFolder:
    """A results folder being written: checks, lock, staging folder, atomic rename.

    Use as a context manager::

        with ResultsFolder("results/run1", force=False) as folder:
            res = simulate(sc, stream_dir=folder.staging)
            folder.write(res)
            folder.commit()

    Leaving the ``with`` block without :meth:`commit` (an error, Ctrl-C) removes the
    staging folder and leaves the target as it was.

    Attributes
    ----------
    staging : Path
        The folder the files are written into before the rename.
    removed_stale : list of Path
        Staging folders of earlier, killed runs that were removed on entry.
    """

    def __init__(self, out: str | Path, force: bool = False):
        self.out = Path(out)
        self.force = force
        check_out_dir(self.out, force)
        self._abs = Path(os.path.abspath(self.out))
        self._lock: _Lock | None = None
        self.staging: Path | None = None
        self.removed_stale: list[Path] = []
        self._res: Results | None = None
        self.committed = False

    def __enter__(self) -> ResultsFolder:
        parent, name = self._abs.parent, self._abs.name
        parent.mkdir(parents=True, exist_ok=True)
        lock = _Lock(parent / f".{name}.simcrm-lock")
        if not lock.acquire():
            raise OutputExistsError(
                f"another simcrm run is writing {self.out}; wait for it to finish or choose "
                "another --out")
        self._lock = lock
        try:
            self._remove_stale(parent, name)
            check_out_dir(self.out, self.force)
            self.staging = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=parent))
            umask = os.umask(0)
            os.umask(umask)
            self.staging.chmod(0o777 & ~umask)  # the usual permissions, not 0700
            (self.staging / MARKER).write_text(json.dumps(
                {"written_by": f"simcrm {__version__}", "pid": os.getpid(),
                 "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}) + "\n", encoding="utf-8")
        except BaseException:
            self._cleanup()
            raise
        return self

    def _remove_stale(self, parent: Path, name: str) -> None:
        """Staging and old folders of this target left by a killed run (while we hold the
        lock no other run can be using them); only folders holding the marker."""
        for pattern in (f".{name}.tmp-*", f".{name}.old-*"):
            for p in parent.glob(pattern):
                if is_results_folder(p):
                    shutil.rmtree(p, ignore_errors=True)
                    self.removed_stale.append(p)

    def write(self, res: Results, write_extra=None) -> None:
        """Write the result files of ``res`` into the staging folder.

        Ctrl-C or SIGTERM while writing removes the staging folder and ends the process
        at once (exit code :data:`EXIT_INTERRUPTED`); a failed write (a full disk ...)
        raises :class:`WriteError` and leaves nothing behind.
        """
        self._res = res
        staging = self.staging
        try:
            with _exit_on_signal(self._cleanup):
                write_files(res, staging, write_extra)
        except OSError as e:
            self._cleanup()
            raise write_failure(self.out, staging, e) from None
        except RuntimeError as e:
            if not re.search(r"NetCDF|HDF", str(e)):
                raise
            self._cleanup()
            raise write_failure(self.out, staging, e) from None

    def commit(self) -> Path:
        """Check the target once more and rename the staging folder into place."""
        check_out_dir(self.out, self.force)
        res = self._res
        streamed = res is not None and res.results_path is not None
        if streamed:
            res.results.close()
        target = self._abs
        old = None
        try:
            if target.is_dir() and any(target.iterdir()):  # simcrm's own (checked above)
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
                os.rename(target, old)  # onto the empty folder just made
            elif target.is_dir():
                os.rmdir(target)
            os.rename(self.staging, target)
        except OSError as e:
            if old is not None and not target.exists():
                os.rename(old, target)  # put the previous results back
                old = None
            if e.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise OutputExistsError(
                    f"{self.out} was created by something else while simcrm was running; "
                    "nothing was replaced. Run again with another --out") from None
            raise
        finally:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        self.committed = True
        self.staging = None
        if streamed:
            res.results_path = target / "results.nc"
            res.results = xr.open_dataset(res.results_path, engine="netcdf4")
        return self.out

    def _cleanup(self) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __exit__(self, *exc) -> None:
        self._cleanup()



@on_one_blas_thread
def write_files(res: Results, folder: Path, write_extra=None) -> None:
    """Write ``results.nc``, ``cashflows.nc``, ``summary.csv``, ``sensitivity.csv`` and
    the scenario files into ``folder`` (a staging folder); BLAS runs on one thread."""
    folder = Path(folder)
    streamed = res.results_path is not None
    if streamed:  # a large run: its results were written to disk chunk by chunk
        if res.results_path.parent.resolve() != folder.resolve() or \
                res.results_path.name != "results.nc":
            res.results.close()
            shutil.move(res.results_path, folder / "results.nc")
            res.results_path = folder / "results.nc"
            res.results = open_uncached(res.results_path)
    else:
        write_netcdf(res.results, folder / "results.nc", netcdf_encoding(res.results))
    write_netcdf(res.cashflows, folder / "cashflows.nc", netcdf_encoding(res.cashflows))
    summary = res.summary if res.summary is not None else stored_summary(res.results)
    summary_table(summary, nonfinite_counts(res.results)).to_csv(
        folder / "summary.csv", index=False, float_format="%.6g")
    write_summary_xlsx(summary, folder / "summary.xlsx", res.results.attrs.get("report_lang"))
    if "production_end" in res.results:  # expected capacity online per calendar year
        part = res.results[["first_production", "production_end", "nameplate_tpa"]]
        cap = capacity_online(part.isel(draw=slice(0, CAPACITY_DRAWS)).load())
        cap.to_dataframe(name="capacity_online_tpa").reset_index().to_csv(
            folder / "capacity.csv", index=False, float_format="%.6g")
    if getattr(res, "budget", None) is not None:  # expected budget cash per calendar year
        res.budget.to_dataframe(name="budget_cash_meur_per_yr").reset_index().to_csv(
            folder / "budget.csv", index=False, float_format="%.6g")
    if res.results.sizes["draw"] >= 50 and not nonfinite_counts(res.results).any():
        # (with non-finite NPVs, counted and explained, rank correlations are undefined)
        # only what the table reads: NPV and the inputs of its first draws
        names = ["npv", *input_names(res.results)]
        ds = res.results[names].isel(draw=slice(0, SENSITIVITY_DRAWS)).load()
        sensitivity_table(ds, max_draws=SENSITIVITY_DRAWS).to_csv(
            folder / "sensitivity.csv", index=False, float_format="%.6g")
    sdir = folder / "scenario"
    sdir.mkdir()
    for i, (path, text) in enumerate(res.scenario.sources.items()):
        name = Path(path).name
        if (sdir / name).exists():
            name = f"{i}-{name}"
        (sdir / name).write_text(text, encoding="utf-8")
    if write_extra is not None:
        write_extra(folder)


def check_add_file(out: str | Path, name: str, force: bool) -> None:
    """Refuse, before anything is computed, to add ``name`` to ``out`` where
    :func:`add_file` may not write it.

    Raises
    ------
    OutputExistsError
        ``out`` is not a results folder simcrm wrote (nor new or empty), or it holds
        ``name`` already and ``force`` is false.
    """
    out = Path(out)
    fresh = not out.exists() or (out.is_dir() and not out.is_symlink() and not any(out.iterdir()))
    check_out_dir(out, force=True)  # a link, a file, the working folder, someone else's
    if not fresh and (out / name).exists() and not force:
        raise OutputExistsError(f"{out / name} already exists; use --force to replace it, "
                                "or --out to choose another folder")


def add_file(out: str | Path, name: str, write, force: bool = False) -> Path:
    """Write one file into a results folder: a new folder (made as :class:`ResultsFolder`
    makes one), or one simcrm wrote, beside its other files.

    The file is written under a temporary name and renamed into place, while holding
    the folder's lock (a run writing the same folder makes this fail, and the reverse);
    an existing file of that name is replaced only with ``force``.

    Parameters
    ----------
    out : path
        The results folder.
    name : str
        The file name, e.g. ``gap.csv``.
    write : callable
        ``write(path)`` writes the file.
    force : bool
        Replace an existing file of that name.

    Returns
    -------
    Path
        The file written.
    """
    out = Path(out)
    check_add_file(out, name, force)
    if not out.exists() or not any(out.iterdir()):
        with ResultsFolder(out, force=True) as folder:
            write(folder.staging / name)
            folder.commit()
        return out / name
    absolute = Path(os.path.abspath(out))
    lock = _Lock(absolute.parent / f".{absolute.name}.simcrm-lock")
    if not lock.acquire():
        raise OutputExistsError(f"another simcrm run is writing {out}; wait for it to "
                                "finish or choose another --out")
    tmp = None
    try:
        check_add_file(out, name, force)
        fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
        os.close(fd)
        write(Path(tmp))
        os.replace(tmp, out / name)
        tmp = None
    except OSError as e:
        raise write_failure(out, None, e) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        lock.release()
    return out / name


def write_results(res: Results, out: str | Path, force: bool = False,
                  write_extra=None) -> Path:
    """Write a results folder: ``results.nc``, ``cashflows.nc``, ``summary.csv``,
    ``sensitivity.csv`` and the scenario files.

    Parameters
    ----------
    res : Results
    out : path
        The results folder.  An existing one is replaced only if simcrm wrote it and
        ``force`` is true.
    force : bool
        Replace an existing results folder written by simcrm.
    write_extra : callable, optional
        ``write_extra(folder)`` writes more files (charts, report) before the rename.

    Returns
    -------
    Path
        The folder written.
    """
    with ResultsFolder(out, force) as folder:
        folder.write(res, write_extra)
        return folder.commit()
