"""Writing a results folder safely.

Everything is written into a temporary folder next to the target and renamed
into place at the end, so an interrupted run never leaves half a file, and an
existing folder is replaced only when asked (``force``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import xarray as xr

from .engine import Results, stored_summary
from .metrics import summarise, summary_table

SENSITIVITY_DRAWS = 20_000
"""Draws used for sensitivity.csv (the first ones): enough for rank correlations to
about ±0.01, and quick and small for runs of millions of draws."""


class OutputExistsError(Exception):
    """The results folder exists and ``force`` was not given."""


def default_out_dir(scenario_path: str | Path | None, name: str) -> Path:
    """``results/<scenario-file-stem>`` (relative to the working directory)."""
    stem = Path(scenario_path).stem if scenario_path else name
    return Path("results") / stem


def check_out_dir(out: str | Path, force: bool) -> None:
    """Refuse early (before simulating) if ``out`` exists and ``force`` is false."""
    out = Path(out)
    if out.exists() and not force:
        raise OutputExistsError(
            f"{out} already exists; use --force to replace it, or --out to choose another folder")
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out} exists and is not a folder")


def _encoding(ds: xr.Dataset) -> dict:
    return {k: {"zlib": True, "complevel": 1} for k in ds.data_vars}


def write_results(res: Results, out: str | Path, force: bool = False,
                  write_extra=None) -> Path:
    """Write ``results.nc``, ``cashflows.nc``, ``summary.csv`` and the scenario files.

    Parameters
    ----------
    res : Results
    out : path
        The results folder.
    force : bool
        Replace an existing folder.
    write_extra : callable, optional
        ``write_extra(tmp_dir)`` writes more files (charts, report) before the rename.

    Returns
    -------
    Path
        The folder written.
    """
    out = Path(out)
    check_out_dir(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # the results folder gets the usual permissions, not 0700
    try:
        streamed = res.results_path is not None
        if streamed:  # a large run: its results were written to disk chunk by chunk
            res.results.close()
            shutil.move(res.results_path, tmp / "results.nc")
            res.results = xr.open_dataset(tmp / "results.nc", engine="netcdf4")
            res.results_path = tmp / "results.nc"
        else:
            res.results.to_netcdf(tmp / "results.nc", engine="netcdf4",
                                  encoding=_encoding(res.results))
        res.cashflows.to_netcdf(tmp / "cashflows.nc", engine="netcdf4",
                                encoding=_encoding(res.cashflows))
        stored = any(k.startswith("summary_") for k in res.results.data_vars)
        summary = stored_summary(res.results) if stored else summarise(res.results)
        summary_table(summary).to_csv(tmp / "summary.csv", index=False, float_format="%.6g")
        if res.results.sizes["draw"] >= 50:
            from .sensitivity import input_names, sensitivity_table

            # only what the table reads: NPV and the inputs of its first draws
            names = ["npv", *input_names(res.results)]
            ds = res.results[names].isel(draw=slice(0, SENSITIVITY_DRAWS)).load()
            sensitivity_table(ds, max_draws=SENSITIVITY_DRAWS).to_csv(
                tmp / "sensitivity.csv", index=False, float_format="%.6g")
        sdir = tmp / "scenario"
        sdir.mkdir()
        for i, (path, text) in enumerate(res.scenario.sources.items()):
            name = Path(path).name
            if (sdir / name).exists():
                name = f"{i}-{name}"
            (sdir / name).write_text(text, encoding="utf-8")
        if write_extra is not None:
            write_extra(tmp)
        if streamed:
            res.results.close()
        _replace(tmp, out)
        if streamed:
            res.results = xr.open_dataset(out / "results.nc", engine="netcdf4")
            res.results_path = out / "results.nc"
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _replace(tmp: Path, out: Path) -> None:
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        if old.exists():
            shutil.rmtree(old)
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)
