"""What drives the result: rank correlations and variance-based (Sobol') indices.

Two families of measures answer "which uncertain inputs move the NPV?":

* **Rank measures from a finished run** — :func:`spearman` (Spearman's rho) and
  :func:`prcc` (partial rank correlation, the rank correlation of an input with
  the output once the linear rank effect of every other input is removed).
  They use the per-draw inputs kept in ``results.nc`` (including the derived
  ``permitting.appeal`` and ``markets.<m>.path_mean``), so they keep the rank
  correlations of the scenario's copula.  :func:`rank_table` joins both, with
  95 % confidence intervals (Fisher *z*).

* **Sobol' indices from a designed experiment** — :func:`sobol` evaluates the
  model on a Saltelli design (``SALib.sample.sobol``) and estimates first-order
  (S1) and total (ST) indices with bootstrap confidence intervals
  (``SALib.analyze.sobol``).  The design needs ``N · (D + 2)`` model
  evaluations per option (``N · (2D + 2)`` when second-order indices are
  asked), ``N`` a power of two, ``D`` the number of factors.

Factors of the Sobol' design
----------------------------
* every input that is a distribution in the world: its design column ``u`` is
  mapped through the input's inverse CDF (:meth:`simcrm.spec.distributions.Dist.ppf`)
  and held inside the key's allowed range, exactly as the engine does;
* the permit-appeal event, when an appeal can happen: a uniform ``u`` and the
  appeal happens when ``u < appeal_prob`` (as in the engine);
* the market shocks (``markets="grouped"``, the default): for each market, one
  *group* holding its yearly normal shocks (``ndtri(u)``), when they move some
  price path, and the yearly jump events it is the source of, so the index of
  "product-price shocks" is the share of the variance that the whole random path
  explains.  Shocks are correlated between markets through the Cholesky factor of
  ``markets.correlations``; the factors are the independent innovations, so the
  group of a market also carries its correlated share of the later markets in
  :data:`simcrm.spec.registry.MARKETS` order (and is a factor even when its own
  volatility is zero, if it moves a later market).  A market whose jumps go with
  the product's (``jumps_with_product``) jumps with the product's events, which
  are in the product's group.  With ``markets="fixed"`` every market follows its
  deterministic path (volatility 0, no jumps, as in
  :func:`simcrm.engine.evaluate.base_case`) and the indices describe the scalar
  inputs only (the reversion rate stays a factor: it shapes the deterministic
  path).

Design rows are turned into random numbers laid out as the engine's
(:class:`simcrm.engine.sampling.BlockDraws`) and evaluated by the engine's own
evaluator (:mod:`simcrm.engine.evaluate`), so a design row is evaluated exactly as
a draw of a run with the same numbers; inputs that are not factors sit at their
median (uniform 0.5).

Sobol' indices assume independent factors: the design ignores the rank
correlations of ``[simulation] rank_correlations`` (the rank measures keep
them).  The attribute ``note`` of the result says so.

References
----------
Saltelli, A. (2002). Making best use of model evaluations to compute
sensitivity indices. Computer Physics Communications 145, 280-297.
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model
output. Computer Physics Communications 181, 259-270.
Marino, S. et al. (2008). A methodology for performing global uncertainty and
sensitivity analysis in systems biology. J. Theor. Biol. 254, 178-196 (PRCC).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample
from scipy import special, stats

from simcrm._blas import one_blas_thread
from simcrm.engine.evaluate import evaluate, investor_fits, jump_streams, shock_markets, world_draws
from simcrm.engine.sampling import BlockDraws
from simcrm.spec import outputs
from simcrm.spec.distributions import Dist
from simcrm.spec.names import display_units
from simcrm.spec.registry import INPUTS, MARKETS

#: Evaluation rows per model call in :func:`sobol` (bounds the memory of market paths).
SOBOL_CHUNK = 8192

MARKET_FACTORS = ("grouped", "fixed")


def input_names(ds: xr.Dataset) -> list[str]:
    """Names of the per-draw sampled inputs kept in a results Dataset."""
    return [k for k in ds.data_vars if ds.variables[k].attrs.get("role") == "input"]


def spearman(ds: xr.Dataset, option: str, world: str, output: str = "npv",
             _ranks: dict | None = None) -> pd.DataFrame:
    """Spearman rank correlation of ``output`` with every input that varies.

    Parameters
    ----------
    ds : xarray.Dataset
        Per-draw results.
    option, world : str
    output : str
        A per-draw metric, e.g. ``npv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``input``, ``long_name``, ``units``, ``rho``; sorted by ``|rho|``,
        largest first.  Inputs that are constant in this world are left out.
    """
    y = ds[output].sel(option=option, world=world).values
    ok = np.isfinite(y)
    rows = []
    ry = _output_rank(y, ok, (option, world, output), _ranks)
    for k in _varying(ds, world, ok, _ranks):
        rho = float(np.corrcoef(_rank(ds, k, world, ok, _ranks), ry)[0, 1])
        a = ds.variables[k].attrs
        rows.append({"input": a.get("key", k), "long_name": a.get("long_name", k),
                     "units": display_units(a), "rho": rho})
    df = pd.DataFrame(rows, columns=["input", "long_name", "units", "rho"])
    return df.reindex(df["rho"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def _varying(ds: xr.Dataset, world: str, ok: np.ndarray, cache: dict | None = None
             ) -> list[str]:
    """The inputs that vary in ``world`` over the draws ``ok`` (remembered as :func:`_rank`
    remembers ranks)."""
    if cache is None or not ok.all():
        return [k for k in input_names(ds) if np.ptp(ds[k].sel(world=world).values[ok]) > 0]
    key = ("varying", world)
    if key not in cache:
        cache[key] = _varying(ds, world, ok)
    return cache[key]


def rankdata(x: np.ndarray) -> np.ndarray:
    """Ranks ``1 .. n`` of ``x``, ties given their average rank: exactly
    ``scipy.stats.rankdata(x)`` (the ranks are whole or half numbers, exact in floating
    point), about six times faster on 20 000 draws.

    The average rank of a tie does not depend on the order of the tied values, so
    numpy's unstable (vectorised) sort serves; an input with NaN goes to scipy.
    """
    x = np.asarray(x)
    if x.ndim != 1 or x.dtype.kind not in "fiub" or not np.isfinite(x).all():
        return stats.rankdata(x)
    n = x.size
    order = np.argsort(x)
    xs = x[order]
    first = np.flatnonzero(np.concatenate(([True], xs[1:] != xs[:-1])))
    count = np.diff(np.append(first, n))
    ranks = np.empty(n)
    ranks[order] = np.repeat(first + (count + 1) / 2, count)
    return ranks


def _output_rank(y: np.ndarray, ok: np.ndarray, key: tuple, cache: dict | None) -> np.ndarray:
    """Ranks of the output's finite draws; remembered in ``cache`` under ``key``."""
    if cache is None:
        return rankdata(y[ok])
    key = ("output", *key)
    if key not in cache:
        cache[key] = rankdata(y[ok])
    return cache[key]


