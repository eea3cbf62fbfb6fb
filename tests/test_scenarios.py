"""The scenario library: every archetype validates, runs, and holds against its reference plants.

The published figures quoted in the comments come from /work/shared/domain-brief.md (§5.1–5.4),
which gives their public addresses, or from the sources cited in the scenario files.  The checks
are on the deterministic base case (:func:`simcrm.engine.base_case`: every distribution at its
mean, no market shocks), so a wrong number in a file moves them without Monte Carlo noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simcrm
from simcrm.distributions import Dist
from simcrm.engine import base_case

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
PARTIAL = {"worlds.toml", "tno-levers.toml"}
WORLDS = ["base", "high-energy", "china-dumping", "export-controls", "grid-congestion"]
SHARED_OPTIONS = ["capex-grant-0.1", "capex-grant-0.2", "capex-grant-0.3", "energy-relief",
                  "permit-fast-track", "public-loan", "package"]
DEFAULT = "lithium-hydroxide-refinery"

ARCHETYPES = ["lithium-hydroxide-refinery"]
"""The plant archetypes of the library (they share worlds.toml and tno-levers.toml)."""
ALL_FILES = sorted(p.stem for p in SCENARIOS.glob("*.toml") if p.name not in PARTIAL)
"""Every full scenario file in scenarios/ (the archetypes and any others, e.g. a benchmark)."""


def _load(name: str) -> simcrm.Scenario:
    return simcrm.load_scenario(SCENARIOS / f"{name}.toml")


def _mean(v) -> float:
    return v.mean() if isinstance(v, Dist) else float(v)


def _inp(sc: simcrm.Scenario, key: str, world: str = "base") -> float:
    return _mean(sc.worlds[world].inputs[key])


# --------------------------------------------------------------------------------------
# (a) every scenario file validates; the partial files say they are partial
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_FILES)
def test_every_scenario_file_validates(name):
    assert isinstance(_load(name), simcrm.Scenario)


def test_library_is_complete():
    assert set(ARCHETYPES) <= set(ALL_FILES)


@pytest.mark.parametrize("name", ARCHETYPES)
def test_archetype_validates_with_shared_worlds_and_levers(name):
    sc = _load(name)
    assert list(sc.worlds) == WORLDS
    for opt in ["baseline", *SHARED_OPTIONS, "price-floor", "stockpile-offtake"]:
        assert opt in sc.options, f"{name}: option {opt} missing"
    # the package carries this archetype's price floor on top of the shared levers
    assert set(sc.options["package"].levers) == {"capex_grant", "energy_relief",
                                                 "permit_fast_track", "public_loan",
                                                 "price_floor"}
    for o in sc.options.values():
        assert o.label_en and o.label_nl and o.description, f"{name}: {o.name} unlabelled"
    for w in sc.worlds.values():
        assert w.label_en and w.label_nl and w.description, f"{name}: {w.name} unlabelled"
    assert sc.setting("simulation.fid_year") == 2026
    assert sc.setting("scenario.price_year") == 2025
    assert sc.setting("scenario.terms") == "real"


@pytest.mark.parametrize("name", sorted(PARTIAL))
def test_partial_files_do_not_validate_alone_and_say_so(name):
    text = (SCENARIOS / name).read_text(encoding="utf-8")
    assert "PARTIAL FILE" in text and "extends" in text
    with pytest.raises(simcrm.ScenarioError):
        simcrm.load_scenario(SCENARIOS / name)


def test_default_scenario_runs_at_100000_draws():
    sc = _load(DEFAULT)
    assert sc.setting("simulation.draws") == 100_000


def test_every_number_in_an_archetype_file_has_a_comment():
    """Numbers carry a source or an 'assumption' comment on the same or a preceding line."""
    import re

    for name in ARCHETYPES + [p.removesuffix(".toml") for p in PARTIAL]:
        lines = (SCENARIOS / f"{name}.toml").read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            code = line.split("#", 1)[0]
            if not re.search(r"=\s*[-\d{\[]", code) or "label_" in code:
                continue
            if not re.search(r"\d", code.split("=", 1)[1]):
                continue
            window = lines[max(0, i - 12): i + 1]
            assert any("#" in w for w in window), f"{name}.toml:{i + 1} has no comment: {line}"


# --------------------------------------------------------------------------------------
# (b) every archetype runs at 10 000 draws with the shared worlds and levers
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ARCHETYPES)
def test_archetype_runs_with_finite_sensible_results(name):
    sc = _load(name)
    if name != DEFAULT:  # all options for the default scenario; two for the rest (kept cheap)
        sc = sc.with_options(["package"])
    res = simcrm.simulate(sc, draws=10_000, keep_cashflows=0, breakeven=False).results
    npv = res["npv"].values
    assert np.isfinite(npv).all()
    assert np.isfinite(res["lcop"].values).all()
    capex = _inp(sc, "plant.capex_meur") * _inp(sc, "plant.capex_overrun")
    # NPV cannot lose much more than the capex, nor win more than a few times it
    assert npv.min() > -2.5 * capex
    assert npv.max() < 10 * capex
    s = simcrm.summarise(res)
    p = s["p_npv_pos"]
    base = float(p.sel(option="baseline", world="base"))
    pack = float(p.sel(option="package", world="base"))
    # neither hopeless nor a sure win without policy: the reference plants show marginal
    # economics (Rock Tech's financing gap, Li-Cycle's halt, Solvay: "no real market")
    assert 0.05 < base < 0.8, f"{name}: P(NPV>0) at baseline {base:.2f}"
    # the package helps, and the worlds move the case in the expected direction
    assert pack > base + 0.1
    assert float(p.sel(option="baseline", world="china-dumping")) < base
    assert float(p.sel(option="baseline", world="export-controls")) > base
    assert float(p.sel(option="baseline", world="high-energy")) <= base
    dl = s["p_production_by_deadline"]
    assert float(dl.sel(option="baseline", world="grid-congestion")) < float(
        dl.sel(option="baseline", world="base"))
    assert float(dl.sel(option="package", world="base")) > float(
        dl.sel(option="baseline", world="base"))
    if name == DEFAULT:
        grants = [float(p.sel(option=f"capex-grant-{g}", world="base")) for g in (0.1, 0.2, 0.3)]
        assert base < grants[0] < grants[1] < grants[2]  # a response curve
        cost = s["public_cost_gross_mean"].sel(world="base")
        assert float(cost.sel(option="baseline")) == 0
        assert float(cost.sel(option="capex-grant-0.3")) > float(cost.sel(option="capex-grant-0.1"))


# --------------------------------------------------------------------------------------
# (c) the deterministic base case against the reference plants
# --------------------------------------------------------------------------------------


def _full_year(lines):
    prod = lines["production"]
    i = int(np.argmax(prod))
    return i, prod[i]


def _unit_cash_cost(lines) -> float:
    """Operating cost per tonne in the first full-output year [EUR/t], before capex and tax."""
    i, t = _full_year(lines)
    cost = -sum(lines[k][i] for k in ("feedstock", "electricity", "gas", "carbon", "other_opex"))
    return cost * 1e6 / t


def _case(name):
    sc = _load(name)
    m, lines = base_case(sc)
    cap = _inp(sc, "plant.capacity_tpa")
    est = _inp(sc, "plant.capex_meur") * 1e6 / cap  # EUR per t/yr, estimate at FID
    final = -lines["capex"].sum() * 1e6 / cap       # EUR per t/yr, with mean overrun
    price = _inp(sc, "markets.product.long_run")
    return sc, m, lines, est, final, price


def test_lithium_against_rock_tech_amg_vulcan():
    sc, m, lines, est, final, price = _case("lithium-hydroxide-refinery")
    assert _inp(sc, "plant.capacity_tpa") == 24_000  # Rock Tech Guben and Vulcan: 24 kt/yr LHM
    # Capex per t/yr of a full spodumene converter: Rock Tech EUR 462M / 24 kt = 19k (2021) up to
    # ~EUR 800M / 24 kt = 33k (2024 financing need). AMG's 7k (refinery module only) and Vulcan's
    # 92k (with brine extraction and geothermal power) bracket it by scope (brief §5.2).
    assert 19_000 <= est <= 33_400
    assert 7_000 < final < 92_000
    assert final <= 1.3 * 33_400  # the expected overrun keeps it near Rock Tech's latest figure
    # Published prices (brief §5.4 and file): LHM US$9 000/t ≈ EUR 8 000 (2025 trough), Rock
    # Tech planning prices EUR 13 100 (2021) and ~EUR 23 600/t (2022 peak study).
    assert 13_100 <= price <= 23_600
    # The converter's cash cost lies above the 2025 trough price, which is why non-integrated
    # converters lost money in 2025; spodumene is most of it (6.8 t × ~EUR 1 000).
    cash = _unit_cash_cost(lines)
    assert 8_000 < cash < price
    i, t = _full_year(lines)
    assert 0.55 < -lines["feedstock"][i] / (cash * t / 1e6) < 0.8
    # Marginal economics (Rock Tech's financing struggle): LCOP within ±25 % of the long-run
    # price, a negative base-case NPV at a 12 % equity rate, but a positive IRR.
    assert 0.9 * price < m["lcop"] < 1.25 * price
    assert m["npv"] < 0 < m["irr"] < 0.12
    # First production ~5 years after FID: AMG 2.5 yr build after ground-breaking, plus permits
    assert 2029.5 < m["first_production"] < 2032.5
