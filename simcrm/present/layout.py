"""An automatic check that a chart survives printing on A4.

After drawing, every visible text of a figure is measured
(:meth:`matplotlib.text.Text.get_window_extent`): no two texts may overlap, no text
may reach outside the figure, and the smallest text, printed with the figure
scaled to the width of a note (16 cm), must be at least 8 pt
(``shared/briefing-style.md``).
"""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
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
