"""The demo portfolio's segments and personas: each segment with its size, growth, priority and the
products that serve it, one segment no product serves yet (renewable-energy installers: a growth
opportunity for the mobile line), and each persona with goals, pains and a five-stage customer journey
(awareness → consideration → purchase → onboarding → advocacy) with its touchpoints, pains and
opportunities.

Written through products.services.audience, as a marketer would. The go-to-market demo (gtm.demo) makes
the same five segments and three personas when the portfolio has none (its campaigns and messaging
target them); whichever runs first, this one completes them: a missing size, growth or product set is
filled in, and a persona's journey that does not run through the five stages is mapped anew.
`seed_audience` writes nothing once the growth-opportunity segment exists (it is made last).
"""

from datetime import date
from decimal import Decimal

from django.db import transaction

from products.models import Persona, Portfolio, Product, Segment
from products.services import audience as services

OPPORTUNITY = "Renewable energy installers"

# name: (description, size (accounts), growth % a year, priority 1–5, products)
SEGMENTS = {
    "Mid-market logistics operators": (
        "3PLs and distributors with 5–50 depots in DACH and Benelux; operations run on a WMS and spreadsheets.",
        4200,
        "6.5",
        5,
        ["Insight Hub", "Pulse Alerts"],
    ),
    "Retail and e-commerce operations": (
        "Online and omnichannel retailers with their own fulfilment; peaks around promotions and holidays.",
        6800,
        "9.0",
        4,
        ["Insight Hub", "Pulse Alerts"],
    ),
    "Regulated industries": (
        "Pharma, medical-device makers and banks whose documents fall under GxP, ISO 13485 or BaFin rules.",
        1900,
        "4.0",
        4,
        ["DocFlow", "Ledger Classic"],
    ),
    "Public sector and municipalities": (
        "Cities, agencies and their IT providers: they buy by tender and need EN 301 549 and EU hosting.",
        2600,
        "3.5",
        3,
        ["TeamBoard", "DocFlow"],
    ),
    "Field service and facility management": (
        "Elevator, HVAC and facility service firms with 20–500 technicians on the road.",
        3100,
        "7.5",
        3,
        ["FieldKit", "Scout"],
    ),
    OPPORTUNITY: (
        "Solar, heat-pump and wallbox installers with 10–200 fitters, growing with subsidies and grid rules. "
        "Every job needs site photos, a commissioning checklist and a report for the grid operator; most run "
        "on paper and WhatsApp. No product of ours serves them yet: FieldKit and Scout would, with offline "
        "checklists and grid-operator report templates.",
        5400,
        "18.5",
        4,
        [],
    ),
}

USUAL = tuple(name.lower() for name in services.USUAL_STAGES)


def _journey(*stages) -> list[dict]:
    """Five (touchpoints, pains, opportunities) in the order of services.USUAL_STAGES."""
    return [
        {"stage": name, "touchpoints": touchpoints, "pains": pains, "opportunities": opportunities}
        for name, (touchpoints, pains, opportunities) in zip(services.USUAL_STAGES, stages, strict=True)
    ]


