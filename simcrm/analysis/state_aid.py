"""The EU state-aid check of each option.

Two kinds of limit (settings ``[state_aid]``, sources in the scenario reference):

* **instrument limits**, judged on the option's settings by each lever
  (:meth:`simcrm.levers.base.Lever.state_aid`): electricity-price relief of at most
  3 years, 50 % of the wholesale price, on 50 % of consumption, never below
  50 EUR/MWh (CISAF); indirect carbon-cost compensation of at most 75 %; an energy
  investment deduction of at most 40 % of listed assets;
* **amount limits**, judged on the simulated aid: the gross grant equivalent of all
  levers together at most the per-project cap (CISAF: EUR 200 M), and — by the
  method — an aid intensity at most ``max_intensity`` (``intensity``), or no
  over-compensation: the mean NPV with the aid at most ``overcompensation_share`` of
  the aid (``funding_gap``); a tender sets the amount itself (``tender``).

An option that fails is still simulated; ``state_aid_ok`` is 0 and
``state_aid_reason`` says why, in words (``state_aid_reason_nl`` in Dutch, for the
Dutch charts and report).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from simcrm import levers
from simcrm.spec import outputs
from simcrm.spec.distributions import Dist
from simcrm.spec.wording import NBSP, NL, Reason, joined, num, pct

LIMIT_KEYS = ("project_cap_meur", "method", "max_intensity", "overcompensation_share")
"""The amount limits, stored as ``state_aid_<key>`` attributes of a results file."""


def limits_of(settings: dict) -> dict:
    """The ``state_aid.*`` settings without their prefix."""
    return {k.removeprefix("state_aid."): v for k, v in settings.items()
            if k.startswith("state_aid.")}


def instrument_reasons(sc) -> np.ndarray:
    """Why each option's levers break an instrument limit, per option × world.

    Parameters
    ----------
    sc : simcrm.spec.scenario.Scenario

    Returns
    -------
    ndarray of list of :class:`~simcrm.spec.wording.Reason`, shape (option, world)
        Empty lists where none.
    """
    lim = limits_of(sc.settings)
    out = np.empty((len(sc.options), len(sc.worlds)), dtype=object)
    for wi, w in enumerate(sc.worlds.values()):
        inputs = {k: (v.mean() if isinstance(v, Dist) else v) for k, v in w.inputs.items()}
        for oi, o in enumerate(sc.options.values()):
            out[oi, wi] = [r for lev, s in levers.active(o.levers)
                           for r in lev.state_aid(s, lim, inputs)]
    return out


def instrument_problems(sc, lang: str = "en", reasons: np.ndarray | None = None) -> np.ndarray:
    """:func:`instrument_reasons` in ``lang``, joined by "; " (empty where none), shape
    (option, world); ``reasons`` if they are at hand."""
    reasons = instrument_reasons(sc) if reasons is None else reasons
    return np.vectorize(lambda rs: joined(rs, lang), otypes=[str])(reasons)


def amount_problems(gge: float, intensity: float, npv_mean: float, lim: dict) -> list[Reason]:
    """Why the simulated aid of one option in one world breaks an amount limit, in
    English and Dutch.

    Parameters
    ----------
    gge : float
        Expected gross grant equivalent [MEUR].
    intensity : float
        Aid intensity [1].
    npv_mean : float
        Mean NPV with the aid, at the investor's discount rate [MEUR].
    lim : dict
        :data:`LIMIT_KEYS` values.
    """
    out = []
    mln = lambda x: f"{num(x, NL)}{NBSP}mln EUR"  # noqa: E731
    cap = float(lim["project_cap_meur"])
    if gge > cap:
        out.append(Reason(
            f"grant equivalent {gge:,.0f} MEUR is above the per-project cap of {cap:,.0f} MEUR",
            f"het steunequivalent van {mln(gge)} ligt boven het plafond per project van "
            f"{mln(cap)}"))
    method = lim["method"]
    if method == "intensity" and np.isfinite(intensity) and intensity > lim["max_intensity"]:
        top = float(lim["max_intensity"])
        out.append(Reason(
            f"aid intensity {intensity:.0%} is above the maximum of {top:.0%} of eligible "
            "costs",
            f"de steunintensiteit van {pct(intensity, NL)} ligt boven het maximum van "
            f"{pct(top, NL)} van de in aanmerking komende kosten"))
    share = float(lim["overcompensation_share"])
    if method == "funding_gap" and gge > 0.5 and npv_mean > share * gge:
        out.append(Reason(
            f"over-compensates: mean NPV with the aid is {npv_mean:,.0f} MEUR, more than "
            f"{share:.0%} of the aid ({gge:,.0f} MEUR) — the aid exceeds the funding gap",
            f"overcompensatie: de gemiddelde NCW met de steun is {mln(npv_mean)}, meer dan "
            f"{pct(share, NL)} van de steun ({mln(gge)}) — de steun is groter dan het "
            "financieringstekort"))
    return out


def judge(summary: xr.Dataset, ds: xr.Dataset) -> xr.Dataset:
    """``state_aid_ok``, ``state_aid_reason`` and ``state_aid_reason_nl`` (the reason in
    Dutch) of every option × world, into ``summary``.

    Parameters
    ----------
    summary : xarray.Dataset
        With ``gross_grant_equivalent_mean``, ``aid_intensity``, ``npv_mean``.
    ds : xarray.Dataset
        The results: ``state_aid_rules`` and ``state_aid_rules_nl`` (option, world) and
        the ``state_aid_*`` attributes; results without them (written before the check
        existed) give NaN and an empty reason, results without the Dutch rules (written
        before they existed) the English reason in both.
    """
    O, W = summary.sizes["option"], summary.sizes["world"]
    ok = np.full((O, W), np.nan)
    reason = {lang: np.full((O, W), "", dtype=object) for lang in ("en", NL)}
    if "state_aid_rules" in ds and all(f"state_aid_{k}" in ds.attrs for k in LIMIT_KEYS):
        lim = {k: ds.attrs[f"state_aid_{k}"] for k in LIMIT_KEYS}
        rules = {"en": ds["state_aid_rules"].transpose("option", "world").values}
        dutch = "state_aid_rules_nl" in ds
        if dutch:
            rules[NL] = ds["state_aid_rules_nl"].transpose("option", "world").values
        # the three statistics as arrays (a Dataset.isel per cell took 0.2 s)
        gge, intensity, npv = (summary[k].transpose("option", "world").values for k in (
            "gross_grant_equivalent_mean", "aid_intensity_mean", "npv_mean"))
        for o in range(O):
            for w in range(W):
                amounts = amount_problems(float(gge[o, w]), float(intensity[o, w]),
                                          float(npv[o, w]), lim)
                for lang, r in rules.items():
                    problems = [x for x in [_text(r[o, w])] if x]
                    reason[lang][o, w] = "; ".join(problems + [a.text(lang) for a in amounts])
                ok[o, w] = 0.0 if reason["en"][o, w] else 1.0
        if not dutch:
            reason[NL] = reason["en"]
    summary["state_aid_ok"] = (("option", "world"), ok, summary["state_aid_ok"].attrs)
    summary["state_aid_reason"] = (("option", "world"), reason["en"].astype(str),
                                   outputs.attrs("state_aid_reason"))
    summary["state_aid_reason_nl"] = (("option", "world"), reason[NL].astype(str),
                                      outputs.attrs("state_aid_reason_nl"))
    return summary


def _text(x) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)