def _rank(ds: xr.Dataset, name: str, world: str, ok: np.ndarray,
          cache: dict | None) -> np.ndarray:
    """Ranks of input ``name`` in ``world`` over the draws ``ok``; remembered in ``cache``
    when every draw is used (the inputs of a world are the same for every option)."""
    if cache is None or not ok.all():
        return rankdata(ds[name].sel(world=world).values[ok])
    key = (name, world)
    if key not in cache:
        cache[key] = rankdata(ds[name].sel(world=world).values[ok])
    return cache[key]


PRCC_MAX_CONDITION = 1e6
"""Condition number of the rank-correlation matrix above which :func:`prcc` leaves the
closed form for one pair of least-squares fits per input (inputs that are nearly linear
functions of each other; the closed form would lose more than about 1e-10)."""


def partial_correlations(R: np.ndarray, ry: np.ndarray) -> np.ndarray:
    """Partial correlation of each column of ``R`` with ``ry``, given the other columns.

    One inverse ``P`` of the correlation matrix of ``[R, ry]`` gives them all:
    ``r_j = -P[j, y] / sqrt(P[j, j] P[y, y])`` (e.g. Whittaker 1990, *Graphical models in
    applied multivariate statistics*, §5.7).  This equals the correlation of the
    residuals of ``R[:, j]`` and ``ry`` regressed on the other columns; where the matrix
    is badly conditioned those regressions are done one by one
    (:func:`_partial_correlations_lstsq`).

    Parameters
    ----------
    R : ndarray, shape (n, k)
        Centred ranks of the inputs.
    ry : ndarray, shape (n,)
        Centred ranks of the output.

    Returns
    -------
    ndarray, shape (k,)
        In [-1, 1]; NaN for an input that is a linear function of the others (or when
        the output is).
    """
    A = np.column_stack([R, ry])
    S = A.T @ A
    d = np.sqrt(np.diag(S))
    if np.all(d > 0):
        C = S / np.outer(d, d)
        if np.linalg.cond(C) <= PRCC_MAX_CONDITION:
            P = np.linalg.inv(C)
            k = R.shape[1]
            return np.clip(-P[:k, k] / np.sqrt(np.diag(P)[:k] * P[k, k]), -1.0, 1.0)
    return _partial_correlations_lstsq(R, ry)


