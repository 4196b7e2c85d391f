"""A class's procedure steps → a flow diagram as SVG, drawn at build time.

An intranet has no diagram service and staff print the guides, so the
diagram is a plain SVG file: boxes top to bottom, one per step, with who,
the time limit and the document, joined by arrows. Text widths are
estimated (a CJK character is one em, other characters about half), which
is enough to wrap lines inside a fixed-width box; the fonts named are the
usual Chinese system fonts, with the generic sans-serif last.
"""

from __future__ import annotations

import re
from html import escape  # quotes too: the same rule for text and attributes as on the pages

from ..contract import GuideStep
from .text import estimated_width, wrapped

WIDTH = 640
BOX_X, BOX_WIDTH = 40, 560
PADDING = 12
INK = "#b71c1c"  # the theme's red
FONT = 15  # px
LINE = 22  # px between baselines
GAP = 34  # px between boxes (room for the arrow)
FONT_FAMILY = "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','SimHei','WenQuanYi Micro Hei',sans-serif"


def text_width(text: str, size: int = FONT) -> float:
    return estimated_width(text, size, 0.55)


def wrap(text: str, width: float, size: int = FONT) -> list[str]:
    """Greedy wrap by estimated width; Chinese breaks anywhere."""
    return wrapped(text, width, size, 0.55) or [""]


def step_lines(number: int, step: GuideStep) -> list[tuple[str, bool]]:
    """(line, bold) for one box: the step's name, then who, when and which document."""
    inner = BOX_WIDTH - 2 * PADDING
    lines = [(line, True) for line in wrap(f"{number}. {step.name}", inner)]
    details = [f"责任主体：{step.actor}" + (f" · 时限：{step.days} 日" if step.days is not None else "")]
    if step.document:
        details.append(f"文书：{step.document}")
    for detail in details:
        lines += [(line, False) for line in wrap(detail, inner)]
    return lines


def flow_svg(steps: list[GuideStep], title: str) -> str:
    """The whole diagram as an SVG document (deterministic: same steps, same bytes)."""
    parts: list[str] = []
    y = 20
    boxes = [step_lines(number, step) for number, step in enumerate(steps, start=1)]
    for index, lines in enumerate(boxes):
        height = 2 * PADDING + LINE * len(lines) - (LINE - FONT) + 4
        parts.append(
            f'<rect x="{BOX_X}" y="{y}" width="{BOX_WIDTH}" height="{height}" rx="6" '
            f'fill="#fff8f6" stroke="{INK}" stroke-width="1.5"/>'
        )
        baseline = y + PADDING + FONT
        for line, bold in lines:
            weight = ' font-weight="bold"' if bold else ""
            parts.append(f'<text x="{BOX_X + PADDING}" y="{baseline}"{weight}>{escape(line)}</text>')
            baseline += LINE
        y += height
        if index < len(boxes) - 1:
            x, tip = BOX_X + BOX_WIDTH // 2, y + GAP - 1
            parts.append(f'<line x1="{x}" y1="{y}" x2="{x}" y2="{tip - 7}" stroke="{INK}" stroke-width="1.5"/>')
            parts.append(f'<path d="M{x - 6} {tip - 9} L{x} {tip} L{x + 6} {tip - 9} Z" fill="{INK}"/>')
            y += GAP
    total = y + 20
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {total}" width="{WIDTH}" height="{total}" '
        f'role="img" aria-label="{escape(title)}" font-family="{FONT_FAMILY}" '
        f'font-size="{FONT}" fill="#212121">'
    )
    return "\n".join([head, f"<title>{escape(title)}</title>", *parts, "</svg>", ""])


def size_of(svg: str) -> tuple[int, int]:
    """(width, height) in px of a diagram made by flow_svg."""
    match = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert match, "flow_svg always writes a viewBox"
    return int(match.group(1)), int(match.group(2))
