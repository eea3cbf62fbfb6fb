"""The national view: every candidate plant × option × world on common random numbers.

:func:`simulate_portfolio` evaluates each plant of a portfolio (:mod:`simcrm.spec.portfolio`)
with every option of its menu in every shared world, once per draw, through the one chunk
evaluator (:func:`simcrm.engine.evaluate.evaluate`).  Because draw ``d`` of one plant
and draw ``d`` of another face the same markets, any choice of one option per plant is
combined afterwards by adding the plants draw by draw, without simulating again
(:func:`outcome`); the allocation (:mod:`simcrm.analysis.allocation`) uses that.

Which random numbers are shared
-------------------------------
* **Energy markets** (electricity, gas, carbon): the same normal shocks and jump events
  for every plant (the streams of the portfolio seed).
* **Product and feedstock markets**: the same for plants of the same material (the
  material's stream: the portfolio seed for the first material, a seed derived from it
  for the others).  Different materials' shocks are correlated by
  ``[portfolio] product_correlation`` (a Cholesky mix of the materials' streams; the
  first material's shocks stay its own).  Their crash and spike events are independent
  between materials; dumping or export controls that hit all materials together are
  what the **worlds** express (every plant is evaluated in the same world).
* **Plant-specific uncertainties** (capex, construction, permits, appeals, the events of
  development): independent per plant (the first plant's from the portfolio seed) or,
  with ``plant_risks = "common"``, the same numbers for all.

So a portfolio of one plant, with that plant's seed, reproduces the plant's own run
exactly, and two identical plants of one material see identical market paths.  The
composition is exact for the ``random`` and ``lhs`` samplers (each uncertain input has
its own stream); a rank correlation between a market input and a plant input
(``rank_correlations``) is kept only within the numbers of one source.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import xarray as xr

from simcrm.engine.evaluate import evaluate, random_numbers, world_draws
from simcrm.engine.sampling import BlockDraws
from simcrm.kernels.decision import fit_value
from simcrm.spec.portfolio import Portfolio
from simcrm.spec.registry import MARKETS

MATERIAL_MARKETS = ("product", "feedstock")
"""Markets whose random numbers belong to the plant's material; the others are common."""

METRICS = ("built", "tonnes_by_deadline", "tonnes_in_stress_years", "nameplate_tpa",
           "gross_grant_equivalent", "aid_intensity", "budget_cash_pv", "npv")
"""Per-draw metrics kept per plant × option × world × draw."""

_UNITS = {"built": "1", "tonnes_by_deadline": "t", "tonnes_in_stress_years": "t",
          "nameplate_tpa": "t/yr", "gross_grant_equivalent": "MEUR", "aid_intensity": "1",
          "budget_cash_pv": "MEUR", "npv": "MEUR"}


def derived_seed(seed: int, kind: int, index: int) -> int:
    """A seed for another stream of a portfolio: ``seed`` itself for index 0 (so the first
    plant and the first material keep the portfolio's numbers), else a number below
    10**12 (the largest seed a scenario takes) from
    ``SeedSequence(seed, spawn_key=(kind, index))``; ``kind`` 1 for a plant, 2 for a
    material."""
    if index == 0:
        return int(seed)
    ss = np.random.SeedSequence(int(seed), spawn_key=(int(kind), int(index)))
    return int(ss.generate_state(1, dtype=np.uint64)[0] % np.uint64(10**12))


def plant_scenarios(pf: Portfolio) -> dict:
    """Each plant's scenario as the portfolio runs it: its seed, the portfolio's deadline
    and valuation year (its start year as its file or its earliest start says)."""
    out = {}
    for i, (name, p) in enumerate(pf.plants.items()):
        seed = derived_seed(pf.seed, 1, i) if pf.plant_risks == "independent" else pf.seed
        new = {"simulation.seed": seed, "decision.production_deadline_year": pf.deadline_year,
               "simulation.valuation_year": pf.valuation_year}
        st = p.scenario.settings
        new = {k: v for k, v in new.items() if st[k] != v}
        out[name] = p.scenario.with_settings(**new) if new else p.scenario
    return out


def _horizon(pf: Portfolio) -> int:
    return max(int(p.scenario.settings["simulation.horizon_years"])
               for p in pf.plants.values())


