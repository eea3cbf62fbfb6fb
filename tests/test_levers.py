"""The lever protocol: a lever plugs in through it alone, the model names no lever."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

import simcrm
from simcrm import levers
from simcrm.engine.run import base_case
from simcrm.levers import LEVERS, STAGES, Booking, Lever, register, unregister
from simcrm.levers.base import param
from simcrm.model.business_case import GOV_LEVERS, PLANT_LINES
from simcrm.present import text as i18n
from simcrm.spec.reference import render
from simcrm.spec.registry import REQUIRED

SIMCRM = Path(simcrm.__file__).parent
A5 = sum(1.1**-t for t in range(1, 6))  # annuity factor, 5 years at 10 %
G5 = sum(1.0225**-t for t in range(1, 6))  # the same at the public rate of 2.25 %

THE_TEN = ("capex_grant", "production_subsidy", "energy_relief", "price_floor", "public_loan",
           "loan_guarantee", "permit_fast_track", "grid_priority", "flexible_grid_contract",
           "offtake", "investment_deduction", "clawback", "public_equity", "eu_cofunding")


# --------------------------------------------------------------------------------------
# A lever written here, plugged in through the protocol only
# --------------------------------------------------------------------------------------


class PerTonneBonus(Lever):
    """EUR per tonne produced, paid as operating support."""

    def validate(self, settings):
        x = settings.get("eur_per_t")
        if isinstance(x, (int, float)) and x > 10_000:
            return [("eur_per_t", "a bonus above 10 000 EUR/t is not a bonus")]
        return super().validate(settings)

    def operating(self, s, plant):
        pay = s["eur_per_t"] * plant.esc * plant.production / 1e6
        return Booking(pay, pay)


BONUS = PerTonneBonus(
    name="per_tonne_bonus", order=25, stage="operating",
    label_en="Per-tonne bonus", label_nl="Bonus per ton",
    description="A bonus per tonne produced.",
    params=(param("per_tonne_bonus.eur_per_t", "float", "EUR/t", REQUIRED,
                  "Bonus per tonne of product.", lo=0),),
    setting_labels={"eur_per_t": ("Bonus", "Bonus")},
    line="per_tonne_bonus", line_description="Per-tonne bonus received",
    gov_description="Per-tonne bonus paid",
)

OPTION = """
[options.bonus.per_tonne_bonus]
eur_per_t = 100
"""


@pytest.fixture
def bonus():
    register(BONUS)
    yield BONUS
    unregister(BONUS.name)


def test_a_registered_lever_is_validated_simulated_and_booked_by_hand(bonus, hand_scenario):
    # hand plant: 10 000 t/yr in 2027–2031, so the bonus is 1 MEUR/yr; profit before tax
    # is 18 - 10 (depreciation) > 0 every year, so 25 % of it goes back as tax.
    sc = hand_scenario(tax=0.25, extra=OPTION)
    assert sc.options["bonus"].levers == {"per_tonne_bonus": {"eur_per_t": 100}}
    m0, _ = base_case(sc)
    m, lines = base_case(sc, option="bonus")
    bonus_line = [0, 1, 1, 1, 1, 1, 0, 0]
    np.testing.assert_allclose(lines["per_tonne_bonus"], bonus_line, atol=1e-12)
    np.testing.assert_allclose(lines["budget_cash_per_tonne_bonus"], bonus_line, atol=1e-12)
    np.testing.assert_allclose(lines["aid_per_tonne_bonus"], bonus_line, atol=1e-12)
    np.testing.assert_allclose(lines["gov_outlays"], bonus_line, atol=1e-12)
    np.testing.assert_allclose(lines["tax"], [0] + [-0.25 * 9] * 5 + [0, 0], atol=1e-12)
    # NPV change = PV at 10 % of the after-tax bonus
    assert m["npv"] - m0["npv"] == pytest.approx(0.75 * A5, rel=1e-12)
    # budget cash = PV at 2.25 % of the bonus; the plant is built either way, so the
    # extra tax (0.25 G5) is no fiscal return of the option and the net cost is G5
    assert m["budget_cash_pv"] == pytest.approx(G5, rel=1e-12)
    assert m["tax_paid_pv"] - m0["tax_paid_pv"] == pytest.approx(0.25 * G5, rel=1e-12)
    assert m["fiscal_return"] == 0.0
    assert m["public_cost_net"] == pytest.approx(G5, rel=1e-12)


def test_a_registered_lever_moves_the_breakeven_price(bonus, hand_scenario):
    # without tax: -50 + (p * 0.01 - 2 + 1) * A5 = 0
    m, _ = base_case(hand_scenario(tax=0.0, extra=OPTION), option="bonus")
    assert m["breakeven_price"] == pytest.approx((50 / A5 + 2 - 1) / 0.01, rel=1e-9)


def test_a_registered_lever_is_checked_like_the_others(bonus, write):
    from tests.conftest import HAND_PLANT

    bad = HAND_PLANT.format(tax=0) + """
