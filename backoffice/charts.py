"""Small charts drawn on the server as inline SVG: no JavaScript, nothing from a CDN, no inline style (the CSP
forbids it) — colours come from classes in static/backoffice/backoffice.css. Every chart has a title for screen
readers and a <title> per mark for the hover text; the numbers are also in a table beside it."""

import itertools

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

_ids = itertools.count(1)
WIDTH = 520


def _n(value) -> str:
    """A coordinate as text (format_html escapes its arguments first, so numbers are formatted here)."""
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def _nice(value: float) -> float:
    """The axis top: the value rounded up to a round number (105.5 → 120, 12 → 12, 13 → 15)."""
    import math

    if value <= 0:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * exp:
            top = step * exp
            return int(top) if float(top).is_integer() else top
    return 10 * exp


def _svg(height, title: str, body: list[str], *, width: int = WIDTH) -> SafeString:
    tid = f"bo-chart-{next(_ids)}"
    return format_html(
        '<svg class="bo-chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{tid}" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{tid}">{title}</title>{body}</svg>',
        w=_n(width),
        h=_n(height),
        tid=tid,
        title=title,
        body=mark_safe("".join(body)),  # noqa: S308 - every part is built with format_html (escaped)
    )


def _empty() -> str:
    return format_html('<text x="8" y="20" class="bo-muted">{}</text>', _("データがありません"))


def hbars(
    items, *, title: str, unit: str = "", label_width: int = 150, css: str = "bo-s1", width: int = WIDTH
) -> SafeString:
    """Horizontal bars: items = [(label, value)], value a number (None drawn as empty)."""
    items = list(items)
    row, top = 22, 6
    height = top * 2 + row * max(len(items), 1)
    top_value = max([v or 0 for _l, v in items] + [1])
    span = width - label_width - _room(top_value, unit)
    body = [] if items else [_empty()]
    for i, (label, value) in enumerate(items):
        y = top + i * row
        w = 0.0 if not value else max(1.0, span * value / top_value)
        body.append(
            format_html(
                '<text x="{lx}" y="{ty}" text-anchor="end" class="bo-label">{label}</text>'
                '<rect x="{x}" y="{y}" width="{w}" height="{h}" class="bo-bar {css}"><title>{full}: {v}{u}</title></rect>'
                '<text x="{vx}" y="{ty}" class="bo-value">{v}{u}</text>',
                lx=_n(label_width - 6),
                ty=_n(y + 15),
                label=_short(str(label), label_width),
                full=str(label),
                x=_n(label_width),
                y=_n(y + 3),
                w=_n(w),
                h=_n(row - 6),
                css=css,
                v=_fmt(value),
                u=unit,
                vx=_n(label_width + w + 4),
            )
        )
    return _svg(height, title, body, width=width)


def _room(top_value, unit: str) -> int:
    """Space right of the longest bar for its value label (about 7 px per digit, 11 per Japanese character)."""
    return 12 + 7 * len(_fmt(top_value)) + 11 * len(unit)


