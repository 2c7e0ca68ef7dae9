"""Simple bar pictures for progress and wellbeing, drawn as vectors so they print crisply."""

from __future__ import annotations

from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors

from sp_desktop.pdf import fonts
from sp_desktop.pdf.styles import BAR_TRACK, INK


def bar(
    width: float, height: float, filled: int | None, fill: colors.Color, *, out_of: int = 10
) -> Drawing:
    """A horizontal bar ``filled``/``out_of`` full inside an outlined track.

    The outline shows the whole length, so a short bar still reads as "a little of the way".
    When ``filled`` is None (the person preferred not to say) nothing is drawn at all: an empty
    track would look like a zero, and a declined answer is not a zero.
    """
    drawing = Drawing(width, height)
    # Reportlab otherwise starts every drawing by selecting Helvetica, which is never embedded.
    drawing.initialFontName = fonts.MAIN
    if filled is None:
        return drawing
    stroke = 0.9
    radius = height / 3
    inner_w = width - stroke
    inner_h = height - stroke
    drawing.add(
        Rect(
            stroke / 2,
            stroke / 2,
            inner_w,
            inner_h,
            rx=radius,
            ry=radius,
            fillColor=BAR_TRACK,
            strokeColor=INK,
            strokeWidth=stroke,
        )
    )
    if filled:
        length = inner_w * min(filled, out_of) / out_of
        drawing.add(
            Rect(
                stroke / 2,
                stroke / 2,
                length,
                inner_h,
                rx=radius,
                ry=radius,
                fillColor=fill,
                strokeColor=INK,
                strokeWidth=stroke,
            )
        )
    return drawing
