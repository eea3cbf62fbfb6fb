"""simcrm — investment-condition scenario simulator for critical-raw-material processing.

Python API (everything the command line does)::

    import simcrm
    sc = simcrm.load_scenario("scenarios/lithium-hydroxide-refinery.toml")
    res = simcrm.simulate(sc, draws=10_000)
    res.results            # xarray.Dataset: option × world × draw
    simcrm.summarise(res.results)
    simcrm.write_results(res, "results/lithium")
"""

__version__ = "0.1.0"

import simcrm.accessor  # noqa: E402, F401 (registers the `simcrm` accessor on Datasets)
from simcrm.analysis.summary import summarise, summary_table  # noqa: E402
from simcrm.engine.run import Results, simulate  # noqa: E402
from simcrm.io.results import write_results  # noqa: E402
from simcrm.spec.scenario import Scenario, ScenarioError, load_scenario  # noqa: E402

__all__ = ["Results", "Scenario", "ScenarioError", "load_scenario", "simulate", "summarise",
           "summary_table", "write_results", "__version__"]
