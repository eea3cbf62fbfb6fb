"""An automatic check that a chart survives printing on A4.

After drawing, every visible text of a figure is measured
(:meth:`matplotlib.text.Text.get_window_extent`): no two texts may overlap, no text
may reach outside the figure, and the smallest text, printed with the figure
scaled to the width of a note (16 cm), must be at least 8 pt
(``shared/briefing-style.md``).
"""

from __future__ import annotations

import colorsys

import matplotlib.colors as mcolors
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import Collection, QuadMesh
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

PRINT_WIDTH_CM = 16.0
"""Width of a chart in a printed note [cm]."""
MIN_PT = 8.0
"""Smallest printed text [pt]."""


def texts(fig: Figure) -> list[Text]:
    """Every visible, non-empty text of the figure (titles, labels, ticks, legends,
    annotations, colour bars)."""
    hidden = set()
    for ax in fig.axes:
        if not ax.axison:
            for axis in (ax.xaxis, ax.yaxis):
                hidden.update(id(x) for x in [axis.label, *axis.get_ticklabels(which="both")])
                hidden.update(id(x) for tk in [*axis.majorTicks, *axis.minorTicks]
                              for x in (tk.label1, tk.label2))
            continue
        for axis in (ax.xaxis, ax.yaxis):
            if not axis.get_visible():
                hidden.update(id(x) for tk in [*axis.majorTicks, *axis.minorTicks]
                              for x in (tk.label1, tk.label2))
                continue
            shown = {id(x) for tk in axis._update_ticks() for x in (tk.label1, tk.label2)}
            for tk in [*axis.majorTicks, *axis.minorTicks]:
                for x in (tk.label1, tk.label2):
                    if id(x) not in shown:
                        hidden.add(id(x))
    out = []
    for t in fig.findobj(Text):
        if id(t) in hidden:
            continue
        if not t.get_visible() or not t.get_text().strip():
            continue
        ax = t.axes
        if ax is not None and not ax.get_visible():
            continue
        if t.get_alpha() == 0:
            continue
        out.append(t)
    return out




def check(fig: Figure, width_cm: float = PRINT_WIDTH_CM, min_pt: float = MIN_PT,
          tol_px: float = 0.5) -> list[str]:
    """Layout problems of a figure; an empty list when it is fit to print.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    width_cm : float
        Printed width of the figure [cm].
    min_pt : float
        Smallest allowed printed text size [pt].
    tol_px : float
        Overlaps and overhangs up to this many pixels are ignored [px].

    Returns
    -------
    list of str
        One line per problem: the text (shortened) and what is wrong.
    """
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    W, H = fig.bbox.width, fig.bbox.height
    scale = (width_cm / 2.54) / fig.get_figwidth()
    items = []
    problems = []
    for t in texts(fig):
        bb = t.get_window_extent(r)
        if bb.width <= 0 or bb.height <= 0:
            continue
        name = t.get_text().replace("\n", " ")[:40]
        pt = t.get_fontsize() * scale
        if pt < min_pt - 1e-6:
            problems.append(f"too small: {name!r} prints at {pt:.1f} pt")
        if bb.x0 < -tol_px or bb.y0 < -tol_px or bb.x1 > W + tol_px or bb.y1 > H + tol_px:
            problems.append(f"outside the figure: {name!r}")
        items.append((name, bb))
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            a, b = items[i][1], items[j][1]
            w = min(a.x1, b.x1) - max(a.x0, b.x0)
            h = min(a.y1, b.y1) - max(a.y0, b.y0)
            if w > tol_px and h > tol_px:
                problems.append(f"overlap: {items[i][0]!r} and {items[j][0]!r}")
    return problems


def _hue_class(rgba) -> str | None:
    """``"red"``, ``"green"`` or None for a colour (saturated, visible colours only)."""
    r, g, b, a = rgba
    if a < 0.05:
        return None
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    if s < 0.35 or v < 0.25:
        return None
    deg = h * 360
    if deg < 20 or deg >= 340:
        return "red"
    if 75 <= deg < 170:
        return "green"
    return None


def colours(fig: Figure) -> set[tuple[float, float, float, float]]:
    """Every fill, edge and line colour the figure's artists draw with (texts, axes and
    the figure's background left out)."""
    out = set()

    def add(c):
        if c is None or (isinstance(c, str) and c == "none"):
            return
        for row in np.atleast_2d(mcolors.to_rgba_array(c)):
            out.add(tuple(float(x) for x in row))

    for ax in fig.axes:
        skip = {id(ax.patch), *(id(s) for s in ax.spines.values())}
        for a in ax.findobj():
            if id(a) in skip or not getattr(a, "get_visible", lambda: True)():
                continue
            if isinstance(a, Line2D):
                add(a.get_color())
                add(a.get_markerfacecolor())
            elif isinstance(a, QuadMesh):
                continue  # colour-bar ramps: one hue each
            elif isinstance(a, Collection):
                add(a.get_facecolor())
                add(a.get_edgecolor())
            elif isinstance(a, Patch):
                add(a.get_facecolor())
                add(a.get_edgecolor())
    return out


def red_green(fig: Figure) -> list[str]:
    """A problem line when the figure draws with both a red-ish and a green-ish colour
    (the pair most colour-blind readers cannot tell apart), else an empty list."""
    found: dict[str, tuple] = {}
    for c in colours(fig):
        k = _hue_class(c)
        if k and k not in found:
            found[k] = c
    if len(found) == 2:
        return [f"red/green pair: {mcolors.to_hex(found['red'])} and "
                f"{mcolors.to_hex(found['green'])}"]
    return []
