"""Small server-rendered SVG charts for the dashboard: no script, no CDN, no dependency.

Two kinds: a line chart of percentages over time (one line per series, gaps where a
period has no data) and horizontal stacked bars (counts). Colours are SVG presentation
attributes (the dashboard's Content-Security-Policy allows no inline style). Each data
point carries its value in ``data-value`` and a ``<title>`` (a tooltip in browsers, and
what tests read); the numbers drawn come from the same values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = ("#2458d3", "#1f7a3f", "#c2410c", "#7c3aed", "#0e7490", "#a3261b", "#4d7c0f", "#9d174d")
MERGED, CLOSED = "#1f7a3f", "#c2410c"
WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 60  # plot margins: axis labels left, legend below


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per label; None: no data for that period


@dataclass(frozen=True)
class Bar:
    label: str
    parts: Sequence[tuple[str, int, str]]  # (name, count, colour), stacked left to right
    note: str = ""  # shown after the bar (like "67% merged")


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = "%") -> Markup:
    """Percentages (0–100) per period; ``labels`` name the periods (x axis)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(value: float) -> float:
        return TOP + plot_h * (1 - min(max(value, 0.0), 100.0) / 100)

    out = [_open(title)]
    for tick in (0, 25, 50, 75, 100):
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_fmt(y(tick))}" y2="{_fmt(y(tick))}" '
            f'stroke="#e3e6eb" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{_fmt(y(tick) + 4)}" text-anchor="end" font-size="11" fill="#5f6b7a">'
            f"{tick}{escape(unit)}</text>"
        )
    every = max(1, len(labels) // 6)  # at most ~6 period labels
    for i, label in enumerate(labels):
        if (len(labels) - 1 - i) % every == 0:  # evenly spaced, the latest period always named
            anchor = "end" if i == len(labels) - 1 and i else "start" if i == 0 else "middle"  # inside the box
            out.append(
                f'<text x="{_fmt(x(i))}" y="{TOP + plot_h + 16}" text-anchor="{anchor}" font-size="11" '
                f'fill="#5f6b7a">{escape(label)}</text>'
            )
    for n, line in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        out.append(f'<g class="series" data-series="{escape(line.name)}" stroke="{colour}" fill="{colour}">')
        for run in _runs(line.values):
            points = " ".join(f"{_fmt(x(i))},{_fmt(y(v))}" for i, v in run)
            out.append(f'<polyline points="{points}" fill="none" stroke-width="2"/>')
        for i, value in enumerate(line.values):
            if value is not None:
                out.append(
                    f'<circle cx="{_fmt(x(i))}" cy="{_fmt(y(value))}" r="3" data-label="{escape(labels[i])}" '
                    f'data-value="{_fmt(value)}"><title>{escape(line.name)}, {escape(labels[i])}: '
                    f"{_fmt(value)}{escape(unit)}</title></circle>"
                )
        out.append("</g>")
    out.append(_legend([(s.name, PALETTE[n % len(PALETTE)]) for n, s in enumerate(series)], HEIGHT - 22))
    out.append("</svg>")
    return Markup("".join(out))


def bar_chart(title: str, bars: Sequence[Bar], legend: Sequence[tuple[str, str]] = ()) -> Markup:
    """Horizontal stacked bars of counts, one row per bar, on a common scale."""
    row, label_w, note_w = 26, 70, 110
    height = TOP + row * max(len(bars), 1) + (34 if legend else 8)
    plot_w = WIDTH - label_w - note_w
    biggest = max((sum(count for _, count, _ in b.parts) for b in bars), default=0) or 1
    out = [_open(title, height)]
    for n, bar in enumerate(bars):
        top = TOP + n * row
        out.append(
            f'<g class="bar" data-label="{escape(bar.label)}">'
            f'<text x="{label_w - 8}" y="{top + 15}" text-anchor="end" font-size="12" fill="#1d2330">'
            f"{escape(bar.label)}</text>"
        )
        left = float(label_w)
        for name, count, colour in bar.parts:
            width = plot_w * count / biggest
            out.append(
                f'<rect x="{_fmt(left)}" y="{top + 3}" width="{_fmt(width)}" height="{row - 8}" fill="{colour}" '
                f'data-part="{escape(name)}" data-value="{count}"><title>{escape(bar.label)}: {count} '
                f"{escape(name)}</title></rect>"
            )
            left += width
        out.append(
            f'<text x="{_fmt(left + 6)}" y="{top + 15}" font-size="12" fill="#5f6b7a">{escape(bar.note)}</text></g>'
        )
    if legend:
        out.append(_legend(legend, height - 14))
    out.append("</svg>")
    return Markup("".join(out))


def _open(title: str, height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )


def _legend(items: Sequence[tuple[str, str]], y: int) -> str:
    out, x = ['<g class="legend">'], float(LEFT)
    for name, colour in items:
        out.append(
            f'<rect x="{_fmt(x)}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{_fmt(x + 14)}" y="{y}" font-size="11" fill="#1d2330">{escape(name)}</text>'
        )
        x += 22 + 7 * len(name)
    out.append("</g>")
    return "".join(out)


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """The stretches of consecutive values (a line breaks where a period has no data)."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((i, value))
    return [r for r in runs if r]
