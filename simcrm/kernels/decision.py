"""The investor's build decision: least-squares estimate of the value of building.

At the final investment decision (FID) the investor knows some things (the capex
estimate, when the permit came, the market prices of that year, the world) but not
the future.  It builds when the *expected* value of building, given what it knows,
clears its hurdle.  That conditional expectation is estimated as in Longstaff and
Schwartz's least-squares Monte Carlo: regress the realised value of building on
basis functions of the state known at FID, across draws, and use the fitted value
as the expectation.

Basis functions
---------------
For state variables ``s_1 .. s_k`` (standardised by their pilot mean and standard
deviation, so the fit is well conditioned): a constant, every ``s_j`` and every
``s_j²`` — ``1 + 2k`` terms.  A state variable that does not vary in the pilot draws
is left out.  Cross products ``s_i s_j`` (:data:`CROSS_TERMS`) are left out by
default: what is known at FID explains only a few per cent of the variance of a
plant's realised value (future prices, the overrun and the ramp-up dominate), and
with the 28 terms of a full quadratic in six states the in-sample noise of the fit
was as large as its signal, making marginal decisions differ between options by
chance.

References
----------
Longstaff, F. A. and Schwartz, E. S. (2001). Valuing American options by
simulation: a simple least-squares approach. Review of Financial Studies 14(1),
113–147. https://doi.org/10.1093/rfs/14.1.113
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CROSS_TERMS = False
"""Whether the basis includes the products of pairs of state variables."""


@dataclass(frozen=True)
class ValueFit:
    """A fitted estimate of the value of building, E[value | state at FID].

    Attributes
    ----------
    mean, scale : ndarray, shape (k,)
        Standardisation of the state variables (pilot mean and standard deviation);
        a scale of 0 marks a state variable that did not vary (left out).
    coef : ndarray
        Regression coefficients of the basis functions [MEUR].
    r2 : float
        Share of the variance of the realised value the fit explains [1].
    n : int
        Pilot draws the fit used.
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    r2: float
    n: int

    def predict(self, state: np.ndarray) -> np.ndarray:
        """Expected value of building for each row of ``state`` (draw, k) [MEUR]."""
        return basis(state, self.mean, self.scale) @ self.coef


def basis(state: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Basis functions of the state (see the module docstring).

    Parameters
    ----------
    state : ndarray, shape (draw, k)
    mean, scale : ndarray, shape (k,)
        Standardisation; columns with ``scale == 0`` are left out.

    Returns
    -------
    ndarray, shape (draw, m)
    """
    keep = scale > 0
    z = (state[:, keep] - mean[keep]) / scale[keep]
    n, k = z.shape
    cols = [np.ones(n)]
    cols += [z[:, j] for j in range(k)]
    cols += [z[:, j] ** 2 for j in range(k)]
    if CROSS_TERMS:
        cols += [z[:, i] * z[:, j] for i in range(k) for j in range(i + 1, k)]
    return np.column_stack(cols)


def fit_value(state: np.ndarray, value: np.ndarray) -> ValueFit:
    """Least-squares fit of the realised value of building on the state at FID.

    Parameters
    ----------
    state : ndarray, shape (draw, k)
        State known at FID in each pilot draw (any units; standardised here).
    value : ndarray, shape (draw,)
        Realised value of building in each pilot draw [MEUR]. Draws with a
        non-finite value or state are left out of the fit.

    Returns
    -------
    ValueFit
    """
    state = np.asarray(state, float)
    value = np.asarray(value, float)
    ok = np.isfinite(value) & np.all(np.isfinite(state), axis=1)
    s, y = state[ok], value[ok]
    if y.size == 0:
        k = state.shape[1]
        return ValueFit(np.zeros(k), np.zeros(k), np.array([np.nan]), float("nan"), 0)
    mean = s.mean(axis=0)
    scale = s.std(axis=0)
    # a state that varies by less than 1e-12 of its size does not vary
    scale = np.where(scale > 1e-12 * np.maximum(np.abs(mean), 1.0), scale, 0.0)
    X = basis(s, mean, scale)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ coef
    tss = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(resid @ resid) / tss if tss > 0 else 1.0
    return ValueFit(mean, scale, coef, r2, int(y.size))
