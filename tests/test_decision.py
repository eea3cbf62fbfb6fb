"""The investor's regression recovers a known conditional expectation."""

from __future__ import annotations

import numpy as np

from simcrm.kernels.decision import fit_value


def test_regression_recovers_a_known_conditional_expectation():
    rng = np.random.default_rng(20261129)
    n = 20_000
    s1 = rng.uniform(0.0, 1.0, n)
    s2 = rng.normal(5.0, 2.0, n)
    const = np.full(n, 7.0)  # a state that does not vary is left out
    truth = lambda a, b: 2.0 + 3.0 * a - 4.0 * a**2 + 0.5 * b - 0.1 * b**2  # noqa: E731
    y = truth(s1, s2) + rng.normal(0.0, 1.0, n)
    fit = fit_value(np.column_stack([s1, s2, const]), y)
    assert fit.n == n
    grid = np.column_stack([np.linspace(0.05, 0.95, 7), np.linspace(2.0, 8.0, 7), np.full(7, 7.0)])
    got = fit.predict(grid)
    want = truth(grid[:, 0], grid[:, 1])
    # the fitted mean has a standard error of about sigma * sqrt(terms / n) = 0.02; 5 se
    np.testing.assert_allclose(got, want, atol=5 * np.sqrt(5 / n))
    # R² against the closed form: var(truth) / (var(truth) + 1)
    v = np.var(truth(s1, s2))
    assert abs(fit.r2 - v / (v + 1.0)) < 0.01


def test_regression_ignores_non_finite_draws_and_handles_none():
    s = np.array([[1.0], [2.0], [3.0], [np.nan]])
    fit = fit_value(s, np.array([1.0, 2.0, np.inf, 4.0]))
    assert fit.n == 2
    empty = fit_value(np.zeros((0, 2)), np.zeros(0))
    assert empty.n == 0 and np.isnan(empty.r2)


def test_development_outcome_by_hand():
    from simcrm.kernels.development import development_outcome, time_to_event

    # permit after 2 years, FID after 3 (grid); refusal at 1.5 (before the permit: refused),
    # at 2.5 (after it: no effect); window closes at 2.8 (before FID: lost) or never
    permit = np.array([2.0, 2.0, 2.0, 2.0])
    fid = np.array([3.0, 3.0, 3.0, 3.0])
    refusal = np.array([1.5, 2.5, np.inf, 1.0])
    window = np.array([np.inf, np.inf, 2.8, 0.5])
    end, reached, refused, lost = development_outcome(1.0, permit, fid, refusal, window)
    np.testing.assert_array_equal(end, [2.5, 4.0, 3.8, 1.5])
    np.testing.assert_array_equal(reached, [False, True, False, False])
    np.testing.assert_array_equal(refused, [True, False, False, False])
    np.testing.assert_array_equal(lost, [False, False, True, True])
    # exponential: P(event within w) = 1 - exp(-h w)
    u = np.random.default_rng(1).uniform(size=200_000)
    t = time_to_event(u, 0.1)
    p = np.mean(t < 3.0)
    assert abs(p - (1 - np.exp(-0.3))) < 4 * np.sqrt(p * (1 - p) / u.size)
    assert np.all(np.isinf(time_to_event(u[:5], 0.0)))