[options.a.per_tonne_bonus]
eur_per_tone = 100
[options.b.per_tonne_bonus]
eur_per_t = -1
[options.c.per_tonne_bonus]
eur_per_t = 20000
[options.d.per_tonne_bonu]
eur_per_t = 1
"""
    with pytest.raises(simcrm.ScenarioError) as e:
        simcrm.load_scenario(write(bad))
    msg = str(e.value)
    assert "options.a.per_tonne_bonus.eur_per_tone: unknown setting" in msg
    assert "did you mean `eur_per_t`" in msg or "eur_per_t" in msg
    assert "options.a.per_tonne_bonus.eur_per_t: is required" in msg
    assert "options.b.per_tonne_bonus.eur_per_t: -1" in msg
    assert "options.c.per_tonne_bonus.eur_per_t: a bonus above 10 000 EUR/t" in msg
    assert "options.d.per_tonne_bonu: unknown lever" in msg and "per_tonne_bonus" in msg


def test_a_registered_lever_has_its_labels_lines_and_reference(bonus):
    assert list(LEVERS).index("per_tonne_bonus") == list(LEVERS).index("production_subsidy") + 1
    assert i18n.lever_label("per_tonne_bonus", "nl") == "Bonus per ton"
    assert i18n.setting_label("per_tonne_bonus.eur_per_t", "en") == "Bonus"
    assert PLANT_LINES["per_tonne_bonus"] == "Per-tonne bonus received"
    assert "per_tonne_bonus" in GOV_LEVERS
    assert "per_tonne_bonus.eur_per_t" in levers.setting_params()
    assert "### `per_tonne_bonus` — Per-tonne bonus" in render()


def test_unregister_leaves_no_trace(bonus, hand_scenario):
    unregister(bonus.name)
    try:
        assert "per_tonne_bonus" not in PLANT_LINES and "per_tonne_bonus" not in GOV_LEVERS
        with pytest.raises(simcrm.ScenarioError, match="unknown lever"):
            hand_scenario(extra=OPTION)
    finally:
        register(bonus)  # for the fixture's own unregister


def test_register_refuses_a_clash():
    with pytest.raises(ValueError, match="registered already"):
        register(LEVERS["capex_grant"])
    clash = PerTonneBonus(name="other_bonus", order=LEVERS["capex_grant"].order, stage="operating",
                          label_en="x", label_nl="x", params=())
    with pytest.raises(ValueError, match="order"):
        register(clash)
    wrong = PerTonneBonus(name="other_bonus", order=1, stage="operating", label_en="x",
                          label_nl="x", params=(param("bonus.x", "float", "1", 0.0, "x"),))
    with pytest.raises(ValueError, match="must start with"):
        register(wrong)
    with pytest.raises(ValueError, match="stage"):
        register(PerTonneBonus(name="other_bonus", order=1, stage="somewhere", label_en="x",
                               label_nl="x", params=()))
    assert "other_bonus" not in LEVERS


# --------------------------------------------------------------------------------------
# The ten levers and their declarations
# --------------------------------------------------------------------------------------


def test_the_ten_levers_are_found_in_their_fixed_order():
    assert tuple(LEVERS) == THE_TEN
    assert tuple(levers.LEVERS) == THE_TEN
    assert [p.key for p in levers.lever_params()] == list(levers.setting_params())
    for name, lever in LEVERS.items():
        mod = __import__(f"simcrm.levers.{name}", fromlist=["LEVER"])
        assert mod.LEVER is lever
        assert lever.stage in STAGES
        assert lever.label("en") and lever.label("nl") and lever.description
        assert all(p.section == name and p.description for p in lever.params)


def test_setting_labels_name_real_settings():
    for lever in LEVERS.values():
        names = {p.name for p in lever.params}
        assert set(lever.setting_labels) <= names, lever.name


def test_model_applies_levers_in_the_fixed_order_not_the_files(hand_scenario):
    extra = """
