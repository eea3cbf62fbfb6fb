"""The ``simcrm`` accessor on results Datasets, for notebooks.

Registered when :mod:`simcrm` is imported::

    res = simcrm.simulate(sc)
    ds = res.results
    ds.simcrm.summary()                  # statistics per option × world
    ds.simcrm.best_option("base")        # the ranking rule
    ds.simcrm.plot.npv(lang="nl")        # a briefing chart (matplotlib Figure)
    ds.simcrm.plot.cost_vs_probability()
    ds.simcrm.to_frame()                 # a pandas table, one row per option × world × draw
    experiments, outcomes = ds.simcrm.to_ema()   # EMA Workbench's (experiments, outcomes)

Analysis methods return xarray/pandas objects; ``plot`` methods return
:class:`matplotlib.figure.Figure` objects and draw nothing on screen.
"""

from __future__ import annotations

import pandas as pd
import xarray as xr

from simcrm._lazy import lazy_import
from simcrm.analysis import ranking, robustness
from simcrm.analysis.findings import Findings
from simcrm.analysis.summary import capacity_online, summarise, summary_table

# matplotlib and seaborn add about 0.3 s to `import simcrm` (python -X importtime: 0.82 s
# without, 1.19 s with), which every command would pay: the chart modules load on first use.
charts = lazy_import("simcrm.present.charts")
analysis_charts = lazy_import("simcrm.present.analysis_charts")


@xr.register_dataset_accessor("simcrm")
class SimcrmAccessor:
    """``ds.simcrm``: the analyses and charts of a per-draw results Dataset."""

    def __init__(self, ds: xr.Dataset):
        self._ds = ds
        self._summary: xr.Dataset | None = None

    @property
    def draws(self) -> xr.Dataset:
        """The per-draw results (without the ``summary_*`` variables that files of
        earlier versions held)."""
        ds = self._ds
        return ds.drop_vars([k for k in ds.data_vars if k.startswith("summary_")])

    def summary(self) -> xr.Dataset:
        """:func:`simcrm.analysis.summary.summarise` of the draws (cached)."""
        if self._summary is None:
            self._summary = summarise(self.draws)
        return self._summary

    def capacity_online(self) -> xr.DataArray:
        """Expected nameplate capacity online per calendar year [t/yr]
        (:func:`simcrm.analysis.summary.capacity_online`)."""
        return capacity_online(self.draws)

    def table(self) -> pd.DataFrame:
        """:func:`simcrm.analysis.summary.summary_table`: one row per option × world."""
        return summary_table(self.summary())

    def _baseline(self) -> str:
        opts = [str(o) for o in self._ds["option"].values]
        return "baseline" if "baseline" in opts else opts[0]

    def best_option(self, world: str | None = None) -> str:
        """:func:`simcrm.analysis.ranking.best_option` in ``world`` (default ``base``, else
        the first world)."""
        worlds = [str(w) for w in self._ds["world"].values]
        world = world or ("base" if "base" in worlds else worlds[0])
        return ranking.best_option(self.summary(), world, self._baseline())

    def best_options(self) -> xr.DataArray:
        """The best option in every world (dim ``world``)."""
        return ranking.best_options(self.summary(), self._baseline())

    def findings(self, cashflows: xr.Dataset | None = None) -> Findings:
        """:class:`simcrm.analysis.findings.Findings`: the numbers behind every chart."""
        return Findings(self.draws, self.summary(), cashflows)

    def regret(self) -> xr.Dataset:
        """:func:`simcrm.analysis.robustness.regret` per option × world."""
        return robustness.regret(self._ds)

    def ranking(self, by: str = "regret_npv") -> pd.DataFrame:
        """:func:`simcrm.analysis.robustness.ranking` (minimax regret by default)."""
        return robustness.ranking(self._ds, by)

    def to_frame(self) -> pd.DataFrame:
        """:func:`to_frame` of this Dataset."""
        return to_frame(self._ds)

    def to_ema(self) -> tuple[pd.DataFrame, dict]:
        """:func:`to_ema` of this Dataset."""
        return to_ema(self._ds)

    @property
    def plot(self) -> _Plot:
        """The briefing charts of this Dataset (:mod:`simcrm.present.charts`)."""
        return _Plot(self)


