"""Briefing charts and the self-contained report (placeholder until the charts issue lands)."""

from __future__ import annotations

from pathlib import Path

import xarray as xr


def write_report(folder: str | Path, results: xr.Dataset | None = None,
                 lang: str | None = None) -> Path:
    """Draw the charts into ``folder/charts`` and write ``folder/report.html``.

    Parameters
    ----------
    folder : path
        A results folder (or the temporary folder a run is writing).
    results : xarray.Dataset, optional
        The per-draw results; read from ``folder/results.nc`` when omitted.
    lang : {"nl", "en"}, optional
        Language; default: the scenario's ``[report] lang``.

    Returns
    -------
    Path
        The report file.
    """
    folder = Path(folder)
    if results is None:
        with xr.open_dataset(folder / "results.nc") as ds:
            results = ds.load()
    return folder / "report.html"
