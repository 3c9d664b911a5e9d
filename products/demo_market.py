"""The demo portfolio's market insight and competitors: ten insights of every kind across the products
(with sources a product manager would cite), four competitor profiles in the demo's segments, and a year
of their moves: most answered (done), some with a planned response, three nobody has answered yet.

Everything is written by products.services.market, as a product manager or marketer would. Dates are
offsets from `today`, so the demo never looks stale. Products and segments missing from the portfolio
are left out of what names them (segments come with the go-to-market demo). `seed_market` writes nothing
once the portfolio has insights or competitors.
"""

from datetime import date, timedelta

from django.db import transaction

from products.models import Competitor, MarketInsight, Portfolio, Product, Segment
from products.services import market

LOGISTICS, RETAIL, REGULATED, PUBLIC, FIELD = (
    "Mid-market logistics operators",
    "Retail and e-commerce operations",
    "Regulated industries",
    "Public sector and municipalities",
    "Field service and facility management",
)

# (days ago, kind, impact, title, source, products, summary)
INSIGHTS = [
    (
        12,
        "competition",
        "high",
        "Datawise bundles alerting into its analytics suite at no extra cost",
        "Datawise pricing page and launch webinar, 2 attendees from our sales team",
        ["Pulse Alerts", "Insight Hub"],
        "Alerting is now a checkbox in Datawise Pro. Two open Pulse Alerts deals asked for a discount the same week; "
        "we should sell the bundle of Insight Hub and Pulse Alerts rather than alerts alone.",
    ),
    (
        30,
        "trend",
        "high",
        "Operations teams want answers in plain language, not dashboards",
        "Gartner, Market Guide for Analytics and BI Platforms 2026",
        ["Insight Hub"],
        "Natural-language questions over operational data move from nice-to-have to a shortlist criterion in "
        "mid-market evaluations within 18 months.",
    ),
    (
        45,
        "customer_expectation",
        "high",
        "Buyers expect single sign-on in every plan, not only Enterprise",
        "Win/loss interviews Q1 (14 calls), three lost deals named SSO",
        ["TeamBoard", "Insight Hub", "DocFlow"],
        "SSO behind the Enterprise plan reads as a “security tax”. Competitors include it from their team plans.",
    ),
    (
        60,
        "regulation",
        "high",
        "EU Data Act: customers may switch providers and take their data along",
        "https://eur-lex.europa.eu/eli/reg/2023/2854/oj",
        ["Insight Hub", "Ledger Classic", "DocFlow"],
        "From September 2025, data holders must support switching and export in a structured format. Ledger "
        "Classic's export is a proprietary dump today.",
    ),
    (
        75,
        "regulation",
        "medium",
        "NIS2 brings incident reporting duties to mid-sized logistics operators",
        "BSI briefing for KRITIS suppliers, March session",
        ["Pulse Alerts", "FieldKit"],
        "Our logistics customers must report significant incidents within 24 hours; alert trails with timestamps "
        "become evidence they need to keep.",
    ),
    (
        95,
        "customer_expectation",
        "medium",
        "Field technicians expect offline-first apps that sync later",
        "Customer advisory board, session on mobile work (9 customers)",
        ["FieldKit", "Scout"],
        "Basements, plant rooms and rural sites have no signal. An app that loses a checklist once is not used again.",
    ),
    (
        120,
        "trend",
        "medium",
        "Asynchronous stand-ups replace daily calls in distributed teams",
        "State of Remote Work 2026 survey (n = 3,100)",
        ["Huddle", "TeamBoard"],
        "61 % of distributed teams replaced at least one recurring meeting with a written or recorded update.",
    ),
    (
        150,
        "competition",
        "medium",
        "Flowdesk cut TeamBoard-like boards to €6 per seat for non-profits and schools",
        "Flowdesk newsletter and two partner reports",
        ["TeamBoard"],
        "A price floor in the public and education segment; our list price there is €9.",
    ),
    (
        200,
        "trend",
        "low",
        "On-premise reporting keeps shrinking in the mid-market",
        "IDC Worldwide Business Analytics Forecast 2025–2029",
        ["Ledger Classic"],
        "Cloud share of new mid-market analytics spend passes 80 %; renewals of on-premise suites fall about 9 % a "
        "year.",
    ),
    (
        230,
        "customer_expectation",
        "low",
        "Auditors ask for approval trails they can export as PDF",
        "Support tickets tagged ‘audit’ (37 in six months)",
        ["DocFlow"],
        "",
    ),
]

# name: (website, threat, segments, strengths, weaknesses, pricing)
COMPETITORS = {
    "Datawise": (
        "https://www.datawise.example.com",
        "high",
        [LOGISTICS, RETAIL],
        "Broad analytics suite with a strong partner channel; polished dashboards; bundles alerting for free.",
        "Slow to set up (8–12 weeks with a partner); weak on real-time data; support outside DACH is thin.",
        "Pro €49 per user and month, Enterprise on request; alerting included since this spring.",
    ),
    "Flowdesk": (
        "https://flowdesk.example.io",
        "medium",
        [PUBLIC, RETAIL],
        "Cheap, simple boards; viral adoption through free teams; good mobile app.",
        "No audit trail or approvals; permissions are coarse; no data residency in the EU.",
        "Free up to 10 users; €8 per seat, €6 for non-profits and education.",
    ),
    "SiteSnap": (
        "https://sitesnap.example.com",
        "medium",
        [FIELD, LOGISTICS],
        "Best-in-class photo capture and offline sync for field teams.",
        "No analytics; integrations only through Zapier; small company (about 40 people).",
        "€15 per technician and month, minimum 20 seats.",
    ),
    "Legacy Analytics AG": (
        "https://legacy-analytics.example.de",
        "low",
        [REGULATED],
        "Installed base in banks and insurers; certified for on-premise operation.",
        "Ageing product, little cloud roadmap; customers complain about upgrade costs.",
        "Perpetual licences from €40,000 plus 22 % maintenance.",
    ),
}

