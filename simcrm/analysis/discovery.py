"""Scenario discovery: which combinations of inputs make an option fail?

PRIM (the Patient Rule Induction Method, Friedman & Fisher 1999), as used for
scenario discovery by Bryant & Lempert (2010), finds a *box* — a range on a few
inputs — inside which failure is much more frequent than overall:

1. **Peeling.**  Starting from all draws, repeatedly cut off a slice of
   ``peel_alpha`` of the draws in the box at the low or high end of one input,
   choosing the cut that leaves the highest share of failures (density) in the
   box, until the box holds less than ``mass_min`` of all draws.  Every step is
   recorded in the peeling *trajectory* of coverage (share of all failures inside
   the box) against density.
2. **Choosing.**  The chosen box maximises :func:`score`, coverage times the
   share of the possible gain in density over the base rate that the box
   achieves; with ``threshold``, it is the box of largest coverage whose density
   reaches the threshold.
3. **Pasting.**  Widen the chosen box again by ``paste_alpha`` slices while
   that raises the score.
4. **Dropping.**  Open the bounds that hardly matter (density falls by less
   than ``drop_tol`` without them), so the statement stays short.

The result is stated in plain words by :meth:`PrimResult.describe`, e.g.
"fails in 78 % of draws (33 % overall) when the product price (average) is below
12 000 EUR/t and the permit time is above 30 months".

No maintained, light PRIM package is available (the EMA workbench is heavy), so
this is a compact implementation tested on a planted box.

References
----------
Friedman, J. H. & Fisher, N. I. (1999). Bump hunting in high-dimensional data.
Statistics and Computing 9, 123-143.
Bryant, B. P. & Lempert, R. J. (2010). Thinking inside the box: a participatory,
computer-assisted approach to scenario discovery. Technological Forecasting and
Social Change 77, 34-49.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from simcrm.analysis.sensitivity import input_names
from simcrm.analysis.summary import deadline_year
from simcrm.present import text as i18n
from simcrm.spec.names import display_units

FAILURES = ("npv", "deadline", "either")
"""Kinds of failure: NPV < 0; first production after the deadline year; either."""


@dataclass
class Box:
    """Bounds of a box; ``-inf``/``inf`` where an input is not restricted."""

    lower: np.ndarray
    upper: np.ndarray

    def contains(self, X: np.ndarray) -> np.ndarray:
        return np.all((X >= self.lower) & (X <= self.upper), axis=1)

    def copy(self) -> Box:
        return Box(self.lower.copy(), self.upper.copy())


@dataclass
class PrimResult:
    """What PRIM found.

    Attributes
    ----------
    names : list of str
        Inputs (columns of ``X``).
    X : ndarray, shape (draw, input)
    y : ndarray of bool, shape (draw,)
        Failure of each draw.
    trajectory : pandas.DataFrame
        One row per peeling step: ``coverage``, ``density``, ``mass``, ``n``,
        ``restricted`` (number of restricted inputs).
    boxes : list of Box
        The box of every peeling step.
    chosen : int
        Index of the box chosen on the trajectory.
    box : Box
        The final box (chosen, pasted, unimportant restrictions dropped).
    units, long_names : dict
        Per input, for the statement.
    what : str
        The kind of failure (:data:`FAILURES`).
    """

    names: list[str]
    X: np.ndarray
    y: np.ndarray
    trajectory: pd.DataFrame
    boxes: list[Box]
    chosen: int
    box: Box
    units: dict = field(default_factory=dict)
    long_names: dict = field(default_factory=dict)
    what: str = "npv"
    deadline: int | None = None

    # -- statistics of the final box ----------------------------------------------
    @property
    def inside(self) -> np.ndarray:
        return self.box.contains(self.X)

    @property
    def density(self) -> float:
        """Share of the draws in the box that fail [1]."""
        return float(self.y[self.inside].mean()) if self.inside.any() else float("nan")

    @property
    def coverage(self) -> float:
        """Share of all failures that lie in the box [1]."""
        return float(self.y[self.inside].sum() / max(self.y.sum(), 1))

    @property
    def mass(self) -> float:
        """Share of all draws in the box [1]."""
        return float(self.inside.mean())

    @property
    def base_rate(self) -> float:
        """Share of all draws that fail [1]."""
        return float(self.y.mean())

    def restrictions(self) -> pd.DataFrame:
        """The restricted inputs of the final box with their bounds.

        Returns
        -------
        pandas.DataFrame
            Columns ``input``, ``lower``, ``upper`` (NaN where open), ``units``,
            ``density_without`` (density of the box without this restriction);
            most important restriction (largest loss of density) first.
        """
        rows = []
        d = self.density
        for j, name in enumerate(self.names):
            lo, hi = self.box.lower[j], self.box.upper[j]
            if np.isinf(lo) and np.isinf(hi):
                continue
            b = self.box.copy()
            b.lower[j], b.upper[j] = -np.inf, np.inf
            w = b.contains(self.X)
            rows.append({"input": name, "lower": lo if np.isfinite(lo) else np.nan,
                         "upper": hi if np.isfinite(hi) else np.nan,
                         "units": self.units.get(name, ""),
                         "density_without": float(self.y[w].mean())})
        df = pd.DataFrame(rows, columns=["input", "lower", "upper", "units", "density_without"])
        df["loss"] = d - df["density_without"]
        df = df.sort_values("loss", ascending=False, kind="stable").reset_index(drop=True)
        return df.drop(columns="loss")

    def describe(self, lang: str = "en", top: int | None = None) -> str:
        """The finding in plain words, in English (``en``) or Dutch (``nl``).

        ``top`` keeps only the most important conditions and says how many more there
        are (for a chart title); the report gives them all.
        """
        lang = i18n.check_lang(lang)
        what = _WHAT[self.what][lang].format(deadline=self.deadline)
        if self.trajectory.empty or self.y.sum() == 0:
            return _NONE[lang].format(what=what)
        conds = [_condition(r, self.X[:, self.names.index(r.input)], lang)
                 for r in self.restrictions().itertuples()]
        if not conds:
            return _NO_BOX[lang].format(what=what, p=i18n.pct(self.base_rate, lang))
        if top is not None and len(conds) > top:
            more = len(conds) - top
            conds = conds[:top] + [_MORE[lang][more > 1].format(n=more)]
        joined = conds[0] if len(conds) == 1 else (
            ", ".join(conds[:-1]) + (" and " if lang == "en" else " en ") + conds[-1])
        return _TEXT[lang].format(
            what=what, p=i18n.pct(self.density, lang), p0=i18n.pct(self.base_rate, lang),
            fails=_FAILS[self.what == "npv"],
            conds=joined, mass=i18n.pct(self.mass, lang), cov=i18n.pct(self.coverage, lang))


_WHAT = {
    "npv": {"en": "loses money (NPV < 0)", "nl": "maakt verlies (NCW < 0)"},
    "deadline": {"en": "produces only after {deadline}", "nl": "produceert pas na {deadline}"},
    "either": {"en": "loses money or produces only after {deadline}",
               "nl": "maakt verlies of produceert pas na {deadline}"},
}
_TEXT = {
    "en": "The plant {what} in {p} of simulations (overall {p0}) when {conds}. "
          "Such simulations are {mass} of all simulations and hold {cov} of the failures.",
    "nl": "De fabriek {what} in {p} van de simulaties (over alle simulaties: {p0}) als "
          "{conds}. Dat zijn {mass} van alle simulaties, met {cov} van de {fails}.",
}
_FAILS = ("faalgevallen", "verliesgevallen")
"""Dutch word for the failures: losses when the failure is NPV < 0."""
_MORE = {"en": ("one more condition holds", "{n} more conditions hold"),
         "nl": ("nog één voorwaarde geldt", "nog {n} voorwaarden gelden")}
_NONE = {"en": "The plant never {what} in these simulations.",
         "nl": "De fabriek {what} in geen enkele simulatie."}
_NO_BOX = {"en": "The plant {what} in {p} of simulations; no combination of inputs stands "
                 "out.",
           "nl": "De fabriek {what} in {p} van de simulaties; geen combinatie van invoer "
                 "springt eruit."}
_BINARY = {
    "permitting.appeal": {
        "en": ("the permit is not appealed", "the permit is appealed"),
        "nl": ("er geen beroep tegen de vergunning is", "er beroep tegen de vergunning is"),
    },
}


def _round(x: float) -> float:
    """Two significant figures, for statements."""
    if x == 0 or not np.isfinite(x):
        return x
    e = int(np.floor(np.log10(abs(x)))) - 1
    return round(x, -e)


OVERRUN_KEYS = frozenset({"plant.capex_overrun"})
"""Multiplier inputs (1 = on the estimate) that statements give as the percentage above
the estimate: a cost-overrun factor of 1.1 reads "above 10 %", not "above 110 %".
The one place that decides which inputs are read this way."""


def _fmt(x: float, unit: str, lang: str, key: str = "") -> str:
    if key in OVERRUN_KEYS:
        return i18n.pct(_round(x - 1.0), lang)
    r = _round(x)
    digits = max(0, -int(np.floor(np.log10(abs(r)))) + 1) if r and abs(r) < 10 else 0
    if unit == "1" and 0 < abs(r) <= 1.5:
        return i18n.pct(r, lang)
    u = i18n.UNIT_WORDS.get(unit)
    u = u[1 if lang == "nl" else 0] if u else unit
    return f"{i18n.num(r, lang, digits)}{i18n.NBSP}{u}".rstrip()


def _condition(r, x: np.ndarray, lang: str) -> str:
    label = i18n.input_label(r.input, lang)
    if len(label) > 1 and not (label[1].isupper() or label[1].isdigit()):
        label = label[0].lower() + label[1:]
    vals = np.unique(x)
    if vals.size <= 2 and r.input in _BINARY:
        no, yes = _BINARY[r.input][lang]
        hi_only = np.isnan(r.lower)
        return no if hi_only else yes
    lo, hi = r.lower, r.upper
    the = "the " if lang == "en" else "de "
    flo = _fmt(lo, r.units, lang, r.input) if not np.isnan(lo) else ""
    fhi = _fmt(hi, r.units, lang, r.input) if not np.isnan(hi) else ""
    if np.isnan(lo):
        return (f"{the}{label} is below {fhi}" if lang == "en"
                else f"{the}{label} onder {fhi} ligt")
    if np.isnan(hi):
        return (f"{the}{label} is above {flo}" if lang == "en"
                else f"{the}{label} boven {flo} ligt")
    return (f"{the}{label} is between {flo} and {fhi}" if lang == "en" else
            f"{the}{label} tussen {flo} en {fhi} ligt")


# --------------------------------------------------------------------------------------
# The algorithm
# --------------------------------------------------------------------------------------


def _peel_candidates(Xb: np.ndarray, alpha: float):
    """For each input and side: the bound after peeling and the mask of kept rows."""
    for j in range(Xb.shape[1]):
        x = Xb[:, j]
        xmin, xmax = x.min(), x.max()
        if xmin == xmax:
            continue
        q = np.quantile(x, alpha)
        keep = x >= q
        if keep.all():
            keep = x > xmin
        yield j, "lower", x[keep].min(), keep
        q = np.quantile(x, 1 - alpha)
        keep = x <= q
        if keep.all():
            keep = x < xmax
        yield j, "upper", x[keep].max(), keep


def _stats(y_in: np.ndarray, total_fail: int, n: int) -> tuple[float, float, float]:
    k = y_in.size
    fails = int(y_in.sum())
    return (fails / max(total_fail, 1), fails / k if k else float("nan"), k / n)


def _restricted(box: Box) -> int:
    return int(np.sum(np.isfinite(box.lower) | np.isfinite(box.upper)))


def prim(X: np.ndarray, y: np.ndarray, names: list[str] | None = None, *,
         peel_alpha: float = 0.05, paste_alpha: float = 0.05, mass_min: float = 0.05,
         threshold: float | None = None, drop_tol: float = 0.02) -> PrimResult:
    """PRIM on inputs ``X`` and failures ``y``.

    Parameters
    ----------
    X : ndarray, shape (draw, input)
        Inputs (any units; only their order matters).
    y : ndarray of bool, shape (draw,)
        Failure of each draw.
    names : list of str, optional
        Input names (default ``x0``, ``x1`` ...).
    peel_alpha, paste_alpha : float
        Share of the box's draws removed per peel / added per paste [1].
    mass_min : float
        Peeling stops when the box holds less than this share of all draws [1].
    threshold : float, optional
        Choose the box of largest coverage with at least this density.
    drop_tol : float
        Drop a restriction of the final box if the density falls by less than this
        without it [1].

    Returns
    -------
    PrimResult
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=bool)
    n, d = X.shape
    names = list(names) if names is not None else [f"x{j}" for j in range(d)]
    total = int(y.sum())
    box = Box(np.full(d, -np.inf), np.full(d, np.inf))
    mask = np.ones(n, dtype=bool)
    boxes, rows = [box.copy()], []
    rows.append((*_stats(y, total, n), n, 0))
    while mask.sum() > mass_min * n and total:
        idx = np.flatnonzero(mask)
        Xb, yb = X[idx], y[idx]
        best = None
        for j, side, bound, keep in _peel_candidates(Xb, peel_alpha):
            k = int(keep.sum())
            if k == 0 or k < mass_min * n:
                continue
            dens = yb[keep].mean()
            if best is None or dens > best[0] + 1e-12 or (abs(dens - best[0]) <= 1e-12
                                                          and k > best[1]):
                best = (dens, k, j, side, bound, keep)
        if best is None:
            break
        _, k, j, side, bound, keep = best
        if side == "lower":
            box.lower[j] = bound
        else:
            box.upper[j] = bound
        mask[idx[~keep]] = False
        boxes.append(box.copy())
        rows.append((*_stats(y[mask], total, n), int(mask.sum()), _restricted(box)))
    traj = pd.DataFrame(rows, columns=["coverage", "density", "mass", "n", "restricted"])
    chosen = _choose(traj, threshold, float(y.mean()))
    final = _paste(X, y, boxes[chosen].copy(), paste_alpha)
    final = _drop(X, y, final, drop_tol)
    return PrimResult(names, X, y, traj, boxes, chosen, final)