def _short(label: str, width: int) -> str:
    """Cut a label to what fits in `width` px (about 11 px per Japanese character)."""
    room = max(4, width // 11)
    return label if len(label) <= room else label[: room - 1] + "…"


def columns(labels, series, *, title: str, unit: str = "") -> SafeString:
    """Vertical columns, grouped: labels along the bottom; series = [(name, css class, [values])]."""
    labels = list(labels)
    height, bottom, left, top = 200, 40, 52, 14
    plot_h = height - bottom - top
    values = [v for _n_, _c, vs in series for v in vs if v is not None]
    top_value = _nice(max(values + [1]))
    group_w = (WIDTH - left - 8) / max(len(labels), 1)
    bar_w = max(2.0, (group_w - 6) / max(len(series), 1))
    base = top + plot_h
    body = [
        format_html(
            '<line x1="{x}" y1="{y}" x2="{x2}" y2="{y}" class="bo-axis"/>',
            x=_n(left),
            x2=_n(WIDTH - 4),
            y=_n(base),
        ),
        format_html(
            '<line x1="{x}" y1="{y}" x2="{x2}" y2="{y}" class="bo-grid-line"/>',
            x=_n(left),
            x2=_n(WIDTH - 4),
            y=_n(top),
        ),
        format_html(
            '<line x1="{x}" y1="{y}" x2="{x2}" y2="{y}" class="bo-grid-line"/>',
            x=_n(left),
            x2=_n(WIDTH - 4),
            y=_n(top + plot_h / 2),
        ),
        format_html(
            '<text x="{x}" y="{y}" text-anchor="end" class="bo-value">{v}</text>',
            x=_n(left - 4),
            y=_n(top + plot_h / 2 + 4),
            v=_fmt(int(top_value / 2) if float(top_value / 2).is_integer() else top_value / 2),
        ),
        format_html(
            '<text x="{x}" y="{y}" text-anchor="end" class="bo-value">{v}{u}</text>',
            x=_n(left - 4),
            y=_n(top + 4),
            v=_fmt(top_value),
            u=unit,
        ),
        format_html(
            '<text x="{x}" y="{y}" text-anchor="end" class="bo-value">0</text>', x=_n(left - 4), y=_n(base)
        ),
    ]
    for i, label in enumerate(labels):
        gx = left + i * group_w + 3
        for j, (name, css, vs) in enumerate(series):
            v = vs[i]
            h = 0.0 if not v else max(1.0, plot_h * v / top_value)
            body.append(
                format_html(
                    '<rect x="{x}" y="{y}" width="{w}" height="{h}" class="bo-bar {css}"><title>{label} {name}: {v}{u}</title></rect>',
                    x=_n(gx + j * bar_w),
                    y=_n(base - h),
                    w=_n(bar_w - 1),
                    h=_n(h),
                    css=css,
                    label=label,
                    name=name,
                    v=_fmt(v),
                    u=unit,
                )
            )
        body.append(
            format_html(
                '<text x="{x}" y="{y}" text-anchor="middle" class="bo-label">{label}</text>',
                x=_n(gx + group_w / 2 - 3),
                y=_n(base + 14),
                label=label,
            )
        )
    body.extend(_legend([(n, c) for n, c, _v in series], y=height - 6))
    return _svg(height, title, body)


def stacked(items, parts, *, title: str, label_width: int = 90) -> SafeString:
    """Horizontal stacked bars: items = [(label, [values per part])]; parts = [(name, css class)]."""
    items = list(items)
    row, top = 26, 6
    height = top + row * max(len(items), 1) + 28
    top_value = max([sum(v or 0 for v in vs) for _l, vs in items] + [1])
    span = WIDTH - label_width - _room(top_value, "")
    body = [] if items else [_empty()]
    for i, (label, vs) in enumerate(items):
        y = top + i * row
        x = float(label_width)
        body.append(
            format_html(
                '<text x="{x}" y="{y}" text-anchor="end" class="bo-label">{l}</text>',
                x=_n(label_width - 6),
                y=_n(y + 17),
                l=label,
            )
        )
        for (name, css), v in zip(parts, vs, strict=True):
            if not v:
                continue
            w = max(1.0, span * v / top_value)
            body.append(
                format_html(
                    '<rect x="{x}" y="{y}" width="{w}" height="{h}" class="bo-bar {css}"><title>{l} {n}: {v}</title></rect>',
                    x=_n(x),
                    y=_n(y + 4),
                    w=_n(w),
                    h=_n(row - 8),
                    css=css,
                    l=label,
                    n=name,
                    v=_fmt(v),
                )
            )
            x += w
        body.append(
            format_html(
                '<text x="{x}" y="{y}" class="bo-value">{v}</text>',
                x=_n(x + 4),
                y=_n(y + 17),
                v=_fmt(sum(v or 0 for v in vs)),
            )
        )
    body.extend(_legend(parts, y=height - 8))
    return _svg(height, title, body)


def _legend(parts, *, y: int) -> list[str]:
    out, x = [], 8
    for name, css in parts:
        out.append(
            format_html(
                '<rect x="{x}" y="{ry}" width="10" height="10" class="bo-bar {css}"/>'
                '<text x="{tx}" y="{y}" class="bo-label">{n}</text>',
                x=_n(x),
                ry=_n(y - 9),
                css=css,
                tx=_n(x + 14),
                y=_n(y),
                n=name,
            )
        )
        x += 24 + 12 * len(str(name))
    return out
