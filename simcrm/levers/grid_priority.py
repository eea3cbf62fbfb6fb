"""Grid priority: a cap on the wait for the grid connection."""

from __future__ import annotations

from simcrm.levers.base import Lever, param
from simcrm.spec.registry import REQUIRED


class GridPriority(Lever):
    """Moves the schedule: caps the grid-connection wait."""

    def schedule(self, s):
        return {"grid_cap_months": s["cap_months"]}


LEVER = GridPriority(
    name="grid_priority", order=80, stage="schedule",
    label_en="Grid priority", label_nl="Voorrang op het net",
    description="Priority in the queue for a grid connection.",
    params=(
        param("grid_priority.cap_months", "float", "months", REQUIRED,
              "Maximum wait for the grid connection.", lo=0, hi=360),
    ),
    setting_labels={"cap_months": ("Grid wait cap", "Maximale wachttijd net")},
)