def score(coverage, density, base: float):
    """How interesting a box is: coverage × the density's share of the possible gain over
    the base rate, ``coverage · (density − base) / (1 − base)`` [1].

    It is 0 for the whole space and for a box no denser than average, 1 for a box that
    holds every failure and nothing else, and it trades coverage against density the
    way an analyst reads the peeling trajectory (Bryant & Lempert 2010).
    """
    if base >= 1:
        return np.zeros_like(np.asarray(coverage, dtype=float))
    return np.asarray(coverage) * (np.asarray(density) - base) / (1 - base)


def _choose(traj: pd.DataFrame, threshold: float | None, base: float) -> int:
    if len(traj) <= 1:
        return 0
    dens = traj["density"].to_numpy()
    if threshold is not None:
        ok = np.flatnonzero(dens >= threshold)
        return int(ok[0]) if ok.size else int(np.nanargmax(dens))
    sc = score(traj["coverage"].to_numpy(), dens, base)
    return int(np.nanargmax(sc))


def _box_score(X, y, box: Box, base: float, total: int) -> float:
    inside = box.contains(X)
    k = int(inside.sum())
    if not k:
        return -np.inf
    f = y[inside].sum()
    return float(score(f / max(total, 1), f / k, base))


def _paste(X: np.ndarray, y: np.ndarray, box: Box, alpha: float) -> Box:
    """Widen the box by slices of ``alpha`` of its draws while that raises :func:`score`."""
    base, total = float(y.mean()), int(y.sum())
    for _ in range(500):
        inside = box.contains(X)
        k = int(inside.sum())
        cur = _box_score(X, y, box, base, total)
        step = max(1, int(np.ceil(alpha * k)))
        best = None
        for j in range(X.shape[1]):
            x = X[:, j]
            for side in ("lower", "upper"):
                edge = box.lower[j] if side == "lower" else box.upper[j]
                if not np.isfinite(edge):
                    continue
                other = box.copy()
                (other.lower if side == "lower" else other.upper)[j] = (
                    -np.inf if side == "lower" else np.inf)
                pool = np.flatnonzero(other.contains(X) & ~inside)
                if not pool.size:
                    continue
                xs = np.sort(x[pool])
                bound = xs[::-1][min(step, xs.size) - 1] if side == "lower" \
                    else xs[min(step, xs.size) - 1]
                new = box.copy()
                whole = min(step, xs.size) == xs.size
                val = (-np.inf if side == "lower" else np.inf) if whole else bound
                (new.lower if side == "lower" else new.upper)[j] = val
                sc = _box_score(X, y, new, base, total)
                if sc > cur + 1e-12 and (best is None or sc > best[0]):
                    best = (sc, new)
        if best is None:
            return box
        box = best[1]
    return box


