"""The one chunk evaluator: random numbers → per-world inputs and prices → business case.

Every evaluation of the model goes through this module: the run
(:func:`evaluate_chunk`, one task per chunk of draws), the deterministic base case
(:func:`base_case`), the Sobol' design (:mod:`simcrm.analysis.sensitivity` builds
:class:`~simcrm.engine.sampling.BlockDraws` from its design rows and calls
:func:`world_draws` and :func:`evaluate`) and the benchmark (:mod:`simcrm.bench`).
So all of them evaluate the same model the same way.

The path of a draw has two steps:

1. :func:`world_draws` maps the random numbers of a range of draws
   (:class:`~simcrm.engine.sampling.BlockDraws`: uniforms of the uncertain
   inputs, normal market shocks, jump and appeal uniforms) to one world's
   inputs, market paths and appeal events (:class:`WorldDraws`);
2. :func:`evaluate` runs :func:`simcrm.model.business_case.business_case` for a
   list of options on those.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from simcrm.engine.sampling import BLOCK, BlockDraws, sample_blocks
from simcrm.kernels.compiled import running_sums
from simcrm.kernels.decision import fit_value
from simcrm.kernels.markets import price_path
from simcrm.model.business_case import Context, business_case
from simcrm.model.public import changed, fiscal_return
from simcrm.spec.distributions import Dist
from simcrm.spec.outputs import METRICS
from simcrm.spec.registry import INPUTS, MARKETS
from simcrm.spec.scenario import Scenario, correlation_matrix

JUMP_KINDS = ("crash", "spike")
"""The kinds of jump event of a market path."""


# --------------------------------------------------------------------------------------
# Which random numbers a scenario needs
# --------------------------------------------------------------------------------------


def jump_source(inputs: dict, market: str) -> str:
    """The market whose jump uniforms move ``market`` (the product's when linked)."""
    return "product" if inputs.get(f"markets.{market}.jumps_with_product", False) else market


def jump_streams(sc: Scenario, worlds: list[str] | None = None) -> list[tuple[str, str]]:
    """The ``(market, kind)`` jump uniforms that some of ``worlds`` needs, in a fixed order.

    Parameters
    ----------
    sc : Scenario
    worlds : list of str, optional
        Default: every world of the scenario.

    Returns
    -------
    list of (str, str)
        ``(source market, "crash"|"spike")`` in :data:`~simcrm.spec.registry.MARKETS`
        order; a market whose jumps go with the product's needs the product's stream.
    """
    need = set()
    for w in (sc.worlds[n] for n in (sc.worlds if worlds is None else worlds)):
        for m in MARKETS:
            for kind in JUMP_KINDS:
                v = w.inputs[f"markets.{m}.{kind}_prob"]
                if isinstance(v, Dist) or v > 0:
                    need.add((jump_source(w.inputs, m), kind))
    return [(m, kind) for m in MARKETS for kind in JUMP_KINDS if (m, kind) in need]


def shock_markets(sc: Scenario, world: str) -> list[str]:
    """Markets whose normal shocks move some price path of ``world``.

    A market's shocks matter when its own volatility is positive, or when it is
    correlated (``markets.correlations``) with a later market whose volatility is:
    the correlated shocks are ``z @ chol.T``, so the innovations of market ``i``
    enter every market ``j`` with ``chol[j, i] != 0``.
    """
    inp = sc.worlds[world].inputs
    chol = _market_cholesky(inp)
    vary = [isinstance(v, Dist) or v > 0
            for v in (inp[f"markets.{m}.volatility"] for m in MARKETS)]
    if chol is None:
        return [m for m, v in zip(MARKETS, vary) if v]
    return [m for i, m in enumerate(MARKETS)
            if any(vary[j] and chol[j, i] != 0 for j in range(len(MARKETS)))]


def varying_markets(sc: Scenario) -> list[str]:
    """Markets whose path differs between draws in some world."""
    out = []
    for m in MARKETS:
        keys = [f"markets.{m}.{k}" for k in ("start", "long_run", "volatility", "crash_prob",
                                               "spike_prob")]
        for w in sc.worlds.values():
            if any(isinstance(w.inputs[k], Dist) for k in keys) or any(
                    w.inputs[k] > 0 for k in keys[2:]):
                out.append(m)
                break
    return out


def copula(sc: Scenario, keys: list[str]) -> tuple[np.ndarray | None, list[int] | None]:
    """The Gaussian copula of ``[simulation] rank_correlations`` over ``keys``.

    Returns
    -------
    chol : ndarray or None
        Lower Cholesky factor of the normal-score correlation [1].
    idx : list of int or None
        Columns of ``keys`` it applies to.
    """
    pairs = sc.settings["simulation.rank_correlations"] or []
    if not pairs:
        return None, None
    names = [k for k in keys if any(k in (a, b) for a, b, _ in pairs)]
    c = correlation_matrix(pairs, names, rank=True)
    return np.linalg.cholesky(c), [keys.index(k) for k in names]


def random_numbers(sc: Scenario, start: int, stop: int) -> BlockDraws:
    """The random numbers of draws ``start`` .. ``stop`` of a run.

    They are cut from whole blocks of :data:`~simcrm.engine.sampling.BLOCK` draws, so
    a draw's numbers do not depend on the chunk it is evaluated in.
    """
    st = sc.settings
    keys = sc.uncertain_keys
    chol, cidx = copula(sc, keys)
    streams = jump_streams(sc)
    b0, b1 = start // BLOCK, math.ceil(stop / BLOCK)
    rd = sample_blocks(int(st["simulation.seed"]), range(b0, b1), keys,
                       int(st["simulation.horizon_years"]), MARKETS, streams,
                       st["simulation.sampler"], chol, cidx)
    sl = slice(start - b0 * BLOCK, stop - b0 * BLOCK)
    return BlockDraws(rd.u[sl], rd.z[sl], {k: v[sl] for k, v in rd.jumps.items()},
                      rd.appeal[sl], {k: v[sl] for k, v in rd.events.items()})


# --------------------------------------------------------------------------------------
# Random numbers → one world's inputs, prices and events
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorldDraws:
    """One world's inputs, market paths and appeal events for a range of draws.

    Attributes
    ----------
    inputs : dict
        Dotted key -> float or ndarray, shape (draw,), in registry units.
    prices : dict
        Market -> ndarray, shape (draw, year) [EUR per market unit].
    appeal : ndarray, shape (draw,)
        1 where the permit is appealed, 0 where not; the base case uses the
        probability instead [1].
    events : dict
        Uniforms of the events of development (``refusal``, ``window``), shape (draw,);
        empty where none happen (the base case, a design).
    stress : ndarray of bool, shape (draw, year), or None
        Years with a crash or a spike of the product price (a dumping episode or an
        export-control shock): the years in which a running plant matters most for
        supply.
    """

    inputs: dict
    prices: dict
    appeal: np.ndarray
    events: dict = field(default_factory=dict)
    stress: np.ndarray | None = None

    def path_means(self, markets: list[str]) -> dict:
        """Mean price of each of ``markets`` over the horizon, per draw [EUR per unit]."""
        return {m: self.prices[m].mean(axis=1) for m in markets}


def world_inputs(sc: Scenario, world: str, u: np.ndarray, keys: list[str],
                 overrides: dict | None = None, memo: dict | None = None) -> dict:
    """Inputs of a world: distributions mapped from the uniforms ``u``, fixed values as is.

    Parameters
    ----------
    sc : Scenario
    world : str
    u : ndarray, shape (draw, len(keys))
        Uniforms in (0, 1), one column per uncertain input.
    keys : list of str
        The uncertain inputs (columns of ``u``).
    overrides : dict, optional
        Dotted key -> value that replaces the world's input (after sampling).
    memo : dict, optional
        Shared by the worlds evaluated on these ``u`` (:attr:`BlockDraws.memo`): the
        values of a distribution on a column are computed once for every world that
        has that distribution there, up to its :meth:`~Dist.shift` (most worlds change
        a few inputs only).

    Returns
    -------
    dict
        Dotted key -> float or ndarray, shape (draw,), in registry units; each world
        gets arrays of its own.
    """
    memo = {} if memo is None else memo
    out = {}
    for k, v in sc.worlds[world].inputs.items():
        if isinstance(v, Dist):
            j = keys.index(k)
            tag = ("ppf", j, v.shape_key)
            if tag not in memo:
                memo[tag] = v.unshifted_ppf(u[:, j])
            # a distribution may put up to 0.1 % of its mass outside the allowed range
            # (checked at validation); those rare draws are held at the range's edge
            p = INPUTS[k]
            out[k] = np.clip(v.shift(memo[tag]), p.lo, p.hi)
        else:
            out[k] = v
    out.update(overrides or {})
    return out


def _market_cholesky(inp: dict) -> np.ndarray | None:
    pairs = inp.get("markets.correlations") or []
    if not pairs:
        return None
    return np.linalg.cholesky(correlation_matrix(pairs, list(MARKETS), rank=False))


PATH_INPUTS = ("start", "long_run", "reversion", "volatility", "crash_prob", "crash_size",
               "spike_prob", "spike_size")
"""The inputs of a market (``markets.<market>.<name>``) that its path depends on."""


def world_prices(sc: Scenario, inp: dict, z: np.ndarray, jumps: dict,
                 memo: dict | None = None) -> dict:
    """Market paths of a world.

    Parameters
    ----------
    sc : Scenario
    inp : dict
        The world's inputs (:func:`world_inputs`).
    z : ndarray, shape (draw, year, market)
        Independent standard normal shocks, markets in
        :data:`~simcrm.spec.registry.MARKETS` order; correlated here by
        ``markets.correlations``.
    jumps : dict
        ``(source market, kind)`` -> uniforms, shape (draw, year); a missing stream
        means no jumps of that kind.
    memo : dict, optional
        Shared by the worlds evaluated on these ``z`` and ``jumps``
        (:attr:`BlockDraws.memo`): a market path is computed once for every world
        with the same correlations, inputs of the market (:data:`PATH_INPUTS`, to the
        bit), escalation and deck, as are the correlated shocks (most worlds change
        a few markets only).

    Returns
    -------
    dict
        Market -> ndarray, shape (draw, year) [EUR per market unit]; not to be
        changed in place (another world may hold the same array).
    """
    T = z.shape[1]
    memo = {} if memo is None else memo
    chol = _market_cholesky(inp)
    nominal = sc.settings["scenario.terms"] == "nominal"
    esc = (1.0 + inp["finance.inflation"]) ** np.arange(T) if nominal else None
    prices = {}
    for i, m in enumerate(MARKETS):
        p = lambda k, m=m: inp[f"markets.{m}.{k}"]  # noqa: E731
        # a market whose jumps go with the product's uses the product's event uniforms
        src = jump_source(inp, m)
        deck = _deck(sc, inp, m, T)
        tag = ("path", i, _bits(chol), src, _bits(esc), _bits(deck),
               *(_bits(p(k)) for k in PATH_INPUTS))
        if tag not in memo:
            memo[tag] = price_path(
                _shocks(z, chol, memo)[:, :, i], p("start"), p("long_run"), p("reversion"),
                p("volatility"), crash=_hits(jumps, src, "crash", p("crash_prob"), memo),
                crash_size=p("crash_size"),
                spike=_hits(jumps, src, "spike", p("spike_prob"), memo),
                spike_size=p("spike_size"), escalation=esc, deck=deck)
            memo[tag].flags.writeable = False
        prices[m] = memo[tag]
    return prices


def _bits(v) -> tuple | None:
    """Hashable identity of a number or array of numbers to the bit (None for None)."""
    if v is None:
        return None
    a = np.asarray(v, dtype=float)
    return a.shape, a.tobytes()


def _shocks(z: np.ndarray, chol: np.ndarray | None, memo: dict) -> np.ndarray:
    """The shocks ``z`` correlated by the lower Cholesky factor ``chol`` (``z`` itself
    without one), shape (draw, year, market); memoised in ``memo`` by ``chol``."""
    if chol is None:
        return z
    tag = ("shocks", _bits(chol))
    if tag not in memo:
        memo[tag] = z @ chol.T
    return memo[tag]


def _hits(jumps: dict, src: str, kind: str, prob, memo: dict) -> np.ndarray | None:
    """Years with a jump of ``kind`` of the market whose event uniforms are ``src``'s at
    the probability ``prob`` (float or ndarray, shape (draw,)) [bool], shape
    (draw, year), or None without that stream; memoised in ``memo``."""
    u = jumps.get((src, kind))
    if u is None:
        return None
    tag = ("hits", src, kind, _bits(prob))
    if tag not in memo:
        memo[tag] = u < np.asarray(prob)[..., None]
        memo[tag].flags.writeable = False
    return memo[tag]


def _deck(sc: Scenario, inp: dict, market: str, T: int) -> np.ndarray | None:
    """The market's price deck over the horizon's calendar years (linear between its
    years, flat beyond its ends) [EUR per unit], or None without one."""
    rows = inp.get(f"markets.{market}.deck") or []
    if not rows:
        return None
    years = int(sc.settings["simulation.valuation_year"]) + np.arange(T)
    return np.interp(years, [float(r[0]) for r in rows], [float(r[1]) for r in rows])


def world_draws(sc: Scenario, world: str, rd: BlockDraws,
                overrides: dict | None = None) -> WorldDraws:
    """Map random numbers to one world's inputs, market paths and appeal events.

    Parameters
    ----------
    sc : Scenario
    world : str
    rd : BlockDraws
        Random numbers of a range of draws: from :func:`random_numbers` in a run,
        or built from design rows (``u`` columns in ``sc.uncertain_keys`` order).
    overrides : dict, optional
        Inputs to replace after sampling (e.g. every volatility at 0).

    Returns
    -------
    WorldDraws
    """
    inp = world_inputs(sc, world, rd.u, sc.uncertain_keys, overrides, rd.memo)
    prices = world_prices(sc, inp, rd.z, rd.jumps, rd.memo)
    appeal = (rd.appeal < np.asarray(inp["permitting.appeal_prob"])).astype(float)
    return WorldDraws(inp, prices, appeal, rd.events,
                      _product_stress(inp, rd.jumps, rd.memo))


def _product_stress(inp: dict, jumps: dict, memo: dict | None = None) -> np.ndarray | None:
    """Years with a crash or spike of the product price [bool], or None without jumps;
    the jump years come from ``memo`` where :func:`world_prices` left them."""
    memo = {} if memo is None else memo
    out = None
    for kind in JUMP_KINDS:
        hit = _hits(jumps, "product", kind, inp[f"markets.product.{kind}_prob"], memo)
        if hit is not None:
            out = hit if out is None else out | hit
    return out


def base_draws(sc: Scenario, world: str = "base") -> WorldDraws:
    """The deterministic base case of a world as one draw.

    Every uncertain input at its mean, every market on its deterministic path
    (volatility 0, no jumps) and the appeal counted by its probability, so its
    expected delay enters.
    """
    T = int(sc.settings["simulation.horizon_years"])
    inp = {k: (v.mean() if isinstance(v, Dist) else v)
           for k, v in sc.worlds[world].inputs.items()}
    for m in MARKETS:
        inp[f"markets.{m}.volatility"] = 0.0
    prices = world_prices(sc, inp, np.zeros((1, T, len(MARKETS))), {})
    return WorldDraws(inp, prices, np.array([float(inp["permitting.appeal_prob"])]))


# --------------------------------------------------------------------------------------
# One world's draws → business cases
# --------------------------------------------------------------------------------------


def evaluate(sc: Scenario, wd: WorldDraws, levers: list[dict], keep_lines: bool = False,
             breakeven: bool = True, fits: list | None = None,
             pilot: bool = False, yearly: bool = False) -> list[tuple[dict, dict | None]]:
    """Business cases of options on one world's draws.

    The options share one :class:`~simcrm.model.business_case.Context`, so work that
    does not depend on the levers is done once.

    Parameters
    ----------
    sc : Scenario
    wd : WorldDraws
    levers : list of dict
        Lever name -> settings, one dict per option (:attr:`Option.levers`).
    keep_lines : bool
        Return the yearly cash-flow lines [MEUR/yr] (``production`` [t/yr]).
    breakeven : bool
        Compute the break-even product price.
    fits : list of ValueFit or None, optional
        Per option, the investor's fitted value of building (:func:`investor_fits`);
        None (or missing) builds every draw that reaches FID.
    pilot : bool
        Build every draw that reaches FID; the metrics are the state at FID (``_state``)
        and the realised value of building (``_value``) only.
    yearly : bool
        Add the budget cash of every draw and year (``_budget_cash``) to the metrics.

    Returns
    -------
    list of (dict, dict or None)
        Per option: metrics (name -> ndarray, shape (draw,), units of
        :data:`~simcrm.spec.outputs.METRICS`) and lines (name -> ndarray,
        shape (draw, year)) or None.
    """
    sizing = None
    if (wd.inputs.get("finance.debt_sizing") == "dscr"
            and wd.inputs.get("finance.sizing_case") == "p50"):
        n, T = wd.appeal.shape[0], int(sc.settings["simulation.horizon_years"])
        sizing = world_prices(sc, wd.inputs, np.zeros((n, T, len(MARKETS))), {})
    ctx = Context(wd.inputs, wd.prices, wd.appeal, sc.settings, events=wd.events,
                  stress=wd.stress, sizing_prices=sizing)
    fits = fits or [None] * len(levers)
    out = [business_case(ctx, lv, keep_lines=keep_lines, breakeven=breakeven, fit=f,
                         pilot=pilot, yearly=yearly) for lv, f in zip(levers, fits)]
    base = next((i for i, lv in enumerate(levers) if not lv), None)
    if base is not None and "built" in out[base][0]:  # else the fiscal return stays NaN
        _with_fiscal_return(out, out[base])
    return out


def _with_fiscal_return(results: list, base: tuple) -> None:
    """Fill in each option's fiscal return against the baseline ``base`` (metrics,
    lines), in place (:func:`simcrm.model.public.fiscal_return`); the yearly
    ``tax_over_baseline`` line where lines are kept."""
    bm, bl = base
    for met, lines in results:
        met.update(fiscal_return(met, bm))
        if lines is not None and bl is not None:
            ch = changed(met["built"], met["first_production"], bm["built"],
                         bm["first_production"])[:, None]
            lines["tax_over_baseline"] = np.where(ch, bl["tax"] - lines["tax"], 0.0)


def investor_fits(sc: Scenario, draws: int) -> dict:
    """The investor's estimate of the value of building, per option and world.

    The first ``decision.pilot_draws`` draws of the run's random-number stream (beyond
    the run's own draws when it is shorter, so a short run and a long one decide alike)
    are evaluated with every draw that reaches FID built; the realised value of building
    is regressed on the state known at FID (:func:`simcrm.kernels.decision.fit_value`).  The fits
    depend only on the scenario and these draws, never on the chunking, so every
    chunk and worker applies the same rule.

    Returns
    -------
    dict
        ``(option, world) -> ValueFit``.
    """
    n = int(sc.settings["decision.pilot_draws"])
    rd = random_numbers(sc, 0, n)
    names = list(sc.options)
    levers = [o.levers for o in sc.options.values()]
    fits = {}
    for wname in sc.worlds:
        res = evaluate(sc, world_draws(sc, wname, rd), levers, breakeven=False, pilot=True)
        for oname, (met, _) in zip(names, res):
            fits[(oname, wname)] = fit_value(met["_state"], met["_value"])
    return fits


def base_case(sc: Scenario, world: str = "base", option: str = "baseline") -> tuple[dict, dict]:
    """The deterministic base case (:func:`base_draws`) of one option.

    Returns
    -------
    metrics : dict of float
        As :data:`simcrm.spec.outputs.METRICS`.
    lines : dict of ndarray, shape (year,)
        The yearly cash-flow lines [MEUR/yr] (``production`` in t/yr).
    """
    # the baseline too, for the fiscal return (over baseline)
    (met, lines), _ = evaluate(sc, base_draws(sc, world), [sc.options[option].levers, {}],
                               keep_lines=True)
    return ({k: float(v[0]) for k, v in met.items()}, {k: v[0] for k, v in lines.items()})


SLICE_DRAWS = 2 * BLOCK
"""Draws evaluated together inside a chunk.  A chunk is evaluated slice by slice, so the
yearly arrays of a slice (draw × year, 0.66 MB for 40 years) stay in a core's
second-level cache: 2 048 draws run about 20 % faster per draw than 4 096 on a 1 MB
cache.  A draw's results do not depend on the slice it is in."""


def evaluate_chunk(sc: Scenario, start: int, stop: int, keep: int,
                   breakeven: bool = True) -> dict:
    """Evaluate draws ``start`` .. ``stop`` of a run for every option and world.

    Parameters
    ----------
    sc : Scenario
    start, stop : int
        First draw and one past the last.
    keep : int
        Keep the yearly cash-flow lines of the draws below ``keep``.
    breakeven : bool
        Compute the break-even product price.

    Returns
    -------
    dict
        ``metrics``: name -> ndarray (option, world, draw);
        ``inputs``: key -> ndarray (world, draw) (the sampled inputs, the appeal
        event and the mean price of each varying market);
        ``lines``: name -> ndarray (option, world, draw, year) for the draws below
        ``keep`` (absent if none); ``yearly``: ``budget_cash`` -> ndarray (option,
        world, block, year) [MEUR/yr]: the budget cash summed over the chunk's draws up to
        the end of each block of :data:`~simcrm.engine.sampling.BLOCK` draws (and its
        last draw), in the order and with the bits of ``numpy.sum`` over the draws.
    """
    n, n_keep = stop - start, max(0, min(stop, keep) - start)
    T = int(sc.settings["simulation.horizon_years"])
    W, O = len(sc.worlds), len(sc.options)
    keys = sc.uncertain_keys
    vm = varying_markets(sc)
    levers = [o.levers for o in sc.options.values()]
    metrics = {k: np.empty((O, W, n)) for k in METRICS}
    inputs = {k: np.empty((W, n)) for k in [*keys, "permitting.appeal",
                                            *(f"markets.{m}.path_mean" for m in vm)]}
    lines: dict[str, np.ndarray] = {}
    # the budget cash summed over the draws as they come, kept at the end of each block
    # (a run that stops at a block keeps the sum up to it); not an array of every draw
    budget = np.empty((O, W, -(-n // BLOCK), T))
    acc = np.empty((O, W, T))
    for a in range(0, n, SLICE_DRAWS):  # a draw's row is the same in any slice
        b = min(a + SLICE_DRAWS, n)
        rd = random_numbers(sc, start + a, start + b)
        keep_here = max(0, min(b, n_keep) - a)
        for wi, wname in enumerate(sc.worlds):
            wd = world_draws(sc, wname, rd)
            for k in keys:
                inputs[k][wi, a:b] = wd.inputs[k]
            inputs["permitting.appeal"][wi, a:b] = wd.appeal
            for m, v in wd.path_means(vm).items():
                inputs[f"markets.{m}.path_mean"][wi, a:b] = v
            fits = [sc.value_fits.get((o, wname)) for o in sc.options]
            for oi, (met, ln) in enumerate(evaluate(sc, wd, levers, keep_here > 0, breakeven,
                                                    fits, yearly=True)):
                running_sums(acc[oi, wi], np.ascontiguousarray(met.pop("_budget_cash")), a,
                             n, BLOCK, budget[oi, wi])
                for k, v in met.items():
                    metrics[k][oi, wi, a:b] = v
                for k, v in (ln or {}).items():
                    if k not in lines:
                        lines[k] = np.zeros((O, W, n_keep, T))
                    lines[k][oi, wi, a:a + keep_here] = v[:keep_here]
    out = {"metrics": metrics, "inputs": inputs, "yearly": {"budget_cash": budget}}
    if n_keep:
        out["lines"] = lines
    return out
