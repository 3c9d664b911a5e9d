"""The balance page's charts, drawn on the server as SVG (readable without JavaScript; no inline style, so the
strict CSP holds: presentation attributes and classes styled in static/css/status_book.css).

Each bar is an SVG on a 0–100 % scale stretched to the width of its row (`preserveAspectRatio="none"`),
with no text inside: the labels and figures are HTML beside it, so nothing shrinks on a phone. The numbers
are on the page as a table as well.

- `share_bar(share)`: a category's share as a bar, the recommended band drawn behind it.
- `week_bar(week)`: one ISO week's minutes split into the three categories (a 100 % stacked bar).
"""

from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from products.services.status_book import CategoryShare, WeekShare

HEIGHT = 12  # viewBox units; the CSS gives the rendered height


def _number(value) -> str:
    """An SVG coordinate: 40, 39.99 (no exponent, no trailing zeros)."""
    text = format(Decimal(value).quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def share_bar(share: CategoryShare) -> SafeString:
    low, high = share.range
    state = "none" if share.direction == "none" else ("in" if share.in_range else "out")
    label = f"{share.label}: {share.share} % of the time logged; recommended {low}–{high} %" + (
        "" if share.in_range or share.direction == "none" else f" ({share.direction} the range)"
    )
    ticks = format_html_join(
        "",
        '<line class="tick" x1="{0}" x2="{0}" y1="0" y2="{1}" vector-effect="non-scaling-stroke"/>',
        ((x, HEIGHT) for x in (25, 50, 75)),
    )
    return format_html(
        '<svg class="share-bar share-{}" viewBox="0 0 100 {}" preserveAspectRatio="none" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<rect class="track" x="0" y="0" width="100" height="{}"/>'
        "{}"
        '<rect class="band" x="{}" y="0" width="{}" height="{}"/>'
        '<rect class="value" x="0" y="3" width="{}" height="6"/>'
        '<line class="band-edge" x1="{}" x2="{}" y1="0" y2="{}" vector-effect="non-scaling-stroke"/>'
        '<line class="band-edge" x1="{}" x2="{}" y1="0" y2="{}" vector-effect="non-scaling-stroke"/>'
        "</svg>",
        state,
        HEIGHT,
        label,
        HEIGHT,
        ticks,
        low,
        high - low,
        HEIGHT,
        _number(share.share),
        low,
        low,
        HEIGHT,
        high,
        high,
        HEIGHT,
    )


def week_bar(week: WeekShare) -> SafeString:
    balance = week.balance
    if not balance.total_minutes:
        return format_html(
            '<svg class="week-bar" viewBox="0 0 100 {}" preserveAspectRatio="none" role="img" aria-label="{}: '
            'nothing logged" xmlns="http://www.w3.org/2000/svg"><rect class="track" x="0" y="0" width="100" '
            'height="{}"/></svg>',
            HEIGHT,
            week.label,
            HEIGHT,
        )
    x = Decimal(0)
    parts = []
    for share in balance.shares:
        # Exact widths from the minutes (the rounded shares may not add up to 100).
        width = Decimal(share.minutes) * 100 / Decimal(balance.total_minutes)
        if width:
            parts.append((share.category, _number(x), _number(width), HEIGHT))
        x += width
    words = "; ".join(f"{share.label} {share.share} %" for share in balance.shares)
    return format_html(
        '<svg class="week-bar" viewBox="0 0 100 {}" preserveAspectRatio="none" role="img" aria-label="{}: {}" '
        'xmlns="http://www.w3.org/2000/svg">{}</svg>',
        HEIGHT,
        week.label,
        words,
        format_html_join("", '<rect class="part part-{}" x="{}" y="0" width="{}" height="{}"/>', parts),
    )
