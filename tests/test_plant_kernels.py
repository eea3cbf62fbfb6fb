"""The compiled row kernels of the plant and its operation (:mod:`simcrm.kernels.plant_rows`)
against the numpy expressions they replace: the same bits, edge cases included (times on
whole years, zero ramp or life, signed zeros, NaN)."""

from __future__ import annotations

import numpy as np
import pytest

from simcrm.kernels.schedule import overlap, production_factor

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
        end = s + life
        assert _same(overlap(s, end, T), overlap_numpy(s, end, T))
        assert _same(overlap(0.5, end, T), overlap_numpy(0.5, end, T))
        assert _same(overlap(s[7], end[9], T), overlap_numpy(s[7], end[9], T))