def _partial_correlations_lstsq(R: np.ndarray, ry: np.ndarray) -> np.ndarray:
    """:func:`partial_correlations` by two least-squares fits per input (the definition)."""
    out = np.full(R.shape[1], np.nan)
    for j in range(R.shape[1]):
        others = np.delete(R, j, axis=1)
        if others.shape[1]:
            coef_x, *_ = np.linalg.lstsq(others, R[:, j], rcond=None)
            coef_y, *_ = np.linalg.lstsq(others, ry, rcond=None)
            ex, ey = R[:, j] - others @ coef_x, ry - others @ coef_y
        else:
            ex, ey = R[:, j], ry
        sx, sy = np.sqrt(ex @ ex), np.sqrt(ey @ ey)
        if not (sx <= 1e-9 * np.sqrt(R[:, j] @ R[:, j]) or sy == 0):
            out[j] = float(np.clip(ex @ ey / (sx * sy), -1.0, 1.0))
    return out


def prcc(ds: xr.Dataset, option: str, world: str, output: str = "npv",
         level: float = 0.95, _ranks: dict | None = None) -> pd.DataFrame:
    """Partial rank correlation coefficients of ``output`` with every varying input.

    The PRCC of input *j* is the Pearson correlation of the residuals of the ranks of
    the output and of input *j*, each regressed (least squares, with intercept) on the
    ranks of all other inputs; all of them come from one inverse of the rank-correlation
    matrix (:func:`partial_correlations`).

    Parameters
    ----------
    ds : xarray.Dataset
        Per-draw results.
    option, world : str
    output : str
        A per-draw metric; draws where it is not finite are left out.
    level : float
        Confidence level of the interval [1].

    Returns
    -------
    pandas.DataFrame
        Columns ``input``, ``long_name``, ``units``, ``prcc``, ``prcc_lo``,
        ``prcc_hi`` (Fisher-*z* interval with ``n - 3 - (k - 1)`` degrees of
        freedom, *k* inputs) and ``p_value`` (t test); sorted by ``|prcc|``.
        Inputs that are constant in this world are left out; an input that is a
        linear function of the ranks of the others gets NaN.
    """
    y = ds[output].sel(option=option, world=world).values
    ok = np.isfinite(y)
    names = _varying(ds, world, ok, _ranks)
    n, k = int(ok.sum()), len(names)
    cols = ["input", "long_name", "units", "prcc", "prcc_lo", "prcc_hi", "p_value"]
    if k == 0:
        return pd.DataFrame(columns=cols)
    R = np.column_stack([_rank(ds, m, world, ok, _ranks) for m in names])
    ry = _output_rank(y, ok, (option, world, output), _ranks)
    R = R - R.mean(0)
    ry = ry - ry.mean()
    z = special.ndtri(0.5 + level / 2)
    dof = n - 2 - (k - 1)
    pc = partial_correlations(R, ry)
    rows = []
    for j, name in enumerate(names):
        r = float(pc[j])
        if np.isnan(r) or dof < 2:
            r = lo = hi = pv = np.nan
        else:
            se = 1.0 / np.sqrt(max(n - 3 - (k - 1), 1))
            zr = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15))
            lo, hi = float(np.tanh(zr - z * se)), float(np.tanh(zr + z * se))
            t = r * np.sqrt(dof / max(1 - r * r, 1e-300))
            pv = float(2 * stats.t.sf(abs(t), dof))
        a = ds.variables[name].attrs
        rows.append({"input": a.get("key", name), "long_name": a.get("long_name", name),
                     "units": display_units(a), "prcc": r, "prcc_lo": lo,
                     "prcc_hi": hi, "p_value": pv})
    df = pd.DataFrame(rows, columns=cols)
    order = df["prcc"].abs().fillna(-1).sort_values(ascending=False).index
    return df.reindex(order).reset_index(drop=True)


