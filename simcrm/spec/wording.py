"""Numbers and reasons in both languages of the charts and reports (English, Dutch).

The model's own messages to the reader — why an option fails the EU state-aid check —
are made where the rules are (:meth:`simcrm.levers.base.Lever.state_aid`,
:func:`simcrm.analysis.state_aid.amount_problems`) as a :class:`Reason` with both
texts, so a Dutch report states them in Dutch; numbers follow each language's style
(:func:`num`, :func:`pct`), as the charts and reports write them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

NBSP = "\u00a0"
NL = "nl"


def general(x: float) -> str:
    """``f"{x:g}"`` with a decimal comma (Dutch)."""
    return f"{x:g}".replace(".", ",")


def num(x: float, lang: str, digits: int = 0) -> str:
    """A number with thousands separators in the style of the language."""
    s = f"{x:,.{digits}f}"
    if lang == "nl":
        s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return s.replace("-", "−")


def pct(p: float, lang: str, digits: int = 0) -> str:
    """A share as a percentage, e.g. ``19 %``."""
    return f"{num(100 * p, lang, digits)}{NBSP}%"


@dataclass(frozen=True)
class Reason:
    """Why a lever's settings or an option's aid break an EU state-aid limit, in English
    (``en``) and Dutch (``nl``)."""

    en: str
    nl: str

    def text(self, lang: str) -> str:
        """The reason in ``lang`` (``"nl"``, else English)."""
        return self.nl if lang == "nl" else self.en


def joined(reasons: Iterable[Reason], lang: str) -> str:
    """The reasons in ``lang``, joined by ``"; "`` (empty: none)."""
    return "; ".join(r.text(lang) for r in reasons)
