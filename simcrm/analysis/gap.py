"""The funding gap: the smallest intensity of a lever that makes the plant worth building.

For an **option template** — an option with a lever that declares an intensity
(:attr:`simcrm.levers.base.Lever.intensity`: a grant share, a subsidy per tonne, a
strike price ...), the options a list of intensities expands into counting as one
template — and a world, :func:`solve` finds the smallest value of that setting, every
other setting of the option as given, at which

* ``Target("npv", v)``: the expected NPV at the investor's hurdle (the scenario's
  discount rate ``finance.discount_rate``), building every draw that reaches FID, is
  ``v`` (0: the investor's decision flips in expectation — the *funding gap*).  The
  expectation is over every draw, as ``npv_mean`` of a run: a project that never
  reaches FID counts its development spending;
* ``Target("p_built", p)``: the share of draws in which the plant gets built is at
  least ``p``, with the investor's decision rule refitted at each trial intensity
  exactly as a run fits it (:func:`simcrm.engine.evaluate.investor_fits`: the first
  ``decision.pilot_draws`` draws, :func:`simcrm.kernels.decision.fit_value`).

Every trial intensity is evaluated on the same draws (common random numbers:
:func:`~simcrm.engine.evaluate.random_numbers`, :func:`~simcrm.engine.evaluate.world_draws`,
:func:`~simcrm.engine.evaluate.evaluate`), so the curve is smooth in the intensity and
the answer is reproducible bit for bit.  The search first evaluates a grid of
:data:`GRID_POINTS` intensities over the search range in one call (the options share
the world's plant) and takes the first grid interval where the target is reached, so
the answer is the *smallest* such intensity even where the curve is flat (a capped
grant) or not monotone; then Brent's method (the NPV, a smooth curve) or bisection
(P(built), a step function) narrows it to :data:`XTOL` of the range.

At the answer it gives the mean budget cash (present value), gross grant equivalent,
aid intensity and the state-aid verdict (the levers' instrument limits and the
amount limits of :func:`simcrm.analysis.state_aid.amount_problems`), and says so
plainly when no intensity in the range is enough or when none is needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from simcrm import levers
from simcrm.analysis.state_aid import amount_problems, limits_of
from simcrm.engine.evaluate import WorldDraws, evaluate, random_numbers, world_draws
from simcrm.kernels.decision import fit_value
from simcrm.spec.distributions import Dist
from simcrm.spec.scenario import Scenario
from simcrm.spec.wording import joined

GAP_DRAWS = 4096
"""Draws a funding gap uses unless told otherwise (fewer if the scenario has fewer): the
standard error of the mean NPV is then a few MEUR (measured on the example scenarios),
small against the gaps of tens to hundreds of MEUR, and the search over every template
and world of an example scenario takes minutes, not hours."""

GRID_POINTS = 9
"""Intensities evaluated at once over the search range before the root is narrowed."""

XTOL = 1e-3
"""Tolerance of the answer, as a share of the search range."""

OPEN_RANGE_FACTOR = 4.0
"""Where a setting has no upper bound in the registry and its lever declares no
:attr:`~simcrm.levers.base.Lever.intensity_range`, the search goes up to this many
times the largest value the scenario's options give it."""

DEFAULT_TARGET_P_BUILT = 0.5
"""The P(built) the second search aims at unless told otherwise: the plant is more
likely than not to be built."""

STATUS = ("solved", "none_needed", "not_enough")
"""``solved``: the target is reached inside the range; ``none_needed``: already at the
bottom of the range; ``not_enough``: not even at its top."""


@dataclass(frozen=True)
class Template:
    """One option template: an option's levers with one intensity left free.

    Attributes
    ----------
    name : str
        The option's name, without the value of the free intensity where a list
        expanded it (``capex-grant`` for ``capex-grant-0.1`` ... ``-0.3``).
    label_en, label_nl : str
        Its labels, likewise.
    lever, setting, unit : str
        The free intensity: lever name, setting name and unit.
    levers : dict
        Lever name -> settings of the option (the free one at its first value).
    values : tuple of float
        The values of the free intensity in the scenario's options.
    options : tuple of str
        The scenario's options this template stands for.
    lo, hi : float
        The search range [unit].
    """

    name: str
    label_en: str
    label_nl: str
    lever: str
    setting: str
    unit: str
    levers: dict
    values: tuple
    options: tuple
    lo: float
    hi: float
    kind: str = "float"

    def levers_at(self, x: float) -> dict:
        """The option's levers with the free intensity at ``x`` [unit]."""
        out = {k: dict(v) for k, v in self.levers.items()}
        out[self.lever][self.setting] = int(math.ceil(x)) if self.kind == "int" else float(x)
        return out

    def label(self, lang: str) -> str:
        return self.label_nl if lang == "nl" else self.label_en


