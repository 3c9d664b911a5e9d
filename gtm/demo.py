"""The demo portfolio's go-to-market: a checklist template per tier, launch plans in every state (one
launched six weeks ago, one launched last week with an override, one at risk ten days out, one ready,
two in planning, one cancelled), messaging for three of them, campaigns around the launch dates, sales
enablement assets, events and the press plan, and the segments and personas they target.

Every go-to-market row is written by the services, as a marketer or product manager would (events,
readiness and the plans' status included). Segments and personas have no services yet and are plain
records. Dates are offsets from `today`, so the demo never looks stale; launch, done, approval and
cancellation times are moved back to the days they happened on, as `seed_roadmap` does for releases.
`seed_demo` calls `seed_gtm` on every run; it writes nothing once the portfolio has go-to-market data.
The KPIs of the campaigns and plans are written by kpis (`kpis.demo_gtm`): gtm does not import kpis.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction

from gtm.models import (
    Asset,
    Campaign,
    LaunchPlan,
    LaunchTask,
    LaunchTemplate,
    MarketingEvent,
    Messaging,
    PressItem,
)
from gtm.services import campaigns as campaign_services
from gtm.services import enablement, launches
from gtm.services import messaging as messaging_services
from products.models import Membership, Persona, Portfolio, Product, Segment
from roadmap.demo import RELEASES
from roadmap.models import Release

P, M, S, SU, L, E = "product", "marketing", "sales", "support", "legal", "engineering"
OPTIONAL = False

# tier: (name, description, [(title, function, offset days, required)]). Launch-day and follow-up tasks
# are optional: readiness is about being ready to launch, so what happens on or after the day never holds
# a plan in planning.
TEMPLATES = {
    1: (
        "Major launch",
        "A new product or a launch the whole company talks about: legal, press, pricing and key accounts, "
        "four weeks ahead.",
        [
            ("Trademark check", L, -30, True),
            ("Final positioning signed off", P, -28, True),
            ("Terms reviewed", L, -21, True),
            ("Launch blog post drafted", M, -14, True),
            ("Battle card updated", S, -10, True),
            ("Sales team trained", S, -7, True),
            ("Support team trained", SU, -7, True),
            ("Press briefed under embargo", M, -5, True),
            ("Pricing in CPQ", S, -5, True),
            ("Key customers contacted", S, -3, True),
            ("Feature flags ready", E, -3, True),
            ("Monitoring dashboards live", E, -3, True),
            ("Help-centre articles published", SU, -2, True),
            ("Support macros updated", SU, -2, True),
            ("Landing page live", M, -1, True),
            ("Release notes published", P, 0, OPTIONAL),
            ("Launch email sent", M, 0, OPTIONAL),
            ("Launch recap to leadership", M, 7, OPTIONAL),
        ],
    ),
    2: (
        "Feature release",
        "A release customers should hear about: positioning, a blog post, sales and support ready.",
        [
            ("Final positioning signed off", P, -21, True),
            ("Terms reviewed", L, -14, True),
            ("Launch blog post drafted", M, -10, True),
            ("Battle card updated", S, -7, True),
            ("Sales team trained", S, -5, True),
            ("Support team trained", SU, -5, True),
            ("Monitoring dashboards live", E, -3, True),
            ("Help-centre articles published", SU, -2, True),
            ("Landing page live", M, -1, True),
            ("Release notes published", P, 0, OPTIONAL),
            ("Launch recap to leadership", M, 7, OPTIONAL),
        ],
    ),
    3: (
        "Minor update",
        "An improvement announced in the product and the newsletter.",
        [
            ("Release notes drafted", P, -3, True),
            ("Help-centre article updated", SU, -2, True),
            ("Support team briefed", SU, -2, True),
            ("In-app announcement scheduled", M, -1, True),
            ("Changelog and newsletter item", M, 0, OPTIONAL),
        ],
    ),
}

# Who owns a task of each function: the product manager and the marketer among the colleagues, the
# demo user (whoever explores the demo) for sales and engineering; support and legal stay unassigned.
TASK_OWNERS = {P: "priya", M: "marco", S: "demo", E: "demo"}

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
}


def _stage(stage, touchpoints, pains, opportunities):
    return {"stage": stage, "touchpoints": touchpoints, "pains": pains, "opportunities": opportunities}


# name: (segment, goals, pains, journey)
PERSONAS = {
    "Olivia, operations manager": (
        "Mid-market logistics operators",
        "Know by 8:00 which depots are behind plan. Spend the Monday meeting on decisions, not on collecting "
        "numbers. Show the regional director a rising on-time rate.",
        "Numbers come from four systems and a spreadsheet and are a week old when they arrive. The WMS alerts "
        "fire all day, so nobody reads them any more.",
        [
            _stage(
                "Awareness",
                "LinkedIn posts by peers, the stand at a logistics trade show, a search for “depot KPI dashboard”.",
                "Every vendor promises “real time”; no time for long demos.",
                "Show a depot dashboard built on sample data in the ad itself.",
            ),
            _stage(
                "Consideration",
                "Pricing page, a case study from a logistics peer, a 20-minute demo.",
                "IT has to approve every connector.",
                "A security and connector FAQ she can forward to IT.",
            ),
            _stage(
                "Trial",
                "Trial workspace, onboarding e-mails, the in-app checklist.",
                "Connecting the first data source takes a week.",
                "Sample data and role templates: value before the first connector.",
            ),
            _stage(
                "Adoption",
                "Scheduled reports, shared dashboards, Pulse Alerts in Teams.",
                "Shift leads never log in.",
                "Reports by e-mail to the shift leads; alerts where they already talk.",
            ),
            _stage(
                "Expansion",
                "Quarterly business review with the account manager.",
                "Budget is approved depot by depot.",
                "Regional pricing and a rollout plan per depot.",
            ),
        ],
    ),
    "Henrik, head of quality and compliance": (
        "Regulated industries",
        "Pass every audit without a finding on document control. Approvals that finish in days, with one "
        "record of who approved which version, when.",
        "Approvals are chased by e-mail; wet signatures are scanned into a shared drive; every audit means "
        "two weeks of collecting evidence.",
        [
            _stage(
                "Awareness",
                "Compliance newsletters, a webinar with a former auditor, the auditor's own recommendation.",
                "Most vendors do not speak GxP.",
                "Webinars that start from an audit finding, not from features.",
            ),
            _stage(
                "Evaluation",
                "Validation documentation, reference calls with design partners.",
                "Computerised-system validation looks like months of work.",
                "A validation pack with ready test scripts.",
            ),
            _stage(
                "Pilot",
                "One SOP approval process in the DocFlow beta.",
                "IT security questions approving from e-mail.",
                "The security FAQ answers it before IT asks.",
            ),
            _stage(
                "Rollout",
                "Training, migration of the SOP library.",
                "Hundreds of legacy documents and their history.",
                "Bulk import and a migration service.",
            ),
            _stage(
                "Audit",
                "The auditor reads the trail of a document.",
                "Exporting evidence by hand.",
                "One-click audit export per document.",
            ),
        ],
    ),
    "Paula, public-sector programme manager": (
        "Public sector and municipalities",
        "Keep several projects and their contractors on one plan. Meet the accessibility duty (EN 301 549). "
        "Report status to the council without extra work.",
        "Every tool has to pass procurement and an accessibility check; data must stay in the EU; contractors "
        "work in their own tools.",
        [
            _stage(
                "Awareness",
                "Public-sector conferences, peers in other cities, tender portals.",
                "Vendors' references are all private companies.",
                "Case studies from two municipalities; a stand at the public-sector summit.",
            ),
            _stage(
                "Procurement",
                "The tender, the accessibility conformance report, the data processing agreement.",
                "Accessibility evidence is missing or out of date.",
                "A current ACR (WCAG 2.2 AA) and a DPA ready to sign.",
            ),
            _stage(
                "Onboarding",
                "Board templates, imports from Jira and Trello, a training session.",
                "Contractors refuse to re-type their tasks.",
                "Imports and guest access for contractors.",
            ),
            _stage(
                "Everyday use",
                "Boards, the portfolio timeline, status reports for the council.",
                "Status reports are assembled by hand.",
                "A timeline across boards that prints as the council report.",
            ),
            _stage(
                "Renewal",
                "Usage review, the framework agreement.",
                "Licences for people who left.",
                "Usage reports per department before renewal.",
            ),
        ],
    ),
}

# Launch plans. status: how the checklist stands — "all" (every task done), "required" (every required
# task done, the optional ones still to do), "none" (nothing done yet); `tasks` overrides single tasks
# with (status, blocked reason); `extra_tasks` are the plan's own, (title, function, offset, required,
# status). outcome: "launch", "override" (launched with open tasks, by the product manager), "cancel".
# `launch`: days from today (a weekend moves to the Monday), else the release's target date.
PLANS = [
    {
        "ref": "pa_oncall",
        "product": "Pulse Alerts",
        "release": None,
        "name": "Pulse Alerts 1.2: on-call schedules",
        "description": "Alerts go to the person on call, with escalation after ten minutes. Shipped before "
        "the roadmap was kept in pmflow.",
        "tier": 2,
        "launch": -42,
        "owner": "marco",
        "status": "all",
        "outcome": "launch",
        "launched_by": "marco",
    },
    {
        "ref": "ih_reports",
        "product": "Insight Hub",
        "release": "3.4",
        "name": "Insight Hub 3.4: scheduled reports",
        "description": "Dashboards by e-mail on a schedule and shared by read-only link.",
        "tier": 2,
        "owner": "priya",
        "status": "all",
        "tasks": {
            "Help-centre articles published": ("doing", ""),
            "Launch recap to leadership": ("todo", ""),
        },
        "outcome": "override",
        "launched_by": "priya",
        "reason": "Customers were promised scheduled reports for the start of the month. The English help-centre "
        "articles are live; the German and French translations follow this week.",
    },
    {
        "ref": "df_beta",
        "product": "DocFlow",
        "release": "0.9",
        "name": "DocFlow public beta",
        "description": "DocFlow's first public launch: open sign-up, approval from e-mail, reminders. Moved "
        "out two weeks when approval by e-mail slipped.",
        "tier": 1,
        "launch": 10,
        "owner": "marco",
        "status": "required",
        "extra_tasks": [("Design partners agree to be quoted", M, -5, True, "done")],
        "tasks": {
            "Launch blog post drafted": ("doing", ""),
            "Terms reviewed": ("doing", ""),
            "Pricing in CPQ": (
                "blocked",
                "RevOps has to create the beta SKU (free for 90 days) before quotes can be made; asked on Monday.",
            ),
            "Help-centre articles published": ("doing", ""),
            "Landing page live": ("todo", ""),
        },
    },
    {
        "ref": "tb_templates",
        "product": "TeamBoard",
        "release": "5.2",
        "name": "TeamBoard 5.2: board templates",
        "description": "5.2 shipped behind a flag; on launch day the template gallery opens to every workspace "
        "with 40 templates and the Jira and Trello imports.",
        "tier": 3,
        "launch": 21,
        "owner": "marco",
        "status": "required",
    },
    {
        "ref": "ih_onboarding",
        "product": "Insight Hub",
        "release": "3.5",
        "name": "Insight Hub 3.5: self-serve onboarding",
        "description": "Trial workspaces with sample data and role templates: the first useful dashboard without "
        "a call.",
        "tier": 2,
        "owner": "priya",
        "status": "none",
        "tasks": {
            "Final positioning signed off": ("done", ""),
            "Terms reviewed": ("done", ""),
            "Launch blog post drafted": ("doing", ""),
            "Battle card updated": ("doing", ""),
        },
    },
    {
        "ref": "ih_api",
        "product": "Insight Hub",
        "release": "3.6",
        "name": "Insight Hub 3.6: metrics API",
        "description": "Next quarter's tier-1 launch: every metric readable by other tools, Pulse Alerts first.",
        "tier": 1,
        "owner": "priya",
        "status": "none",
        "tasks": {"Trademark check": ("done", ""), "Final positioning signed off": ("doing", "")},
    },
    {
        "ref": "lc_lts",
        "product": "Ledger Classic",
        "release": "10.0",
        "name": "Ledger Classic 10.0: long-term support",
        "description": "The last feature release before the sunset.",
        "tier": 2,
        "owner": "marco",
        "status": "none",
        "tasks": {"Final positioning signed off": ("done", "")},
        "outcome": "cancel",
        "reason": "Ledger Classic is being retired: 10.0 goes to existing customers as a maintenance release, "
        "without a launch. Account managers send a customer letter with the Insight Hub migration offer instead.",
    },
]

KEY_MESSAGES_ONCALL = [
    {
        "message": "Alerts reach the person on call, not the whole team.",
        "proof_points": [
            "On-call rotations with hand-over times per team.",
            "Escalation to a second person after 10 minutes without acknowledgement.",
            "Beta customers paged 61 % fewer people per incident.",
        ],
    },
    {
        "message": "Built for business KPIs, not servers.",
        "proof_points": [
            "Thresholds on orders, picks and on-time rate from Insight Hub.",
            "Templates for depot, store and fulfilment operations.",
        ],
    },
    {
        "message": "Set up in an afternoon.",
        "proof_points": [
            "Rotations imported from a CSV file or Google Calendar.",
            "Median setup time in the beta: 2 h 40 min.",
        ],
    },
]

# plan ref: its messaging line, submitted by the marketer and (status "approved") approved by the product
# manager `approved_before_launch` days before launch day; `revision` makes a version 2 draft of it.
MESSAGING = {
    "pa_oncall": {
        "status": "approved",
        "approved_before_launch": 7,
        "positioning": "For operations teams in logistics and retail who are paged about every blip, Pulse Alerts "
        "is the alerting service that sends each alert to the one person on call, so problems get fixed and "
        "everyone else sleeps. Unlike generic monitoring tools, it understands business KPIs (orders, picks, "
        "on-time rate), not only servers.",
        "value_proposition": "The right person hears about a KPI problem within minutes, with the context to act, "
        "and nobody else is woken up.",
        "segments": ["Mid-market logistics operators", "Retail and e-commerce operations"],
        "personas": ["Olivia, operations manager"],
        "key_messages": KEY_MESSAGES_ONCALL,
        "objections": [
            {
                "objection": "We already have PagerDuty for IT.",
                "response": "Keep it: Pulse Alerts escalates into PagerDuty. Operations teams get KPI alerts with "
                "the business context IT tools do not have.",
            },
            {
                "objection": "Our shifts change every week.",
                "response": "Rotations are edited in the app or imported weekly; a swap takes two clicks and is "
                "logged.",
            },
            {
                "objection": "Another tool means another login.",
                "response": "Alerts arrive by SMS, e-mail or push; acknowledging one needs no login.",
            },
        ],
        # Six weeks on: real numbers instead of the beta's, and Slack and Teams since 1.3.
        "revision": {
            "key_messages": [
                {
                    **KEY_MESSAGES_ONCALL[0],
                    "proof_points": [
                        "On-call rotations with hand-over times per team.",
                        "Escalation to a second person after 10 minutes without acknowledgement.",
                        "Six weeks after launch: 38 % fewer alerts per site, acknowledged in 4 minutes (median).",
                    ],
                },
                KEY_MESSAGES_ONCALL[1],
                {
                    "message": "Alerts where the team already talks.",
                    "proof_points": [
                        "Slack and Microsoft Teams channels since 1.3.",
                        "Acknowledge and hand over from the chat message.",
                    ],
                },
            ],
        },
    },
    "df_beta": {
        "status": "in_review",
        "positioning": "For quality and compliance leads in regulated companies who chase approvals by e-mail, "
        "DocFlow is the document approval service that keeps an audit-ready record of who approved which "
        "version, and when. Unlike shared drives and generic e-signature tools, it is built around GxP "
        "document control.",
        "value_proposition": "Approvals finish in days instead of weeks, and the next audit finds its evidence "
        "in one click.",
        "segments": ["Regulated industries"],
        "personas": ["Henrik, head of quality and compliance"],
        "key_messages": [
            {
                "message": "Every approval is audit-ready.",
                "proof_points": [
                    "A tamper-evident trail: who, when, which version and why.",
                    "Two design partners passed customer audits on DocFlow records.",
                ],
            },
            {
                "message": "Approve from e-mail, safely.",
                "proof_points": [
                    "One-click approval links bound to the approver and the version.",
                    "Reminders, and escalation when a deadline passes.",
                ],
            },
            {
                "message": "Running without an IT project.",
                "proof_points": [
                    "Hosted in the EU (Frankfurt).",
                    "A validation pack with test scripts for computerised-system validation.",
                ],
            },
        ],
        "objections": [
            {
                "objection": "Is a beta good enough for regulated documents?",
                "response": "Start with one process: the beta's records are kept and carry over to 1.0 unchanged.",
            },
            {
                "objection": "Approving from e-mail sounds insecure.",
                "response": "Links expire after 72 hours, work only for the named approver and record the device; "
                "sensitive steps can require signing in.",
            },
            {
                "objection": "We already have SharePoint.",
                "response": "Keep the documents there: DocFlow runs the approval steps and the trail, and files "
                "the approved PDF back.",
            },
        ],
    },
    "ih_reports": {
        "status": "approved",
        "approved_before_launch": 14,
        "positioning": "For operations managers who spend Monday mornings assembling numbers, Insight Hub's "
        "scheduled reports put the week's dashboard in every inbox before the meeting. Unlike spreadsheets "
        "exported by hand, they are current at send time and reach people who never log in.",
        "value_proposition": "The weekly numbers arrive on their own, on time, for everyone who needs them.",
        "segments": ["Mid-market logistics operators", "Retail and e-commerce operations"],
        "personas": ["Olivia, operations manager"],
        "key_messages": [
            {
                "message": "Reports arrive before the meeting.",
                "proof_points": [
                    "Daily, weekly or monthly PDFs by e-mail, at a time in each recipient's time zone.",
                    "Early-access customers saved three hours of Monday reporting a week.",
                ],
            },
            {
                "message": "Share without another login.",
                "proof_points": [
                    "Read-only links for people outside Insight Hub.",
                    "Links expire after 30 days and can be revoked.",
                ],
            },
            {
                "message": "Everyone sees the same numbers.",
                "proof_points": ["Each report is rendered from the live dashboard at send time."],
            },
        ],
        "objections": [
            {
                "objection": "Our managers want Excel, not PDF.",
                "response": "Every report links to its dashboard, and the data exports to CSV.",
            },
            {
                "objection": "Are shared links safe?",
                "response": "They are read-only, expire after 30 days and can be revoked at any time.",
            },
            {
                "objection": "We already e-mail screenshots.",
                "response": "Screenshots go stale and cannot be filtered; a scheduled report is current when it is "
                "sent and costs nobody their Monday morning.",
            },
        ],
    },
}


def campaign(*, product, plan, name, channel, segment, days, budget, spend, owner="marco", status=None, about=""):
    """A campaign row: `days` (start, end) from the plan's launch day, or from today without a plan;
    `status` None follows the dates (done, active, planned)."""
    return {
        "product": product,
        "plan": plan,
        "name": name,
        "channel": channel,
        "segment": segment,
        "days": days,
        "budget": Decimal(budget),
        "spend": Decimal(spend),
        "owner": owner,
        "status": status,
        "description": about,
    }


LOGISTICS, RETAIL, REGULATED, PUBLIC = (
    "Mid-market logistics operators",
    "Retail and e-commerce operations",
    "Regulated industries",
    "Public sector and municipalities",
)

# Around their launches; three spent more than their budget.
CAMPAIGNS = [
    campaign(
        product="Insight Hub",
        plan=None,
        name="Logistics & Operations Expo: stand and follow-up",
        channel="events",
        segment=LOGISTICS,
        days=(-90, -50),
        budget="24000",
        spend="25350",
        about="The stand, travel and the follow-up calls with the 142 leads; the stand cost more than planned.",
    ),
    campaign(
        product="Pulse Alerts",
        plan="pa_oncall",
        name="On-call schedules: launch e-mail to trial users",
        channel="email",
        segment=RETAIL,
        days=(0, 14),
        budget="2000",
        spend="1850",
        about="Three e-mails to trial and free users: the launch, a setup guide, a customer story.",
    ),
    campaign(
        product="Pulse Alerts",
        plan="pa_oncall",
        name="Paid search: on-call alerting",
        channel="paid_search",
        segment=LOGISTICS,
        days=(0, 35),
        budget="12000",
        spend="13650",
        about="Google Ads on “on-call alerting”, “KPI alerts” and competitors' names.",
    ),
    campaign(
        product="Pulse Alerts",
        plan="pa_oncall",
        name="Alert-fatigue guide (gated e-book)",
        channel="content",
        segment=LOGISTICS,
        days=(7, 67),
        budget="3500",
        spend="2100",
        about="“Page fewer people”: a 20-page guide, promoted in the newsletter and on LinkedIn.",
    ),
    campaign(
        product="Insight Hub",
        plan="ih_reports",
        name="Scheduled reports: LinkedIn ads for operations managers",
        channel="paid_social",
        segment=LOGISTICS,
        days=(0, 28),
        budget="9000",
        spend="2400",
        about="Sponsored posts and a lead form, aimed at operations and logistics managers in DACH.",
    ),
    campaign(
        product="Ledger Classic",
        plan=None,
        name="Ledger Classic to Insight Hub: migration offer",
        channel="email",
        segment=REGULATED,
        days=(-20, 40),
        budget="3000",
        spend="1200",
        owner="priya",
        about="Account-managed mailing: the migration assistant and six months of Insight Hub at Ledger's price.",
    ),
    campaign(
        product="DocFlow",
        plan="df_beta",
        name="Beta waiting list: compliance content series",
        channel="content",
        segment=REGULATED,
        days=(-40, 0),
        budget="4000",
        spend="4420",
        about="Four articles on audit findings in document control, each with the beta sign-up.",
    ),
    campaign(
        product="DocFlow",
        plan="df_beta",
        name="DocFlow beta: LinkedIn ads to quality leads",
        channel="paid_social",
        segment=REGULATED,
        days=(0, 30),
        budget="10000",
        spend="0",
    ),
    campaign(
        product="DocFlow",
        plan="df_beta",
        name="Quality-consultancy partner programme",
        channel="partner",
        segment=REGULATED,
        days=(0, 60),
        budget="6000",
        spend="0",
        owner="priya",
        about="Three ISO 13485 consultancies recommend the beta to their clients; a co-branded webinar included.",
    ),
    campaign(
        product="TeamBoard",
        plan="tb_templates",
        name="Template gallery: organic social series",
        channel="social",
        segment=PUBLIC,
        days=(0, 21),
        budget="1200",
        spend="0",
        about="One template a day on LinkedIn for three weeks.",
    ),
    campaign(
        product="Insight Hub",
        plan="ih_api",
        name="Metrics API: developer content programme",
        channel="content",
        segment=LOGISTICS,
        days=(-14, 36),
        budget="5000",
        spend="0",
        owner="priya",
        about="Tutorials and sample code for the metrics API.",
    ),
    campaign(
        product="Ledger Classic",
        plan="lc_lts",
        name="Ledger 10 LTS upgrade mailing",
        channel="email",
        segment=REGULATED,
        days=(-10, 10),
        budget="1500",
        spend="0",
        status="cancelled",
        about="Cancelled with the launch: the customer letter replaces it.",
    ),
]

INTRANET = "https://intranet.example.com/sales"

# (product, plan ref, title, kind, audience, version (None: this quarter's, e.g. 2026-Q2), path under
# INTRANET, description)
ASSETS = [
    (
        "Pulse Alerts",
        "pa_oncall",
        "Demo script: on-call schedules",
        "demo_script",
        "sales",
        "2",
        "pulse-alerts/demo-script-on-call",
        "A 15-minute demo: a depot's rotation, an alert at 6:02, the escalation.",
    ),
    (
        "Pulse Alerts",
        "pa_oncall",
        "Battle card: Pulse Alerts vs. PagerDuty",
        "battle_card",
        "sales",
        "3",
        "pulse-alerts/battle-card-pagerduty",
        "",
    ),
    (
        "Insight Hub",
        None,
        "Insight Hub pitch deck",
        "pitch_deck",
        "sales",
        None,
        "insight-hub/pitch-deck",
        "The standard deck, with the scheduled-reports slide.",
    ),
    (
        "Insight Hub",
        "ih_reports",
        "Scheduled reports FAQ",
        "faq",
        "support",
        "1",
        "insight-hub/faq-scheduled-reports",
        "",
    ),
    (
        "DocFlow",
        "df_beta",
        "DocFlow public beta datasheet",
        "datasheet",
        "customers",
        "1",
        "docflow/beta-datasheet",
        "Two pages: approvals, the audit trail, EU hosting.",
    ),
    (
        "DocFlow",
        "df_beta",
        "Security and compliance FAQ (GxP, eIDAS)",
        "faq",
        "sales",
        "1",
        "docflow/security-compliance-faq",
        "What IT security and QA ask before a pilot.",
    ),
    (
        "DocFlow",
        "df_beta",
        "Sales training: selling to quality leads",
        "training",
        "sales",
        "1",
        "docflow/training-quality-leads",
        "A 45-minute recorded session with the discovery questions.",
    ),
    (
        "TeamBoard",
        "tb_templates",
        "Demo script: template gallery and imports",
        "demo_script",
        "partners",
        "1",
        "teamboard/demo-script-templates",
        "",
    ),
    (
        "TeamBoard",
        "tb_templates",
        "Battle card: TeamBoard vs. Trello and Jira",
        "battle_card",
        "sales",
        "4",
        "teamboard/battle-card-trello-jira",
        "",
    ),
    (
        "Insight Hub",
        "ih_api",
        "Metrics API datasheet (draft)",
        "datasheet",
        "partners",
        "0.3",
        "insight-hub/metrics-api-datasheet",
        "For the integration partners' preview.",
    ),
]

# (name, kind, start, end (days from today; a weekend start moves to the Monday), location, cost, leads
# (kept only once the event is over), products, description)
EVENTS = [
    (
        "Logistics & Operations Expo",
        "trade_show",
        -64,
        -62,
        "Stuttgart, hall 8",
        "18500",
        142,
        ["Insight Hub", "Pulse Alerts"],
        "Stand with live depot dashboards; Pulse Alerts 1.2 previewed.",
    ),
    (
        "Webinar: on-call without the noise",
        "webinar",
        -38,
        -38,
        "Online",
        "650",
        87,
        ["Pulse Alerts"],
        "With a logistics customer's head of operations.",
    ),
    (
        "Operations analytics meetup",
        "meetup",
        -16,
        -16,
        "Berlin, our office",
        "900",
        23,
        ["Insight Hub"],
        "",
    ),
    (
        "Webinar: audit-ready approvals",
        "webinar",
        12,
        12,
        "Online",
        "500",
        None,
        ["DocFlow"],
        "A former GMP auditor on the ten most common document-control findings; the beta live.",
    ),
    (
        "Public Sector Digital Summit",
        "conference",
        45,
        46,
        "Berlin",
        "9800",
        None,
        ["TeamBoard", "DocFlow"],
        "Talk slot on accessible collaboration tools (EN 301 549).",
    ),
    (
        "Facility Services Fair",
        "trade_show",
        96,
        98,
        "Cologne",
        "21000",
        None,
        ["FieldKit"],
        "FieldKit preview with a pilot partner on the stand.",
    ),
]


def press(*, product, plan, title, kind, channel, day, owner, draft=False):
    """A press item: published on `day` (from the plan's launch day; None: not dated yet), so published once
    that day has come and scheduled before it, unless still a `draft`."""
    return {
        "product": product,
        "plan": plan,
        "title": title,
        "kind": kind,
        "channel": channel,
        "day": day,
        "owner": owner,
        "draft": draft,
    }


PRESS_ITEMS = [
    press(
        product="Pulse Alerts",
        plan="pa_oncall",
        title="Pulse Alerts routes alerts to the person on call",
        kind="press_release",
        channel="Newswire DACH",
        day=0,
        owner="marco",
    ),
    press(
        product="Pulse Alerts",
        plan="pa_oncall",
        title="Why we stopped paging the whole team",
        kind="blog_post",
        channel="Company blog",
        day=0,
        owner="marco",
    ),
    press(
        product="Insight Hub",
        plan="ih_reports",
        title="Scheduled reports: Monday's numbers before Monday",
        kind="blog_post",
        channel="Company blog",
        day=0,
        owner="marco",
    ),
    press(
        product="Insight Hub",
        plan="ih_reports",
        title="Scheduled reports launch posts",
        kind="social_post",
        channel="LinkedIn",
        day=0,
        owner="marco",
    ),
    press(
        product="Insight Hub",
        plan="ih_reports",
        title="Customer newsletter: scheduled reports and shared links",
        kind="newsletter",
        channel="Customer newsletter",
        day=1,
        owner="marco",
    ),
    press(
        product="DocFlow",
        plan="df_beta",
        title="Analyst briefing: DocFlow and document control",
        kind="briefing",
        channel="Analyst call",
        day=-7,
        owner="priya",
    ),
    press(
        product="DocFlow",
        plan="df_beta",
        title="DocFlow opens its public beta",
        kind="press_release",
        channel="Newswire DACH",
        day=0,
        owner="marco",
        draft=True,
    ),
    press(
        product="DocFlow",
        plan="df_beta",
        title="Public beta launch posts",
        kind="social_post",
        channel="LinkedIn",
        day=0,
        owner="marco",
    ),
    press(
        product="TeamBoard",
        plan="tb_templates",
        title="40 board templates to start from",
        kind="blog_post",
        channel="Company blog",
        day=0,
        owner="marco",
        draft=True,
    ),
    press(
        product="TeamBoard",
        plan="tb_templates",
        title="Newsletter: the template gallery is open",
        kind="newsletter",
        channel="Customer newsletter",
        day=0,
        owner="marco",
    ),
    press(
        product="Insight Hub",
        plan="ih_api",
        title="Interview: opening our metrics to other tools",
        kind="interview",
        channel="Trade journal",
        day=None,
        owner="priya",
        draft=True,
    ),
]


def _at(day: date, hour: int, zone) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=zone)


def _weekday(day: date) -> date:
    """The day, or the Monday after it when it falls on a weekend: nobody launches on a Sunday."""
    return day + timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= 5 else day


def _has_gtm_data(portfolio: Portfolio) -> bool:
    by_product = {"product__portfolio": portfolio}
    return (
        LaunchTemplate.objects.filter(portfolio=portfolio).exists()
        or LaunchPlan.objects.filter(**by_product).exists()
        or Messaging.objects.filter(**by_product).exists()
        or Campaign.objects.filter(**by_product).exists()
        or Asset.objects.filter(**by_product).exists()
        or PressItem.objects.filter(**by_product).exists()
        or MarketingEvent.objects.filter(portfolio=portfolio).exists()
    )


def _audiences(portfolio: Portfolio, products: dict) -> tuple[dict, dict, dict]:
    """The segments and personas, made when the portfolio has none yet (plain records: no services for
    them yet). Returns them by name (existing ones too, so messaging and campaigns can target them) and
    how many were made."""
    made = {"segments": 0, "personas": 0}
    if not Segment.objects.filter(portfolio=portfolio).exists():
        for name, (description, size, growth, priority, served) in SEGMENTS.items():
            segment = Segment.objects.create(
                portfolio=portfolio,
                name=name,
                description=description,
                size=size,
                growth_pct=Decimal(growth),
                priority=priority,
            )
            segment.products.set([products[p] for p in served if p in products])
            made["segments"] += 1
    segments = {s.name: s for s in Segment.objects.filter(portfolio=portfolio)}
    if not Persona.objects.filter(portfolio=portfolio).exists():
        for name, (segment, goals, pains, journey) in PERSONAS.items():
            Persona.objects.create(
                portfolio=portfolio, name=name, segment=segments.get(segment), goals=goals, pains=pains, journey=journey
            )
            made["personas"] += 1
    personas = {p.name: p for p in Persona.objects.filter(portfolio=portfolio)}
    return segments, personas, made


def _templates(portfolio: Portfolio, actor) -> dict[int, LaunchTemplate]:
    return {
        tier: launches.launch_template_create(
            portfolio=portfolio,
            actor=actor,
            name=name,
            tier=tier,
            description=description,
            tasks=[
                {"title": title, "function": function, "offset_days": offset, "required": required}
                for title, function, offset, required in tasks
            ],
        )
        for tier, (name, description, tasks) in TEMPLATES.items()
    }


def _launch_date(spec: dict, release: Release | None, today: date) -> date:
    """The plan's own day (a weekday), else its release's target date; without the release (the roadmap
    was not loaded, or has changed) the day the demo roadmap gives that release."""
    if "launch" in spec:
        return _weekday(today + timedelta(days=spec["launch"]))
    if release is not None:
        return release.target_date
    offsets = {version: offset for version, _, offset, _, _ in RELEASES.get(spec["product"], [])}
    return today + timedelta(days=offsets[spec["release"]])


def _plan(spec: dict, *, product, template, people: dict, actor, today: date) -> LaunchPlan:
    """One plan from its tier's template, its checklist ticked as `spec` says (each function's owner ticks
    its tasks), then launched or cancelled."""
    zone = product.portfolio.zone
    release = Release.objects.filter(product=product, version=spec["release"]).first() if spec["release"] else None
    launch_date = _launch_date(spec, release, today)
    plan = launches.launch_plan_create(
        product=product,
        actor=actor,
        template=template,
        name=spec["name"],
        description=spec["description"],
        tier=spec["tier"],
        launch_date=launch_date,
        release=release,
        owner=people.get(spec["owner"]),
    )
    overrides = dict(spec.get("tasks", {}))
    for title, function, offset, required, status in spec.get("extra_tasks", ()):
        launches.launch_task_create(
            launch_plan=plan,
            actor=people.get(spec["owner"], actor),
            title=title,
            function=function,
            required=required,
            due_date=launch_date + timedelta(days=offset),
        )
        overrides[title] = (status, "")
    done_days = {}
    for task in plan.tasks.order_by("position", "id"):
        owner = people.get(TASK_OWNERS.get(task.function, ""))
        done = spec["status"] == "all" or (spec["status"] == "required" and task.required)
        status, reason = overrides.get(task.title, (LaunchTask.Status.DONE if done else LaunchTask.Status.TODO, ""))
        fields = {"owner": owner}
        if status != LaunchTask.Status.TODO:
            fields["status"] = status
        if reason:
            fields["blocked_reason"] = reason
        launches.launch_task_update(task_id=task.id, actor=owner or actor, **fields)
        if status == LaunchTask.Status.DONE:
            # Done on the day it was due, or yesterday when that day is still to come.
            done_days[task.id] = min(task.due_date or today, today - timedelta(days=1))
    for task_id, day in done_days.items():
        LaunchTask.objects.filter(pk=task_id).update(done_at=_at(day, 15, zone))
    outcome = spec.get("outcome")
    if outcome in ("launch", "override"):
        launches.launch_plan_launch(
            plan_id=plan.id,
            actor=people.get(spec["launched_by"], actor),
            override=outcome == "override",
            reason=spec.get("reason", ""),
        )
        # Launched on its launch day, not at seeding time (a lifecycle rule reads launched_at).
        LaunchPlan.objects.filter(pk=plan.id).update(launched_at=_at(launch_date, 9, zone))
    elif outcome == "cancel":
        launches.launch_plan_cancel(plan_id=plan.id, actor=people.get(spec["owner"], actor), reason=spec["reason"])
        LaunchPlan.objects.filter(pk=plan.id).update(cancelled_at=_at(today - timedelta(days=6), 14, zone))
    plan.refresh_from_db()
    return plan


def _messaging(plans: dict, segments: dict, personas: dict, people: dict, actor) -> int:
    """A messaging line for three plans: approved (one with a revised version 2 draft), one in review.
    Written by the marketer, approved by the product manager a week or two before the launch."""
    writer = people.get("marco", actor)
    approver = people.get("priya", actor)
    versions = 0
    for ref, spec in MESSAGING.items():
        plan = plans.get(ref)
        if plan is None:
            continue
        zone = plan.product.portfolio.zone
        messaging = messaging_services.messaging_create(
            product=plan.product,
            actor=writer,
            launch_plan=plan,
            positioning=spec["positioning"],
            value_proposition=spec["value_proposition"],
            target_segments=[segments[name] for name in spec["segments"] if name in segments],
            target_personas=[personas[name] for name in spec["personas"] if name in personas],
            key_messages=spec["key_messages"],
            objections=spec["objections"],
        )
        versions += 1
        messaging_services.messaging_submit(messaging_id=messaging.id, actor=writer)
        if spec["status"] != Messaging.Status.APPROVED:
            continue
        messaging_services.messaging_approve(messaging_id=messaging.id, actor=approver)
        approved = plan.launch_date - timedelta(days=spec["approved_before_launch"])
        Messaging.objects.filter(pk=messaging.id).update(
            submitted_at=_at(approved - timedelta(days=2), 11, zone), approved_at=_at(approved, 16, zone)
        )
        if "revision" in spec:
            draft = messaging_services.messaging_revise(messaging_id=messaging.id, actor=writer)
            messaging_services.messaging_update(messaging_id=draft.id, actor=writer, **spec["revision"])
            versions += 1
    return versions


def _status_on(start: date, end: date, today: date) -> str:
    if end < today:
        return Campaign.Status.DONE
    return Campaign.Status.ACTIVE if start <= today else Campaign.Status.PLANNED


def _campaigns(products: dict, plans: dict, segments: dict, people: dict, actor, today: date) -> int:
    count = 0
    for row in CAMPAIGNS:
        product, plan = products.get(row["product"]), plans.get(row["plan"])
        if product is None or (row["plan"] and plan is None):
            continue
        base = plan.launch_date if plan is not None else today
        start, end = (base + timedelta(days=offset) for offset in row["days"])
        campaign_services.campaign_create(
            product=product,
            actor=people.get(row["owner"], actor),
            launch_plan=plan,
            name=row["name"],
            description=row["description"],
            channel=row["channel"],
            segment=segments.get(row["segment"]),
            owner=people.get(row["owner"]),
            start_date=start,
            end_date=end,
            budget=row["budget"],
            spend=row["spend"],
            status=row["status"] or _status_on(start, end, today),
        )
        count += 1
    return count


def _enablement(portfolio: Portfolio, products: dict, plans: dict, people: dict, actor, today: date) -> dict:
    """Sales enablement assets (intranet links), the portfolio's events and the press plan."""
    counts = {"assets": 0, "events": 0, "press_items": 0}
    marketer = people.get("marco", actor)
    for name, ref, title, kind, audience, version, path, description in ASSETS:
        if name in products and (ref is None or ref in plans):
            enablement.asset_create(
                product=products[name],
                actor=marketer,
                launch_plan=plans.get(ref),
                title=title,
                kind=kind,
                audience=audience,
                version=version or f"{today:%Y}-Q{(today.month - 1) // 3 + 1}",
                url=f"{INTRANET}/{path}",
                description=description,
            )
            counts["assets"] += 1
    for name, kind, start, end, location, cost, leads, served, description in EVENTS:
        first = _weekday(today + timedelta(days=start))
        last = first + timedelta(days=end - start)
        enablement.marketing_event_create(
            portfolio=portfolio,
            actor=marketer,
            products=[products[p] for p in served if p in products],
            name=name,
            kind=kind,
            start_date=first,
            end_date=last,
            location=location,
            cost=Decimal(cost),
            leads=leads if last < today else None,
            description=description,
        )
        counts["events"] += 1
    for row in PRESS_ITEMS:
        product, plan = products.get(row["product"]), plans.get(row["plan"])
        if product is None or plan is None:
            continue
        day = plan.launch_date + timedelta(days=row["day"]) if row["day"] is not None else None
        if row["draft"]:
            status = PressItem.Status.DRAFT
        else:
            status = PressItem.Status.PUBLISHED if day <= today else PressItem.Status.SCHEDULED
        enablement.press_item_create(
            product=product,
            actor=people.get(row["owner"], actor),
            launch_plan=plan,
            title=row["title"],
            kind=row["kind"],
            channel=row["channel"],
            publish_date=day,
            owner=people.get(row["owner"]),
            status=status,
        )
        counts["press_items"] += 1
    return counts


