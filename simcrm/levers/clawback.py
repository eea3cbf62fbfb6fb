"""Clawback: the option's grants come back if the plant stops early, and upside is shared.

Two triggers, both on the grants the plant received from the option's capex-stage
levers (the capex grant):

* **early stop**: when the sponsor walks away (closes the plant for good) within
  ``stop_years`` of first production, the grants are repaid in proportion to the part
  of that period the plant did not run — as the EU cohesion rules recover aid from an
  operation that stops within five years (durability, Regulation (EU) 2021/1060
  Art. 65) — of which the state recovers ``recovery_rate`` (its claim ranks with the
  other creditors of a plant that has stopped); booked in the year of the stop;
* **upside sharing**: once the sponsor's equity cash flow, compounded at
  ``return_threshold``, has turned positive (the sponsor has earned that return), the
  state takes ``upside_share`` of every further positive cash flow, until it has
  received ``upside_cap_share`` of the grants.

Both are receipts of the state and payments of the sponsor.  The grants' aid is
counted where they are paid (ex ante, at face value): the clawback books no aid.
"""

from __future__ import annotations

import numpy as np

from simcrm.levers.base import Booking, Lever, param


def early_stop(s: dict, grant, close, first) -> np.ndarray:
    """Repayment of the grants after a stop within ``stop_years`` [MEUR/yr].

    Parameters
    ----------
    s : dict
        The lever's settings.
    grant : ndarray, shape (draw, year)
        Grants received [MEUR/yr].
    close : ndarray of int, shape (draw,), or None
        Year index of the stop (-1 or None: never).
    first : ndarray, shape (draw,)
        First production [years from the valuation year's start].
    """
    n, T = grant.shape
    out = np.zeros((n, T))
    if close is None:
        return out
    ran = close + 1 - np.floor(first)  # whole years from the first production year
    N = float(s["stop_years"])
    early = (close >= 0) & (ran < N)
    claim = grant.sum(axis=1) * np.clip((N - ran) / N, 0.0, 1.0) * s["recovery_rate"]
    rows = np.flatnonzero(early)
    out[rows, close[rows]] = claim[rows]
    return out


def upside(s: dict, ncf, grant, rate) -> np.ndarray:
    """The state's share of the sponsor's cash flow above the threshold return [MEUR/yr].

    Parameters
    ----------
    s : dict
        The lever's settings.
    ncf : ndarray, shape (draw, year)
        The sponsor's equity cash flow [MEUR/yr].
    grant : ndarray, shape (draw, year)
        Grants received [MEUR/yr].
    rate : ndarray, shape (draw,)
        The investor's discount rate, the threshold by default [1/yr].
    """
    n, T = ncf.shape
    out = np.zeros((n, T))
    if s["upside_share"] == 0:
        return out
    thr = rate if s["return_threshold"] is None else np.full(n, s["return_threshold"])
    room = s["upside_cap_share"] * grant.sum(axis=1)
    balance = np.zeros(n)
    for t in range(T):  # sequential: the balance compounds
        balance = balance * (1.0 + thr) + ncf[:, t]
        pay = np.minimum(s["upside_share"] * np.maximum(np.minimum(balance, ncf[:, t]), 0.0),
                         room)
        room = room - pay
        balance = balance - pay
        out[:, t] = pay
    return out


class Clawback(Lever):
    """Acts on the sponsor's equity cash flow once it is known."""

    def equity(self, s, view):
        back = early_stop(s, view.grant, view.close, view.plant.s) + upside(
            s, view.ncf, view.grant, view.rate)
        return Booking(-back, np.zeros_like(back), back, np.zeros_like(back))


LEVER = Clawback(
    name="clawback", order=105, stage="financing",
    label_en="Grant clawback", label_nl="Terugvordering subsidie",
    description="The option's grants are repaid (pro rata) if the plant stops within "
                "stop_years of first production, and the state shares the upside above a "
                "return threshold, up to the grants. Budget cash: receipts; no aid of its own.",
    params=(
        param("clawback.stop_years", "float", "years", 5.0,
              "Years from first production within which a stop makes the grants repayable, "
              "in proportion to the years not run.", lo=1, hi=50,
              source="durability of operations: five years after the final payment, "
                     "recovered in proportion to the period not fulfilled (Regulation (EU) "
                     "2021/1060 Art. 65, https://eur-lex.europa.eu/eli/reg/2021/1060/oj)"),
        param("clawback.recovery_rate", "float", "1", 0.4,
              "Share of the repayment claim the state recovers from a plant that stopped.",
              lo=0, hi=1,
              source="assumption: an unsecured claim on a stopped plant, like the public "
                     "loan's recovery of about 40 %"),
        param("clawback.upside_share", "float", "1", 0.0,
              "Share of the sponsor's cash flow above the threshold return that goes to the "
              "state (0: no upside sharing).", lo=0, hi=1),
        param("clawback.return_threshold", "float", "1/yr", None,
              "Equity return above which the upside is shared (default: the investor's "
              "discount rate).", lo=-0.5, hi=1),
        param("clawback.upside_cap_share", "float", "1", 1.0,
              "Largest upside payment in all, as a share of the grants received.", lo=0,
              hi=10, source="assumption: the state takes back at most what it granted"),
    ),
    setting_labels={
        "upside_share": ("Upside share to the state", "Winstdeling met de staat"),
        "stop_years": ("Clawback period", "Terugvorderingstermijn"),
    },
    line="clawback", line_description="Grant clawback: repayment after an early stop and "
                                      "upside shared with the state",
    gov_description="Grant clawback: repayments and upside received",
)
