"""simcrm — investment-condition scenario simulator for critical-raw-material processing.

Python API (everything the command line does)::

    import simcrm
    sc = simcrm.load_scenario("scenarios/lithium-hydroxide-refinery.toml")
    res = simcrm.simulate(sc, draws=10_000)
    res.results            # xarray.Dataset: option × world × draw
    simcrm.summarise(res.results)
    simcrm.write_results(res, "results/lithium")
"""

import simcrm.accessor  # noqa: F401 (registers the `simcrm` accessor on Datasets)
from simcrm._version import __version__
from simcrm.analysis.summary import summarise, summary_table
from simcrm.engine.run import Results, simulate
from simcrm.io.results import write_results
from simcrm.spec.scenario import Scenario, ScenarioError, load_scenario

__all__ = ["Results", "Scenario", "ScenarioError", "load_scenario", "simulate", "summarise",
           "summary_table", "write_results", "__version__"]
