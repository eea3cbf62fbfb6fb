"""Development before the investment decision: what waiting risks.

A project is developed from ``start`` (years after the valuation year) until its
final investment decision (FID).  FID can only come once the permit is
irrevocable (permit plus any appeal) and the grid connection date fits
construction.  While it waits, two things can end the project for good:

* the permit is refused or becomes impossible (e.g. on nitrogen deposition), with
  a constant annual hazard ``refusal_hazard`` while the permit procedure runs;
* the market window closes (the offtaker or the financier walks away), with a
  constant annual hazard ``window_hazard`` during the whole development.

A constant hazard ``h`` [1/yr] gives an exponential time to the event,
``-ln(u) / h`` for a uniform ``u``, so the chance the project survives a wait
of ``w`` years is ``exp(-h w)``: a longer wait is always riskier.
"""

from __future__ import annotations

import numpy as np


def time_to_event(u, hazard) -> np.ndarray:
    """Exponential time to an event with a constant annual hazard [years].

    Parameters
    ----------
    u : ndarray, shape (draw,)
        Uniform numbers in (0, 1).
    hazard : array_like
        Annual hazard [1/yr]; 0 means never (infinite time).

    Returns
    -------
    ndarray, shape (draw,) [years]
    """
    hazard = np.broadcast_to(np.asarray(hazard, float), np.shape(u))
    with np.errstate(divide="ignore"):
        return np.where(hazard > 0, -np.log(u) / np.where(hazard > 0, hazard, 1.0), np.inf)


def development_outcome(start, permit_years, fid_years, refusal_time, window_time):
    """When development ends, and whether it ends in an investment decision.

    Parameters
    ----------
    start : array_like
        Start of development [years after the start of the valuation year].
    permit_years : ndarray, shape (draw,)
        Time from the start of development until the permit is irrevocable [years].
    fid_years : ndarray, shape (draw,)
        Time from the start of development until FID: the permit is irrevocable and
        the grid date fits construction [years]; ``fid_years >= permit_years``.
    refusal_time, window_time : ndarray, shape (draw,)
        Times from the start of development to a refusal and to the market window
        closing (:func:`time_to_event`) [years].

    Returns
    -------
    end : ndarray, shape (draw,)
        When development ends: at FID, or when the project is stopped [years after
        the start of the valuation year].
    reached_fid : ndarray of bool, shape (draw,)
        Whether the project reached FID (neither refused nor lost before it).
    refused, lost : ndarray of bool, shape (draw,)
        Stopped by a refusal of the permit, or by the market window closing (the
        earlier of the two where both would happen).
    """
    start = np.broadcast_to(np.asarray(start, float), np.shape(fid_years))
    refused = refusal_time < permit_years
    stop_refused = np.where(refused, refusal_time, np.inf)
    lost_at = np.where(window_time < fid_years, window_time, np.inf)
    stop = np.minimum(stop_refused, lost_at)
    reached = ~np.isfinite(stop)
    refused = refused & (stop_refused <= lost_at)
    lost = ~reached & ~refused
    end = start + np.where(reached, fid_years, stop)
    return end, reached, refused, lost