def rank_table(ds: xr.Dataset, option: str, world: str, output: str = "npv",
               level: float = 0.95, _ranks: dict | None = None) -> pd.DataFrame:
    """Spearman's rho and the PRCC of ``output`` with every varying input, with intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``input``, ``long_name``, ``units``, ``rho``, ``rho_lo``,
        ``rho_hi`` (Fisher *z* with the Fieller-Hartley-Pearson variance
        ``1.06 / (n - 3)``), ``prcc``, ``prcc_lo``, ``prcc_hi``, ``p_value``;
        sorted by ``|rho|``.  Attributes ``option``, ``world``, ``output``,
        ``draws``.
    """
    _ranks = {} if _ranks is None else _ranks  # the inputs' ranks, for both measures
    sp = spearman(ds, option, world, output, _ranks)
    y = ds[output].sel(option=option, world=world).values
    n = int(np.isfinite(y).sum())
    z = special.ndtri(0.5 + level / 2)
    se = np.sqrt(1.06 / max(n - 3, 1))
    zr = np.arctanh(np.clip(sp["rho"].to_numpy(float), -1 + 1e-15, 1 - 1e-15))
    sp["rho_lo"], sp["rho_hi"] = np.tanh(zr - z * se), np.tanh(zr + z * se)
    pr = prcc(ds, option, world, output, level, _ranks).drop(columns=["long_name", "units"])
    df = sp.merge(pr, on="input", how="left")
    df.attrs.update(option=option, world=world, output=output, draws=n)
    return df


# --------------------------------------------------------------------------------------
# Sobol' indices
# --------------------------------------------------------------------------------------


def _check_n(n: int) -> int:
    n = int(n)
    if n < 2 or n & (n - 1):
        lo = 1 << max(1, n.bit_length() - 1)
        raise ValueError(f"the Sobol' base sample size N must be a power of two (Saltelli "
                         f"design); got {n}: use {lo} or {lo * 2}")
    return n


def saltelli_design(names: list[str], n: int, groups: list[str] | None = None, seed: int = 0,
                    calc_second_order: bool = False) -> tuple[dict, np.ndarray]:
    """The SALib problem and the Saltelli design rows on the unit hypercube.

    Returns
    -------
    problem : dict
        For ``SALib.analyze.sobol.analyze``.
    U : ndarray, shape (N · (D + 2), columns) or (N · (2D + 2), columns)
        Design rows in (0, 1) (``D``: factors, or groups when given).
    """
    n = _check_n(n)
    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    if groups is not None:
        problem["groups"] = list(groups)
    U = sobol_sample.sample(problem, n, calc_second_order=calc_second_order, seed=seed)
    np.clip(U, 1e-12, 1 - 1e-12, out=U)
    return problem, U


