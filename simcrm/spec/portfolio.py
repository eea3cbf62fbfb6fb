"""Portfolio files: candidate plants, shared worlds, EU demand and budget envelopes.

A portfolio file (``simcrm portfolio FILE``) names the candidate plants of the national
view, each a scenario file with a site label, a material and an earliest start; the
EU demand per material (t/yr, with a low–high range and a source) against which the
Dutch share and the EU Critical Raw Materials Act processing benchmark are measured;
the annual budget envelopes per instrument family (MEUR/yr, which levers draw on them,
with sources); and the settings of the allocation (objective, world, chance
constraint, frontier).  :func:`load_portfolio` reads and checks it and raises
:class:`~simcrm.spec.scenario.ScenarioError` with every problem found, each naming the
file and key.  The layout, with every key, is in ``docs/portfolio.md``.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simcrm.levers import LEVERS
from simcrm.spec import library
from simcrm.spec.scenario import Problem, Scenario, ScenarioError, load_scenario

OBJECTIVES = ("tonnes", "capacity", "stress")
"""What the allocation maximises (expected, over the baseline of each plant):
tonnes produced up to the deadline year, P(built)-weighted nameplate capacity, or
tonnes produced in stress years (a product-price crash or spike)."""

PLANT_RISKS = ("independent", "common")
"""How the plant-specific uncertainties (capex, schedule, permits, appeals) of
different plants relate: independent draws per plant, or the same draws."""

NONE = "baseline"
"""The option 'no support' of every plant's menu."""


@dataclass(frozen=True)
class Plant:
    """One candidate plant of a portfolio."""

    name: str
    scenario: Scenario
    site: str
    material: str
    material_per_tonne: float
    options: tuple[str, ...]


@dataclass(frozen=True)
class Material:
    """A material of the benchmark: EU demand rows ``(year, low, central, high)`` [t/yr]."""

    name: str
    label_en: str
    label_nl: str
    unit: str
    demand: tuple[tuple[float, float, float, float], ...]
    source: str
    price_flexibility: float = 0.0
    market: tuple[tuple[float, float], ...] = ()
    market_source: str = ""

    def demand_in(self, years: np.ndarray, which: int = 2) -> np.ndarray:
        """EU demand in calendar ``years`` [t/yr]: ``which`` 1 low, 2 central, 3 high;
        linear between the given years, flat before the first and after the last."""
        rows = sorted(self.demand)
        return np.interp(np.asarray(years, float), [r[0] for r in rows], [r[which] for r in rows])

    def market_in(self, years: np.ndarray) -> np.ndarray:
        """The relevant ex-China market of the price effect in calendar ``years`` [t/yr]:
        ``market_tpa`` (linear between years, flat outside), else the central EU demand."""
        if not self.market:
            return self.demand_in(years)
        rows = sorted(self.market)
        return np.interp(np.asarray(years, float), [r[0] for r in rows], [r[1] for r in rows])


@dataclass(frozen=True)
class Envelope:
    """An annual budget envelope of one instrument family [MEUR/yr]."""

    name: str
    label_en: str
    label_nl: str
    levers: tuple[str, ...]
    budget: tuple[tuple[int, float], ...]
    available_share: float
    source: str

    def cap_in(self, years: np.ndarray) -> np.ndarray:
        """What the portfolio may draw in calendar ``years`` [MEUR/yr]: the budget of the
        year (the last given year's after it, 0 before the first) × the available share."""
        rows = sorted(self.budget)
        out = np.zeros(len(years))
        for i, y in enumerate(np.asarray(years)):
            given = [b for yr, b in rows if yr <= y]
            out[i] = given[-1] if given else 0.0
        return out * self.available_share


