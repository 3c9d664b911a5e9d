"""The portfolio analysis page's charts, drawn on the server as SVG: readable without JavaScript, no inline
style (the strict CSP holds: classes styled in static/css/analysis.css). Labels and figures are HTML beside
each chart and the numbers are in the products table (and its CSV).

- `share_bar(share)`: a product's revenue share as a bar on a 0–100 % scale.
- `share_chart(products)`: the scope's revenue split by product, a 100 % stacked bar (a colour per product,
  `slice-0` … `slice-7`, repeated after eight; the legend beside it names them).
- `sparkline(values)`: a few quarters' revenue as a line with a dot per quarter (the retire evidence).
"""

from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

SLICES = 8
HEIGHT = 12


def _number(value) -> str:
    text = format(Decimal(value).quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def slice_class(index: int) -> str:
    return f"slice-{index % SLICES}"


def share_bar(share) -> SafeString:
    width = min(max(Decimal(share or 0), Decimal(0)), Decimal(100))
    return format_html(
        '<svg class="share-bar" viewBox="0 0 100 {}" preserveAspectRatio="none" aria-hidden="true" '
        'xmlns="http://www.w3.org/2000/svg"><rect class="track" x="0" y="0" width="100" height="{}"/>'
        '<rect class="value" x="0" y="0" width="{}" height="{}"/></svg>',
        HEIGHT,
        HEIGHT,
        _number(width),
        HEIGHT,
    )


def share_chart(products) -> SafeString:
    """`products`: (name, share, slice class) for the products with a positive share, in the legend's order."""
    x = Decimal(0)
    parts = []
    for name, share, css in products:
        width = min(Decimal(share), Decimal(100) - x)
        if width <= 0:
            continue
        parts.append((css, _number(x), _number(width), HEIGHT * 2, f"{name}: {share} %"))
        x += width
    words = "; ".join(f"{name} {share} %" for name, share, _ in products)
    return format_html(
        '<svg class="share-chart" viewBox="0 0 100 {}" preserveAspectRatio="none" role="img" '
        'aria-label="Revenue share: {}" xmlns="http://www.w3.org/2000/svg">'
        '<rect class="track" x="0" y="0" width="100" height="{}"/>{}</svg>',
        HEIGHT * 2,
        words or "no revenue",
        HEIGHT * 2,
        format_html_join(
            "",
            '<rect class="part {}" x="{}" y="0" width="{}" height="{}"><title>{}</title></rect>',
            parts,
        ),
    )


def sparkline(values, *, label: str) -> SafeString:
    """`values`: the quarters' revenue, oldest first (at least two)."""
    numbers = [Decimal(str(value)) for value in values]
    width, height, pad = 120, 36, 4
    low, high = min(numbers), max(numbers)
    span = (high - low) or Decimal(1)
    step = Decimal(width - 2 * pad) / max(len(numbers) - 1, 1)
    points = [
        (
            _number(pad + step * index),
            _number(pad + (high - value) * (height - 2 * pad) / span),
        )
        for index, value in enumerate(numbers)
    ]
    return format_html(
        '<svg class="sparkline-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><polyline class="line" points="{}"/>{}</svg>',
        width,
        height,
        label,
        " ".join(f"{x},{y}" for x, y in points),
        format_html_join("", '<circle class="dot" cx="{}" cy="{}" r="2.5"/>', points),
    )