@dataclass(frozen=True)
class Target:
    """What the intensity must reach: ``kind`` ``"npv"`` (the expected NPV at the hurdle
    equals ``value`` [MEUR]) or ``"p_built"`` (P(built) at least ``value`` [1]).

    ``decided=True`` (NPV target only) takes the expected NPV with the investor's
    decision rule refitted at each trial intensity, as ``npv_mean`` of a run with
    ``decision.investor = "expected-npv"``, instead of building every draw that reaches
    FID (the site comparison matches a run's ``npv_mean`` this way)."""

    kind: str
    value: float
    decided: bool = False

    def __post_init__(self):
        if self.kind not in ("npv", "p_built"):
            raise ValueError(f"target kind must be 'npv' or 'p_built', got {self.kind!r}")
        if self.kind == "p_built" and not 0.0 < self.value <= 1.0:
            raise ValueError(f"a target P(built) must be above 0 and at most 1, got "
                             f"{self.value:g}")

    def text(self) -> str:
        if self.kind == "npv":
            return (f"expected NPV at the hurdle = {self.value:g} MEUR"
                    + (" (with the investor's decision)" if self.decided else ""))
        return f"P(built) >= {self.value:.0%}"


@dataclass(frozen=True)
class Draws:
    """The common random numbers of one world: all draws (in chunks of at most
    :data:`CHUNK` draws, so memory stays bounded) and the investor's pilot draws."""

    world: str
    chunks: tuple
    pilot: WorldDraws
    n: int


CHUNK = 8192
"""Most draws evaluated at once."""


def draws(sc: Scenario, world: str, n: int) -> Draws:
    """Draws ``0 .. n`` of ``world`` (seed ``simulation.seed``) and the pilot draws of
    the investor's fit (the first ``decision.pilot_draws`` of them, as in a run)."""
    if world not in sc.worlds:
        raise ValueError(f"unknown world {world!r}; the scenario has "
                         f"{', '.join(sc.worlds)}")
    n = int(n)
    chunks = tuple(world_draws(sc, world, random_numbers(sc, a, min(a + CHUNK, n)))
                   for a in range(0, n, CHUNK))
    n_pilot = int(sc.settings["decision.pilot_draws"])  # as a run: whatever its length
    pilot = (chunks[0] if n_pilot == min(CHUNK, n) else
             world_draws(sc, world, random_numbers(sc, 0, n_pilot)))
    return Draws(world, chunks, pilot, n)


@dataclass
class Gap:
    """The answer of :func:`solve` for one template, world and target.

    ``intensity`` is NaN when ``status`` is ``not_enough``; the statistics are then those
    at the top of the range (how far it falls short).  ``intensity_se`` is the Monte
    Carlo standard error of the intensity (NPV target only: the NPV's standard error
    over the slope of the curve).
    """

    template: Template
    world: str
    target: Target
    status: str
    intensity: float
    intensity_se: float
    stats: dict
    state_aid_ok: bool
    state_aid_reason: str
    evaluations: int
    draws: int
    curve: list = field(default_factory=list)
    """The grid: ``(intensity, score)`` where score = statistic − target value."""
    state_aid_reason_nl: str = ""
    """``state_aid_reason`` in Dutch."""


# --------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------


def templates(sc: Scenario) -> list[Template]:
    """The option templates of a scenario, in option order (a package with several
    intensities gives one template per intensity, the others held as given)."""
    groups: dict[tuple, list] = {}
    for opt in sc.options.values():
        for lev, s in levers.active(opt.levers):
            if lev.intensity is None:
                continue
            rest = {k: {kk: vv for kk, vv in v.items()
                        if not (k == lev.name and kk == lev.intensity)}
                    for k, v in opt.levers.items()}
            key = (lev.name, repr(sorted((k, sorted(v.items())) for k, v in rest.items())))
            groups.setdefault(key, []).append((opt, float(s[lev.intensity])))
    out = []
    for (lname, _), members in groups.items():
        t = _template(lname, members)
        if t is not None:
            out.append(t)
    return out