# name: (segment, goals, pains, journey)
PERSONAS = {
    "Olivia, operations manager": (
        "Mid-market logistics operators",
        "Know by 8:00 which depots are behind plan. Spend the Monday meeting on decisions, not on collecting "
        "numbers. Show the regional director a rising on-time rate.",
        "Numbers come from four systems and a spreadsheet and are a week old when they arrive. The WMS alerts "
        "fire all day, so nobody reads them any more.",
        _journey(
            (
                "LinkedIn posts by peers, our stand at the logistics trade show, a search for “depot KPI dashboard”.",
                "Every vendor promises “real time”; she has no time for long demos.",
                "Show a depot dashboard built on sample data in the ad itself.",
            ),
            (
                "Pricing page, a case study from a logistics peer, a 20-minute demo, the free trial.",
                "IT has to approve every connector; connecting the first data source takes a week.",
                "A connector and security FAQ she can forward to IT; sample data so the trial shows value on day one.",
            ),
            (
                "Proposal, procurement call, the order form; her regional director signs.",
                "Budget is approved depot by depot, so a company-wide licence looks too big.",
                "Per-depot pricing with a rollout plan; a business case template with her own trial numbers.",
            ),
            (
                "Kick-off call, onboarding e-mails, the in-app checklist, Pulse Alerts in Teams.",
                "Shift leads never log in; alerts land in yet another inbox.",
                "Scheduled reports by e-mail to shift leads; alerts where the teams already talk.",
            ),
            (
                "Quarterly business review, the customer community, a speaker slot at our user day.",
                "No time to write a testimonial; her wins are buried in spreadsheets.",
                "A ready-made before/after chart of her on-time rate for a case study and a referral bonus.",
            ),
        ),
    ),
    "Henrik, head of quality and compliance": (
        "Regulated industries",
        "Pass every audit without a finding on document control. Approvals that finish in days, with one record "
        "of who approved which version, when.",
        "Approvals are chased by e-mail; wet signatures are scanned into a shared drive; every audit means two "
        "weeks of collecting evidence.",
        _journey(
            (
                "Compliance newsletters, a webinar with a former auditor, his auditor's own recommendation.",
                "Most vendors do not speak GxP; feature lists say nothing about audit findings.",
                "Webinars that start from a real audit finding, not from features.",
            ),
            (
                "Validation documentation, reference calls with design partners, the DocFlow beta.",
                "Computerised-system validation looks like months of work.",
                "A validation pack with ready test scripts and a reference call with a pharma peer.",
            ),
            (
                "Vendor qualification questionnaire, quality agreement, the security review.",
                "Supplier qualification alone takes a quarter; IT security questions e-mail approvals.",
                "A pre-filled supplier questionnaire and a security FAQ that answers IT before it asks.",
            ),
            (
                "Training, migration of the SOP library, the first approval workflow live.",
                "Hundreds of legacy documents and their history; reviewers resist a new tool.",
                "Bulk import with the version history and a migration service; ten-minute role-based training.",
            ),
            (
                "The next audit (the auditor reads a document's trail), quality-manager round tables.",
                "Exporting evidence by hand still takes a day.",
                "One-click audit export per document; invite him to speak at the quality round table.",
            ),
        ),
    ),
    "Paula, public-sector programme manager": (
        "Public sector and municipalities",
        "Keep several projects and their contractors on one plan. Meet the accessibility duty (EN 301 549). "
        "Report status to the council without extra work.",
        "Every tool has to pass procurement and an accessibility check; data must stay in the EU; contractors "
        "work in their own tools.",
        _journey(
            (
                "Public-sector conferences, peers in other cities, tender portals.",
                "Vendors' references are all private companies.",
                "Case studies from two municipalities; a stand at the public-sector summit.",
            ),
            (
                "The accessibility conformance report, the data processing agreement, a pilot board.",
                "Accessibility evidence is missing or out of date; EU hosting is unclear.",
                "A current ACR (WCAG 2.2 AA), a DPA ready to sign and an EU-hosting statement.",
            ),
            (
                "The tender, the framework agreement, the award letter.",
                "Tender criteria favour incumbents; the process takes six months.",
                "Tender-ready answers and a listing on the national framework agreement.",
            ),
            (
                "Board templates, imports from Jira and Trello, a training session, guest access for contractors.",
                "Contractors refuse to re-type their tasks.",
                "Imports and free guest seats for contractors.",
            ),
            (
                "Usage review, renewal of the framework agreement, peers asking her at conferences.",
                "Licences for people who left; she cannot show the council what it saved.",
                "A yearly impact report she can hand to the council and share with other cities.",
            ),
        ),
    ),
    "Jonas, installation team lead": (
        OPPORTUNITY,
        "Finish two heat-pump or solar installations a day per crew. Hand the grid operator a complete "
        "commissioning report the same day, so the customer's system goes live without a second visit.",
        "Site photos live in WhatsApp groups; checklists are paper and get lost in the van; every grid operator "
        "wants its own report format; a missing photo means driving back.",
        _journey(
            (
                "Installer forums and Facebook groups, the wholesaler's counter, the trade fair for renewables.",
                "Software for “field service” looks made for elevator firms, not for a 15-person installer.",
                "Show a heat-pump commissioning checklist with photo steps at the wholesaler and in installer groups.",
            ),
            (
                "A colleague's recommendation, a short video on a phone, a free trial with one crew.",
                "No office staff to set anything up; it must work offline on a roof.",
                "Ready checklists per system type (solar, heat pump, wallbox) that work offline from minute one.",
            ),
            (
                "Monthly card payment, per-crew pricing, the owner decides in one evening.",
                "Annual contracts and per-seat prices scare a business with seasonal helpers.",
                "Monthly per-crew pricing without a contract; seasonal seats at no extra cost.",
            ),
            (
                "App store, a one-page guide, the first job done with the app.",
                "Crews skip steps when the customer is waiting.",
                "Photo steps that cannot be skipped and a report in the grid operator's format, sent from the van.",
            ),
            (
                "Installer groups, the wholesaler, the customer review on the report.",
                "He recommends tools only when they save real driving.",
                "Count the saved return visits in the app and make them easy to share with other installers.",
            ),
        ),
    ),
}