def plant_numbers(pf: Portfolio, plant: str, start: int, stop: int, scs: dict | None = None
                  ) -> BlockDraws:
    """The random numbers of one plant for draws ``start`` .. ``stop`` of the portfolio:
    its own plant-specific numbers, the material's market numbers and the common energy
    market numbers, composed as the module docstring says."""
    scs = scs or plant_scenarios(pf)
    sc = scs[plant]
    T, Tm = int(sc.settings["simulation.horizon_years"]), _horizon(pf)
    mats = pf.material_names
    k = mats.index(pf.plants[plant].material)

    def source(seed: int) -> BlockDraws:
        if seed == sc.settings["simulation.seed"] and Tm == T:
            return own
        return random_numbers(sc.with_settings(seed=seed, horizon_years=Tm), start, stop)

    own = random_numbers(sc, start, stop)
    common = source(pf.seed)
    chol = _material_cholesky(len(mats), pf.product_correlation)
    need = [j for j in range(len(mats)) if chol[k, j] != 0]
    mat = {j: source(derived_seed(pf.seed, 2, j)) for j in need}
    z = common.z[:, :T].copy()
    for mi, m in enumerate(MARKETS):
        if m in MATERIAL_MARKETS:
            z[:, :, mi] = sum(chol[k, j] * mat[j].z[:, :T, mi] for j in need)
    jumps = {}
    for key in own.jumps:
        src = mat[k] if key[0] in MATERIAL_MARKETS else common
        jumps[key] = src.jumps[key][:, :T] if key in src.jumps else own.jumps[key]
    u = own.u.copy()
    for j, key in enumerate(sc.uncertain_keys):
        if key.startswith("markets."):
            mk = key.split(".")[1]
            u[:, j] = (mat[k] if mk in MATERIAL_MARKETS else common).u[:, j]
    return BlockDraws(u, z, jumps, own.appeal, own.events)


def _material_cholesky(n: int, rho: float) -> np.ndarray:
    """Lower Cholesky factor of the materials' equicorrelation matrix (row 0 = [1, 0 ...])."""
    c = np.full((n, n), rho)
    np.fill_diagonal(c, 1.0)
    try:
        return np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        raise ValueError(f"product_correlation {rho} is not a valid correlation for "
                         f"{n} materials (it must be above {-1 / max(n - 1, 1):.2f})") from None


def plant_fits(pf: Portfolio, plant: str, sc, draws: int, scs: dict,
               factor: xr.DataArray | None = None) -> dict:
    """The investor's value fits of one plant (as :func:`simcrm.engine.evaluate.investor_fits`,
    on the plant's portfolio numbers), ``(option, world) -> ValueFit``; with ``factor``
    (:func:`price_factors`) on the lowered product prices."""
    n = int(sc.settings["decision.pilot_draws"])  # as a run: whatever the run's length
    rd = plant_numbers(pf, plant, 0, n, scs)
    opts = pf.plants[plant].options
    levers = [sc.options[o].levers for o in opts]
    fits = {}
    for w in pf.worlds:
        wd = _priced(pf, plant, sc, w, world_draws(sc, w, rd), factor)
        res = evaluate(sc, wd, levers, breakeven=False, pilot=True)
        for o, (met, _) in zip(opts, res):
            fits[(o, w)] = fit_value(met["_state"], met["_value"])
    return fits


@dataclass
class PortfolioResults:
    """What :func:`simulate_portfolio` gives.

    Attributes
    ----------
    ds : xarray.Dataset
        ``portfolio.nc``: per-draw metrics (plant, option, world, draw) and the yearly
        ``production``, ``capacity_online`` [t/yr] and ``budget_cash`` per envelope
        [MEUR/yr] (plant, option, world, draw, year[, envelope]); ``available``
        (plant, option) says which options are on each plant's menu.
    portfolio : Portfolio
    seconds : float
    """

    ds: xr.Dataset
    portfolio: Portfolio
    seconds: float = 0.0