def _template(lname: str, members: list) -> Template | None:
    lev = levers.LEVERS[lname]
    p = levers.setting_params()[f"{lname}.{lev.intensity}"]
    values = tuple(x for _, x in members)
    if lev.intensity_range is not None:
        lo, hi = map(float, lev.intensity_range)
    else:
        lo = float(p.lo) if math.isfinite(p.lo) else 0.0
        hi = float(p.hi) if math.isfinite(p.hi) else OPEN_RANGE_FACTOR * max(values)
    if not hi > lo:
        return None
    first = members[0][0]
    name, en, nl = first.name, first.label_en or first.name, first.label_nl or first.name
    if len(members) > 1 and all(o.name.endswith(f"-{x:g}") for o, x in members):
        x = members[0][1]
        name = name.removesuffix(f"-{x:g}")
        en, nl = en.removesuffix(f" ({x:g})"), nl.removesuffix(f" ({x:g})")
    return Template(name, en, nl, lname, lev.intensity, p.unit, first.levers, values,
                    tuple(o.name for o, _ in members), lo, hi, p.kind)


# --------------------------------------------------------------------------------------
# The search
# --------------------------------------------------------------------------------------


def cases(sc: Scenario, d: Draws, template: Template, xs, kind: str) -> list[dict]:
    """Metrics per draw of the template at each intensity of ``xs`` (one
    :func:`~simcrm.engine.evaluate.evaluate` call per chunk of draws), with every draw
    that reaches FID built (``kind="npv"``) or the investor's rule refitted at each
    intensity (``kind="p_built"``)."""
    lvs = [template.levers_at(x) for x in xs]
    fits = None
    if kind == "p_built":
        pilots = evaluate(sc, d.pilot, lvs, breakeven=False, pilot=True)
        fits = [fit_value(m["_state"], m["_value"]) for m, _ in pilots]
    parts = [[m for m, _ in evaluate(sc, wd, lvs, breakeven=False, fits=fits)]
             for wd in d.chunks]
    if len(parts) == 1:
        return parts[0]
    return [{k: np.concatenate([p[i][k] for p in parts]) for k in parts[0][i]}
            for i in range(len(lvs))]


def _score(m: dict, target: Target) -> float:
    x = m["npv"] if target.kind == "npv" else m["built"]
    return float(np.mean(x)) - target.value


def solve(sc: Scenario, template: Template, world: str, target: Target,
          n: int | None = None, d: Draws | None = None) -> Gap:
    """The smallest intensity of ``template`` that reaches ``target`` in ``world``.

    Parameters
    ----------
    sc : Scenario
        Gives the worlds, settings and seed (``simulation.seed``).
    template : Template
        From :func:`templates` (or made by hand: any option's levers, one intensity).
    world : str
    target : Target
    n : int, optional
        Draws (default: :data:`GAP_DRAWS`, at most the scenario's draws).
    d : Draws, optional
        The world's draws, to share between searches (from :func:`draws`).

    Returns
    -------
    Gap
    """
    if d is None:
        d = draws(sc, world, n or min(GAP_DRAWS, int(sc.settings["simulation.draws"])))
    mode = "p_built" if target.decided else target.kind  # "p_built": refit the decision
    xs = np.linspace(template.lo, template.hi, GRID_POINTS)
    grid = cases(sc, d, template, xs, mode)
    g = [_score(m, target) for m in grid]
    evals = len(xs)
    curve = list(zip(xs.tolist(), g))
    hit = next((i for i, v in enumerate(g) if v >= 0), None)
    if hit is None or hit == 0:
        status = "not_enough" if hit is None else "none_needed"
        m = grid[-1] if hit is None else grid[0]
        x = np.nan if hit is None else float(xs[0])
        return _answer(sc, template, d, target, status, x, np.nan, m, evals, curve)
    a, b = float(xs[hit - 1]), float(xs[hit])
    tol = XTOL * (template.hi - template.lo)
    one = lambda x: cases(sc, d, template, [x], mode)[0]  # noqa: E731
    if target.kind == "npv":
        seen = {}

        def f(x):
            seen[x] = one(x)
            return _score(seen[x], target)

        x = brentq(f, a, b, xtol=tol, rtol=4 * np.finfo(float).eps)
        evals += len(seen)
        m = seen[x] if x in seen else one(x)
        evals += x not in seen
        slope = (g[hit] - g[hit - 1]) / (b - a)
        se = float(np.std(m["npv"], ddof=1) / np.sqrt(d.n)) / slope if slope > 0 else np.nan
        return _answer(sc, template, d, target, "solved", float(x), se, m, evals, curve)
    m = grid[hit]
    while b - a > tol:  # a misses, b reaches: P(built) is a step function of x
        mid = 0.5 * (a + b)
        mm = one(mid)
        evals += 1
        if _score(mm, target) >= 0:
            b, m = mid, mm
        else:
            a = mid
    return _answer(sc, template, d, target, "solved", b, np.nan, m, evals, curve)