[options.ab.price_floor]
strike = 2500
[options.ab.offtake]
volume_tpa = 4000
price = 2200
[options.ba.offtake]
volume_tpa = 4000
price = 2200
[options.ba.price_floor]
strike = 2500
"""
    sc = hand_scenario(tax=0.25, extra=extra)
    m1, l1 = base_case(sc, option="ab")
    m2, l2 = base_case(sc, option="ba")
    assert m1 == m2
    for k in l1:
        np.testing.assert_array_equal(l1[k], l2[k])


# --------------------------------------------------------------------------------------
# The architecture: no lever named outside its module; short functions
# --------------------------------------------------------------------------------------


def test_no_lever_is_named_outside_its_own_module():
    allowed = {SIMCRM / "spec" / "registry.py", SIMCRM / "spec" / "reference.py"}
    pattern = re.compile(r"\b(" + "|".join(THE_TEN) + r")\b")
    found = []
    for path in sorted(SIMCRM.rglob("*.py")):
        if path in allowed:
            continue
        own = path.stem if path.parent == SIMCRM / "levers" else None
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{path.relative_to(SIMCRM)}:{i}: {m}" for m in pattern.findall(line)
                      if m != own]
    assert not found, "lever names outside their module:\n" + "\n".join(found)


@pytest.mark.parametrize("folder", ["model", "levers"])
def test_no_function_longer_than_80_lines(folder):
    long = []
    for path in sorted((SIMCRM / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > 80:
                    long.append(f"{path.name}:{node.name} ({n} lines)")
    assert not long


def test_every_lever_line_and_gov_flow_is_derived_from_the_registry():
    plant = [lv.line for lv in LEVERS.values() if lv.line]
    assert set(plant) <= set(PLANT_LINES)
    assert list(GOV_LEVERS) == [n for n, lv in LEVERS.items() if lv.gov_description]
    assert list(PLANT_LINES).index("tax") > max(
        list(PLANT_LINES).index(lv.line) for lv in LEVERS.values()
        if lv.line and lv.stage != "financing")
    assert levers.active({"offtake": {}, "capex_grant": {}})[0][0].name == "capex_grant"


# --------------------------------------------------------------------------------------
# Price-dependent lines in closed form, for the compiled break-even search
# --------------------------------------------------------------------------------------


def test_price_terms_are_the_price_line_at_a_flat_price(monkeypatch):
    """``w · g(a + b · p)`` of :meth:`Lever.price_terms` is the plant line of
    :meth:`Lever.price_line` at the price path ``p · esc``, for every kind of floor and
    offtake, on the random draws of a chunk and at several flat prices (to rounding:
    relative to the size of the two parts of ``a + b · p``)."""
    from simcrm.engine.evaluate import evaluate_chunk
    from simcrm.model import business_case
    from simcrm.spec.library import library_file
    from tests.test_fused import priced_variants

    cases = []
    real = business_case._flat_price_terms

    def spy(case, **kw):
        cases.append(case)
        return real(case, **kw)
    monkeypatch.setattr(business_case, "_flat_price_terms", spy)
    sc = priced_variants(simcrm.load_scenario(library_file("benchmark")))
    evaluate_chunk(sc, 0, 128, 0)
    kinds = set()
    for case in cases:
        p = case.plant
        for lev, s, basis in case.priced:
            w, a, b, two = lev.price_terms(s, basis, p)
            assert w.shape == a.shape == b.shape == (p.n, p.T)
            assert np.all(w >= 0.0) or two  # so w · max(x, 0) = max(w · x, 0)
            kinds.add((lev.name, s.get("basis", s.get("mode")), bool(two)))
            for flat in (0.0, 700.0, 9000.0, 15000.0, 15000.0 * 1.02, 60000.0):
                want = lev.price_line(s, basis, np.full((p.n, 1), flat) * p.esc, p).plant
                z = a + b * flat
                got = w * (z if two else np.maximum(z, 0.0))
                scale = np.abs(w) * (np.abs(a) + np.abs(b * flat))
                assert np.all(np.abs(got - want) <= 1e-12 * scale), (lev.name, s, flat)
                big = np.abs(want) > 1e-6 * scale
                assert np.all(np.abs(got - want)[big] <= 1e-12 * np.abs(want[big]))
    assert kinds == {("price_floor", "product", False), ("price_floor", "product", True),
                     ("price_floor", "spread", False), ("price_floor", "spread", True),
                     ("offtake", "resale", True), ("offtake", "stockpile", True)}


def test_a_lever_without_price_terms_keeps_the_numpy_break_even(monkeypatch):
    """A price-dependent lever without :meth:`Lever.price_terms` (the default None)
    takes the numpy reference for the break-even price, also with the fused kernel."""
    from simcrm.engine.evaluate import evaluate_chunk
    from simcrm.model import business_case
    from simcrm.spec.library import library_file

    calls = []
    real = business_case._breakeven

    def spy(*a, **k):
        calls.append(1)
        return real(*a, **k)
    monkeypatch.setattr(business_case, "_breakeven", spy)
    monkeypatch.setattr(type(LEVERS["offtake"]), "price_terms", Lever.price_terms)
    sc = simcrm.load_scenario(library_file("benchmark"))
    sc = sc.with_options(["package"]).with_settings(kernel="fused")
    assert "offtake" in sc.options["package"].levers
    got = evaluate_chunk(sc, 0, 64, 0)["metrics"]["breakeven_price"]
    assert calls and np.isfinite(got).any()