def simulate_portfolio(pf: Portfolio, draws: int | None = None, seed: int | None = None,
                       chunk: int = 4096, progress=None, market: bool = True
                       ) -> PortfolioResults:
    """Evaluate every plant × option × world of a portfolio on common random numbers.

    Parameters
    ----------
    pf : Portfolio
    draws, seed : int, optional
        Override the portfolio's ``[simulation]``.
    chunk : int
        Draws per evaluation (memory only; the numbers do not depend on it).
    progress : callable, optional
        Called with the plant name before each plant.
    market : bool
        Apply the materials' ``price_flexibility`` (where one is above 0) by the one-pass
        approximation of :func:`price_factors`: a first pass at the given prices, the
        allocation at the envelopes, the product price of every year lowered for the
        allocation's expected output, and a second, final pass at those prices.
    """
    t0 = time.perf_counter()
    pf = replace(pf, draws=int(draws or pf.draws), seed=pf.seed if seed is None else int(seed))
    ds = _simulate(pf, chunk, progress)
    if market and any(pf.materials[m].price_flexibility > 0 for m in pf.material_names):
        factor, first = price_factors(ds, pf)
        ds = _simulate(pf, chunk, progress, factor)
        # "material" is already the plants' material variable: the materials' own dim
        ds["price_factor"] = factor.rename(material="material_market")
        ds["first_pass_tonnes"] = first.rename(material="material_market")
    return PortfolioResults(ds, pf, time.perf_counter() - t0)


def _simulate(pf: Portfolio, chunk: int, progress, factor: xr.DataArray | None = None
              ) -> xr.Dataset:
    scs = plant_scenarios(pf)
    opts = list(dict.fromkeys(o for p in pf.plants.values() for o in p.options))
    shape = (len(pf.plants), len(opts), len(pf.worlds), pf.draws)
    Y, E = len(pf.years), len(pf.envelopes)
    met = {k: np.full(shape, np.nan) for k in METRICS}
    prod = np.full((*shape, Y), np.nan, dtype=np.float32)
    cap = np.full((*shape, Y), np.nan, dtype=np.float32)
    cash = np.full((*shape, Y, E), np.nan, dtype=np.float32)
    for pi, name in enumerate(pf.plants):
        if progress:
            progress(name)
        sc = scs[name]
        fits = plant_fits(pf, name, sc, pf.draws, scs, factor)
        oi = [opts.index(o) for o in pf.plants[name].options]
        for a in range(0, pf.draws, chunk):
            b = min(a + chunk, pf.draws)
            rd = plant_numbers(pf, name, a, b, scs)
            for wi, w in enumerate(pf.worlds):
                out = _evaluate_plant(pf, name, sc, rd, w, fits, factor)
                for k in METRICS:
                    met[k][pi, oi, wi, a:b] = out["metrics"][k]
                prod[pi, oi, wi, a:b] = out["production"]
                cap[pi, oi, wi, a:b] = out["capacity"]
                cash[pi, oi, wi, a:b] = out["cash"]
    return _dataset(pf, opts, met, prod, cap, cash)


def price_factors(ds: xr.Dataset, pf: Portfolio, choice: dict | None = None
                  ) -> tuple[xr.DataArray, xr.DataArray]:
    """The market-size effect, one pass: the factor on the product price per material,
    world and year, ``(1 + Q / M) ** -flexibility``, with ``Q`` the expected output of the
    material [t/yr] of ``choice`` (default: the allocation at the envelopes on ``ds``)
    and ``M`` the relevant ex-China market [t/yr] (:meth:`Material.market_in`).

    Not a fixed point between output and price: the output is the first pass's, at
    prices without the effect, so the factor is the largest fall the allocation's
    output causes; the second pass's lower prices may lower the output (then the
    effect is overstated) or change the allocation.

    Returns
    -------
    factor : xarray.DataArray (material, world, year) [1]
    tonnes : xarray.DataArray (material, world, year) [t/yr]
        The expected output ``Q`` the factor is computed from.
    """
    if choice is None:
        from simcrm.analysis import allocation as alloc

        a = pf.allocation
        choice = alloc.solve(alloc.problem(ds, pf), a["alpha"], a["chance_draws"]).choice
    q = outcome(ds, pf, choice)["tonnes"].mean("draw")
    mats = list(q["material"].values)
    m = xr.DataArray(np.stack([pf.materials[k].market_in(pf.years) for k in mats]),
                     dims=("material", "year"), coords={"material": mats, "year": pf.years})
    beta = xr.DataArray([pf.materials[k].price_flexibility for k in mats], dims="material",
                        coords={"material": mats})
    f = ((1.0 + q / m) ** -beta).transpose("material", "world", "year")
    f.attrs = {"units": "1", "long_name": "Factor on the product price for the portfolio's "
               "output (market size, one pass)"}
    q.attrs = {"units": "t/yr", "long_name": "Expected output the price factor is computed "
               "from (first pass, the allocation)"}
    return f, q


