"""Which option for which plant under the budget: an exact mixed-integer programme.

On the simulated outcomes of a portfolio (:mod:`simcrm.analysis.portfolio`), choose per
plant one option of its menu (``baseline``: no support) to maximise the expected gain
over every plant's baseline, subject to

* the annual envelopes: for each envelope and budget year, the expected budget cash of
  the chosen options is at most the envelope;
* the per-project state-aid caps: an option that fails the state-aid check of its
  plant scenario (:mod:`simcrm.analysis.state_aid`) in the allocation world is off the
  menu;
* optionally a chance constraint: in at most a share ``alpha`` of the draws does the
  budget cash of some envelope in some budget year exceed the envelope (scenario
  approach over the first ``chance_draws`` draws: one binary per draw, big-M rows).

The gain is per material normalised by one year of EU demand in the deadline year, so
tonnes of gallium and of nickel sulphate add up: ``tonnes`` gives years of EU demand
added by the deadline, ``capacity`` the P(built)-weighted nameplate capacity as a share
of EU demand, ``stress`` the tonnes in stress years as a share of a year's demand.

:func:`solve` uses :func:`scipy.optimize.milp` (HiGHS, relative gap 0): the allocation
is optimal for the model and the menus given, nothing more.  :func:`enumerate_best`
checks it by trying every combination on small cases.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from simcrm.analysis.state_aid import (
    amount_problems,
    instrument_problems,
    instrument_reasons,
    limits_of,
)
from simcrm.spec.portfolio import NONE, Portfolio
from simcrm.spec.wording import Reason

_OBJECTIVE_METRIC = {"tonnes": "tonnes_by_deadline", "capacity": None,
                     "stress": "tonnes_in_stress_years"}


@dataclass
class Problem:
    """The allocation problem in numbers.

    Attributes
    ----------
    menu : list of (plant, option)
        The choices, one variable each.
    value : ndarray, shape (choice,)
        Expected gain over the plant's baseline (see the module docstring).
    cash : ndarray, shape (choice, draw, year, envelope)
        Budget cash of each choice [MEUR/yr] in the budget years.
    caps : ndarray, shape (year, envelope)
        The envelopes [MEUR/yr].
    years : ndarray
        The budget years.
    excluded : dict
        ``(plant, option) -> reason`` for options taken off the menu, a
        :class:`simcrm.spec.wording.Reason` (English and Dutch).
    """

    menu: list
    value: np.ndarray
    cash: np.ndarray
    caps: np.ndarray
    years: np.ndarray
    excluded: dict


@dataclass
class Allocation:
    """The chosen option per plant and what it gives."""

    choice: dict
    objective: float
    expected_cash: np.ndarray
    exceed_share: float
    status: str


def budget_years(pf: Portfolio) -> np.ndarray:
    """The years the envelopes bind: ``[allocation] budget_first_year`` (the valuation
    year) to ``budget_last_year`` (the deadline year + 5)."""
    a = pf.allocation
    first = a.get("budget_first_year") or pf.valuation_year
    last = a.get("budget_last_year") or pf.deadline_year + 5
    return np.arange(int(first), min(int(last), pf.last_year) + 1)


def problem(ds, pf: Portfolio, world: str | None = None, objective: str | None = None,
            pooled: float | None = None) -> Problem:
    """Build the problem from a portfolio's results (``ds`` of ``portfolio.nc``).

    Parameters
    ----------
    pooled : float, optional
        One cap on the total budget cash of all envelopes [MEUR/yr] instead of the
        envelopes (the frontier).
    """
    world = world or pf.allocation["world"]
    objective = objective or pf.allocation["objective"]
    years = budget_years(pf)
    w = ds.sel(world=world)
    menu, value, cash, excluded = [], [], [], {}
    for p, plant in pf.plants.items():
        gain = _gain(w.sel(plant=p), plant, pf, objective)
        bad = _state_aid(w.sel(plant=p), plant, world)
        for o in plant.options:
            if o in bad:
                excluded[(p, o)] = bad[o]
                continue
            menu.append((p, o))
            value.append(gain[o])
            c = w["budget_cash"].sel(plant=p, option=o).sel(year=years, method=None)
            cash.append(c.transpose("draw", "year", "envelope").values.astype(float))
    if pooled is None:
        caps = np.stack([e.cap_in(years) for e in pf.envelopes.values()], axis=1)
    else:
        cash = [c.sum(axis=-1, keepdims=True) for c in cash]
        caps = np.full((len(years), 1), float(pooled))
    return Problem(menu, np.array(value), np.stack(cash), caps, years, excluded)


def _gain(ds, plant, pf: Portfolio, objective: str) -> dict:
    """Expected gain of each option over the baseline, per year of EU demand."""
    mat = pf.materials[plant.material]
    demand = float(mat.demand_in([pf.deadline_year])[0])
    key = _OBJECTIVE_METRIC[objective]
    if key is None:
        v = (ds["built"] * ds["nameplate_tpa"]).mean("draw")
    else:
        v = ds[key].mean("draw")
    v = v * plant.material_per_tonne / demand
    base = float(v.sel(option=NONE))
    return {o: float(v.sel(option=o)) - base for o in plant.options}


def _state_aid(ds, plant, world: str) -> dict:
    """Options of a plant that fail the state-aid check in ``world``: option -> reason
    (:class:`simcrm.spec.wording.Reason`)."""
    sc = plant.scenario
    reasons = instrument_reasons(sc)
    rules = {lang: instrument_problems(sc, lang, reasons) for lang in ("en", "nl")}
    wi = list(sc.worlds).index(world)
    lim = limits_of(sc.settings)
    out = {}
    for oi, o in enumerate(sc.options):
        if o not in plant.options or o == NONE:
            continue
        d = ds.sel(option=o)
        amounts = amount_problems(
            float(d["gross_grant_equivalent"].mean()), float(d["aid_intensity"].mean(skipna=True)),
            float(d["npv"].mean()), lim)
        if rules["en"][oi, wi] or amounts:
            out[o] = Reason(*("; ".join([x for x in [str(rules[lang][oi, wi])] if x]
                                        + [a.text(lang) for a in amounts])
                              for lang in ("en", "nl")))
    return out


def solve(pr: Problem, alpha: float = 1.0, chance_draws: int = 512) -> Allocation:
    """The optimal allocation (:func:`scipy.optimize.milp`, HiGHS, relative gap 0).

    Parameters
    ----------
    alpha : float
        Largest share of draws in which some envelope may be exceeded in some budget
        year; 1 (the default) imposes only the constraint in expectation.
    chance_draws : int
        Draws the chance constraint is imposed on (the first ones).
    """
    plants = list(dict.fromkeys(p for p, _ in pr.menu))
    nx = len(pr.menu)
    mean = pr.cash.mean(axis=1).reshape(nx, -1)  # (choice, year*envelope)
    rows = [LinearConstraint(mean.T, -np.inf, pr.caps.ravel())]
    one = np.array([[1.0 if p == q else 0.0 for q, _ in pr.menu] for p in plants])
    rows.append(LinearConstraint(one, 1, 1))
    nz = 0
    if alpha < 1:
        rows_z, nz = _chance_rows(pr, alpha, chance_draws)
        rows = [LinearConstraint(np.hstack([r.A if not hasattr(r.A, "toarray") else r.A.toarray(),
                                            np.zeros((r.A.shape[0], nz))]), r.lb, r.ub)
                for r in rows] + rows_z
    scale = max(float(np.abs(pr.value).max(initial=0.0)), 1e-300)  # HiGHS has an absolute gap
    c = np.concatenate([-pr.value / scale, np.zeros(nz)])
    res = milp(c, constraints=rows, integrality=np.ones(nx + nz), bounds=Bounds(0, 1),
               options={"mip_rel_gap": 0.0})
    if res.x is None:
        return Allocation({}, float("nan"), np.full(pr.caps.shape, np.nan), float("nan"),
                          res.message)
    x = _cheapest_of_ties(pr, np.round(res.x[:nx]).astype(bool), alpha, chance_draws)
    return _allocation(pr, x, res.message)


def _cheapest_of_ties(pr: Problem, x: np.ndarray, alpha: float, n: int) -> np.ndarray:
    """Among options of equal value for a plant, keep the one with the least expected
    budget cash that keeps the constraints (the solver picks any of equal value)."""
    total = pr.cash.sum(axis=(2, 3)).mean(axis=1)  # (choice,) MEUR over the budget years
    for i in np.flatnonzero(x):
        p = pr.menu[i][0]
        for j in np.argsort(total):
            if pr.menu[j][0] == p and pr.value[j] >= pr.value[i] - 1e-12 and total[j] < total[i]:
                y = x.copy()
                y[i], y[j] = False, True
                if feasible(pr, y, alpha, n):
                    x = y
                    break
    return x


def _chance_rows(pr: Problem, alpha: float, n: int) -> tuple[list, int]:
    """Big-M rows of the chance constraint over the first ``n`` draws (one binary z_d:
    draw d may exceed)."""
    nx = len(pr.menu)
    n = min(n, pr.cash.shape[1])
    c = pr.cash[:, :n].reshape(nx, n, -1)  # (choice, draw, year*envelope)
    caps = pr.caps.ravel()
    plants = list(dict.fromkeys(p for p, _ in pr.menu))
    idx = [[i for i, (q, _) in enumerate(pr.menu) if q == p] for p in plants]
    worst = sum(c[ix].max(axis=0) for ix in idx)  # (draw, cell): most any choice can spend
    big = worst - caps[None]
    d, j = np.nonzero(big > 1e-9)  # only rows that some choice can break
    r = np.arange(len(d))
    data = np.concatenate([c[:, d, j].T.ravel(), -big[d, j]])
    rr = np.concatenate([np.repeat(r, nx), r])
    cc = np.concatenate([np.tile(np.arange(nx), len(d)), nx + d])
    out = []
    if len(d):
        A = csr_matrix((data, (rr, cc)), shape=(len(d), nx + n))
        out.append(LinearConstraint(A, -np.inf, caps[j]))
    budget = np.zeros(nx + n)
    budget[nx:] = 1.0
    out.append(LinearConstraint(budget[None, :], 0, np.floor(alpha * n)))
    return out, n


def _allocation(pr: Problem, x: np.ndarray, status: str) -> Allocation:
    choice = {p: o for (p, o), on in zip(pr.menu, x) if on}
    cash = pr.cash[x].sum(axis=0)  # (draw, year, envelope)
    over = (cash > pr.caps[None] + 1e-9).any(axis=(1, 2))
    return Allocation(choice, float(pr.value[x].sum()), cash.mean(axis=0), float(over.mean()),
                      status)


def feasible(pr: Problem, x: np.ndarray, alpha: float = 1.0, chance_draws: int = 512) -> bool:
    """Whether the choice ``x`` (bool per menu entry) keeps the constraints."""
    cash = pr.cash[x].sum(axis=0)
    if (cash.mean(axis=0) > pr.caps + 1e-9).any():
        return False
    if alpha < 1:
        n = min(chance_draws, cash.shape[0])
        over = (cash[:n] > pr.caps[None] + 1e-9).any(axis=(1, 2))
        return over.sum() <= np.floor(alpha * n)
    return True


def enumerate_best(pr: Problem, alpha: float = 1.0, chance_draws: int = 512) -> float:
    """The best objective by trying every combination (small cases: tests)."""
    plants = list(dict.fromkeys(p for p, _ in pr.menu))
    idx = [[i for i, (q, _) in enumerate(pr.menu) if q == p] for p in plants]
    best = -np.inf
    for combo in itertools.product(*idx):
        x = np.zeros(len(pr.menu), bool)
        x[list(combo)] = True
        if feasible(pr, x, alpha, chance_draws):
            best = max(best, float(pr.value[x].sum()))
    return best


def frontier(ds, pf: Portfolio, budgets: list[float], world: str | None = None,
             objective: str | None = None, alpha: float | None = None) -> list[tuple]:
    """The efficient frontier: for each pooled annual budget [MEUR/yr] (one cap on the
    budget cash of all instruments together), the optimal objective and allocation."""
    alpha = pf.allocation["alpha"] if alpha is None else alpha
    out = []
    for b in sorted(budgets):
        pr = problem(ds, pf, world, objective, pooled=b)
        a = solve(pr, alpha, pf.allocation["chance_draws"])
        out.append((float(b), a.objective, a.choice))
    return out