def analyse(problem: dict, y: np.ndarray, seed: int = 0, calc_second_order: bool = False,
            level: float = 0.95, num_resamples: int = 200) -> dict:
    """Sobol' indices from the outputs ``y`` of the design rows of :func:`saltelli_design`.

    Returns
    -------
    dict
        ``factors`` (list of str), ``S1``, ``S1_conf``, ``ST``, ``ST_conf``
        (``*_conf``: half-width of the bootstrap interval), ``S2``/``S2_conf``
        when asked.  A constant output gives zero indices.
    """
    y = np.asarray(y, dtype=float)
    groups = problem.get("groups")
    factors = list(dict.fromkeys(groups)) if groups is not None else list(problem["names"])
    if not np.all(np.isfinite(y)):
        raise ValueError(f"the output is not finite in {int((~np.isfinite(y)).sum())} of "
                         f"{y.size} design rows; Sobol' indices need a finite output")
    out: dict = {"factors": factors}
    G = len(factors)
    if np.var(y) <= 1e-24 * max(1.0, float(np.mean(y * y))):
        for k in ("S1", "S1_conf", "ST", "ST_conf"):
            out[k] = np.zeros(G)
        if calc_second_order:
            out["S2"], out["S2_conf"] = np.full((G, G), np.nan), np.full((G, G), np.nan)
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        r = sobol_analyze.analyze(problem, y, calc_second_order=calc_second_order,
                                  num_resamples=num_resamples, conf_level=level, seed=seed)
    for k in ("S1", "S1_conf", "ST", "ST_conf"):
        out[k] = np.asarray(r[k], dtype=float)
    if calc_second_order:
        out["S2"], out["S2_conf"] = np.asarray(r["S2"], float), np.asarray(r["S2_conf"], float)
    return out


def sobol_indices(func: Callable[[np.ndarray], np.ndarray], names: list[str], n: int,
                  groups: list[str] | None = None, seed: int = 0,
                  calc_second_order: bool = False, level: float = 0.95,
                  num_resamples: int = 200) -> dict:
    """Sobol' indices of a vectorised function of independent uniforms on (0, 1).

    The one implementation of the Sobol' indices in simcrm: :func:`sobol` (the
    indices of a scenario) calls it with the scenario's design model.

    Parameters
    ----------
    func : callable
        ``func(U) -> y`` with ``U`` of shape (rows, len(names)) in (0, 1) and
        ``y`` of shape (rows,), or (rows, k) for ``k`` outputs evaluated on the
        same rows.  Map ``U`` through inverse CDFs inside ``func``.
    names : list of str
        Column names.
    n : int
        Base sample size ``N``, a power of two.
    groups : list of str, optional
        Group of every column; indices are then per group.
    seed : int
        Seeds the scrambled Sobol' sequence (and, plus one, the bootstrap).
    calc_second_order : bool
    level : float
        Confidence level of the bootstrap intervals [1].
    num_resamples : int
        Bootstrap resamples.

    Returns
    -------
    dict
        As :func:`analyse`, plus ``evaluations`` (int, rows evaluated) and
        ``output_var`` (variance of ``y`` over the design, ``ddof=1``, in the units
        of ``y`` squared).  With ``k`` outputs every index array gains a leading
        axis of length ``k`` and ``output_var`` has shape (k,).
    """
    problem, U = saltelli_design(names, n, groups, seed, calc_second_order)
    y = np.concatenate([np.asarray(func(U[a:a + SOBOL_CHUNK]), dtype=float)
                        for a in range(0, U.shape[0], SOBOL_CHUNK)])
    if y.ndim == 1:
        out = analyse(problem, y, seed + 1, calc_second_order, level, num_resamples)
    else:
        res = [analyse(problem, y[:, i], seed + 1, calc_second_order, level, num_resamples)
               for i in range(y.shape[1])]
        out = {k: (v if k == "factors" else np.array([r[k] for r in res]))
               for k, v in res[0].items()}
    out["evaluations"] = int(U.shape[0])
    out["output_var"] = y.var(axis=0, ddof=1)
    return out


@dataclass(frozen=True)
class Factor:
    """One factor of the Sobol' design of a scenario.

    Attributes
    ----------
    name : str
        Input key, ``permitting.appeal`` or ``markets.<m>.shocks``.
    kind : str
        ``input``, ``appeal`` or ``market``.
    columns : int
        Design columns it takes.
    long_name, units : str
    """

    name: str
    kind: str
    columns: int
    long_name: str
    units: str


