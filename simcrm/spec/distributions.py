"""Distributions of uncertain inputs, mapped from uniforms (inverse CDF).

Every uncertain input is drawn as a uniform number ``u`` in (0, 1) once per draw
and then mapped through the distribution of each world (:meth:`Dist.ppf`), so
worlds and options see the same draws (common random numbers) and the rank of a
draw is the same in every world.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

Z90 = float(special.ndtri(0.9))
"""Standard-normal 90 % quantile, 1.2815515655446004."""

MAX_LAMBDA = 100.0
"""Largest PERT shape parameter ``lambda`` (4 is the classic PERT; 100 is nearly a spike)."""

MAX_P90_RATIO = 1e3
"""Largest p90/median of a lognormal: a spread of × 1000 between the median and the 90 %
quantile already puts the 99.9 % quantile at about 10^7 × the median."""

TAIL = 1e-3
"""A distribution may not put more than this probability outside a key's allowed range."""

SPECS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # name: (required fields, optional fields)
    "triangular": (("low", "mode", "high"), ()),
    "pert": (("low", "mode", "high"), ("lambda",)),
    "uniform": (("low", "high"), ()),
    "normal": (("mean", "sd"), ()),
    "lognormal": (("median", "p90"), ()),
    "discrete": (("values", "probs"), ()),
    "bernoulli": (("p",), ()),
}


class DistError(ValueError):
    """A distribution table that cannot be used; the message is for the analyst."""


