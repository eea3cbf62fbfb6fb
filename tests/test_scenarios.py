"""The scenario library: every archetype validates, runs, and holds against its reference plants.

The published figures quoted in the comments come from docs/sources.md (§5.1–5.4),
which gives their public addresses, or from the sources cited in the scenario files.  The checks
are on the deterministic base case (:func:`simcrm.engine.run.base_case`: every distribution at its
mean, no market shocks), so a wrong number in a file moves them without Monte Carlo noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simcrm
from simcrm.engine.run import base_case
from simcrm.spec.distributions import Dist

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
PARTIAL = {"worlds.toml", "tno-levers.toml"}
WORLDS = ["base", "high-energy", "china-dumping", "export-controls", "grid-congestion"]
SHARED_OPTIONS = ["capex-grant-0.1", "capex-grant-0.2", "capex-grant-0.3", "energy-relief",
                  "permit-fast-track", "public-loan", "package"]
DEFAULT = "lithium-hydroxide-refinery"

ARCHETYPES = ["lithium-hydroxide-refinery", "rare-earth-separation", "battery-recycling",
              "gallium-germanium-recovery", "nickel-cobalt-refining"]
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
        assert all((o.label_en, o.label_nl, o.description)), f"{name}: {o.name} unlabelled"
    for w in sc.worlds.values():
        assert all((w.label_en, w.label_nl, w.description)), f"{name}: {w.name} unlabelled"
    assert sc.setting("simulation.start_year") == 2026
    assert sc.setting("scenario.price_year") == 2025
    assert sc.setting("scenario.terms") == "real"


@pytest.mark.parametrize("name", sorted(PARTIAL))
def test_partial_files_do_not_validate_alone_and_say_so(name):
    text = (SCENARIOS / name).read_text(encoding="utf-8")
    assert "PARTIAL FILE" in text
    assert "extends" in text
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
    # a levelised cost exists wherever the plant produces within the horizon (in the
    # grid-congestion world a few draws wait for the grid beyond the horizon)
    end = sc.setting("simulation.start_year") + sc.setting("simulation.horizon_years")
    built = res["built"].values == 1
    producing = res["first_production"].values[built] < end
    assert producing.mean() > 0.99
    # a draw that is not built loses its development spending and nothing more
    assert (res["npv"].values[~built] <= 0).all()
    assert np.isfinite(res["lcop"].values[built][producing]).all()
    capex = _inp(sc, "plant.capex_meur") * _inp(sc, "plant.capex_overrun")
    # In the base world the NPV's P10 loses at most about the capex twice over (the model has no
    # shut-down option, so losses can run beyond the capex), and the P90 wins a few times it.
    base_npv = res["npv"].sel(option="baseline", world="base").values
    assert np.quantile(base_npv, 0.1) > -2 * capex
    assert np.quantile(base_npv, 0.9) < 5 * capex
    s = simcrm.summarise(res)
    p = s["p_npv_pos"]
    base = float(p.sel(option="baseline", world="base"))
    pack = float(p.sel(option="package", world="base"))
    # not a sure win without policy: the reference plants show marginal economics
    # (Rock Tech's financing gap, Li-Cycle's halt, Solvay: "no real market"), so an
    # investor who judges the expected NPV seldom builds without support
    assert base < 0.8, f"{name}: P(NPV>0) at baseline {base:.2f}"
    # the package helps (in the default scenario a lot; a recycler whose margins are thin
    # in every year stays unbuilt even with it), and the worlds move the case in the
    # expected direction
    built = s["p_built"]
    b0 = float(built.sel(option="baseline", world="base"))
    assert pack >= base and float(built.sel(option="package", world="base")) >= b0
    if name == DEFAULT:
        assert pack > base + 0.1
        assert float(built.sel(option="package", world="base")) > b0 + 0.1
    assert float(built.sel(option="baseline", world="china-dumping")) <= b0
    assert float(built.sel(option="baseline", world="export-controls")) >= b0
    se = float(s["p_npv_pos_se"].sel(option="baseline", world="high-energy"))
    assert float(p.sel(option="baseline", world="high-energy")) <= base + 2 * se + 1e-4
    dl = s["p_production_by_deadline"]
    dse = float(s["p_production_by_deadline_se"].sel(option="baseline", world="grid-congestion"))
    assert float(dl.sel(option="baseline", world="grid-congestion")) <= float(
        dl.sel(option="baseline", world="base")) + 2 * dse + 1e-4
    assert float(dl.sel(option="package", world="base")) > float(
        dl.sel(option="baseline", world="base"))
    if name == DEFAULT:
        grants = [float(p.sel(option=f"capex-grant-{g}", world="base")) for g in (0.1, 0.2, 0.3)]
        assert base <= grants[0] <= grants[1] <= grants[2]  # a response curve
        assert grants[2] > base
        cost = s["budget_cash_pv_mean"].sel(world="base")
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
    # 92k (with brine extraction and geothermal power) bracket it by scope (sources §5.2).
    assert 19_000 <= est <= 33_400
    assert 7_000 < final < 92_000
    assert final <= 1.3 * 33_400  # the expected overrun keeps it near Rock Tech's latest figure
    # Published prices (sources §5.4 and file): LHM US$9 000/t ≈ EUR 8 000 (2025 trough), Rock
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


def test_rare_earth_separation_against_solvay_and_caremag():
    sc, m, lines, est, final, price = _case("rare-earth-separation")
    cap = _inp(sc, "plant.capacity_tpa")
    assert 2_000 <= cap <= 5_000  # Neo/Silmet 3 000 t/yr, Solvay target ~4 500 t/yr NdPr
    # Capex per t/yr: Solvay EUR 100M / 4 500 t ≈ 22k (brownfield) to Caremag EUR 216M /
    # ~1 400 t oxides ≈ 154k (greenfield with recycling and heavy REE) (sources §5.1, §5.2).
    assert 22_000 <= est <= 154_000
    assert 22_000 <= final <= 154_000
    # NdPr oxide: China FOB US$50–52/kg (Jun 2024, "below breakeven"), Europe US$82.5–85/kg
    # (Sep 2025), US DoD floor US$110/kg, Adamas incentive price ~US$150/kg (sources §5.4).
    assert 50_000 / 1.13 < price < 110_000 / 1.13
    # Solvay: "no real market" at non-Chinese cost → the European plant's LCOP lies above the
    # Chinese price of 2024 (~EUR 45k/t) and near the European one.
    assert m["lcop"] > 52_000 / 1.13
    assert 0.85 * price < m["lcop"] < 1.25 * price
    assert m["npv"] < 50
    assert 0 < m["irr"] < 0.2


def test_battery_recycling_against_cylib_and_li_cycle():
    sc, m, lines, est, final, price = _case("battery-recycling")
    # Capex per t/yr of black mass: Cylib >EUR 180M / ~10 kt ≈ 18k; Li-Cycle ~US$1bn / 35 kt
    # ≈ EUR 26k (sources §5.2). The estimate sits in that range; with the expected overrun the
    # final capex may reach Li-Cycle's ×2 story but not beyond it.
    assert 18_000 <= est <= 26_000
    assert final <= 1.1 * 1e9 / 1.08 / 35_000 * 1.2
    # EU black mass: Ni and Co paid at ~47–52 % of their value, lithium unpaid (Fastmarkets
    # 2023–24) → feedstock a third to a half of the value recovered from it.
    i, t = _full_year(lines)
    share = -lines["feedstock"][i] / lines["revenue"][i]
    assert 0.25 < share < 0.5
    # Li-Cycle paused construction; BASF postponed its hydrometallurgical refinery (sources §5.1):
    # recycling at 2025 metal prices does not pay at baseline, but is not far off.
    assert m["npv"] < 0
    assert price < m["lcop"] < 1.6 * price


def test_gallium_germanium_against_nyrstar_and_metlen():
    sc, m, lines, est, final, price = _case("gallium-germanium-recovery")
    assert _inp(sc, "plant.capacity_tpa") == 70  # Nyrstar Clarksville ~30 t Ge + 40 t Ga a year
    # Capex per t/yr: Nyrstar US$90M (2022) → US$150M for 70 t ≈ EUR 1.2M–2.0M; Metlen
    # EUR 295.5M incl. alumina expansion for 50 t Ga ≈ at most EUR 5.9M (sources §5.1).
    assert 1.2e6 <= est <= 2.3e6
    assert final < 295.5e6 / 50
    # Prices (sources §5.4): Ga US$1 750/kg (Jan 2026), Ge US$2 280/kg (Aug 2024): the start lies at
    # that level and the long-run median below it (the ex-China premium fades).
    start = _inp(sc, "markets.product.start")
    assert 1.5e6 < start < 2.0e6
    assert 0.35 * start < price < start
    # Nyrstar's Clarksville plant was not built at 2022–23 prices: a marginal case at baseline.
    assert 0.85 * price < m["lcop"] < 1.5 * price
    assert m["npv"] < 0 < m["irr"]


def test_nickel_cobalt_against_terrafame():
    sc, m, lines, est, final, price = _case("nickel-cobalt-refining")
    # Terrafame ~EUR 240M / 170 kt NiSO4 ≈ EUR 1.4k per t/yr (2018–21 money, sources §5.2);
    # a smaller plant in 2025 money costs more, but within a factor 2.
    assert 1_400 <= est <= 2_800
    assert 1_400 <= final <= 2_800
    # NiSO4 SMM CNY 27 192/t (Jun 2025) ≈ EUR 3 300; a European premium of at most ~20 %.
    assert 3_300 <= price <= 1.2 * 3_300
    # A sulphate refinery is a thin-margin business: MHP is ~75 % of the cash cost.
    cash = _unit_cash_cost(lines)
    i, t = _full_year(lines)
    assert 0.7 < -lines["feedstock"][i] * 1e6 / t / cash < 0.95
    assert 0.85 * price < m["lcop"] < 1.2 * price
    assert 0 < m["irr"] < 0.2


@pytest.mark.parametrize("name", ARCHETYPES)
def test_a_wrong_number_fails_the_reference_check(name, tmp_path):
    """Tenfold capex must push the base case out of the reference range (the checks bite)."""
    src = (SCENARIOS / f"{name}.toml").read_text(encoding="utf-8")
    import re

    bad = re.sub(r"^capex_meur = ([\d.]+)", lambda mo: f"capex_meur = {float(mo[1]) * 10}",
                 src, count=1, flags=re.M)
    assert bad != src
    for f in PARTIAL:
        (tmp_path / f).write_text((SCENARIOS / f).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / f"{name}.toml").write_text(bad, encoding="utf-8")
    m, _ = base_case(simcrm.load_scenario(tmp_path / f"{name}.toml"))
    good, _ = base_case(_load(name))
    price = _inp(_load(name), "markets.product.long_run")
    assert m["lcop"] > 1.6 * price > good["lcop"]
