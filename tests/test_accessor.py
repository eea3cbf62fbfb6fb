"""The `simcrm` accessor on results Datasets."""

from __future__ import annotations

import pytest
import xarray as xr
from matplotlib.figure import Figure

import simcrm
from simcrm.analysis import ranking
from simcrm.analysis.summary import summarise
from simcrm.present.charts import title_of

from .conftest import SMALL

OPTIONS = """
[options.grant.capex_grant]
share = [0.1, 0.3]
[options.fast.permit_fast_track]
cap_months = 15
[worlds.dump]
markets.product.start = { times = 0.6 }
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    p = tmp_path_factory.mktemp("acc") / "a.toml"
    p.write_text(SMALL + OPTIONS, encoding="utf-8")
    return simcrm.simulate(simcrm.load_scenario(p), draws=500, keep_cashflows=30)


def test_analysis_through_the_accessor(run):
    ds = run.results
    sm = ds.simcrm.summary()
    xr.testing.assert_identical(sm, summarise(ds.drop_vars(
        [k for k in ds.data_vars if k.startswith("summary_")])))
    assert ds.simcrm.best_option("base") == ranking.best_option(sm, "base")
    assert ds.simcrm.best_option() == ds.simcrm.best_option("base")
    best = ds.simcrm.best_options()
    assert best.dims == ("world",) and {"base", "dump"} <= set(best["world"].values)
    assert len(ds.simcrm.table()) == ds.sizes["option"] * ds.sizes["world"]
    assert ds.simcrm.ranking()["rank"].tolist()[0] == 1
    assert "regret_npv" in ds.simcrm.regret()
    assert ds.simcrm.findings().best == ds.simcrm.best_option()


@pytest.mark.parametrize("name", ["npv", "cost_vs_probability", "first_production", "tornado",
                                  "heatmap", "response", "robustness", "convergence"])
def test_charts_through_the_accessor(run, name):
    fig = getattr(run.results.simcrm.plot, name)(lang="nl")
    assert isinstance(fig, Figure)
    assert title_of(fig)


def test_cashflow_fan_through_the_accessor(run):
    fig = run.results.simcrm.plot.cashflow_fan(run.cashflows)
    assert "cash flow" in title_of(fig)
