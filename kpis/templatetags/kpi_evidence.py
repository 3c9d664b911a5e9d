"""Small SVG charts for the evidence of KPI rule conditions (templates/kpis/_growth_evidence.html).

Evidence templates are included wherever a move or a suggestion is shown, with only `evidence` in their
context, so the chart is drawn from the evidence itself. SVG presentation attributes only: the pages'
Content-Security-Policy refuses inline styles, and no stylesheet of the including page is assumed.
"""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

WIDTH, HEIGHT, PAD = 240, 96, 16  # PAD leaves room for the labels above and below the bars
UP, DOWN, RULE_LINE = "#1a7f37", "#c62828", "#5d6778"


@register.filter
def growth_chart(evidence: dict) -> SafeString | str:
    """Bars of each period's change in percent (green up, red down) against the rule's threshold (a
    dashed line), with the changes spelled out for screen readers."""
    rows = [row for row in (evidence or {}).get("rollups") or [] if row.get("change_pct") is not None]
    if not rows:
        return ""
    changes = [float(row["change_pct"]) for row in rows]
    threshold = float(evidence.get("threshold_pct") or 0)
    low, high = min([0.0, threshold, *changes]), max([0.0, threshold, *changes])
    span = (high - low) or 1.0

    def y(value: float) -> float:
        return PAD + (high - value) / span * (HEIGHT - 2 * PAD)

    slot = (WIDTH - 2 * PAD) / len(changes)
    bar = max(slot * 0.6, 2)
    zero = y(0.0)
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} %</title></rect>'
        '<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="{}">{} %</text>',
        (
            (
                f"{PAD + i * slot + (slot - bar) / 2:.1f}",
                f"{min(y(change), zero):.1f}",
                f"{bar:.1f}",
                f"{max(abs(y(change) - zero), 1):.1f}",
                UP if change >= 0 else DOWN,
                row["period_start"],
                f"{change:+.1f}",
                f"{PAD + i * slot + slot / 2:.1f}",
                # Above a rise, below a fall: the label sits outside its bar.
                f"{(min(y(change), zero) - 4) if change >= 0 else (max(y(change), zero) + 12):.1f}",
                RULE_LINE,
                f"{change:+.1f}",
            )
            for i, (row, change) in enumerate(zip(rows, changes, strict=True))
        ),
    )
    label = "Change from the period before: " + ", ".join(
        f"{row['period_start']} {change:+g} %" for row, change in zip(rows, changes, strict=True)
    )
    return format_html(
        '<svg class="growth-chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{label}">'
        '<line x1="0" x2="{w}" y1="{zero}" y2="{zero}" stroke="{rule}" stroke-width="1"/>'
        "{bars}"
        '<line x1="0" x2="{w}" y1="{threshold}" y2="{threshold}" stroke="{rule}" stroke-width="1" '
        'stroke-dasharray="4 3"><title>Threshold {value} %</title></line></svg>',
        w=WIDTH,
        h=HEIGHT,
        label=label,
        zero=f"{zero:.1f}",
        rule=RULE_LINE,
        bars=bars,
        threshold=f"{y(threshold):.1f}",
        value=f"{threshold:g}",
    )
