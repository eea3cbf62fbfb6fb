"""simcrm — investment-condition scenario simulator for critical-raw-material processing.

Python API (everything the command line does)::

    import simcrm
    sc = simcrm.load_scenario("scenarios/lithium-hydroxide-refinery.toml")
    res = simcrm.simulate(sc, draws=10_000)
    res.results            # xarray.Dataset: option × world × draw
    simcrm.summarise(res.results)
    simcrm.write_results(res, "results/lithium")

The names below are loaded on first use (module ``__getattr__``), so ``import simcrm``
and the quick commands (``simcrm --help``, ``validate``, ``list``) do not pay for xarray,
scipy and numba (``python -X importtime -c "import simcrm"``: 0.86 s before, a few ms
now).  Using any of them — or ``import simcrm.accessor`` — registers the ``ds.simcrm``
accessor on xarray Datasets.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from simcrm._version import __version__

# public name -> module that defines it
_API = {
    "Results": "simcrm.engine.run",
    "simulate": "simcrm.engine.run",
    "summarise": "simcrm.analysis.summary",
    "summary_table": "simcrm.analysis.summary",
    "write_results": "simcrm.io.results",
    "Scenario": "simcrm.spec.scenario",
    "ScenarioError": "simcrm.spec.scenario",
    "load_scenario": "simcrm.spec.scenario",
    "to_ema": "simcrm.accessor",
    "to_frame": "simcrm.accessor",
}

__all__ = ["Results", "Scenario", "ScenarioError", "load_scenario", "simulate", "summarise",
           "summary_table", "to_ema", "to_frame", "write_results", "__version__"]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from simcrm.accessor import to_ema, to_frame
    from simcrm.analysis.summary import summarise, summary_table
    from simcrm.engine.run import Results, simulate
    from simcrm.io.results import write_results
    from simcrm.spec.scenario import Scenario, ScenarioError, load_scenario


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'simcrm' has no attribute {name!r}")
    importlib.import_module("simcrm.accessor")  # registers `ds.simcrm` with any API use
    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