def _priced(pf: Portfolio, plant: str, sc, world: str, wd, factor: xr.DataArray | None):
    """``wd`` with the product price of each plant year times the price factor of its
    material, world and calendar year (1 before the portfolio's first year, the last
    year's after its last); ``wd`` itself without a factor."""
    if factor is None:
        return wd
    f = factor.sel(material=pf.plants[plant].material, world=world).values
    p = wd.prices["product"]
    years = int(sc.settings["simulation.valuation_year"]) + np.arange(p.shape[-1])
    i = np.clip(years - pf.valuation_year, 0, len(f) - 1)
    g = np.where(years < pf.valuation_year, 1.0, f[i])
    if np.all(g == 1.0):
        return wd
    return replace(wd, prices={**wd.prices, "product": p * g})


def _evaluate_plant(pf: Portfolio, name: str, sc, rd: BlockDraws, world: str,
                    fits: dict, factor: xr.DataArray | None = None) -> dict:
    """One plant's options in one world: metrics (option, draw), production and capacity
    online (option, draw, year) [t/yr], budget cash per envelope (option, draw, year,
    envelope) [MEUR/yr], on the portfolio's calendar years."""
    opts = pf.plants[name].options
    wd = _priced(pf, name, sc, world, world_draws(sc, world, rd), factor)
    res = evaluate(sc, wd, [sc.options[o].levers for o in opts],
                   keep_lines=True, breakeven=False, fits=[fits[(o, world)] for o in opts])
    n, Y = rd.appeal.shape[0], len(pf.years)
    shift = int(sc.settings["simulation.valuation_year"]) - pf.valuation_year
    env = list(pf.envelopes)
    out = {"metrics": {k: np.stack([m[k] for m, _ in res]) for k in METRICS},
           "production": np.zeros((len(opts), n, Y)),
           "cash": np.zeros((len(opts), n, Y, len(env)))}
    for oi, (_, lines) in enumerate(res):
        T = lines["production"].shape[1]
        t = np.arange(Y) - shift  # plant year index of each portfolio year
        ok = (t >= 0) & (t < T)
        out["production"][oi][:, ok] = lines["production"][:, t[ok]]
        for lv in sc.options[opts[oi]].levers:
            key = f"budget_cash_{lv}"
            if key in lines:
                out["cash"][oi][:, ok, env.index(pf.envelope_of(lv))] += lines[key][:, t[ok]]
    out["capacity"] = capacity_online(np.stack([m["first_production"] for m, _ in res]),
                                      np.stack([m["production_end"] for m, _ in res]),
                                      out["metrics"]["nameplate_tpa"], pf.years)
    return out


def capacity_online(first: np.ndarray, end: np.ndarray, nameplate: np.ndarray,
                    years: np.ndarray) -> np.ndarray:
    """Nameplate capacity online in each calendar year [t/yr], the share of the year
    between first production and the end of production (NaN dates: not built).

    Parameters
    ----------
    first, end : ndarray
        Fractional calendar years, any shape ``s``.
    nameplate : ndarray, shape ``s`` [t/yr]
    years : ndarray, shape (year,)

    Returns
    -------
    ndarray, shape ``s + (year,)``
    """
    f = np.nan_to_num(first, nan=np.inf)[..., None]
    e = np.nan_to_num(end, nan=-np.inf)[..., None]
    y = np.asarray(years, float)
    share = np.clip(np.minimum(e, y + 1) - np.maximum(f, y), 0.0, 1.0)
    return share * np.nan_to_num(nameplate)[..., None]