EVENT_FACTORS = {
    "refusal": ("permitting.refusal_hazard", "When the permit would be refused (event)"),
    "window": ("development.window_hazard", "When the market window would close (event)"),
}
"""Events of development that are design factors where their hazard is positive."""

_MARKET_PARAMS = ("volatility", "crash_prob", "crash_size", "spike_prob", "spike_size")
"""Market inputs with no effect on a deterministic path (``markets="fixed"``); the
reversion rate is not among them: it sets how fast the path goes from ``start`` to
``long_run``."""


def _market_layout(sc, world: str) -> dict[str, tuple[bool, list[tuple[str, str]]]]:
    """Per market of ``world``: whether its normal shocks move a path, and the jump
    streams it is the source of (a market linked to the product jumps with the
    product's events, which belong to the product's group)."""
    shocks = set(shock_markets(sc, world))
    streams = jump_streams(sc, [world])
    return {m: (m in shocks, [s for s in streams if s[0] == m]) for m in MARKETS}


def sobol_factors(sc, world: str = "base", markets: str = "grouped") -> list[Factor]:
    """The factors of the Sobol' design of a scenario in one world (see the module notes)."""
    if markets not in MARKET_FACTORS:
        raise ValueError(f"markets must be one of {', '.join(MARKET_FACTORS)}; got {markets!r}")
    if world not in sc.worlds:
        raise ValueError(f"unknown world {world!r}; the scenario has {', '.join(sc.worlds)}")
    inp = sc.worlds[world].inputs
    T = int(sc.settings["simulation.horizon_years"])
    out = []
    for k in sc.uncertain_keys:
        if not isinstance(inp[k], Dist):
            continue
        if markets == "fixed" and k.startswith("markets.") and k.split(".")[2] in _MARKET_PARAMS:
            continue  # no effect on a deterministic path
        p = INPUTS[k]
        out.append(Factor(k, "input", 1, p.description, p.unit))
    ap = inp["permitting.appeal_prob"]
    if isinstance(ap, Dist) or ap > 0:
        out.append(Factor("permitting.appeal", "appeal", 1,
                          "Whether the permit is appealed (event)", "1"))
    for event, (key, what) in EVENT_FACTORS.items():
        h = inp[key]
        if isinstance(h, Dist) or h > 0:
            out.append(Factor(f"development.{event}", "event", 1, what, "1"))
    if markets == "grouped":
        for m, (shocks, streams) in _market_layout(sc, world).items():
            cols = T * (int(shocks) + len(streams))
            if cols:
                out.append(Factor(f"markets.{m}.shocks", "market", cols,
                                  f"Random path of the {m} price (yearly shocks and jumps)",
                                  "1"))
    return out


def _design_numbers(sc, world: str, factors: list[Factor], U: np.ndarray) -> BlockDraws:
    """The random numbers of design rows ``U``, laid out as the engine's.

    Inputs that are not factors get the uniform 0.5, markets without a factor no
    shocks and no jumps, and no appeal happens without an appeal factor.
    """
    n = U.shape[0]
    T = int(sc.settings["simulation.horizon_years"])
    keys = sc.uncertain_keys
    layout = _market_layout(sc, world)
    u = np.full((n, len(keys)), 0.5)
    z = np.zeros((n, T, len(MARKETS)))
    jumps: dict = {}
    events: dict = {}
    appeal_u = np.ones(n)
    c = 0
    for fac in factors:
        block = U[:, c:c + fac.columns]
        c += fac.columns
        if fac.kind == "input":
            u[:, keys.index(fac.name)] = block[:, 0]
        elif fac.kind == "appeal":
            appeal_u = block[:, 0]
        elif fac.kind == "event":
            events[fac.name.split(".")[1]] = block[:, 0]
        else:
            m = fac.name.split(".")[1]
            shocks, streams = layout[m]
            j = 0
            if shocks:
                z[:, :, MARKETS.index(m)] = special.ndtri(block[:, :T])
                j = T
            for s in streams:
                jumps[s] = block[:, j:j + T]
                j += T
    return BlockDraws(u, z, jumps, appeal_u, events)