@dataclass(frozen=True)
class Portfolio:
    """A validated portfolio file."""

    path: Path | None
    name: str
    description: str
    plants: dict[str, Plant]
    materials: dict[str, Material]
    envelopes: dict[str, Envelope]
    worlds: tuple[str, ...]
    draws: int
    seed: int
    deadline_year: int
    valuation_year: int
    last_year: int
    benchmark_share: float
    national_share: float
    plant_risks: str
    product_correlation: float
    allocation: dict = field(default_factory=dict)

    @property
    def years(self) -> np.ndarray:
        """Calendar years of the yearly results."""
        return np.arange(self.valuation_year, self.last_year + 1)

    @property
    def material_names(self) -> list[str]:
        """Materials that some plant makes, in file order."""
        used = {p.material for p in self.plants.values()}
        return [m for m in self.materials if m in used]

    def envelope_of(self, lever: str) -> str | None:
        """The envelope a lever draws on (None: no envelope funds it)."""
        return next((e.name for e in self.envelopes.values() if lever in e.levers), None)


_ALLOCATION_DEFAULTS = {"objective": "tonnes", "world": "base", "alpha": 1.0,
                        "chance_draws": 512, "budget_first_year": None,
                        "budget_last_year": None, "frontier_meur": []}


class _Check:
    def __init__(self, file: str):
        self.file, self.problems = file, []

    def add(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, key, message))

    def num(self, table: dict, key: str, full: str, default, lo: float, hi: float,
            integer: bool = False):
        v = table.get(key, default)
        if v is None:
            self.add(full, "is required")
            return default
        ok = isinstance(v, int if integer else (int, float)) and not isinstance(v, bool)
        if not ok or not math.isfinite(v) or not lo <= v <= hi:
            kind = "a whole number" if integer else "a number"
            self.add(full, f"{v!r} is not allowed: give {kind} from {lo:g} to {hi:g}")
            return default
        return v

    def text(self, table: dict, key: str, full: str, default: str = "") -> str:
        v = table.get(key, default)
        if not isinstance(v, str):
            self.add(full, f"{v!r} is not allowed: give a text in quotes")
            return default
        return v


def load_portfolio(path: str | Path) -> Portfolio:
    """Read and check a portfolio file and the plant scenarios it names.

    Raises
    ------
    ScenarioError
        With every problem found (a plant scenario's own problems included).
    """
    path = Path(path)
    ck = _Check(str(path))
    if not path.is_file():
        raise ScenarioError([Problem(str(path), "", "no such file")])
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ScenarioError([Problem(str(path), "", f"not valid TOML: {e}")]) from None
    for k in data:
        if k not in ("portfolio", "simulation", "allocation", "plants", "materials",
                     "envelopes"):
            ck.add(k, "unknown table; allowed: portfolio, simulation, allocation, plants, "
                   "materials, envelopes")
    materials = _materials(data.get("materials", {}), ck)
    plants = _plants(data.get("plants", {}), path.parent, materials, ck)
    envelopes = _envelopes(data.get("envelopes", {}), ck)
    if ck.problems:
        raise ScenarioError(ck.problems)
    pf = _settings(data, path, plants, materials, envelopes, ck)
    if ck.problems:
        raise ScenarioError(ck.problems)
    return pf


def _materials(table: dict, ck: _Check) -> dict[str, Material]:
    out = {}
    if not table:
        ck.add("materials", "give at least one [materials.NAME] with its EU demand")
    for name, t in table.items():
        key = f"materials.{name}"
        rows = t.get("demand", [])
        good = isinstance(rows, list) and rows and all(
            isinstance(r, list) and len(r) == 4 and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                for x in r) and 0 < r[1] <= r[2] <= r[3] for r in rows)
        if not good:
            ck.add(f"{key}.demand", "give rows [year, low, central, high] of EU demand "
                   "[t/yr], with 0 < low <= central <= high")
            continue
        if not t.get("source"):
            ck.add(f"{key}.source", "give the public address of the demand figures, or "
                   "'assumption: ' with the reason")
        out[name] = Material(name, ck.text(t, "label_en", f"{key}.label_en", name),
                             ck.text(t, "label_nl", f"{key}.label_nl", name),
                             ck.text(t, "unit", f"{key}.unit", "t"),
                             tuple(tuple(float(x) for x in r) for r in rows),
                             str(t.get("source", "")), *_market(t, key, ck))
    return out