def _dataset(pf: Portfolio, opts: list, met: dict, prod, cap, cash) -> xr.Dataset:
    dims = ("plant", "option", "world", "draw")
    coords = {"plant": list(pf.plants), "option": opts, "world": list(pf.worlds),
              "draw": np.arange(pf.draws), "year": pf.years, "envelope": list(pf.envelopes)}
    data = {k: (dims, v, {"units": _UNITS[k]}) for k, v in met.items()}
    data["production"] = ((*dims, "year"), prod, {"units": "t/yr", "long_name": "Production"})
    data["capacity_online"] = ((*dims, "year"), cap, {
        "units": "t/yr", "long_name": "Nameplate capacity online (share of the year)"})
    data["budget_cash"] = ((*dims, "year", "envelope"), cash, {
        "units": "MEUR/yr", "long_name": "Budget cash by envelope (undiscounted)"})
    avail = np.array([[o in p.options for o in opts] for p in pf.plants.values()])
    data["available"] = (("plant", "option"), avail, {"units": "1"})
    plants = pf.plants.values()
    data["material"] = ("plant", [p.material for p in plants], {"units": ""})
    data["site"] = ("plant", [p.site for p in plants], {"units": ""})
    data["material_per_tonne"] = ("plant", [p.material_per_tonne for p in plants],
                                  {"units": "t material/t product"})
    return xr.Dataset(data, coords=coords, attrs={
        "portfolio": pf.name, "seed": pf.seed, "deadline_year": pf.deadline_year,
        "valuation_year": pf.valuation_year, "plant_risks": pf.plant_risks,
        "product_correlation": pf.product_correlation})


# --------------------------------------------------------------------------------------
# What the country gets: a choice of one option per plant, added up draw by draw
# --------------------------------------------------------------------------------------


def outcome(ds: xr.Dataset, pf: Portfolio, choice: dict | None = None) -> xr.Dataset:
    """The national outcome of one option per plant (default: every plant's baseline).

    The plants are added draw by draw (common random numbers), per world.

    Returns
    -------
    xarray.Dataset
        ``tonnes`` (material, world, draw, year) [t/yr of material], ``capacity``
        (material, world, draw, year) [t/yr], ``budget_cash`` (envelope, world, draw,
        year) [MEUR/yr]; ``demand`` (material, year) [t/yr, central], ``cap`` (envelope,
        year) [MEUR/yr].
    """
    choice = choice or {}
    mats = pf.material_names
    W, N, Y = ds.sizes["world"], ds.sizes["draw"], ds.sizes["year"]
    tonnes = np.zeros((len(mats), W, N, Y))
    cap = np.zeros((len(mats), W, N, Y))
    cash = np.zeros((len(pf.envelopes), W, N, Y))
    for p, plant in pf.plants.items():
        d = ds.sel(plant=p, option=choice.get(p, "baseline"))
        k = mats.index(plant.material)
        tonnes[k] += plant.material_per_tonne * d["production"].transpose(
            "world", "draw", "year").values
        cap[k] += plant.material_per_tonne * d["capacity_online"].transpose(
            "world", "draw", "year").values
        cash += d["budget_cash"].transpose("envelope", "world", "draw", "year").values
    dims = ("material", "world", "draw", "year")
    coords = {"material": mats, "world": ds["world"].values, "draw": ds["draw"].values,
              "year": ds["year"].values, "envelope": list(pf.envelopes)}
    demand = np.stack([pf.materials[m].demand_in(pf.years) for m in mats])
    caps = np.stack([e.cap_in(pf.years) for e in pf.envelopes.values()])
    return xr.Dataset({
        "tonnes": (dims, tonnes, {"units": "t/yr"}),
        "capacity": (dims, cap, {"units": "t/yr"}),
        "budget_cash": (("envelope", *dims[1:]), cash, {"units": "MEUR/yr"}),
        "demand": (("material", "year"), demand, {"units": "t/yr"}),
        "cap": (("envelope", "year"), caps, {"units": "MEUR/yr"})}, coords=coords)


def capacity_table(out: xr.Dataset, pf: Portfolio, world: str) -> list[dict]:
    """Per material and year: output P10/P50/P90 [t/yr], the Dutch share of EU demand and
    of the benchmark volume (P50), and P(output in the deadline year reaches the
    national target: ``national_share`` × ``benchmark_share`` × EU demand)."""
    o = out.sel(world=world)
    rows = []
    for m in pf.material_names:
        t = o["tonnes"].sel(material=m)
        q = t.quantile([0.1, 0.5, 0.9], dim="draw").values
        dem = o["demand"].sel(material=m).values
        target = pf.national_share * pf.benchmark_share * dem
        for yi, y in enumerate(pf.years):
            rows.append({"material": m, "year": int(y), "p10": q[0, yi], "p50": q[1, yi],
                         "p90": q[2, yi], "mean": float(t.isel(year=yi).mean()),
                         "capacity_mean": float(o["capacity"].sel(material=m).isel(year=yi)
                                                .mean()),
                         "share_of_demand": q[1, yi] / dem[yi],
                         "share_of_benchmark": q[1, yi] / (pf.benchmark_share * dem[yi]),
                         "target_tpa": target[yi],
                         "p_target": float((t.isel(year=yi) >= target[yi]).mean())})
    return rows


