"""Simple bar pictures for progress and wellbeing, drawn as vectors so they print crisply."""

from __future__ import annotations

from reportlab.graphics.shapes import Drawing, Line, Rect
from reportlab.lib import colors

from sp_desktop.pdf.styles import BAR_TRACK, INK


def bar(width: float, height: float, filled: int | None, fill: colors.Color, *,
        out_of: int = 10) -> Drawing:
    """A horizontal bar ``filled``/``out_of`` full inside an outlined track.

    The outline shows the whole length, so a short bar still reads as "a little of the way";
    tick marks at each fifth of the track help eyes judge "about half" without numbers.
    Nothing is drawn inside the track when ``filled`` is None (the person did not say).
    """
    drawing = Drawing(width, height)
    stroke = 0.9
    radius = height / 3
    inner_w = width - stroke
    inner_h = height - stroke
    drawing.add(Rect(stroke / 2, stroke / 2, inner_w, inner_h, rx=radius, ry=radius,
                     fillColor=BAR_TRACK, strokeColor=INK, strokeWidth=stroke))
    if filled:
        length = inner_w * min(filled, out_of) / out_of
        drawing.add(Rect(stroke / 2, stroke / 2, length, inner_h, rx=radius, ry=radius,
                         fillColor=fill, strokeColor=INK, strokeWidth=stroke))
    for fifth in range(1, 5):
        x = stroke / 2 + inner_w * fifth / 5
        drawing.add(Line(x, stroke / 2, x, stroke / 2 + inner_h * 0.3,
                         strokeColor=INK, strokeWidth=0.5))
    return drawing