def _market(t: dict, key: str, ck: _Check) -> tuple[float, tuple, str]:
    """The optional price effect of a material: ``price_flexibility`` (the fall of the
    realised product price, in %, per % that the portfolio's output adds to the relevant
    ex-China market; 0 = off), ``market_tpa`` rows ``[year, t/yr]`` (default: the central
    EU demand) and ``market_source`` (required when the flexibility is above 0)."""
    flex = float(ck.num(t, "price_flexibility", f"{key}.price_flexibility", 0.0, 0.0, 10.0))
    rows = t.get("market_tpa", [])
    if not (isinstance(rows, list) and all(
            isinstance(r, list) and len(r) == 2 and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                for x in r) and r[1] > 0 for r in rows)):
        ck.add(f"{key}.market_tpa", "give rows [year, t/yr] of the relevant ex-China market, "
               "with t/yr > 0")
        rows = []
    src = t.get("market_source", "")
    if flex > 0 and not (isinstance(src, str) and src.strip()):
        ck.add(f"{key}.market_source", "give the public address of the price flexibility "
               "and market size, or 'assumption: ' with the reason")
    return flex, tuple((float(y), float(v)) for y, v in rows), str(src)


def _plants(table: dict, base: Path, materials: dict, ck: _Check) -> dict[str, Plant]:
    out = {}
    if not table:
        ck.add("plants", "give at least one [plants.NAME] with its scenario file")
    for name, t in table.items():
        key = f"plants.{name}"
        f = t.get("scenario")
        if not isinstance(f, str):
            ck.add(f"{key}.scenario", "give the plant's scenario file (a path relative to "
                   "this file, or simcrm:NAME for a library scenario)")
            continue
        try:
            sc = load_scenario(library.resolve_extends(f, base))
        except ScenarioError as e:
            ck.problems += e.problems
            continue
        mat = t.get("material")
        if mat not in materials:
            ck.add(f"{key}.material", f"{mat!r} is not one of the [materials] tables: "
                   + ", ".join(materials))
            continue
        factor = ck.num(t, "material_per_tonne", f"{key}.material_per_tonne", 1.0, 1e-6, 1e3)
        start = ck.num(t, "earliest_start", f"{key}.earliest_start",
                       int(sc.settings["simulation.start_year"]), 2000, 2100, integer=True)
        if start != sc.settings["simulation.start_year"]:
            sc = sc.with_settings(**{"simulation.start_year": max(
                int(start), int(sc.settings["simulation.start_year"]))})
        opts = t.get("options", list(sc.options))
        bad = [o for o in opts if o not in sc.options] if isinstance(opts, list) else [opts]
        if bad:
            ck.add(f"{key}.options", f"{bad} not options of {f}; it has " + ", ".join(sc.options))
            continue
        opts = tuple(dict.fromkeys([NONE, *opts]))
        out[name] = Plant(name, sc, ck.text(t, "site", f"{key}.site", name), mat, float(factor),
                          opts)
    return out


def _envelopes(table: dict, ck: _Check) -> dict[str, Envelope]:
    out = {}
    for name, t in table.items():
        key = f"envelopes.{name}"
        levers = t.get("levers", [])
        bad = [lv for lv in levers if lv not in LEVERS] if isinstance(levers, list) else [levers]
        if bad or not levers:
            ck.add(f"{key}.levers", f"{bad or levers} not allowed: give a list of levers, "
                   "from " + ", ".join(LEVERS))
            continue
        rows = t.get("budget_meur", [])
        if not (isinstance(rows, list) and rows and all(
                isinstance(r, list) and len(r) == 2 and isinstance(r[0], int)
                and isinstance(r[1], (int, float)) and 0 <= r[1] < 1e6 for r in rows)):
            ck.add(f"{key}.budget_meur", "give rows [year, MEUR] with 0 <= MEUR < 1e6")
            continue
        if not t.get("source"):
            ck.add(f"{key}.source", "give the public address of the budget, or "
                   "'assumption: ' with the reason")
        share = ck.num(t, "available_share", f"{key}.available_share", 1.0, 0.0, 1.0)
        out[name] = Envelope(name, ck.text(t, "label_en", f"{key}.label_en", name),
                             ck.text(t, "label_nl", f"{key}.label_nl", name), tuple(levers),
                             tuple((int(y), float(b)) for y, b in rows), float(share),
                             str(t.get("source", "")))
    for lever in LEVERS:
        owners = [e.name for e in out.values() if lever in e.levers]
        if len(owners) > 1:
            ck.add("envelopes", f"lever {lever} is in more than one envelope: {owners}")
    return out


