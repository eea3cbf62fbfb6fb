"""What drives the result: rank correlations of an output with the sampled inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats


def input_names(ds: xr.Dataset) -> list[str]:
    """Names of the per-draw sampled inputs kept in a results Dataset."""
    return [k for k, v in ds.data_vars.items() if v.attrs.get("role") == "input"]


def spearman(ds: xr.Dataset, option: str, world: str, output: str = "npv") -> pd.DataFrame:
    """Spearman rank correlation of ``output`` with every input that varies.

    Parameters
    ----------
    ds : xarray.Dataset
        Per-draw results.
    option, world : str
    output : str
        A per-draw metric, e.g. ``npv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``input``, ``long_name``, ``units``, ``rho``; sorted by ``|rho|``,
        largest first.  Inputs that are constant in this world are left out.
    """
    y = ds[output].sel(option=option, world=world).values
    ok = np.isfinite(y)
    rows = []
    ry = stats.rankdata(y[ok])
    for k in input_names(ds):
        x = ds[k].sel(world=world).values[ok]
        if np.ptp(x) == 0:
            continue
        rho = float(np.corrcoef(stats.rankdata(x), ry)[0, 1])
        rows.append({"input": k, "long_name": ds[k].attrs.get("long_name", k),
                     "units": ds[k].attrs.get("units", ""), "rho": rho})
    df = pd.DataFrame(rows, columns=["input", "long_name", "units", "rho"])
    return df.reindex(df["rho"].abs().sort_values(ascending=False).index).reset_index(drop=True)
