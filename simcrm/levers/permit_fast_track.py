"""Permit fast track: a cap on the permit time and a faster procedure."""

from __future__ import annotations

from simcrm.levers.base import Lever, param


class PermitFastTrack(Lever):
    """Moves the schedule: caps and scales the permit time including appeals."""

    def schedule(self, s):
        return {"permit_cap_months": s["cap_months"], "permit_scale": s["scale"]}


LEVER = PermitFastTrack(
    name="permit_fast_track", order=70, stage="schedule",
    label_en="Permit fast track", label_nl="Snelle vergunning",
    description="A legal cap on the permit time and a faster procedure.",
    params=(
        param("permit_fast_track.cap_months", "float", "months", None,
              "Maximum permit time including appeals (EU CRMA for strategic processing "
              "projects: 15).", lo=0, hi=360),
        param("permit_fast_track.scale", "float", "1", 1.0,
              "Multiplier on the permit and appeal time (e.g. 0.8 for a central contact point).",
              lo=0, hi=1),
    ),
    setting_labels={
        "cap_months": ("Permit cap", "Maximale vergunningsduur"),
        "scale": ("Permit time factor", "Factor vergunningsduur"),
    },
)
