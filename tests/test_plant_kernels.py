"""The compiled row kernels of the plant and its operation (:mod:`simcrm.kernels.plant_rows`)
against the numpy expressions they replace: the same bits, edge cases included (times on
whole years, zero ramp or life, signed zeros, NaN)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from simcrm.kernels.schedule import overlap, production_factor, spending_share
from simcrm.model.operations import (
    VARIABLE_LINES,
    alive_mask,
    closure_year,
    decommissioning,
    idle_costs,
    idle_mask,
)
from simcrm.model.plant import _cost_lines, _fixed, arr, capex_depreciation

N, T = 600, 40


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _times(rng, n=N) -> np.ndarray:
    """Times in years, many of them on whole, quarter or month boundaries."""
    step = rng.choice([1.0, 4.0, 12.0, 1e3], n)
    x = np.round(rng.uniform(-3.0, 45.0, n) * step) / step
    x[:6] = [0.0, -0.0, 1.0, 39.0, 40.0, np.nan]
    return x


# the numpy formulations the kernels replace (the reference)

def overlap_numpy(a, b, n_years):
    t = np.arange(n_years, dtype=float)
    a = np.asarray(a, float)[..., None]
    b = np.asarray(b, float)[..., None]
    return np.clip(np.minimum(t + 1.0, b) - np.maximum(t, a), 0.0, None)


def _ramp_integral_numpy(x, ramp):
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = np.where(ramp > 0, x * x / (2.0 * ramp), x)
    return np.where(x < ramp, inside, x - ramp / 2.0)


def production_factor_numpy(start, life, ramp, n_years):
    t = np.arange(n_years, dtype=float)
    start = np.asarray(start, float)[..., None]
    life = np.asarray(life, float)[..., None] if np.ndim(life) else life
    ramp = np.asarray(ramp, float)[..., None] if np.ndim(ramp) else np.asarray(ramp, float)
    x1 = np.clip(t + 1.0 - start, 0.0, life)
    x0 = np.clip(t - start, 0.0, life)
    return _ramp_integral_numpy(x1, ramp) - _ramp_integral_numpy(x0, ramp)


@pytest.mark.parametrize("seed", range(6))
def test_schedule_shares_are_the_numpy_bits(seed):
    rng = np.random.default_rng(seed)
    s = _times(rng)
    life = rng.choice([25.0, 0.0, 2.5, 100.0, -0.0], N) if seed % 2 else 25.0
    ramp = rng.choice([0.0, 1.0, 2.0, 0.5], N) if seed % 3 else rng.uniform(0.0, 3.0, N)
    with np.errstate(invalid="ignore"):
        assert _same(production_factor(s, life, ramp, T),
                     production_factor_numpy(s, life, ramp, T))
        cap = rng.uniform(0.0, 3e4, N)
        assert _same(production_factor(s, life, ramp, T, capacity=cap),
                     cap[:, None] * production_factor_numpy(s, life, ramp, T))
        end = s + life
        assert _same(overlap(s, end, T), overlap_numpy(s, end, T))
        c0 = s - rng.choice([0.0, 1e-12, 0.5, 2.75, 3.0], N)
        assert _same(spending_share(c0, s, T),
                     overlap_numpy(c0, s, T) / np.maximum(s - c0, 1e-9)[:, None])
        assert _same(overlap(0.5, end, T), overlap_numpy(0.5, end, T))
        assert _same(overlap(s[7], end[9], T), overlap_numpy(s[7], end[9], T))


def _cost_lines_numpy(P, g, production, op_share, capex_final, spend_share, esc):
    """The cost lines and derived arrays as plant_case computed them with numpy."""
    mwh = production * g("operations.electricity_mwh_per_t")[:, None]
    tariff = g("markets.electricity.grid_tariff")[:, None] * esc
    lines = {}
    lines["feedstock"] = (-P["feedstock"] * production
                          * g("operations.feedstock_t_per_t")[:, None] / 1e6)
    lines["electricity"] = -(P["electricity"] + tariff) * mwh / 1e6
    lines["gas"] = -P["gas"] * production * g("operations.gas_mwh_per_t")[:, None] / 1e6
    net_co2 = g("operations.co2_t_per_t") * (1.0 - g("operations.free_allocation_share"))
    lines["carbon"] = -P["carbon"] * production * net_co2[:, None] / 1e6
    fixed = _fixed(g, capex_final)
    lines["other_opex"] = -(g("operations.reagents_eur_per_t")[:, None] * production / 1e6
                            + fixed[:, None] * op_share) * esc
    lines["capex"] = -capex_final[:, None] * spend_share * esc
    derived = {
        "mwh": mwh, "tariff": tariff,
        "costs_opex": (lines["feedstock"] + lines["electricity"] + lines["gas"]
                       + lines["carbon"] + lines["other_opex"]),
        "fixed_opex": fixed[:, None] * op_share * esc,
        "reagents": g("operations.reagents_eur_per_t")[:, None] * production / 1e6 * esc,
        "capex_spend": -lines["capex"]}
    return lines, derived


def _signed(rng, shape, scale=1.0):
    """Values of both signs with zeros of both signs among them."""
    x = rng.normal(0.0, scale, shape) * rng.choice([0.0, 1.0, 1.0, 1.0], shape)
    return np.where(rng.random(shape) < 0.1, -0.0, x)


@pytest.mark.parametrize("seed", range(4))
def test_cost_lines_are_the_numpy_bits(seed):
    rng = np.random.default_rng(seed)
    per_draw = ["operations.electricity_mwh_per_t", "markets.electricity.grid_tariff",
                "operations.feedstock_t_per_t", "operations.gas_mwh_per_t",
                "operations.co2_t_per_t", "operations.free_allocation_share",
                "operations.reagents_eur_per_t", "operations.labour_meur_per_yr",
                "operations.other_fixed_meur_per_yr", "operations.maintenance_share"]
    inp = {k: (rng.uniform(0.0, 5.0, N) if (seed + i) % 2 else float(rng.uniform(0.0, 5.0)))
           for i, k in enumerate(per_draw)}
    g = lambda k: arr(inp[k], N)  # noqa: E731
    P = {m: np.abs(_signed(rng, (N, T), 100.0)) for m in
         ("feedstock", "electricity", "gas", "carbon")}
    if seed == 1:
        P["gas"] = np.broadcast_to(40.0, (N, T))  # a flat deck: one value for all draws
    production = np.abs(_signed(rng, (N, T), 2e4))
    op_share, spend_share = rng.uniform(0.0, 1.0, (2, N, T))
    capex_final = rng.uniform(100.0, 900.0, N)
    esc = 1.02 ** np.arange(T) if seed % 2 else np.ones(T)
    got = _cost_lines(SimpleNamespace(prices=P), g, production, op_share, capex_final,
                      spend_share, esc)
    ref = _cost_lines_numpy(P, g, production, op_share, capex_final, spend_share, esc)
    for a, b in zip(got, ref, strict=True):
        assert sorted(a) == sorted(b)
        assert [k for k in a if not _same(a[k], b[k])] == []


def _plant(rng, idle_share=0.3):
    """A stand-in for a Plant with the arrays the operating decisions read."""
    lines = {k: -np.abs(_signed(rng, (N, T))) for k in
             ("feedstock", "electricity", "gas", "carbon", "other_opex")}
    production = np.abs(_signed(rng, (N, T), 1e4))
    return SimpleNamespace(
        n=N, T=T, lines=lines, production=production, reagents=np.abs(_signed(rng, (N, T))),
        fixed_opex=np.abs(_signed(rng, (N, T))), capex_estimate=rng.uniform(100.0, 900.0, N),
        esc=1.02 ** np.arange(T), op_share=rng.choice([0.0, 0.5, 1.0], (N, T)))


def idle_mask_numpy(plant, revenue, per_tonne):
    margin = revenue + per_tonne - plant.reagents
    for k in VARIABLE_LINES:
        margin = margin + plant.lines[k]
    idle = (margin < 0) & (plant.production > 0)
    if not idle.any():
        return None
    return 1.0 - idle


def idle_costs_numpy(plant, run, care_share, restart_share):
    out = {k: np.where(run > 0, plant.lines[k], 0.0) for k in VARIABLE_LINES}
    care = np.asarray(care_share, float)[..., None] if np.ndim(care_share) else care_share
    out["other_opex"] = np.where(run > 0, plant.lines["other_opex"],
                                 -plant.fixed_opex * care)
    back = np.zeros_like(run)
    back[:, 1:] = run[:, 1:] * (1.0 - run[:, :-1])
    share = np.asarray(restart_share, float)[..., None] if np.ndim(restart_share) else restart_share
    out["restart"] = 0.0 - back * share * plant.capex_estimate[:, None] * plant.esc
    return out


def closure_year_numpy(cfads, plant, years, viable=None):
    need = math.ceil(float(years))
    neg = (cfads < 0) & (plant.op_share > 0)
    if viable is not None:
        neg = neg & ~viable[:, None]
    n, T = neg.shape
    close = np.full(n, -1)
    if need > T or not neg.any():
        return close
    count = np.zeros(n, int)
    for t in range(T):
        count = np.where(neg[:, t], count + 1, 0)
        close = np.where((close < 0) & (count >= need), t, close)
    return close


@pytest.mark.parametrize("seed", range(4))
def test_operating_decisions_are_the_numpy_bits(seed):
    rng = np.random.default_rng(seed)
    plant = _plant(rng)
    revenue = np.abs(_signed(rng, (N, T), 3.0))
    per_tonne = _signed(rng, (N, T)) if seed % 2 else np.zeros((N, T))
    run = idle_mask(plant, revenue, per_tonne)
    assert _same(run, idle_mask_numpy(plant, revenue, per_tonne))
    assert idle_mask(plant, revenue + 1e9, per_tonne) is None
    assert idle_mask_numpy(plant, revenue + 1e9, per_tonne) is None
    care = rng.uniform(0.0, 1.0, N) if seed % 2 else 0.3
    restart = 0.01 if seed % 2 else rng.uniform(0.0, 0.5, N)
    for r in (run, np.ones((N, T))):
        got, ref = idle_costs(plant, r, care, restart), idle_costs_numpy(plant, r, care, restart)
        assert sorted(got) == sorted(ref)
        assert [k for k in got if not _same(got[k], ref[k])] == []
    cfads = _signed(rng, (N, T))
    viable = rng.random(N) < 0.3
    for years in (1, 2.5, 3, 40, 41):
        for v in (None, viable):
            assert _same(closure_year(cfads, plant, years, v),
                         closure_year_numpy(cfads, plant, years, v))
    assert _same(closure_year(np.abs(cfads), plant, 2), closure_year_numpy(np.abs(cfads), plant, 2))


def alive_mask_numpy(close, T):
    if not np.any(close >= 0):
        return None
    t = np.arange(T)[None, :]
    return ((close[:, None] < 0) | (t <= close[:, None])).astype(float)


@pytest.mark.parametrize("seed", range(3))
def test_depreciation_and_alive_mask_are_the_numpy_bits(seed):
    rng = np.random.default_rng(seed)
    s = _times(rng)
    plant = SimpleNamespace(n=N, T=T, s=s, lines={})
    base = np.abs(_signed(rng, N, 500.0))
    for D in (1.0, 7.5, 15.0, 100.0):
        ref = base[:, None] / D * overlap_numpy(s, s + D, T)
        with np.errstate(invalid="ignore"):
            got = capex_depreciation({"finance.depreciation_years": D}, plant, base)
        assert _same(got, ref)
    close = rng.choice([-1, 0, 5, T - 1], N)
    assert _same(alive_mask(close, T), alive_mask_numpy(close, T))
    assert alive_mask(np.full(N, -1), T) is None


def decommissioning_numpy(plant, close, security_share):
    n, T = plant.n, plant.T
    rows = np.arange(n)
    sponsor, state = np.zeros((n, T)), np.zeros((n, T))
    end = np.floor(plant.s + plant.life).astype(int)
    ok = (close < 0) & (end < T)
    sponsor[rows[ok], end[ok]] = -plant.decom[ok] * plant.esc[end[ok]]
    early = close >= 0
    when = np.minimum(close + 1, T - 1)
    unpaid = np.maximum(1.0 - np.broadcast_to(np.asarray(security_share, float), (n,)), 0.0)
    state[rows[early], when[early]] = (plant.decom * unpaid)[early] * plant.esc[when[early]]
    return sponsor, state


@pytest.mark.parametrize("seed", range(3))
def test_decommissioning_is_the_numpy_bits(seed):
    rng = np.random.default_rng(seed)
    s = np.abs(_times(rng))
    s[5] = 3.0  # no NaN
    plant = SimpleNamespace(n=N, T=T, s=s, life=rng.choice([0.0, 2.5, 25.0, 60.0], N),
                            decom=np.abs(_signed(rng, N, 50.0)), esc=1.02 ** np.arange(T))
    close = rng.choice([-1, -1, 0, 7, T - 2, T - 1], N)
    security = rng.uniform(0.0, 1.5, N) if seed % 2 else 0.5
    for c in (close, np.full(N, -1)):
        got, ref = decommissioning(plant, c, security), decommissioning_numpy(plant, c, security)
        assert _same(got[0], ref[0]) and _same(got[1], ref[1])
        some = decommissioning(plant, c, security, flag=True)[2]
        assert some == bool(np.any(ref[0]) or np.any(ref[1]))