def budget_table(out: xr.Dataset, pf: Portfolio, world: str) -> list[dict]:
    """Per envelope and year: expected budget cash, P90, the envelope and P(cash above it)."""
    o = out.sel(world=world)
    rows = []
    for e in pf.envelopes:
        c = o["budget_cash"].sel(envelope=e)
        cap = o["cap"].sel(envelope=e).values
        for yi, y in enumerate(pf.years):
            v = c.isel(year=yi)
            rows.append({"envelope": e, "year": int(y), "mean": float(v.mean()),
                         "p90": float(v.quantile(0.9)), "envelope_meur": float(cap[yi]),
                         "p_exceed": float((v > cap[yi] + 1e-9).mean())})
    return rows


BINDS = 0.01
"""The market-size effect is said to bind where it lowers the product price by at least
this share in some year [1]."""


def market_table(ds: xr.Dataset, pf: Portfolio, world: str) -> list[dict]:
    """Per material with a price flexibility: the largest fall of the product price the
    portfolio's output causes (one pass, :func:`price_factors`), its year, the expected
    output and market then, and whether it binds (a fall of at least :data:`BINDS`)."""
    if "price_factor" not in ds:
        return []
    rows = []
    for m in pf.material_names:
        mat = pf.materials[m]
        if mat.price_flexibility <= 0:
            continue
        f = ds["price_factor"].sel(material_market=m, world=world).values
        i = int(np.argmin(f))
        y = int(pf.years[i])
        rows.append({"material": m, "price_flexibility": mat.price_flexibility,
                     "max_price_fall": float(1 - f[i]), "year": y,
                     "output_tpa": float(ds["first_pass_tonnes"].sel(
                         material_market=m, world=world).values[i]),
                     "market_tpa": float(mat.market_in([y])[0]),
                     "binds": bool(1 - f[i] >= BINDS), "source": mat.market_source})
    return rows


def report(pr: PortfolioResults, world: str | None = None, alpha: float | None = None,
           objective: str | None = None) -> dict:
    """Everything ``simcrm portfolio`` prints and writes: the capacity and budget tables of
    the baseline and of the allocation at the given envelopes, the allocation and the
    frontier.  Returns ``{"capacity_baseline", "capacity_allocated", "budget_allocated",
    "allocation", "frontier"}`` as lists of rows (dicts), and ``"allocation_obj"``."""
    from simcrm.analysis import allocation as alloc

    pf = pr.portfolio
    world = world or pf.allocation["world"]
    a_ = pf.allocation["alpha"] if alpha is None else alpha
    prob = alloc.problem(pr.ds, pf, world, objective)
    best = alloc.solve(prob, a_, pf.allocation["chance_draws"])
    rows = [{"plant": p, "site": pf.plants[p].site, "material": pf.plants[p].material,
             "option": best.choice.get(p, ""), "gain": float(prob.value[i]),
             **{k: "; ".join(f"{o}: {r.text(lang)}" for (q, o), r in prob.excluded.items()
                             if q == p)
                for k, lang in (("excluded", "en"), ("excluded_nl", "nl"))}}
            for p in pf.plants for i, (q, o) in enumerate(prob.menu)
            if q == p and o == best.choice.get(p)]
    fr = alloc.frontier(pr.ds, pf, pf.allocation["frontier_meur"], world, objective, a_)
    out_b, out_a = outcome(pr.ds, pf), outcome(pr.ds, pf, best.choice)
    return {"capacity_baseline": capacity_table(out_b, pf, world),
            "capacity_allocated": capacity_table(out_a, pf, world),
            "budget_allocated": budget_table(out_a, pf, world), "allocation": rows,
            "frontier": [{"pooled_meur_per_yr": b, "objective": v,
                          **{p: c.get(p, "") for p in pf.plants}} for b, v, c in fr],
            "allocation_obj": best, "market": market_table(pr.ds, pf, world)}