# (competitor, days ago, kind, products, description, response status, response)
MOVES = [
    (
        "Datawise",
        10,
        "launch",
        ["Pulse Alerts", "Insight Hub"],
        "Launched “Datawise Signals”: threshold alerts and anomaly detection included in the Pro plan.",
        "none",
        "",
    ),
    (
        "Datawise",
        40,
        "partnership",
        ["Insight Hub"],
        "Partnership with a large ERP vendor: Datawise is the recommended analytics add-on in its marketplace.",
        "planned",
        "Apply to the same marketplace and list Insight Hub with a 30-day trial; marco owns the listing.",
    ),
    (
        "Datawise",
        130,
        "price_change",
        ["Insight Hub"],
        "Raised Pro from €42 to €49 per user and month for new customers.",
        "done",
        "No price change on our side; sales uses the difference in the battle card (“same features, €11 less”).",
    ),
    (
        "Flowdesk",
        25,
        "price_change",
        ["TeamBoard"],
        "Education and non-profit price cut to €6 per seat.",
        "none",
        "",
    ),
    (
        "Flowdesk",
        170,
        "campaign",
        ["TeamBoard", "Huddle"],
        "“Meetings are over” campaign on LinkedIn and YouTube aimed at remote team leads.",
        "done",
        "Answered with the async stand-up webinar series for Huddle's beta; 212 sign-ups.",
    ),
    (
        "SiteSnap",
        55,
        "launch",
        ["FieldKit", "Scout"],
        "Released offline checklists with conflict-free sync, the feature FieldKit is built around.",
        "planned",
        "Move FieldKit's offline sync forward to the next horizon and brief the beta customers before SiteSnap "
        "reaches them.",
    ),
    (
        "SiteSnap",
        210,
        "partnership",
        ["FieldKit"],
        "Reseller agreement with a facility-management software vendor.",
        "done",
        "No action: the vendor serves a segment we do not target this year.",
    ),
    (
        "Legacy Analytics AG",
        80,
        "other",
        ["Ledger Classic"],
        "Announced the end of support for its 2019 release at the end of next year.",
        "none",
        "",
    ),
    (
        "Legacy Analytics AG",
        280,
        "campaign",
        ["Ledger Classic", "Insight Hub"],
        "Migration offer: 40 % off the first year for customers moving from other on-premise suites.",
        "done",
        "Migration package for Ledger Classic customers to Insight Hub, with the first three months free.",
    ),
    (
        "Flowdesk",
        330,
        "launch",
        ["TeamBoard"],
        "Launched a free whiteboard inside its boards.",
        "done",
        "Roadmap check: not a priority; a whiteboard integration through the marketplace is enough.",
    ),
]


def _has_market_data(portfolio: Portfolio) -> bool:
    return (
        MarketInsight.objects.filter(portfolio=portfolio).exists()
        or Competitor.objects.filter(portfolio=portfolio).exists()
    )


def seed_market(*, portfolio: Portfolio, actor, today: date) -> dict | None:
    """Give the demo portfolio its market insight, competitors and their moves; None when it has insights or
    competitors already.

    All of it or nothing (one transaction): a failed run leaves nothing half written, and the next run tries
    again. Raises what the services raise for data that breaks their rules.
    """
    if _has_market_data(portfolio):
        return None
    products = {p.name: p for p in Product.objects.filter(portfolio=portfolio)}
    segments = {s.name: s for s in Segment.objects.filter(portfolio=portfolio)}
    with transaction.atomic():
        for days, kind, impact, title, source, names, summary in INSIGHTS:
            market.market_insight_create(
                portfolio=portfolio,
                actor=actor,
                kind=kind,
                impact=impact,
                title=title,
                source=source,
                summary=summary,
                observed_on=today - timedelta(days=days),
                products=[products[name] for name in names if name in products],
            )
        competitors = {}
        for name, (website, threat, segment_names, strengths, weaknesses, pricing) in COMPETITORS.items():
            competitors[name] = market.competitor_create(
                portfolio=portfolio,
                actor=actor,
                name=name,
                website=website,
                threat=threat,
                strengths=strengths,
                weaknesses=weaknesses,
                pricing=pricing,
                segments=[segments[s] for s in segment_names if s in segments],
            )
        for name, days, kind, names, description, status, response in MOVES:
            market.competitor_move_create(
                competitor=competitors[name],
                actor=actor,
                kind=kind,
                happened_on=today - timedelta(days=days),
                description=description,
                response=response,
                response_status=status,
                products=[products[p] for p in names if p in products],
            )
    return {
        "insights": len(INSIGHTS),
        "competitors": len(COMPETITORS),
        "moves": len(MOVES),
        "unanswered": sum(1 for move in MOVES if move[5] == "none"),
    }