def _drop(X: np.ndarray, y: np.ndarray, box: Box, tol: float) -> Box:
    """Open the bounds without which the density falls by less than ``tol``."""
    while True:
        inside = box.contains(X)
        if not inside.any():
            return box
        dens = y[inside].mean()
        best = None
        for j in range(X.shape[1]):
            for side in ("lower", "upper"):
                edge = box.lower[j] if side == "lower" else box.upper[j]
                if not np.isfinite(edge):
                    continue
                b = box.copy()
                (b.lower if side == "lower" else b.upper)[j] = (
                    -np.inf if side == "lower" else np.inf)
                nd = y[b.contains(X)].mean()
                if dens - nd < tol and (best is None or nd > best[0]):
                    best = (nd, b)
        if best is None:
            return box
        box = best[1]


# --------------------------------------------------------------------------------------
# On simulation results
# --------------------------------------------------------------------------------------


def failure(ds: xr.Dataset, option: str, world: str, what: str = "npv",
            deadline: int | None = None) -> np.ndarray:
    """Whether each draw fails [bool, shape (draw,)].

    Parameters
    ----------
    what : {"npv", "deadline", "either"}
        ``npv``: NPV < 0; ``deadline``: first production after the end of the
        deadline year; ``either``: one of the two.
    deadline : int, optional
        Deadline year [year]; default: the run's ``decision_production_deadline_year``
        (or the registry default, :func:`simcrm.analysis.summary.deadline_year`).
    """
    if what not in FAILURES:
        raise ValueError(f"failure must be one of {', '.join(FAILURES)}; got {what!r}")
    dl = deadline_year(ds) if deadline is None else int(deadline)
    npv = ds["npv"].sel(option=option, world=world).values
    late = ds["first_production"].sel(option=option, world=world).values >= dl + 1
    if what == "npv":
        return npv < 0
    if what == "deadline":
        return late
    return (npv < 0) | late


