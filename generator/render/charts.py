"""Statistics → SVG charts (horizontal bars, lines), drawn at build time.

Why hand-written SVG rather than a chart library:

- Build time and offline: an office intranet has no CDN, so no JavaScript
  chart library is loaded in the page; the chart is finished markup pasted
  inline, and it shows the same with scripts off and on paper.
- Deterministic bytes: the same figures give the same string (no random ids,
  no timestamps, coordinates rounded to 0.1 px), so incremental builds and
  byte-comparing tests keep working.
- Text stays text: titles, labels and values are `<text>`, so the browser's
  find and the site search see them, screen readers read them, and they stay
  crisp at any zoom and in print. matplotlib's SVG embeds every glyph as a
  path by default and needs a CJK font file at build time to lay Chinese out.

Text widths are estimated (a CJK character is one em, any other about
0.6 em), which is enough to keep labels from running into each other; the
fonts named are the usual Chinese system fonts, generic sans-serif last.

Input rules: None (and NaN or infinity) means "no data": no bar, printed as
"—", a break in a line, never drawn as 0. Negative values are not expected
(the figures are counts, amounts and rates) and are treated as 0. Every text
from the arguments is escaped, quotes included: it comes from user YAML.
The output carries no namespace declaration or any other external reference:
it is meant for HTML5 inline SVG, where the parser supplies the namespace.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from .text import estimated_width, wrapped

WIDTH = 640
PAD = 12  # px around the drawing
FONT = 13  # px, labels, ticks and values
TITLE_FONT = 15  # px
TITLE_LINE = 21  # px between title baselines
FONT_FAMILY = '"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif'
STYLE = "max-width:640px;min-width:480px;height:auto;display:block"
PALETTE = ("#c62828", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f")
AXIS, GRID, INK = "#9e9e9e", "#e0e0e0", "#212121"
NO_DATA = "暂无数据"
MISSING = "—"  # printed for a value that is None
ELLIPSIS = "…"
MAX_LABEL = 12  # characters of a label printed; longer ones end in "…"
MAX_UNIT = 6  # characters of a unit printed after a value
MAX_X_LABELS = 12  # x labels printed under a line chart at most
ROW = 26  # px per bar-chart row
BAR = 16  # px bar thickness
VALUE_GAP = 6  # px between a bar's end and its value
MAX_VALUE_COLUMN = 200  # px kept right of the bars for their values, at most
PLOT_HEIGHT = 220  # px, line chart plot area
NICE = (1.0, 2.0, 2.5, 5.0)  # tick steps are one of these × 10^n

# Characters XML 1.0 does not allow in a document, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Series:
    """One line of a line chart."""

    name: str  # legend label, e.g. "2024年" or "信访总量"
    values: Sequence[float | None]  # one per x label; None = no data (a gap, never drawn as 0)


# ---------------------------------------------------------------- text and numbers


def clean(text: str) -> str:
    """Text as printed: characters XML cannot carry dropped, runs of white space made one space."""
    return " ".join(_NOT_XML.sub("", str(text)).split())


def esc(text: str) -> str:
    """Cleaned and escaped for element text and attribute values alike (& < > " ')."""
    return escape(clean(text), quote=True)


def text_width(text: str, size: int = FONT) -> float:
    """Estimated width in px: CJK and other wide characters one em, the rest 0.6 em."""
    return estimated_width(text, size, 0.6)


def truncate(text: str, limit: int = MAX_LABEL) -> str:
    """At most `limit` characters, the last one "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def wrap(text: str, width: float, size: int) -> list[str]:
    """Greedy wrap by estimated width (Chinese breaks anywhere)."""
    return wrapped(text, width, size, 0.6)


def format_value(value: float | None, *, percent: bool = False, unit: str = "") -> str:
    """A value as printed: "87.5%", "1,260件", "3.5万元", or "—" for no data.

    Percentages (fractions 0..1) always have one decimal and no unit; other
    values get thousands separators, one decimal only when not whole, then `unit`
    (its first 6 characters: a unit is a word like 件, 人次 or 万元).
    """
    if value is None:
        return MISSING
    if percent:
        return f"{value * 100:.1f}%"
    rounded = round(value, 1)
    number = f"{int(rounded):,}" if rounded == int(rounded) else f"{rounded:,.1f}"
    return number + truncate(clean(unit), MAX_UNIT)


def coordinate(value: float) -> str:
    """A coordinate with at most one decimal: 12, 12.5 (never "-0")."""
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def _values(values: Sequence[float | None]) -> list[float | None]:
    """None, NaN and infinity → None; negative → 0."""
    out: list[float | None] = []
    for value in values:
        if value is None or not math.isfinite(value):
            out.append(None)
        else:
            out.append(max(float(value), 0.0))
    return out


# ---------------------------------------------------------------- axis


def nice_ticks(maximum: float, *, whole: bool = False) -> list[float]:
    """Axis ticks from 0 in steps of 1, 2, 2.5 or 5 × 10^n: 4 to 6 of them, the last ≥ maximum.

    0 (or less) gives 0..1. With `whole` (every value a whole number) the step is at least 1.
    """
    if not maximum > 0 or not math.isfinite(maximum):
        return [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    exponent = math.floor(math.log10(maximum / 5))
    while True:
        for mantissa in NICE:
            step = mantissa * 10.0**exponent
            if whole and step < 1:
                continue
            intervals = math.ceil(maximum / step - 1e-9)
            if intervals <= 5:
                return [round(index * step, 10) for index in range(max(intervals, 3) + 1)]
        exponent += 1


def _decimals(step: float) -> int:
    """Decimals needed to print multiples of `step` exactly (2.5 → 1, 0.25 → 2, 20 → 0)."""
    for decimals in range(7):
        if abs(round(step, decimals) - step) < 1e-9 * max(1.0, step):
            return decimals
    return 6


def tick_labels(ticks: Sequence[float], *, percent: bool) -> list[str]:
    """Tick texts: "0%".."100%" or "0".."1,000" (no unit: the values carry it)."""
    scale = 100 if percent else 1
    decimals = _decimals(ticks[1] * scale) if len(ticks) > 1 else 0
    suffix = "%" if percent else ""
    return [f"{tick * scale:,.{decimals}f}{suffix}" for tick in ticks]


def axis_ticks(values: Sequence[float | None], *, percent: bool) -> list[float]:
    """The ticks for a chart of these values: percentages run 0–100% (further only if a value does)."""
    present = [value for value in values if value is not None]
    maximum = max(present, default=0.0)
    if percent:
        return nice_ticks(max(maximum, 1.0))
    whole = bool(present) and maximum >= 1 and all(value == int(value) for value in present)
    return nice_ticks(maximum, whole=whole)


# ---------------------------------------------------------------- frame


def _svg(title: str, height: float, body: list[str]) -> str:
    head = (
        f'<svg role="img" aria-label="{esc(title)}" viewBox="0 0 {WIDTH} {coordinate(height)}" width="100%" '
        f'style="{STYLE}" font-family=\'{FONT_FAMILY}\' font-size="{FONT}" fill="{INK}">'
    )
    return "\n".join([head, f"<title>{esc(title)}</title>", *body, "</svg>"])


def _title_block(title: str) -> tuple[list[str], float]:
    """The visible title (wrapped to the width) and the y below it."""
    lines = wrap(clean(title), WIDTH - 2 * PAD, TITLE_FONT)
    parts = [
        f'<text x="{PAD}" y="{PAD + TITLE_FONT + index * TITLE_LINE}" font-size="{TITLE_FONT}" '
        f'font-weight="bold">{escape(line, quote=True)}</text>'
        for index, line in enumerate(lines)
    ]
    return parts, PAD + len(lines) * TITLE_LINE + (6 if lines else 0)


def _empty(title: str) -> str:
    parts, y = _title_block(title)
    parts.append(f'<text x="{WIDTH // 2}" y="{coordinate(y + 24)}" text-anchor="middle" fill="{AXIS}">{NO_DATA}</text>')
    return _svg(title, y + 24 + PAD + 4, parts)


def _tooltip(label: str, value: str) -> str:
    return f"<title>{esc(label)}：{escape(value, quote=True)}</title>"


# ---------------------------------------------------------------- bar chart


def bar_chart(
    title: str, labels: Sequence[str], values: Sequence[float | None], *, percent: bool = False, unit: str = ""
) -> str:
    """Horizontal bar chart (one row per label, label left of its bar, value printed at the bar's end).

    Labels longer than 12 characters are cut with "…"; each row's `<title>`
    holds the full label and the exact value. `values` has one entry per label.
    """
    if len(values) != len(labels):
        raise ValueError(f"bar_chart: {len(labels)} labels but {len(values)} values")
    if not labels:
        return _empty(title)
    numbers = _values(values)
    printed = [format_value(value, percent=percent, unit=unit) for value in numbers]
    ticks = axis_ticks(numbers, percent=percent)
    names = [truncate(clean(label)) for label in labels]
    label_width = max(max(text_width(name) for name in names), FONT)
    value_column = min(max(text_width(text) for text in printed), MAX_VALUE_COLUMN) + VALUE_GAP + 4
    bar_x = PAD + label_width + 8
    span = WIDTH - PAD - value_column - bar_x
    body, top = _title_block(title)
    bottom = top + len(labels) * ROW
    scale = span / ticks[-1]
    body += _bar_grid(ticks, tick_labels(ticks, percent=percent), bar_x, scale, top, bottom)
    for index, (label, name, number, text) in enumerate(zip(labels, names, numbers, printed, strict=True)):
        body.append(_bar_row(label, name, number, text, top + index * ROW, bar_x, scale))
    return _svg(title, bottom + 16 + FONT, body)


def _bar_grid(
    ticks: Sequence[float], texts: Sequence[str], bar_x: float, scale: float, top: float, bottom: float
) -> list[str]:
    """Vertical grid lines at the ticks, their labels under the rows, the axis line at the bars' start."""
    parts = []
    # long tick labels on a narrow axis: label every second (or third) line only
    every = math.ceil((max(text_width(text) for text in texts) + 8) / (ticks[1] * scale))
    for index, (tick, text) in enumerate(zip(ticks, texts, strict=True)):
        x = coordinate(bar_x + tick * scale)
        if tick:
            parts.append(f'<line x1="{x}" y1="{coordinate(top)}" x2="{x}" y2="{coordinate(bottom)}" stroke="{GRID}"/>')
        if index % every == 0:
            y = coordinate(bottom + 16)
            parts.append(f'<text x="{x}" y="{y}" text-anchor="middle" fill="{AXIS}">{text}</text>')
    x = coordinate(bar_x)
    parts.append(f'<line x1="{x}" y1="{coordinate(top)}" x2="{x}" y2="{coordinate(bottom)}" stroke="{AXIS}"/>')
    return parts


def _bar_row(label: str, name: str, number: float | None, text: str, y: float, bar_x: float, scale: float) -> str:
    """One row as a group: its `<title>` (full label：value) shows on hovering anywhere in the row."""
    baseline = coordinate(y + ROW / 2 + FONT * 0.35)
    parts = [
        "<g>",
        _tooltip(label, text),
        f'<rect x="0" y="{coordinate(y)}" width="{WIDTH}" height="{ROW}" fill="#000" fill-opacity="0"/>',
        f'<text x="{coordinate(bar_x - 8)}" y="{baseline}" text-anchor="end">{escape(name, quote=True)}</text>',
    ]
    end = bar_x
    if number is not None:
        length = number * scale
        end = bar_x + length
        box = (
            f'x="{coordinate(bar_x)}" y="{coordinate(y + (ROW - BAR) / 2)}" width="{coordinate(length)}" height="{BAR}"'
        )
        parts.append(f'<rect {box} fill="{PALETTE[0]}"/>')
    parts.append(_bar_value(text, end, baseline, end - bar_x))
    parts.append("</g>")
    return "".join(parts)


def _bar_value(text: str, end: float, baseline: str, length: float) -> str:
    """The value after the bar's end; inside the bar (white) when it would leave the drawing."""
    width = text_width(text)
    escaped = escape(text, quote=True)
    if end + VALUE_GAP + width <= WIDTH - 4:
        return f'<text x="{coordinate(end + VALUE_GAP)}" y="{baseline}">{escaped}</text>'
    if length >= width + 2 * VALUE_GAP:
        x = coordinate(end - VALUE_GAP)
        return f'<text x="{x}" y="{baseline}" text-anchor="end" fill="#fff">{escaped}</text>'
    return f'<text x="{WIDTH - 4}" y="{baseline}" text-anchor="end">{escaped}</text>'


# ---------------------------------------------------------------- line chart


def line_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, percent: bool = False, unit: str = ""
) -> str:
    """Line chart over x labels (e.g. months "1月".."12月" or "2023-01".."2024-12"), one line per series,
    with a legend when there are 2+ series.

    At most 12 x labels are printed (always the first and the last, evenly
    spaced, fewer when they would touch). None breaks a line; a point with no
    neighbour is drawn as a dot. Each point's `<title>` holds label：value.
    Every series has one value per label.
    """
    for line in series:
        if len(line.values) != len(labels):
            raise ValueError(f"line_chart: {len(labels)} labels but {len(line.values)} values in {line.name!r}")
    if not labels:
        return _empty(title)
    columns = [_values(line.values) for line in series]
    ticks = axis_ticks([value for column in columns for value in column], percent=percent)
    texts = tick_labels(ticks, percent=percent)
    names = [truncate(clean(label)) for label in labels]
    body, y = _title_block(title)
    if len(series) > 1:
        legend, y = _legend(series, y)
        body += legend
    if unit and not percent:
        caption = esc(truncate(clean(unit), MAX_UNIT))
        body.append(f'<text x="{PAD}" y="{coordinate(y + FONT)}" fill="{AXIS}">单位：{caption}</text>')
        y += FONT + 10
    top, bottom = y + 8, y + 8 + PLOT_HEIGHT
    left = PAD + max(max(text_width(text) for text in texts) + 8, text_width(names[0]) / 2)
    right = WIDTH - PAD - max(text_width(names[-1]) / 2, 4)
    xs = _x_positions(len(labels), left, right)
    scale = (bottom - top) / ticks[-1]
    body += _y_grid(ticks, texts, left, right, bottom, scale)
    body += _x_labels(names, xs, bottom)
    for index, (line, column) in enumerate(zip(series, columns, strict=True)):
        tip = f"{clean(line.name)} " if len(series) > 1 else ""
        points = [None if value is None else (x, bottom - value * scale) for x, value in zip(xs, column, strict=True)]
        tips = [
            f"{tip}{label}：{format_value(value, percent=percent, unit=unit)}"
            for label, value in zip(labels, column, strict=True)
        ]
        body += _line(points, tips, index)
    return _svg(title, bottom + 25 + FONT, body)


def _x_positions(count: int, left: float, right: float) -> list[float]:
    if count == 1:
        return [(left + right) / 2]
    return [left + index * (right - left) / (count - 1) for index in range(count)]


def x_label_indices(names: Sequence[str], spacing: float, limit: int = MAX_X_LABELS) -> list[int]:
    """Which x labels to print: at most `limit`, the first and the last, evenly spaced and not touching.

    `spacing` is the distance in px between neighbouring points.
    """
    count = len(names)
    if count <= 2:
        return list(range(count))
    needed = max(text_width(name) for name in names) + 10
    for shown in range(min(count, limit), 2, -1):
        # rounded positions are never closer than the floor of the exact step
        if (count - 1) // (shown - 1) * spacing >= needed:
            return sorted({round(index * (count - 1) / (shown - 1)) for index in range(shown)})
    return [0, count - 1]


def _y_grid(
    ticks: Sequence[float], texts: Sequence[str], left: float, right: float, bottom: float, scale: float
) -> list[str]:
    """Horizontal grid lines with their labels, then the two axis lines."""
    parts = []
    for tick, text in zip(ticks, texts, strict=True):
        y = coordinate(bottom - tick * scale)
        if tick:
            parts.append(f'<line x1="{coordinate(left)}" y1="{y}" x2="{coordinate(right)}" y2="{y}" stroke="{GRID}"/>')
        baseline = coordinate(bottom - tick * scale + FONT * 0.35)
        parts.append(f'<text x="{coordinate(left - 8)}" y="{baseline}" text-anchor="end" fill="{AXIS}">{text}</text>')
    x, top = coordinate(left), coordinate(bottom - ticks[-1] * scale)
    parts.append(f'<line x1="{x}" y1="{top}" x2="{x}" y2="{coordinate(bottom)}" stroke="{AXIS}"/>')
    parts.append(
        f'<line x1="{x}" y1="{coordinate(bottom)}" x2="{coordinate(right)}" y2="{coordinate(bottom)}" stroke="{AXIS}"/>'
    )
    return parts


def _x_labels(names: Sequence[str], xs: Sequence[float], bottom: float) -> list[str]:
    spacing = xs[1] - xs[0] if len(xs) > 1 else WIDTH
    parts = []
    for index in x_label_indices(names, spacing):
        x = coordinate(xs[index])
        parts.append(
            f'<line x1="{x}" y1="{coordinate(bottom)}" x2="{x}" y2="{coordinate(bottom + 4)}" stroke="{AXIS}"/>'
        )
        name = escape(names[index], quote=True)
        parts.append(f'<text x="{x}" y="{coordinate(bottom + 25)}" text-anchor="middle">{name}</text>')
    return parts


def _legend(series: Sequence[Series], y: float) -> tuple[list[str], float]:
    """A swatch and the name per series, wrapped into rows; returns the parts and the y below them."""
    parts, x, row = [], float(PAD), 0
    for index, line in enumerate(series):
        name = truncate(clean(line.name), 20)
        width = 24 + text_width(name) + 18
        if x > PAD and x + width > WIDTH - PAD:
            x, row = float(PAD), row + 1
        middle = y + row * 20 + 10
        color, dash = _stroke(index)
        parts.append(
            f'<line x1="{coordinate(x)}" y1="{coordinate(middle)}" x2="{coordinate(x + 18)}" y2="{coordinate(middle)}" '
            f'stroke="{color}" stroke-width="3"{dash}/>'
        )
        parts.append(
            f'<text x="{coordinate(x + 24)}" y="{coordinate(middle + FONT * 0.35)}">{escape(name, quote=True)}</text>'
        )
        x += width
    return parts, y + (row + 1) * 20 + 4


def _stroke(index: int) -> tuple[str, str]:
    """The series' color and, past the palette's six, a dash pattern so lines stay apart."""
    dash = ' stroke-dasharray="6 3"' if index >= len(PALETTE) else ""
    return PALETTE[index % len(PALETTE)], dash


def _line(points: Sequence[tuple[float, float] | None], tips: Sequence[str], index: int) -> list[str]:
    """One series: a path per run of points with data, then a dot with its `<title>` per point."""
    color, dash = _stroke(index)
    parts = []
    run: list[tuple[float, float]] = []
    for point in [*points, None]:
        if point is not None:
            run.append(point)
            continue
        if len(run) > 1:
            d = "".join(f"{'M' if n == 0 else 'L'}{coordinate(x)} {coordinate(y)}" for n, (x, y) in enumerate(run))
            parts.append(f'<path d="{d}" fill="none" stroke="{color}" stroke-width="2" stroke-linejoin="round"{dash}/>')
        run = []
    for point, tip in zip(points, tips, strict=True):
        if point is None:
            continue
        x, y = point
        parts.append(
            f'<circle cx="{coordinate(x)}" cy="{coordinate(y)}" r="3.5" fill="{color}" stroke="#fff" stroke-width="1">'
            f"<title>{esc(tip)}</title></circle>"
        )
    return parts