def _follows_the_usual_stages(journey) -> bool:
    names = [str(row.get("stage", "")).strip().lower() for row in journey if isinstance(row, dict)]
    return tuple(names) == USUAL


def seed_audience(*, portfolio: Portfolio, actor, today: date) -> dict | None:
    """Give the demo portfolio's segments and personas what they lack; None once it has them (the
    growth-opportunity segment exists).

    All of it or nothing (one transaction). Products missing from the portfolio are left out; a segment
    or persona of the same name is completed, not duplicated. Raises what the services raise.
    """
    if Segment.objects.filter(portfolio=portfolio, name=OPPORTUNITY).exists():
        return None
    products = {p.name: p for p in Product.objects.filter(portfolio=portfolio)}
    counts = {"segments": 0, "segments_completed": 0, "personas": 0, "journeys": 0}
    with transaction.atomic():
        segments = {s.name: s for s in Segment.objects.filter(portfolio=portfolio).prefetch_related("products")}
        for name, (description, size, growth, priority, served) in SEGMENTS.items():
            serving = [products[p] for p in served if p in products]
            segment = segments.get(name)
            if segment is None:
                segments[name] = services.segment_create(
                    portfolio=portfolio,
                    actor=actor,
                    name=name,
                    description=description,
                    size=size,
                    growth_pct=Decimal(growth),
                    priority=priority,
                    products=serving,
                )
                counts["segments"] += 1
                continue
            missing = {}
            if not segment.description:
                missing["description"] = description
            if segment.size is None:
                missing["size"] = size
            if segment.growth_pct is None:
                missing["growth_pct"] = Decimal(growth)
            if serving and not segment.products.all():
                missing["products"] = serving
            if missing:
                services.segment_update(segment_id=segment.id, actor=actor, **missing)
                counts["segments_completed"] += 1
        personas = {p.name: p for p in Persona.objects.filter(portfolio=portfolio)}
        for name, (segment_name, goals, pains, journey) in PERSONAS.items():
            persona = personas.get(name)
            if persona is None:
                services.persona_create(
                    portfolio=portfolio,
                    actor=actor,
                    name=name,
                    segment=segments.get(segment_name),
                    goals=goals,
                    pains=pains,
                    journey=journey,
                )
                counts["personas"] += 1
                continue
            missing = {}
            if not persona.goals:
                missing["goals"] = goals
            if not persona.pains:
                missing["pains"] = pains
            if persona.segment_id is None and segment_name in segments:
                missing["segment"] = segments[segment_name]
            if not _follows_the_usual_stages(persona.journey):
                missing["journey"] = journey
                counts["journeys"] += 1
            if missing:
                services.persona_update(persona_id=persona.id, actor=actor, **missing)
    return counts