def _design_model(sc, world: str, factors: list[Factor], markets: str, levers: list[dict],
                  output: str, fits: list | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """A function of design rows ``U`` returning ``output`` for every option, stacked.

    The rows are evaluated by the engine's evaluator
    (:func:`simcrm.engine.evaluate.world_draws` and :func:`~simcrm.engine.evaluate.evaluate`),
    so a design row is evaluated exactly as a run's draw with the same random numbers.
    """
    fixed = {f"markets.{m}.volatility": 0.0 for m in MARKETS} if markets == "fixed" else None

    def f(U: np.ndarray) -> np.ndarray:
        wd = world_draws(sc, world, _design_numbers(sc, world, factors, U), fixed)
        res = evaluate(sc, wd, levers, breakeven=(output == "breakeven_price"), fits=fits)
        return np.stack([met[output] for met, _ in res], axis=1)

    return f


def sobol(sc, world: str = "base", options: list[str] | None = None, n: int = 1024,
          seed: int | None = None, output: str = "npv", markets: str = "grouped",
          calc_second_order: bool = False, level: float = 0.95,
          num_resamples: int = 200) -> xr.Dataset:
    """Sobol' first-order and total indices of ``output`` for options of a scenario.

    Every option is evaluated on the same design rows (common random numbers).

    Parameters
    ----------
    sc : Scenario
        From :func:`simcrm.load_scenario`.
    world : str
    options : list of str, optional
        Default: every option.
    n : int
        Base sample size ``N``, a power of two; the model is evaluated
        ``N · (D + 2)`` times per option (``N · (2D + 2)`` with second order).
    seed : int, optional
        Default: the scenario's seed.
    output : str
        A per-draw metric of :data:`simcrm.spec.outputs.METRICS` (must be finite).
    markets : {"grouped", "fixed"}
        How market shocks enter (module notes).
    calc_second_order : bool
    level : float
        Confidence level of the bootstrap intervals.
    num_resamples : int

    Returns
    -------
    xarray.Dataset
        Dims ``option``, ``factor``; variables ``S1``, ``S1_conf``, ``ST``,
        ``ST_conf`` (``*_conf``: half-width of the interval), ``S2``/``S2_conf``
        (dims ``option, factor, factor2``) when asked, ``output_var`` (variance of
        the output over the design, per option); coordinates ``long_name``,
        ``units``, ``kind``, ``columns`` of each factor; attributes describing
        the design (``N``, ``evaluations``, ``markets``, ``note`` ...).
    """
    if output not in outputs.METRICS:
        raise ValueError(f"unknown output {output!r}; choose one of "
                         f"{', '.join(outputs.METRICS)}")
    options = list(sc.options) if options is None else list(options)
    bad = [o for o in options if o not in sc.options]
    if bad:
        raise ValueError(f"unknown option {bad[0]!r}; the scenario has {', '.join(sc.options)}")
    _check_n(n)
    factors = sobol_factors(sc, world, markets)
    if not factors:
        raise ValueError(f"nothing is uncertain in world {world!r}: no Sobol' indices")
    seed = int(sc.settings["simulation.seed"]) if seed is None else int(seed)
    names, groups = [], []
    for fac in factors:
        for c in range(fac.columns):
            names.append(fac.name if fac.columns == 1 else f"{fac.name}[{c}]")
            groups.append(fac.name)
    use_groups = any(fac.columns > 1 for fac in factors)
    fits = None
    if sc.settings["decision.investor"] == "expected-npv":  # the run's investor, same pilot
        vf = sc.value_fits or investor_fits(sc, int(sc.settings["simulation.draws"]))
        fits = [vf.get((o, world)) for o in options]
    model = _design_model(sc, world, factors, markets, [sc.options[o].levers for o in options],
                          output, fits)
    r = sobol_indices(model, names, n, groups if use_groups else None, seed,
                      calc_second_order, level, num_resamples)
    fnames = [f.name for f in factors]
    data = {}
    for k in ("S1", "S1_conf", "ST", "ST_conf"):
        data[k] = (("option", "factor"), r[k],
                   {"units": "1", "long_name": outputs.long_name(k)})
    if calc_second_order:
        for k in ("S2", "S2_conf"):
            data[k] = (("option", "factor", "factor2"), r[k],
                       {"units": "1", "long_name": outputs.long_name(k)})
    data["output_var"] = (("option",), r["output_var"],
                          {"units": f"({outputs.get(output).unit})^2",
                           "long_name": f"Variance of {output} over the design"})
    coords = {"option": options, "factor": fnames,
              "long_name": ("factor", [f.long_name for f in factors]),
              "units": ("factor", [f.units for f in factors]),
              "kind": ("factor", [f.kind for f in factors]),
              "columns": ("factor", [f.columns for f in factors])}
    if calc_second_order:
        coords["factor2"] = fnames
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update({
        "scenario": sc.name, "world": world, "output": output, "N": int(n),
        "evaluations": r["evaluations"], "factors": len(factors),
        "calc_second_order": int(calc_second_order), "conf_level": level,
        "num_resamples": num_resamples, "seed": seed, "markets": markets,
        "method": "Saltelli design (SALib.sample.sobol, scrambled Sobol' sequence); "
                  "Jansen/Saltelli-2010 estimators with bootstrap intervals "
                  "(SALib.analyze.sobol)",
        "note": _note(markets),
    })
    return ds




def _note(markets: str) -> str:
    m = ("market shocks are grouped factors: one per market path (yearly shocks and jumps)"
         if markets == "grouped" else
         "market prices are held on their deterministic paths (volatility 0, no jumps), so "
         "market shocks are not among the factors")
    return (m + "; rank correlations between inputs are ignored in the design (Sobol' "
            "indices assume independent factors)")


def sobol_table(ds: xr.Dataset, option: str | None = None) -> pd.DataFrame:
    """A flat table of :func:`sobol` results, one row per option × factor, by ST."""
    sub = ds if option is None else ds.sel(option=[option])
    rows = []
    for o in sub["option"].values:
        for f in sub["factor"].values:
            s = sub.sel(option=o, factor=f)
            rows.append({"option": str(o), "factor": str(f),
                         "long_name": str(s["long_name"].values),
                         "S1": float(s["S1"]), "S1_conf": float(s["S1_conf"]),
                         "ST": float(s["ST"]), "ST_conf": float(s["ST_conf"])})
    df = pd.DataFrame(rows, columns=["option", "factor", "long_name", "S1", "S1_conf", "ST",
                                     "ST_conf"])
    df = df.sort_values(["option", "ST"], ascending=[True, False], kind="stable")
    df = df.reset_index(drop=True)
    df.attrs.update(ds.attrs)
    return df


def sensitivity_table(ds: xr.Dataset, max_draws: int = 20_000, output: str = "npv"
                      ) -> pd.DataFrame:
    """Spearman and partial rank correlations for the results folder (``sensitivity.csv``).

    Every option in the first world (``base``) and the baseline in every other world,
    each on at most ``max_draws`` draws (the first ones; the ``draws`` column says how
    many), which keeps the table quick for runs of millions of draws.  The ranks of the
    inputs are computed once per world, and BLAS runs on one thread.

    Returns
    -------
    pandas.DataFrame
        One row per option × world × input: ``option``, ``world``, ``input``, ``units``,
        ``rho`` with its 95 % interval, ``prcc`` with its interval and p-value, ``draws``.
    """
    sub = ds.isel(draw=slice(0, max_draws))
    worlds = [str(w) for w in ds["world"].values]
    options = [str(o) for o in ds["option"].values]
    base_opt = "baseline" if "baseline" in options else options[0]
    pairs = [(o, worlds[0]) for o in options] + [(base_opt, w) for w in worlds[1:]]
    frames = []
    ranks: dict = {}
    with one_blas_thread():
        for o, w in pairs:
            t = rank_table(sub, o, w, output, _ranks=ranks)
            t.insert(0, "world", w)
            t.insert(0, "option", o)
            t["draws"] = t.attrs.get("draws", sub.sizes["draw"])
            frames.append(t.drop(columns=["long_name"]))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