class _Plot:
    """``ds.simcrm.plot``: every chart as a method returning a Figure.

    The presentation modules (matplotlib, seaborn) are imported on first use: they add
    about 0.3 s to ``import simcrm`` (measured with ``python -X importtime``: 0.82 s
    without, 1.19 s with), which every command line call would pay.
    """

    def __init__(self, acc: SimcrmAccessor):
        self._acc = acc
        self._facts = None

    def facts(self, cashflows: xr.Dataset | None = None):
        """:class:`simcrm.present.charts.Facts` of the Dataset (cached without cash flows)."""
        Facts = charts.Facts
        if cashflows is not None:
            return Facts(self._acc.draws, self._acc.summary(), cashflows)
        if self._facts is None:
            self._facts = Facts(self._acc.draws, self._acc.summary())
        return self._facts

    def _charts(self):
        return charts

    def npv(self, lang: str = "en"):
        """NPV distribution per option with P(NPV > 0)."""
        f = self.facts()
        return self._charts().npv_distribution(f.ds, lang, f)

    def cost_vs_probability(self, lang: str = "en"):
        """Expected public cost against P(NPV > 0), efficient options highlighted."""
        f = self.facts()
        return self._charts().cost_vs_probability(f.ds, lang, f)

    def first_production(self, lang: str = "en"):
        """Year of first production per option against the deadline."""
        f = self.facts()
        return self._charts().first_production(f.ds, lang, f)

    def tornado(self, lang: str = "en", top: int = 8):
        """Spearman rank correlation of NPV with the inputs (baseline and best option)."""
        f = self.facts()
        return self._charts().tornado(f.ds, lang, f, top)

    def heatmap(self, lang: str = "en"):
        """P(NPV > 0) per option × world."""
        f = self.facts()
        return self._charts().heatmap_worlds(f.ds, lang, f)

    def response(self, family: str | None = None, lang: str = "en"):
        """The response curve of a family of options (default: the first)."""
        f = self.facts()
        if not f.families:
            raise ValueError("no response family: no lever setting is given as a list")
        return self._charts().response_curve(f.ds, family or f.families[0], lang, f)

    def cashflow_fan(self, cashflows: xr.Dataset, lang: str = "en"):
        """Cumulative net cash flow (P10–P90, median) from ``cashflows.nc``."""
        f = self.facts(cashflows)
        return self._charts().cashflow_fan(f.ds, cashflows, lang, f)

    def robustness(self, lang: str = "en"):
        """Regret per option × world, ranked by minimax regret."""
        return analysis_charts.robustness_chart(self._acc.draws, lang, self.facts())

    def convergence(self, option: str | None = None, world: str | None = None,
                    lang: str = "en"):
        """Running P(NPV > 0) and mean NPV against the number of draws."""
        return analysis_charts.convergence_chart(self._acc.draws, option, world, lang, self.facts())


def _results(results) -> xr.Dataset:
    """The per-draw Dataset of ``results`` (a Dataset or :class:`simcrm.Results`)."""
    ds = getattr(results, "results", results)
    return ds.drop_vars([k for k in ds.data_vars if k.startswith("summary_")])


def to_frame(results) -> pd.DataFrame:
    """The per-draw results as a pandas table (tidy: one row per option × world × draw).

    Parameters
    ----------
    results : xarray.Dataset or simcrm.Results
        Per-draw results of a run.

    Returns
    -------
    pandas.DataFrame
        Columns ``option``, ``world``, ``draw``, every metric (``npv`` [MEUR] ...) and
        every sampled input under its registry key (``plant.capex_meur``); the units are
        in ``df.attrs["units"]``.
    """
    ds = _results(results)
    metrics = [k for k, v in ds.data_vars.items() if v.attrs.get("role") != "input"]
    inputs = [k for k, v in ds.data_vars.items() if v.attrs.get("role") == "input"]
    keep = [c for c in ("option", "world", "draw") if c in ds.coords]
    df = ds[metrics].reset_coords(drop=True).to_dataframe().reset_index()
    if inputs:
        inp = ds[inputs].reset_coords(drop=True).to_dataframe()
        inp.columns = [ds[k].attrs.get("key", k) for k in inputs]
        df = df.merge(inp.reset_index(), on=["world", "draw"], how="left")
    df = df[keep + [c for c in df.columns if c not in keep]]
    df.attrs["units"] = {k: ds[k].attrs.get("simcrm_units", ds[k].attrs.get("units", ""))
                         for k in metrics}
    df.attrs["units"].update({ds[k].attrs.get("key", k): ds[k].attrs.get(
        "simcrm_units", ds[k].attrs.get("units", "")) for k in inputs})
    return df


def to_ema(results) -> tuple[pd.DataFrame, dict]:
    """The results in EMA Workbench's form: ``(experiments, outcomes)``.

    EMA Workbench (``ema_workbench.perform_experiments``) returns an experiments table
    with one row per experiment — the uncertain inputs, the ``scenario`` (a sampled
    state of the world), the ``policy`` and the ``model`` — and a dict of outcome
    arrays aligned with it.  Here an experiment is one option × world × draw: ``policy``
    is the option, ``scenario`` numbers the (world, draw) pairs (EMA's "scenario" is a
    sampled state, what simcrm calls a draw; simcrm's scenario is the whole file), and
    ``world`` is kept as a column.  EMA's analyses (``prim``, ``feature_scoring``,
    ``dimensional_stacking``) and SALib's sample-free ones (``delta``, ``rbd_fast``) take
    these directly.

    Parameters
    ----------
    results : xarray.Dataset or simcrm.Results

    Returns
    -------
    experiments : pandas.DataFrame
        One row per option × world × draw: every sampled input (by registry key), then
        ``world``, ``scenario``, ``policy``, ``model``.
    outcomes : dict of str to numpy.ndarray
        Every per-draw metric (``npv`` [MEUR], ``irr`` [1/yr] ...), shape (experiments,).
    """
    df = to_frame(results)
    ds = _results(results)
    metrics = [k for k, v in ds.data_vars.items() if v.attrs.get("role") != "input"]
    inputs = [c for c in df.columns if c not in metrics and c not in ("option", "world", "draw")]
    worlds = {str(w): i for i, w in enumerate(ds["world"].values)}
    n = ds.sizes["draw"]
    experiments = df[inputs].copy()
    experiments["world"] = df["world"].astype(str).to_numpy()
    experiments["scenario"] = (df["world"].astype(str).map(worlds).to_numpy() * n
                               + df["draw"].to_numpy())
    experiments["policy"] = df["option"].astype(str).to_numpy()
    experiments["model"] = "simcrm"
    outcomes = {k: df[k].to_numpy() for k in metrics}
    return experiments, outcomes
