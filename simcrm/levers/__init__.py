"""Policy levers: one module each, through one protocol (:class:`~simcrm.levers.base.Lever`).

Every module of this package other than :mod:`~simcrm.levers.base` defines one lever
as ``LEVER = ...``; they are found at import.  A lever defined elsewhere (a plug-in,
a test) joins with :func:`register` and leaves with :func:`unregister`.

:data:`LEVERS` holds the levers by name in their fixed order (:attr:`Lever.order`),
the order in which the model applies them within a stage; the scenario's
validator, the scenario reference, labels and the result attributes read their
declarations from here.

Adding a lever
--------------
Write one module here: a subclass of :class:`~simcrm.levers.base.Lever` that
overrides the hooks of the stages where it acts, and ``LEVER = ...`` with its
name, a free :attr:`~simcrm.levers.base.Lever.order`, its settings (with units,
ranges, defaults and their sources), labels, line and government flow.  Then
regenerate the scenario reference (``make reference``).  Nothing else changes: the
validator, the model, the labels and the result attributes read the declaration.

Government accounting
---------------------
Outlays are what the state pays: grants, subsidies, energy relief, price-floor
payments, the interest subsidy and expected default loss of a public loan, the
default loss under a guarantee, public purchases of output and the tax forgone
through a deduction.  Receipts are what flows back: price-floor paybacks of a
two-sided contract, guarantee fees and the resale value of purchased output.  The
plant's corporate tax is counted separately in the net public cost.
"""

from __future__ import annotations

import importlib
import pkgutil

from simcrm.levers.base import STAGES, Booking, Lever, covered_production, window, window_params
from simcrm.spec.registry import Param

__all__ = ["LEVERS", "STAGES", "Booking", "Lever", "active", "covered_production", "gov_lines",
           "lever_params", "plant_lines", "register", "setting_params", "unregister", "window",
           "window_params"]

LEVERS: dict[str, Lever] = {}
"""Lever name -> lever, in the fixed order of :attr:`Lever.order`."""


def register(lever: Lever) -> Lever:
    """Add a lever to :data:`LEVERS` (at its place in the fixed order).

    Raises
    ------
    ValueError
        If the name or order is taken, the stage is unknown, a setting's key does
        not start with ``<name>.`` or the intensity names no numeric setting.
    """
    if lever.name in LEVERS:
        raise ValueError(f"a lever named {lever.name!r} is registered already")
    if not lever.name.isidentifier():
        raise ValueError(f"lever name {lever.name!r} must be an identifier")
    if lever.stage not in STAGES:
        raise ValueError(f"lever {lever.name!r}: stage {lever.stage!r} is not one of {STAGES}")
    taken = {lv.order: lv.name for lv in LEVERS.values()}
    if lever.order in taken:
        raise ValueError(f"lever {lever.name!r}: order {lever.order} is taken by "
                         f"{taken[lever.order]!r}")
    for p in lever.params:
        if p.section != lever.name:
            raise ValueError(f"lever {lever.name!r}: setting {p.key!r} must start with "
                             f"'{lever.name}.'")
    if lever.intensity is not None:
        p = next((p for p in lever.params if p.name == lever.intensity), None)
        if p is None or p.kind not in ("float", "int"):
            raise ValueError(f"lever {lever.name!r}: intensity {lever.intensity!r} must name "
                             "one of its numeric settings")
    items = sorted([*LEVERS.values(), lever], key=lambda lv: lv.order)
    LEVERS.clear()
    LEVERS.update((lv.name, lv) for lv in items)
    return lever


def unregister(name: str) -> None:
    """Remove the lever ``name`` from :data:`LEVERS`."""
    del LEVERS[name]


def active(option_levers: dict) -> list[tuple[Lever, dict]]:
    """The option's levers with their settings, in the fixed lever order.

    Parameters
    ----------
    option_levers : dict
        Lever name -> settings, as in :class:`simcrm.spec.scenario.Option`.
    """
    unknown = set(option_levers) - set(LEVERS)
    if unknown:
        raise KeyError(f"unknown levers: {', '.join(sorted(unknown))}")
    return [(lv, option_levers[name]) for name, lv in LEVERS.items() if name in option_levers]


def lever_params() -> list[Param]:
    """The settings of every lever, lever by lever in the fixed order."""
    return [p for lv in LEVERS.values() for p in lv.params]


def setting_params() -> dict[str, Param]:
    """Lever settings by dotted key ``LEVER.SETTING``."""
    return {p.key: p for p in lever_params()}


def plant_lines(financing: bool) -> dict[str, str]:
    """The levers' plant lines (name -> long name): the financing ones or the others."""
    return {lv.line: lv.line_description for lv in LEVERS.values()
            if lv.line and (lv.stage == "financing") == financing}


def gov_lines() -> dict[str, str]:
    """Government flows booked by levers: ``gov_<name>`` -> long name."""
    return {f"gov_{lv.name}": lv.gov_description for lv in LEVERS.values() if lv.gov_description}


def _discover() -> None:
    for mod in pkgutil.iter_modules(__path__):
        if mod.name == "base" or mod.name.startswith("_"):
            continue
        register(importlib.import_module(f"{__name__}.{mod.name}").LEVER)


_discover()