def stats_of(m: dict) -> dict:
    """Mean NPV (and its standard error), P(built), budget cash (present value), gross
    grant equivalent and aid intensity of one evaluation's draws (the aid intensity as
    :mod:`simcrm.analysis.summary` computes it: over the built draws)."""
    npv, built = m["npv"], m["built"] > 0
    n = npv.shape[0]
    gge = m["gross_grant_equivalent"]
    elig = m["eligible_cost_pv"][built]
    intensity = (float(gge[built].mean() / elig.mean())
                 if built.any() and elig.mean() > 0 else np.nan)
    return {"npv_mean": float(npv.mean()),
            "npv_mean_se": float(npv.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
            "p_built": float(built.mean()),
            "budget_cash_pv_mean": float(m["budget_cash_pv"].mean()),
            "gross_grant_equivalent_mean": float(gge.mean()),
            "aid_intensity": intensity}


def state_aid_verdict(sc: Scenario, world: str, option_levers: dict,
                      stats: dict) -> tuple[bool, str, str]:
    """Whether an option with these settings and this simulated aid passes the EU
    state-aid check, and why not, in English and in Dutch (the levers' instrument
    limits, then the amount limits of
    :func:`simcrm.analysis.state_aid.amount_problems`)."""
    lim = limits_of(sc.settings)
    inputs = {k: (v.mean() if isinstance(v, Dist) else v)
              for k, v in sc.worlds[world].inputs.items()}
    reasons = []
    for lev, s in levers.active(option_levers):
        reasons += lev.state_aid(s, lim, inputs)
    reasons += amount_problems(stats["gross_grant_equivalent_mean"], stats["aid_intensity"],
                               stats["npv_mean"], lim)
    return not reasons, joined(reasons, "en"), joined(reasons, "nl")


def _answer(sc, template, d, target, status, x, se, m, evals, curve) -> Gap:
    st = stats_of(m)
    at = template.levers_at(template.hi if status == "not_enough" else x)
    ok, why, why_nl = state_aid_verdict(sc, d.world, at, st)
    return Gap(template, d.world, target, status, x, se, st, ok, why, evals, d.n, curve,
               state_aid_reason_nl=why_nl)


# --------------------------------------------------------------------------------------
# Every template × world
# --------------------------------------------------------------------------------------

COLUMNS = {
    "scenario": "", "option": "", "lever": "", "setting": "", "unit": "", "world": "", "target": "",
    "target_value": "", "status": "", "intensity": "", "intensity_se": "",
    "range_lo": "", "range_hi": "", "npv_mean": "MEUR", "npv_mean_se": "MEUR",
    "p_built": "1", "budget_cash_pv_mean": "MEUR", "gross_grant_equivalent_mean": "MEUR",
    "aid_intensity": "1", "state_aid_ok": "", "state_aid_reason": "",
    "state_aid_reason_nl": "", "scenario_values": "", "label_en": "", "label_nl": "",
    "draws": "1", "seed": "", "evaluations": "1",
}
"""Columns of the gap table and their units (``intensity``, ``intensity_se``,
``range_lo``, ``range_hi``, ``target_value`` and ``scenario_values`` are in the row's
``unit`` or the target's: MEUR for an NPV, 1 for P(built)); in ``gap.csv`` a unit is
written into the header, e.g. ``npv_mean [MEUR]``."""


def gap_table(sc: Scenario, worlds: list[str] | None = None,
              target_p_built: float = DEFAULT_TARGET_P_BUILT, n: int | None = None,
              progress: Callable[[int, int], None] | None = None,
              only: list[Template] | None = None) -> pd.DataFrame:
    """The funding gap (NPV at the hurdle = 0) and the intensity for ``target_p_built``
    of every option template in every world, one row per template × world × target.

    Parameters
    ----------
    sc : Scenario
    worlds : list of str, optional
        Default: every world.
    target_p_built : float
        [1].
    n : int, optional
        Draws (default: :data:`GAP_DRAWS`, at most the scenario's).
    progress : callable, optional
        ``progress(done, total)`` after each search.
    only : list of Template, optional
        Default: :func:`templates`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`.
    """
    worlds = list(sc.worlds) if worlds is None else list(worlds)
    for w in worlds:
        if w not in sc.worlds:
            raise ValueError(f"unknown world {w!r}; the scenario has {', '.join(sc.worlds)}")
    ts = templates(sc) if only is None else only
    targets = [Target("npv", 0.0), Target("p_built", float(target_p_built))]
    n = int(n or min(GAP_DRAWS, int(sc.settings["simulation.draws"])))
    total, done = len(ts) * len(worlds) * len(targets), 0
    rows = []
    for w in worlds:
        d = draws(sc, w, n)
        for t in ts:
            for target in targets:
                rows.append(_row(sc, solve(sc, t, w, target, d=d)))
                done += 1
                if progress is not None:
                    progress(done, total)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _row(sc: Scenario, g: Gap) -> dict:
    t = g.template
    return {"scenario": sc.name, "option": t.name, "lever": t.lever, "setting": t.setting,
            "unit": t.unit, "world": g.world, "target": g.target.kind,
            "target_value": g.target.value,
            "status": g.status, "intensity": g.intensity, "intensity_se": g.intensity_se,
            "range_lo": t.lo, "range_hi": t.hi, **g.stats,
            "state_aid_ok": g.state_aid_ok, "state_aid_reason": g.state_aid_reason,
            "state_aid_reason_nl": g.state_aid_reason_nl,
            "scenario_values": " ".join(f"{x:g}" for x in t.values),
            "label_en": t.label_en, "label_nl": t.label_nl, "draws": g.draws,
            "seed": int(sc.settings["simulation.seed"]), "evaluations": g.evaluations}


def csv_header(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with units in its column names (``npv_mean [MEUR]``), for ``gap.csv``."""
    return df.rename(columns={c: f"{c} [{u}]" for c, u in COLUMNS.items() if u})


def from_csv(df: pd.DataFrame) -> pd.DataFrame:
    """A gap table read from ``gap.csv``, with the units taken out of its column names."""
    return df.rename(columns=lambda c: str(c).split(" [", 1)[0])


# --------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------


def intensity_text(row, lang: str = "en") -> str:
    """The answer of one row in words: the intensity and its unit, or why there is none."""
    unit = "" if row["unit"] == "1" else f" {row['unit']}"
    share = row["unit"] == "1"
    fmt = (lambda v: f"{v:.1%}") if share else (lambda v: f"{v:,.0f}")  # noqa: E731
    if row["status"] == "none_needed":
        return "none needed" if lang == "en" else "niet nodig"
    if row["status"] == "not_enough":
        top = fmt(float(row["range_hi"])) + unit
        return (f"not enough up to {top}" if lang == "en" else f"onvoldoende tot {top}")
    out = fmt(float(row["intensity"])) + unit
    se = row.get("intensity_se", np.nan)
    if se is not None and np.isfinite(se):
        out += f" ± {fmt(float(se))}"
    return out


def format_table(df: pd.DataFrame) -> str:
    """A readable fixed-width table of a gap table (the terminal)."""
    head = ["option", "lever", "world", "target", "intensity", "NPV", "P(built)",
            "budget cash PV", "grant equiv.", "aid int.", "state aid"]
    rows = [head]
    for _, r in df.iterrows():
        tgt = "NPV=0" if r["target"] == "npv" else f"P(built)>={r['target_value']:.0%}"
        rows.append([str(r["option"]), f"{r['lever']}.{r['setting']}", str(r["world"]), tgt,
                     intensity_text(r), f"{r['npv_mean']:,.0f}", f"{r['p_built']:.0%}",
                     f"{r['budget_cash_pv_mean']:,.0f}",
                     f"{r['gross_grant_equivalent_mean']:,.0f}",
                     "–" if not np.isfinite(r["aid_intensity"]) else f"{r['aid_intensity']:.0%}",
                     "–" if r["status"] == "not_enough" else
                     "ok" if r["state_aid_ok"] else "fails"])
    widths = [max(len(x[i]) for x in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i < 4 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(x, widths))) for x in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