def _settings(data: dict, path: Path, plants: dict, materials: dict, envelopes: dict,
              ck: _Check) -> Portfolio:
    p, s = data.get("portfolio", {}), data.get("simulation", {})
    first = next(iter(plants.values())).scenario
    common = [w for w in first.worlds if all(w in q.scenario.worlds for q in plants.values())]
    worlds = p.get("worlds", common)
    if not isinstance(worlds, list) or not worlds or any(w not in common for w in worlds):
        ck.add("portfolio.worlds", f"{worlds!r} not allowed: give worlds every plant "
               "scenario has: " + ", ".join(common))
        worlds = common
    valuation = min(int(q.scenario.settings["simulation.valuation_year"])
                    for q in plants.values())
    deadline = ck.num(p, "deadline_year", "portfolio.deadline_year", 2030, valuation,
                      valuation + 100, integer=True)
    last = ck.num(p, "last_year", "portfolio.last_year", max(deadline + 10, valuation),
                  deadline, valuation + 199, integer=True)
    risks = p.get("plant_risks", "independent")
    if risks not in PLANT_RISKS:
        ck.add("portfolio.plant_risks", f"{risks!r} not allowed: one of {PLANT_RISKS}")
    used = {lv for q in plants.values() for o in q.options
            for lv in q.scenario.options[o].levers}
    for lv in sorted(used):
        if not any(lv in e.levers for e in envelopes.values()):
            ck.add("envelopes", f"lever {lv} is used by a plant's options but no envelope "
                   "funds it: add it to the levers of one [envelopes.NAME]")
    alloc = _allocation(data.get("allocation", {}), worlds, ck)
    return Portfolio(
        path, ck.text(p, "name", "portfolio.name", path.stem),
        ck.text(p, "description", "portfolio.description"), plants, materials, envelopes,
        tuple(worlds), int(ck.num(s, "draws", "simulation.draws", 2048, 1, 1e7, integer=True)),
        int(ck.num(s, "seed", "simulation.seed", int(first.settings["simulation.seed"]), 0,
                   2**63 - 1, integer=True)),
        int(deadline), valuation, int(last),
        float(ck.num(p, "benchmark_share", "portfolio.benchmark_share", 0.40, 0.0, 1.0)),
        float(ck.num(p, "national_share", "portfolio.national_share", 0.06, 0.0, 1.0)),
        risks, float(ck.num(p, "product_correlation", "portfolio.product_correlation", 0.0,
                            -0.99, 0.99)), alloc)


def _allocation(t: dict, worlds: list, ck: _Check) -> dict:
    out = dict(_ALLOCATION_DEFAULTS)
    for k in t:
        if k not in out:
            ck.add(f"allocation.{k}", "unknown key; allowed: " + ", ".join(out))
    out.update({k: v for k, v in t.items() if k in out})
    if out["objective"] not in OBJECTIVES:
        ck.add("allocation.objective", f"{out['objective']!r} not allowed: one of {OBJECTIVES}")
    if out["world"] not in worlds:
        ck.add("allocation.world", f"{out['world']!r} not allowed: one of {worlds}")
    out["alpha"] = ck.num(t, "alpha", "allocation.alpha", 1.0, 0.0, 1.0)
    out["chance_draws"] = ck.num(t, "chance_draws", "allocation.chance_draws", 512, 1, 20000,
                                 integer=True)
    fr = out["frontier_meur"]
    if not isinstance(fr, list) or any(not isinstance(x, (int, float)) or x < 0 for x in fr):
        ck.add("allocation.frontier_meur", "give a list of pooled annual budgets [MEUR/yr] >= 0")
        out["frontier_meur"] = []
    for k in ("budget_first_year", "budget_last_year"):
        if out[k] is not None:
            out[k] = ck.num(t, k, f"allocation.{k}", None, 2000, 2200, integer=True)
    return out