def seed_gtm(*, portfolio: Portfolio, actor, today: date) -> dict | None:
    """Give the demo portfolio its go-to-market data; None when it has some already (templates, plans,
    messaging, campaigns, assets, events or press items).

    All of it or nothing (one transaction): a failed run leaves nothing half written, and the next run
    tries again. Products missing from the portfolio are skipped with what belongs to them; people who
    are no longer members are left out (the demo user acts for them). Segments and personas are made
    only when the portfolio has none. Raises what the services raise for data that breaks their rules.
    """
    if _has_gtm_data(portfolio):
        return None
    products = {p.name: p for p in Product.objects.filter(portfolio=portfolio).select_related("portfolio")}
    members = Membership.objects.filter(portfolio=portfolio).select_related("user")
    people = {m.user.get_username(): m.user for m in members}
    with transaction.atomic():
        segments, personas, counts = _audiences(portfolio, products)
        templates = _templates(portfolio, actor)
        plans = {
            spec["ref"]: _plan(
                spec,
                product=products[spec["product"]],
                template=templates[spec["tier"]],
                people=people,
                actor=actor,
                today=today,
            )
            for spec in PLANS
            if spec["product"] in products
        }
        counts.update(
            templates=len(templates),
            plans=len(plans),
            tasks=LaunchTask.objects.filter(launch_plan__in=plans.values()).count(),
            messaging=_messaging(plans, segments, personas, people, actor),
            campaigns=_campaigns(products, plans, segments, people, actor, today),
        )
        counts.update(_enablement(portfolio, products, plans, people, actor, today))
    return counts