@dataclass(frozen=True)
class Dist:
    """A validated distribution.

    Parameters
    ----------
    name : str
        One of :data:`SPECS`.
    args : dict
        Its numbers, as given in the scenario.
    """

    name: str
    args: dict[str, Any]
    times: float = 1.0
    plus: float = 0.0

    def shifted(self, times: float = 1.0, plus: float = 0.0) -> Dist:
        """This distribution multiplied by ``times`` and then shifted by ``plus``."""
        return Dist(self.name, self.args, self.times * times, self.plus * times + plus)

    # -- construction -------------------------------------------------------------
    @classmethod
    def from_table(cls, table: dict[str, Any]) -> Dist:
        """Build from a TOML table such as ``{dist = "pert", low = 1, mode = 2, high = 3}``."""
        table = dict(table)
        name = table.pop("dist", None)
        if name is None:
            raise DistError(
                'a distribution table needs `dist = "..."` (one of ' + ", ".join(SPECS) + ")")
        if not isinstance(name, str) or name not in SPECS:
            shown = f'"{name}"' if isinstance(name, str) else _show(name)
            raise DistError(f"unknown distribution {shown}; allowed: " + ", ".join(SPECS)
                            + _did_you_mean(name, list(SPECS)))
        required, optional = SPECS[name]
        fields = ", ".join(required + optional)
        unknown = [k for k in table if k not in required + optional]
        missing = [k for k in required if k not in table]
        if unknown or missing:
            what = [f"unknown field {', '.join(unknown)}"] if unknown else []
            what += [f"missing {', '.join(missing)}"] if missing else []
            raise DistError(f"{name} takes {fields}; " + "; ".join(what))
        for k, v in table.items():
            if k in ("values", "probs"):
                if not isinstance(v, list) or not v or not all(_is_num(x) for x in v):
                    raise DistError(f"{name}: {k} must be a non-empty list of numbers, got "
                                    f"{_show(v)}")
                if not all(math.isfinite(x) for x in v):
                    raise DistError(f"{name}: {k} must be finite numbers (no nan or inf), got "
                                    f"{_show(v)}")
            elif not _is_num(v):
                raise DistError(f"{name}: {k} must be a number, got {_show(v)}")
            elif not math.isfinite(v):
                raise DistError(f"{name}: {k} must be a finite number, got {v}")
        d = cls(name, {k: (list(map(float, v)) if isinstance(v, list) else float(v))
                       for k, v in table.items()})
        d._check()
        return d

    def _check(self) -> None:
        a, n = self.args, self.name
        if n in ("triangular", "pert"):
            if not a["low"] <= a["mode"] <= a["high"] or a["low"] == a["high"]:
                raise DistError(f"{n} needs low ≤ mode ≤ high with low < high; got "
                                f"low={a['low']:g}, mode={a['mode']:g}, high={a['high']:g}")
            if n == "pert" and not 0 < a.get("lambda", 4.0) <= MAX_LAMBDA:
                raise DistError(f"pert: lambda must lie in (0, {MAX_LAMBDA:g}] (4 is usual); "
                                f"got {a['lambda']:g}")
        elif n == "uniform":
            if not a["low"] < a["high"]:
                raise DistError(f"uniform needs low < high; got low={a['low']:g}, "
                                f"high={a['high']:g}")
        elif n == "normal":
            if not a["sd"] > 0:
                raise DistError(f"normal needs sd > 0; got sd={a['sd']:g}")
        elif n == "lognormal":
            if not a["median"] > 0:
                raise DistError(f"lognormal needs median > 0; got median={a['median']:g}")
            if not a["p90"] > a["median"]:
                raise DistError(f"lognormal needs p90 above the median; got "
                                f"median={a['median']:g}, p90={a['p90']:g}")
            if not a["p90"] <= MAX_P90_RATIO * a["median"]:
                raise DistError(f"lognormal: p90 may be at most {MAX_P90_RATIO:g} × the median; "
                                f"got median={a['median']:g}, p90={a['p90']:g}")
        elif n == "discrete":
            v, p = a["values"], a["probs"]
            if len(v) != len(p):
                raise DistError(f"discrete: {len(v)} values but {len(p)} probs")
            if any(x < 0 for x in p) or not abs(sum(p) - 1) <= 1e-9:
                raise DistError(f"discrete: probs must be ≥ 0 and sum to 1; they sum to {sum(p):g}")
        elif n == "bernoulli":
            if not 0 <= a["p"] <= 1:
                raise DistError(f"bernoulli needs 0 ≤ p ≤ 1; got p={a['p']:g}")

    # -- properties ---------------------------------------------------------------
    def support(self) -> tuple[float, float]:
        """Range holding all but :data:`TAIL` of the probability (both tails); may be
        infinite (or NaN) for absurd parameters, which validation then refuses."""
        with np.errstate(all="ignore"):
            lo, hi = self._support()
            lo, hi = lo * self.times + self.plus, hi * self.times + self.plus
        return (lo, hi) if lo <= hi else (hi, lo)

    def _support(self) -> tuple[float, float]:
        a, n = self.args, self.name
        if n in ("triangular", "pert"):
            return a["low"], a["high"]
        if n == "uniform":
            return a["low"], a["high"]
        if n == "discrete":
            vals = [v for v, p in zip(a["values"], a["probs"]) if p > 0]
            return min(vals), max(vals)
        if n == "bernoulli":
            return (0.0 if a["p"] < 1 else 1.0), (1.0 if a["p"] > 0 else 0.0)
        lo, hi = self._ppf(np.array([TAIL, 1 - TAIL]))
        return float(lo), float(hi)

    def mean(self) -> float:
        """Expected value (used for the deterministic base case)."""
        if self.name == "discrete":
            m = float(np.dot(self.args["values"], self.args["probs"]))
        elif self.name == "bernoulli":
            m = self.args["p"]
        else:
            m = float(self._frozen().mean())
        return m * self.times + self.plus

    def describe(self) -> str:
        """Compact text, e.g. ``triangular(low=1, mode=2, high=3)``."""
        inner = ", ".join(f"{k}={_fmtv(v)}" for k, v in self.args.items())
        text = f"{self.name}({inner})"
        if self.times != 1.0:
            text = f"{self.times:g} × {text}"
        if self.plus != 0.0:
            text = f"{text} {'+' if self.plus > 0 else '-'} {abs(self.plus):g}"
        return text

    # -- sampling -----------------------------------------------------------------
    def _frozen(self):
        a, n = self.args, self.name
        if n == "triangular":
            w = a["high"] - a["low"]
            return stats.triang((a["mode"] - a["low"]) / w, loc=a["low"], scale=w)
        if n == "pert":
            lam = a.get("lambda", 4.0)
            w = a["high"] - a["low"]
            al = 1 + lam * (a["mode"] - a["low"]) / w
            be = 1 + lam * (a["high"] - a["mode"]) / w
            return stats.beta(al, be, loc=a["low"], scale=w)
        if n == "uniform":
            return stats.uniform(loc=a["low"], scale=a["high"] - a["low"])
        if n == "normal":
            return stats.norm(loc=a["mean"], scale=a["sd"])
        if n == "lognormal":
            sigma = math.log(a["p90"] / a["median"]) / Z90
            return stats.lognorm(s=sigma, scale=a["median"])
        raise AssertionError(n)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Map uniforms ``u`` in (0, 1) to values of this distribution.

        The mapping is monotone non-decreasing in ``u`` for every distribution
        (for ``times`` ≥ 0), which keeps rank correlations and common random numbers
        intact.
        """
        return self.shift(self._ppf(u))

    def unshifted_ppf(self, u: np.ndarray) -> np.ndarray:
        """:meth:`ppf` before :meth:`shift`: the same for every distribution with the
        same :attr:`shape_key`."""
        return self._ppf(u)

    def shift(self, x: np.ndarray) -> np.ndarray:
        """Values ``x`` of the unshifted distribution (:attr:`shape_key`) multiplied by
        ``times`` and shifted by ``plus``, as :meth:`ppf` does: ``x`` itself when both
        are neutral."""
        if self.times != 1.0 or self.plus != 0.0:
            x = x * self.times + self.plus
        return x

    @property
    def shape_key(self) -> tuple[str, str]:
        """Hashable identity of the unshifted distribution (its name and numbers).

        Distributions with equal keys map the same uniforms to the same values before
        :meth:`shift`, to the bit, so those values can be computed once and shared
        (:func:`simcrm.engine.evaluate.world_inputs` does so across worlds).
        """
        # repr is exact for floats and tells -0.0 from 0.0, which == does not
        return self.name, repr(sorted(self.args.items()))

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        a, n = self.args, self.name
        u = np.asarray(u, dtype=float)
        if n == "triangular":
            lo, c, hi = a["low"], a["mode"], a["high"]
            fc = (c - lo) / (hi - lo)
            left = lo + np.sqrt(u * (hi - lo) * (c - lo))
            right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - c))
            return np.where(u < fc, left, right)
        if n == "uniform":
            return a["low"] + u * (a["high"] - a["low"])
        if n == "normal":
            return a["mean"] + a["sd"] * special.ndtri(u)
        if n == "lognormal":
            sigma = math.log(a["p90"] / a["median"]) / Z90
            return a["median"] * np.exp(sigma * special.ndtri(u))
        if n == "discrete":
            cum = np.cumsum(a["probs"])
            cum[-1] = 1.0
            idx = np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
            return np.asarray(a["values"])[idx]
        if n == "bernoulli":
            return (u >= 1.0 - a["p"]).astype(float)
        return self._frozen().ppf(u)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Cumulative distribution (continuous distributions only; used in tests)."""
        return self._frozen().cdf((np.asarray(x) - self.plus) / self.times)


def _show(v: Any, limit: int = 60) -> str:
    """Any TOML value as short text for a message (never fails)."""
    try:
        text = repr(v)
    except Exception:  # noqa: BLE001 - a message must never crash
        text = f"<{type(v).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _did_you_mean(name: Any, candidates: list[str]) -> str:
    if not isinstance(name, str):
        return ""
    import difflib

    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f" — did you mean `{close[0]}`?" if close else ""


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _fmtv(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(f"{x:g}" for x in v) + "]"
    return f"{v:g}"