def discover(ds: xr.Dataset, option: str, world: str = "base", what: str = "npv",
             deadline: int | None = None, inputs: list[str] | None = None,
             **kwargs) -> PrimResult:
    """PRIM on the sampled inputs of a run: when does ``option`` fail in ``world``?

    Parameters
    ----------
    ds : xarray.Dataset
        Per-draw results with the sampled inputs (``role="input"``).
    option, world : str
    what : {"npv", "deadline", "either"}
        See :func:`failure`.
    deadline : int, optional
    inputs : list of str, optional
        Inputs to search (default: every input that varies in the world).
    **kwargs
        Passed to :func:`prim`.

    Returns
    -------
    PrimResult
    """
    y = failure(ds, option, world, what, deadline)
    # inputs by registry key (``plant.capex_meur``), read from their variables
    var = {ds[v].attrs.get("key", v): v for v in input_names(ds)}
    names = inputs if inputs is not None else [
        k for k, v in var.items() if np.ptp(ds[v].sel(world=world).values) > 0]
    X = np.column_stack([ds[var.get(k, k)].sel(world=world).values for k in names]) if names \
        else np.empty((y.size, 0))
    res = prim(X, y, names, **kwargs)
    res.units = {k: display_units(ds[var.get(k, k)].attrs) for k in names}
    res.long_names = {k: ds[var.get(k, k)].attrs.get("long_name", k) for k in names}
    res.what = what
    res.deadline = deadline_year(ds) if deadline is None else int(deadline)
    return res


def discovery_table(res: PrimResult, lang: str = "en") -> pd.DataFrame:
    """The final box as a table: one row per restricted input, with the statement in
    the attributes (``statement``, ``density``, ``coverage``, ``mass``)."""
    df = res.restrictions()
    df.insert(1, "label", [i18n.input_label(k, lang) for k in df["input"]])
    df.attrs.update(statement=res.describe(lang), density=res.density, coverage=res.coverage,
                    mass=res.mass, base_rate=res.base_rate)
    return df
