"""The demo portfolio's roadmap: initiatives, features and requirements for each demo product, the
releases they ship in (one shipped, two planned), a few dependencies, the ideas and feedback behind
some items, a goal an initiative serves and the portfolio's scoring weights.

Every roadmap row is written by the services, as a person would (events, ranks and the ship rule
included); ideas, feedback, goals and key results have no services yet and are plain records. Dates are
offsets from `today`, so the demo never looks stale. `seed_demo` calls `seed_roadmap` on every run; it
writes nothing once the portfolio has a roadmap.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction

from products.models import Feedback, Goal, Idea, KeyResult, Membership, Portfolio, Product
from roadmap.models import Release, RoadmapItem
from roadmap.services import (
    dependency_create,
    release_create,
    release_ship,
    roadmap_item_create,
    scoring_weights_save,
)

# Value and the cost of delay count most; effort counts against an item.
WEIGHTS = {
    "value": Decimal("3"),
    "business_value": Decimal("2"),
    "time_criticality": Decimal("2"),
    "risk_reduction": Decimal("1"),
    "reach": Decimal("0"),
    "impact": Decimal("0"),
    "confidence": Decimal("0"),
    "effort": Decimal("-1.5"),
    "job_size": Decimal("0"),
}

# product: [(version, name, target day offset, shipped, description)]: one shipped, two planned.
RELEASES = {
    "Insight Hub": [
        ("3.4", "Scheduled reports", -2, True, "Reports by e-mail on a schedule, and dashboards shared by link."),
        ("3.5", "Self-serve onboarding", 28, False, "A trial workspace that shows value in the first session."),
        ("3.6", "Metrics API", 84, False, "Read access to every metric for other tools, Pulse Alerts first."),
    ],
    "Pulse Alerts": [
        ("1.3", "Slack and Teams", 0, True, "Alerts where the team already talks."),
        ("1.4", "Smarter thresholds", 35, False, "Fewer false alarms: seasonal baselines and quiet hours."),
        ("2.0", "Alerts on any metric", 110, False, "Alert on any Insight Hub metric, not only the built-in ones."),
    ],
    "Ledger Classic": [
        ("9.8", "Security maintenance", -3, True, "Java 21 runtime and TLS 1.3 for the report server."),
        ("9.9", "Migration assistant", 45, False, "Move report definitions to Insight Hub in one step."),
        ("10.0", "Long-term support", 120, False, "The last feature release: supported until the sunset date."),
    ],
    "TeamBoard": [
        ("5.2", "Board templates", 0, True, "A template gallery and imports from Trello and Jira."),
        ("5.3", "Accessibility", 40, False, "WCAG 2.2 AA across boards and cards."),
        ("5.4", "Portfolio timeline", 95, False, "Plan across boards: dependencies and a timeline."),
    ],
    "DocFlow": [
        ("0.8", "Design-partner preview", -1, True, "Approval steps and the audit trail for three design partners."),
        # The beta has slipped: due last week, two items still open (the release list shows it overdue).
        ("0.9", "Public beta", -5, False, "Open sign-up: approve from e-mail, reminders and escalations."),
        ("1.0", "General availability", 80, False, "Qualified signatures and the GDPR erasure the sales team needs."),
    ],
    "Huddle": [
        ("0.1", "Interview prototype", -1, True, "A recorded stand-up prototype for the research interviews."),
        ("0.2", "Pilot with three teams", 30, False, "The daily digest, in three remote teams' real week."),
        ("0.3", "Private beta", 90, False, "Slack sign-in and channel digests for the waiting list."),
    ],
    "FieldKit": [
        ("0.1", "Paper-to-app prototype", 0, True, "The checklist builder and a tablet app for the pilot partners."),
        ("0.5", "Pilot with two service partners", 45, False, "Offline sync, tested in basements and plant rooms."),
        ("1.0", "Launch", 130, False, "Photos, signatures and EU hosting for the first paying customers."),
    ],
    "Scout": [
        ("0.1", "Clickable prototype", 0, True, "A clickable prototype for concept tests on two building sites."),
        ("0.2", "Concept test", 30, False, "Snap an issue and pin it on a site map, with ten site managers."),
        ("0.3", "Alpha", 100, False, "Privacy by design before the first real site photos are stored."),
    ],
}

# The goal an initiative serves (Insight Hub's "Self-serve onboarding").
GOAL = {
    "product": "Insight Hub",
    "title": "Grow self-serve adoption",
    "description": "More operations managers reach their first useful dashboard without help.",
    "key_results": [
        ("wau", "Weekly active users", 5200, 6500),
        ("conversion", "Trial conversion in %", 11, 14),
    ],
}

# ref: (product, title, description, status)
IDEAS = {
    "ih_templates": (
        "Insight Hub",
        "Dashboard templates for common operations roles",
        "Warehouse lead, support lead and fleet manager start from a template instead of a blank page.",
        Idea.Status.ACCEPTED,
    ),
    "ih_questions": (
        "Insight Hub",
        "Ask questions in plain English",
        "“Which depot was late most often last week?” answered as a chart.",
        Idea.Status.CONCEPT,
    ),
    "pa_mobile": ("Pulse Alerts", "Push alerts to the phone app", "", Idea.Status.CONCEPT),
    "tb_timeline": (
        "TeamBoard",
        "A timeline across boards for portfolio managers",
        "Portfolio managers copy cards into spreadsheets to see what lands when.",
        Idea.Status.EVALUATED,
    ),
    "sc_routing": (
        "Scout",
        "Route issues to the right subcontractor by trade",
        "Electrical issues to the electrician's inbox, plumbing to the plumber's.",
        Idea.Status.CONCEPT,
    ),
}

# ref: (product, source, customer, text, importance 1–5, deal value, received days ago, idea refs)
FEEDBACK = {
    "ih_first_dashboard": (
        "Insight Hub",
        Feedback.Source.SUPPORT,
        "Northwind Logistics",
        "New shift managers give up before their first dashboard shows anything useful.",
        4,
        None,
        38,
        ["ih_templates"],
    ),
    "ih_templates_sales": (
        "Insight Hub",
        Feedback.Source.SALES,
        "Tailspin Freight",
        "Would roll out to 40 depots if each depot lead got a ready-made dashboard.",
        4,
        Decimal("36000"),
        21,
        ["ih_templates"],
    ),
    "pa_false_alarms": (
        "Pulse Alerts",
        Feedback.Source.SUPPORT,
        "Contoso Retail",
        "We are paged every Monday at 6:00 for the weekend dip in orders. Too many false alarms.",
        5,
        None,
        16,
        [],
    ),
    "pa_pagerduty": (
        "Pulse Alerts",
        Feedback.Source.SALES,
        "Fabrikam",
        "Would buy 200 seats if alerts escalated through PagerDuty.",
        3,
        Decimal("48000"),
        44,
        [],
    ),
    "tb_tender": (
        "TeamBoard",
        Feedback.Source.SALES,
        "City of Utrecht",
        "Our tender requires EN 301 549 (WCAG 2.2 AA) conformance by next spring.",
        5,
        Decimal("120000"),
        52,
        [],
    ),
    "tb_spreadsheets": (
        "TeamBoard",
        Feedback.Source.INTERVIEW,
        "Adatum Engineering",
        "I copy cards from six boards into a spreadsheet every Friday to see what lands when.",
        3,
        None,
        30,
        ["tb_timeline"],
    ),
    "df_auditors": (
        "DocFlow",
        Feedback.Source.INTERVIEW,
        "Hartmann Pharma",
        "Auditors ask who approved what, when, and on which version of the document.",
        5,
        None,
        75,
        [],
    ),
    "df_phone": (
        "DocFlow",
        Feedback.Source.BETA,
        "Alder Bank",
        "Approvers want to approve from their phone without logging in first.",
        4,
        None,
        12,
        [],
    ),
    "hu_time_zones": (
        "Huddle",
        Feedback.Source.INTERVIEW,
        "",
        "Across three time zones someone is always at a 7:00 or a 22:00 stand-up.",
        4,
        None,
        34,
        [],
    ),
    "fk_no_signal": (
        "FieldKit",
        Feedback.Source.INTERVIEW,
        "Kessler Elevators",
        "Basements have no signal: technicians fill in paper forms and type them up at night.",
        5,
        None,
        26,
        [],
    ),
}


def _item(kind, ref, title, parent=None, **spec):
    return {"kind": kind, "ref": ref, "title": title, "parent": parent, **spec}


def initiative(ref, title, **spec):
    return _item(RoadmapItem.Kind.INITIATIVE, ref, title, **spec)


def feature(ref, title, parent, **spec):
    return _item(RoadmapItem.Kind.FEATURE, ref, title, parent, **spec)


def requirement(ref, title, parent, **spec):
    return _item(RoadmapItem.Kind.REQUIREMENT, ref, title, parent, **spec)


NOW, NEXT, LATER = RoadmapItem.Horizon.NOW, RoadmapItem.Horizon.NEXT, RoadmapItem.Horizon.LATER
PROPOSED, PLANNED = RoadmapItem.Status.PROPOSED, RoadmapItem.Status.PLANNED
IN_PROGRESS, DONE = RoadmapItem.Status.IN_PROGRESS, RoadmapItem.Status.DONE

# Per product, in board order (a parent before its children). An item's spec: plan (horizon, status,
# then owner (a username), start and end (days from today), release (a version)), rice (reach per
# quarter, impact, confidence %, effort in person-months), wsjf (business value, time criticality, risk
# reduction, job size), value (1–10), moscow, regulation (makes it a regulatory requirement),
# key_result, ideas, feedback (refs above). Items without scores show "no score".
ITEMS = {
    "Insight Hub": [
        initiative(
            "ih_onboarding",
            "Self-serve onboarding",
            description="A trial workspace that reaches a useful dashboard in the first session, without a call.",
            plan=(NOW, IN_PROGRESS, "priya", -45, 60),
            rice=(1200, "2", 80, 6),
            wsjf=(13, 8, 5, 8),
            value=8,
            moscow="must",
            key_result="wau",
        ),
        feature(
            "ih_first_dashboard",
            "Guided first dashboard",
            "ih_onboarding",
            description="Pick a role, connect one source, get a dashboard built from the role's template.",
            plan=(NOW, IN_PROGRESS, "priya", -20, 24, "3.5"),
            rice=(1000, "2", 80, 2),
            wsjf=(8, 5, 3, 3),
            value=8,
            moscow="must",
            ideas=["ih_templates"],
            feedback=["ih_first_dashboard", "ih_templates_sales"],
        ),
        requirement(
            "ih_sample_data",
            "Sample data set in every trial workspace",
            "ih_first_dashboard",
            plan=(NOW, DONE, "demo", -30, -8, "3.5"),
            rice=(1000, "1", 100, "0.5"),
            wsjf=(3, 3, 2, 1),
            value=5,
        ),
        feature(
            "ih_checklist",
            "In-app onboarding checklist",
            "ih_onboarding",
            plan=(NOW, PLANNED, "marco", 0, 26, "3.5"),
            rice=(1200, "1", 50, 1),
            wsjf=(5, 3, 2, 2),
            value=5,
            moscow="should",
        ),
        initiative(
            "ih_reporting",
            "Reporting that reaches managers",
            plan=(NOW, DONE, "priya", -110, -3),
            rice=(2600, "2", 80, 8),
            wsjf=(8, 5, 3, 8),
            value=7,
        ),
        feature(
            "ih_scheduled",
            "Scheduled PDF reports by e-mail",
            "ih_reporting",
            plan=(NOW, DONE, "priya", -100, -20, "3.4"),
            rice=(2600, "2", 100, 3),
            wsjf=(8, 5, 2, 5),
            value=7,
            moscow="must",
        ),
        feature(
            "ih_share_link",
            "Share a dashboard by read-only link",
            "ih_reporting",
            plan=(NOW, DONE, "demo", -60, -10, "3.4"),
            rice=(1800, "1", 80, 1),
            wsjf=(5, 3, 3, 2),
            value=6,
        ),
        requirement(
            "ih_link_expiry",
            "Shared links expire after 30 days",
            "ih_share_link",
            plan=(NOW, DONE, "demo", -30, -12, "3.4"),
            wsjf=(2, 2, 8, 1),
            value=4,
            moscow="must",
        ),
        initiative(
            "ih_platform",
            "Open metrics platform",
            description="Other tools read Insight Hub's metrics: Pulse Alerts first, then the data warehouses.",
            plan=(NEXT, PLANNED, "demo", 30, 150),
            rice=(800, "2", 50, 10),
            wsjf=(8, 3, 8, 13),
            value=6,
            moscow="should",
        ),
        feature(
            "ih_api",
            "Public metrics API (read)",
            "ih_platform",
            plan=(NEXT, PLANNED, "priya", 35, 80, "3.6"),
            rice=(800, "2", 80, 4),
            wsjf=(8, 3, 8, 5),
            value=7,
            moscow="should",
        ),
        requirement(
            "ih_tokens",
            "API tokens scoped to one workspace",
            "ih_api",
            plan=(NEXT, PLANNED, "demo", 35, 55, "3.6"),
            wsjf=(3, 3, 8, 2),
            value=5,
            moscow="must",
        ),
        feature(
            "ih_warehouses",
            "Snowflake and BigQuery connectors",
            "ih_platform",
            plan=(LATER, PROPOSED),
            rice=(600, "2", 50, 8),
            moscow="could",
        ),
        feature(
            "ih_questions",
            "Questions in plain English on dashboards",
            "ih_platform",
            plan=(LATER, PROPOSED),
            ideas=["ih_questions"],
        ),
    ],
    "Pulse Alerts": [
        initiative(
            "pa_better",
            "Fewer, better alerts",
            description="Every alert is worth waking up for: fewer false alarms, grouped, never at 3 a.m. by mistake.",
            plan=(NOW, IN_PROGRESS, "priya", -30, 50),
            rice=(1800, "2", 80, 5),
            wsjf=(13, 8, 8, 8),
            value=9,
            moscow="must",
        ),
        feature(
            "pa_anomaly",
            "Seasonal baselines for thresholds",
            "pa_better",
            description="Learn the weekly pattern so the Monday-morning dip is not an incident.",
            plan=(NOW, IN_PROGRESS, "priya", -15, 30, "1.4"),
            rice=(1500, "3", 50, 4),
            wsjf=(13, 5, 5, 8),
            value=9,
            moscow="must",
            feedback=["pa_false_alarms"],
        ),
        feature(
            "pa_quiet",
            "Quiet hours and alert grouping",
            "pa_better",
            plan=(NOW, PLANNED, "demo", 5, 32, "1.4"),
            rice=(1800, "1", 80, "1.5"),
            wsjf=(5, 5, 2, 3),
            value=6,
            moscow="should",
        ),
        initiative(
            "pa_channels",
            "Alerts where teams work",
            plan=(NOW, DONE, "priya", -80, -2),
            rice=(1600, "2", 80, 4),
            wsjf=(8, 5, 2, 5),
            value=7,
        ),
        feature(
            "pa_chat",
            "Slack and Microsoft Teams notifications",
            "pa_channels",
            plan=(NOW, DONE, "priya", -70, -10, "1.3"),
            rice=(1600, "2", 100, 2),
            wsjf=(8, 5, 2, 3),
            value=8,
            moscow="must",
        ),
        requirement(
            "pa_retry",
            "Retry webhook delivery for 24 hours",
            "pa_chat",
            plan=(NOW, DONE, "demo", -30, -12, "1.3"),
            wsjf=(3, 2, 8, 2),
            value=5,
        ),
        initiative(
            "pa_any_metric",
            "Alerts on any metric",
            plan=(NEXT, PLANNED, "demo", 40, 140),
            rice=(900, "2", 50, 10),
            wsjf=(13, 3, 5, 13),
            value=8,
            moscow="should",
        ),
        feature(
            "pa_ih_metrics",
            "Alert on Insight Hub metrics",
            "pa_any_metric",
            plan=(NEXT, PLANNED, "priya", 85, 110, "2.0"),
            rice=(900, "2", 80, 3),
            wsjf=(13, 3, 5, 5),
            value=8,
            moscow="should",
        ),
        requirement(
            "pa_audit",
            "Audit log of alert rule changes",
            "pa_ih_metrics",
            plan=(NEXT, PLANNED, "demo", 85, 100, "2.0"),
            wsjf=(3, 2, 5, 2),
            value=4,
        ),
        feature(
            "pa_pagerduty",
            "PagerDuty and Opsgenie escalation",
            "pa_any_metric",
            plan=(LATER, PROPOSED),
            rice=(400, "2", 50, 2),
            moscow="could",
            feedback=["pa_pagerduty"],
        ),
        feature(
            "pa_push",
            "Push alerts on the phone",
            "pa_any_metric",
            plan=(LATER, PROPOSED),
            ideas=["pa_mobile"],
        ),
    ],
    "Ledger Classic": [
        initiative(
            "lc_migrate",
            "Move customers to Insight Hub",
            description="Every on-premise customer has a migration date before support ends.",
            plan=(NOW, IN_PROGRESS, "demo", -60, 120),
            rice=(300, "3", 80, 12),
            wsjf=(20, 13, 8, 13),
            value=9,
            moscow="must",
        ),
        feature(
            "lc_one_click",
            "One-click report migration to Insight Hub",
            "lc_migrate",
            plan=(NOW, IN_PROGRESS, "priya", -20, 40, "9.9"),
            rice=(300, "3", 80, 6),
            wsjf=(13, 13, 5, 8),
            value=9,
            moscow="must",
        ),
        feature(
            "lc_readiness",
            "Migration readiness report per customer",
            "lc_migrate",
            plan=(NOW, PLANNED, "marco", 3, 38, "9.9"),
            rice=(250, "1", 80, 1),
            wsjf=(5, 8, 3, 2),
            value=6,
            moscow="should",
        ),
        initiative(
            "lc_safe",
            "Keep it safe until sunset",
            plan=(NOW, IN_PROGRESS, "demo", -90, 120),
            rice=(400, "1", 100, 6),
            wsjf=(8, 8, 13, 8),
            value=6,
        ),
        feature(
            "lc_java",
            "Java 21 runtime for the report server",
            "lc_safe",
            plan=(NOW, DONE, "demo", -75, -15, "9.8"),
            rice=(400, "1", 100, 3),
            wsjf=(3, 8, 13, 5),
            value=4,
            moscow="must",
        ),
        requirement(
            "lc_tls",
            "TLS 1.3 only on the report server",
            "lc_java",
            plan=(NOW, DONE, "demo", -40, -18, "9.8"),
            wsjf=(2, 5, 13, 1),
            value=3,
            moscow="must",
        ),
        requirement(
            "lc_nis2",
            "NIS2: report security incidents within 24 hours",
            "lc_safe",
            description="An incident runbook and the contacts to notify, tested once before release.",
            plan=(NEXT, PLANNED, "demo", 30, 75, "10.0"),
            regulation="NIS2 Directive Art. 23",
            wsjf=(5, 8, 13, 3),
            value=5,
            moscow="must",
        ),
        feature(
            "lc_windows",
            "Windows Server 2025 support",
            "lc_safe",
            plan=(NEXT, PLANNED, "priya", 45, 100, "10.0"),
            rice=(600, "1", 100, 3),
            wsjf=(5, 8, 8, 5),
            value=4,
            moscow="should",
        ),
        feature(
            "lc_archive",
            "Read-only archive mode",
            "lc_migrate",
            plan=(LATER, PROPOSED),
            moscow="could",
        ),
    ],
    "TeamBoard": [
        initiative(
            "tb_accessible",
            "Accessible to every team member",
            description="Public-sector tenders require EN 301 549; the same work helps every keyboard user.",
            plan=(NOW, IN_PROGRESS, "priya", -30, 45),
            rice=(2500, "1", 80, 6),
            wsjf=(13, 13, 8, 8),
            value=8,
            moscow="must",
        ),
        feature(
            "tb_keyboard",
            "Keyboard-only board navigation",
            "tb_accessible",
            plan=(NOW, IN_PROGRESS, "priya", -25, 30, "5.3"),
            rice=(2500, "1", 80, 3),
            wsjf=(8, 13, 5, 5),
            value=7,
            moscow="must",
        ),
        requirement(
            "tb_wcag",
            "Accessibility: WCAG 2.2 AA",
            "tb_accessible",
            description="Audit by an external tester before the release; fix every A and AA finding.",
            plan=(NOW, IN_PROGRESS, "demo", -25, 40, "5.3"),
            regulation="European Accessibility Act (EN 301 549)",
            wsjf=(13, 13, 8, 5),
            value=8,
            moscow="must",
            feedback=["tb_tender"],
        ),
        feature(
            "tb_screen_reader",
            "Screen-reader announcements for drag and drop",
            "tb_accessible",
            plan=(NOW, PLANNED, "demo", 2, 38, "5.3"),
            rice=(400, "2", 80, 2),
            wsjf=(5, 13, 5, 3),
            value=6,
            moscow="must",
        ),
        # Planned for Next, but its timeline feature was pulled into Now (a schedule warning).
        initiative(
            "tb_plan",
            "Plan across boards",
            plan=(NEXT, PLANNED, "demo", 30, 150),
            rice=(3000, "2", 50, 12),
            wsjf=(8, 5, 5, 13),
            value=7,
            moscow="should",
        ),
        feature(
            "tb_timeline",
            "Portfolio timeline view",
            "tb_plan",
            description="Design spike started early: the timeline needs the cross-board links first.",
            plan=(NOW, IN_PROGRESS, "priya", -10, 60, "5.4"),
            rice=(3000, "2", 50, 5),
            wsjf=(8, 5, 3, 8),
            value=7,
            ideas=["tb_timeline"],
            feedback=["tb_spreadsheets"],
        ),
        initiative(
            "tb_templates",
            "Templates and imports",
            plan=(NOW, DONE, "marco", -90, 0),
            rice=(4000, "1", 80, 6),
            wsjf=(8, 3, 2, 5),
            value=6,
        ),
        feature(
            "tb_gallery",
            "Board templates gallery",
            "tb_templates",
            plan=(NOW, DONE, "marco", -80, -15, "5.2"),
            rice=(4000, "1", 80, 2),
            wsjf=(5, 3, 2, 3),
            value=6,
        ),
        feature(
            "tb_import",
            "Import boards from Trello and Jira",
            "tb_templates",
            plan=(NOW, DONE, "priya", -70, -8, "5.2"),
            rice=(1500, "2", 80, 4),
            wsjf=(8, 3, 2, 5),
            value=7,
            moscow="should",
        ),
        feature(
            "tb_links",
            "Cross-board dependency links",
            "tb_plan",
            plan=(NEXT, PLANNED, "demo", 35, 80, "5.4"),
            rice=(2000, "1", 80, 3),
            wsjf=(5, 3, 5, 5),
            value=6,
            moscow="should",
        ),
        feature(
            "tb_workload",
            "Workload view per person",
            "tb_plan",
            plan=(LATER, PROPOSED),
            rice=(3000, "1", 50, 5),
            moscow="could",
        ),
    ],
    "DocFlow": [
        initiative(
            "df_approvals",
            "Approval workflows",
            description="Route a document through the right approvers, in order or in parallel.",
            plan=(NOW, IN_PROGRESS, "priya", -90, 20),
            rice=(900, "3", 80, 10),
            wsjf=(20, 13, 8, 13),
            value=10,
            moscow="must",
        ),
        feature(
            "df_approve_mail",
            "Approve from e-mail",
            "df_approvals",
            plan=(NOW, IN_PROGRESS, "priya", -30, 10, "0.9"),
            rice=(900, "2", 80, 2),
            wsjf=(8, 8, 3, 3),
            value=8,
            moscow="must",
            feedback=["df_phone"],
        ),
        feature(
            "df_reminders",
            "Reminders and escalations",
            "df_approvals",
            plan=(NOW, IN_PROGRESS, "demo", -15, 12, "0.9"),
            rice=(900, "1", 80, "1.5"),
            wsjf=(5, 5, 3, 3),
            value=6,
            moscow="should",
        ),
        feature(
            "df_steps",
            "Sequential and parallel approval steps",
            "df_approvals",
            plan=(NOW, DONE, "priya", -90, -10, "0.8"),
            rice=(900, "3", 100, 5),
            wsjf=(20, 8, 5, 8),
            value=10,
            moscow="must",
        ),
        initiative(
            "df_audit",
            "Audit-ready records",
            plan=(NOW, IN_PROGRESS, "demo", -40, 80),
            rice=(900, "2", 80, 9),
            wsjf=(13, 8, 13, 8),
            value=9,
            moscow="must",
        ),
        feature(
            "df_trail",
            "Tamper-evident audit trail",
            "df_audit",
            plan=(NOW, DONE, "demo", -40, -5, "0.8"),
            rice=(900, "3", 80, 3),
            wsjf=(13, 8, 13, 5),
            value=9,
            moscow="must",
            feedback=["df_auditors"],
        ),
        requirement(
            "df_gdpr",
            "GDPR Art. 17: erase a user's data on request",
            "df_audit",
            description="Pseudonymise the person in the audit trail: the approvals stay provable, the name goes.",
            plan=(NEXT, PLANNED, "demo", 30, 70, "1.0"),
            regulation="GDPR Art. 17",
            wsjf=(8, 8, 13, 3),
            value=7,
            moscow="must",
        ),
        feature(
            "df_signatures",
            "Qualified electronic signatures",
            "df_audit",
            plan=(NEXT, PLANNED, "priya", 20, 75, "1.0"),
            rice=(400, "3", 50, 6),
            wsjf=(13, 5, 5, 8),
            value=8,
            moscow="should",
        ),
        requirement(
            "df_eidas",
            "eIDAS: qualified signatures through a trust service provider",
            "df_signatures",
            plan=(NEXT, PLANNED, "priya", 20, 60, "1.0"),
            regulation="eIDAS Regulation (EU) No 910/2014, Art. 25",
            wsjf=(8, 5, 8, 5),
            value=6,
        ),
        initiative(
            "df_integrations",
            "Where documents live",
            plan=(LATER, PROPOSED),
            wsjf=(8, 2, 2, 13),
            value=6,
        ),
        feature(
            "df_drive",
            "SharePoint and Google Drive sync",
            "df_integrations",
            plan=(LATER, PROPOSED),
            rice=(700, "2", 50, 8),
            moscow="could",
        ),
        feature(
            "df_webhooks",
            "Approval API and webhooks",
            "df_integrations",
            plan=(LATER, PROPOSED),
        ),
    ],
    "Huddle": [
        initiative(
            "hu_validate",
            "Validate async stand-ups",
            description="Do remote teams keep the habit for four weeks without a meeting?",
            plan=(NOW, IN_PROGRESS, "priya", -45, 30),
            rice=(60, "2", 50, 4),
            wsjf=(13, 8, 13, 5),
            value=8,
            moscow="must",
        ),
        feature(
            "hu_digest",
            "Daily digest of updates",
            "hu_validate",
            plan=(NOW, IN_PROGRESS, "priya", -10, 25, "0.2"),
            rice=(60, "2", 50, 2),
            wsjf=(8, 5, 8, 3),
            value=7,
            moscow="must",
            feedback=["hu_time_zones"],
        ),
        requirement(
            "hu_local_time",
            "Digest at 9:00 in each member's time zone",
            "hu_digest",
            plan=(NOW, PLANNED, "demo", 5, 20, "0.2"),
            wsjf=(3, 3, 5, 1),
            value=6,
        ),
        feature(
            "hu_recorded",
            "Recorded video stand-up prototype",
            "hu_validate",
            plan=(NOW, DONE, "priya", -45, -5, "0.1"),
            rice=(30, "1", 50, 1),
            wsjf=(5, 3, 8, 2),
            value=5,
        ),
        initiative(
            "hu_pilot_ready",
            "Ready for the waiting list",
            plan=(NEXT, PLANNED, "demo", 35, 100),
            rice=(300, "1", 50, 6),
            wsjf=(8, 3, 5, 8),
            value=6,
        ),
        feature(
            "hu_slack",
            "Slack sign-in and channel digest",
            "hu_pilot_ready",
            plan=(NEXT, PLANNED, "priya", 35, 80, "0.3"),
            rice=(300, "2", 50, 3),
            wsjf=(8, 3, 3, 5),
            value=7,
            moscow="should",
        ),
        requirement(
            "hu_consent",
            "GDPR: consent before recording voice and video",
            "hu_pilot_ready",
            plan=(NEXT, PLANNED, "demo", 40, 70, "0.3"),
            regulation="GDPR Art. 6 and 7",
            wsjf=(5, 5, 13, 2),
            value=5,
            moscow="must",
        ),
        feature(
            "hu_blockers",
            "Spot blockers in updates",
            "hu_pilot_ready",
            plan=(LATER, PROPOSED),
        ),
    ],
    "FieldKit": [
        initiative(
            "fk_offline",
            "Offline-first checklists",
            description="A technician finishes the job in a basement with no signal and nothing is lost.",
            plan=(NOW, IN_PROGRESS, "priya", -60, 45),
            rice=(150, "3", 50, 8),
            wsjf=(13, 8, 13, 8),
            value=9,
            moscow="must",
        ),
        feature(
            "fk_sync",
            "Offline sync with conflict resolution",
            "fk_offline",
            plan=(NOW, IN_PROGRESS, "priya", -10, 40, "0.5"),
            rice=(150, "3", 50, 5),
            wsjf=(13, 8, 13, 8),
            value=9,
            moscow="must",
            feedback=["fk_no_signal"],
        ),
        requirement(
            "fk_72h",
            "Works 72 hours without a signal",
            "fk_sync",
            plan=(NOW, PLANNED, "demo", 10, 40, "0.5"),
            wsjf=(8, 5, 8, 3),
            value=7,
            moscow="must",
        ),
        feature(
            "fk_builder",
            "Checklist builder for the back office",
            "fk_offline",
            plan=(NOW, DONE, "marco", -50, -5, "0.1"),
            rice=(40, "2", 80, 2),
            wsjf=(8, 3, 3, 3),
            value=7,
        ),
        initiative(
            "fk_proof",
            "Proof of work on site",
            plan=(NEXT, PLANNED, "demo", 50, 130),
            rice=(150, "2", 50, 6),
            wsjf=(8, 5, 5, 8),
            value=7,
            moscow="should",
        ),
        feature(
            "fk_photos",
            "Photo and signature capture",
            "fk_proof",
            plan=(NEXT, PLANNED, "priya", 50, 100, "1.0"),
            rice=(150, "2", 80, 3),
            wsjf=(8, 5, 3, 5),
            value=7,
            moscow="should",
        ),
        requirement(
            "fk_residency",
            "Job data and photos stay in the EU",
            "fk_proof",
            plan=(NEXT, PLANNED, "demo", 60, 110, "1.0"),
            regulation="GDPR Chapter V (international transfers)",
            wsjf=(5, 5, 8, 3),
            value=5,
            moscow="must",
        ),
        feature(
            "fk_barcode",
            "Scan equipment barcodes",
            "fk_proof",
            plan=(LATER, PROPOSED),
            rice=(120, "1", 80, 1),
            moscow="could",
        ),
        feature(
            "fk_sap",
            "SAP Field Service integration",
            "fk_offline",
            plan=(LATER, PROPOSED),
        ),
    ],
    "Scout": [
        initiative(
            "sc_concept",
            "Prove the concept",
            description="Site managers report an issue in under 30 seconds, and the right team sees it.",
            plan=(NOW, IN_PROGRESS, "priya", -30, 30),
            rice=(50, "2", 50, 3),
            wsjf=(13, 5, 13, 3),
            value=8,
            moscow="must",
        ),
        feature(
            "sc_pin",
            "Snap an issue and pin it on the site map",
            "sc_concept",
            plan=(NOW, PLANNED, "priya", 1, 28, "0.2"),
            rice=(50, "2", 50, 2),
            wsjf=(8, 5, 8, 3),
            value=8,
            moscow="must",
        ),
        feature(
            "sc_prototype",
            "Clickable prototype for concept tests",
            "sc_concept",
            plan=(NOW, DONE, "marco", -30, -4, "0.1"),
            rice=(20, "1", 80, "0.5"),
            wsjf=(5, 3, 8, 1),
            value=5,
        ),
        requirement(
            "sc_blur",
            "GDPR: blur faces and number plates before upload",
            "sc_pin",
            plan=(NEXT, PLANNED, "demo", 35, 90, "0.3"),
            regulation="GDPR Art. 25 (data protection by design)",
            wsjf=(5, 3, 13, 5),
            value=5,
            moscow="must",
        ),
        initiative(
            "sc_route",
            "Route issues automatically",
            plan=(LATER, PROPOSED),
            wsjf=(8, 2, 3, 13),
            value=7,
        ),
        feature(
            "sc_by_trade",
            "Route by trade and location",
            "sc_route",
            plan=(LATER, PROPOSED),
            rice=(50, "2", 20, 5),
            moscow="could",
            ideas=["sc_routing"],
        ),
        feature(
            "sc_fieldkit",
            "Turn an issue into a FieldKit work order",
            "sc_route",
            plan=(LATER, PROPOSED),
        ),
    ],
}

# (item, depends on, kind). One is a schedule conflict on purpose: TeamBoard's timeline is in Now,
# but the cross-board links it is blocked by are in Next (the board and timeline warn about it).
DEPENDENCIES = [
    ("ih_warehouses", "ih_api", "blocks"),
    ("ih_checklist", "ih_first_dashboard", "relates"),
    ("pa_ih_metrics", "ih_api", "blocks"),
    ("pa_quiet", "pa_anomaly", "relates"),
    ("lc_one_click", "ih_onboarding", "relates"),
    ("lc_archive", "lc_one_click", "blocks"),
    ("tb_timeline", "tb_links", "blocks"),
    ("tb_screen_reader", "tb_keyboard", "relates"),
    ("tb_workload", "tb_timeline", "relates"),
    ("df_signatures", "df_trail", "blocks"),
    ("df_gdpr", "df_trail", "relates"),
    ("df_approve_mail", "df_reminders", "relates"),
    ("hu_slack", "hu_digest", "blocks"),
    ("fk_photos", "fk_sync", "blocks"),
    ("sc_fieldkit", "fk_photos", "relates"),
    ("sc_blur", "sc_prototype", "blocks"),
]


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _fields(spec: dict, *, today: date, refs: dict, releases: dict, owners: dict, links: dict) -> dict:
    horizon, status, owner, start, end, release = (*spec["plan"], None, None, None, None)[:6]
    fields = {
        "kind": spec["kind"],
        "title": spec["title"],
        "description": spec.get("description", ""),
        "horizon": horizon,
        "status": status,
        "parent": refs[spec["parent"]] if spec["parent"] else None,
        "owner": owners.get(owner),
        "release": releases.get(release),
        "moscow": spec.get("moscow"),
    }
    if start is not None:
        fields["start_date"], fields["end_date"] = today + timedelta(days=start), today + timedelta(days=end)
    if "rice" in spec:
        reach, impact, confidence, effort = spec["rice"]
        fields.update(reach=reach, impact=Decimal(impact), confidence=confidence, effort=Decimal(str(effort)))
    if "wsjf" in spec:
        business_value, time_criticality, risk_reduction, job_size = spec["wsjf"]
        fields.update(
            business_value=business_value,
            time_criticality=time_criticality,
            risk_reduction=risk_reduction,
            job_size=Decimal(str(job_size)),
        )
        # Without a RICE estimate the team's effort (person-months) is taken as the job size: both
        # size the same work, and value ÷ effort and the weighted score need an effort.
        fields.setdefault("effort", Decimal(str(job_size)))
    if "value" in spec:
        fields["value"] = spec["value"]
    if spec.get("regulation"):
        fields.update(regulatory=True, regulation=spec["regulation"])
    if spec.get("key_result"):
        fields["key_result"] = links["key_results"][spec["key_result"]]
    for name in ("ideas", "feedback"):
        if spec.get(name):
            fields[name] = [links[name][ref] for ref in spec[name]]
    return fields


def _strategy(products: dict, today: date) -> dict:
    """The ideas, feedback and goal the roadmap points at (plain records: no services for them yet)."""
    ideas = {
        ref: Idea.objects.create(product=products[name], title=title, description=text, status=status)
        for ref, (name, title, text, status) in IDEAS.items()
        if name in products
    }
    feedback = {}
    for ref, (name, source, customer, text, importance, deal, days_ago, idea_refs) in FEEDBACK.items():
        if name not in products:
            continue
        row = Feedback.objects.create(
            product=products[name],
            source=source,
            customer=customer,
            text=text,
            importance=importance,
            deal_value=deal,
            received_on=today - timedelta(days=days_ago),
        )
        row.ideas.set([ideas[i] for i in idea_refs if i in ideas])
        feedback[ref] = row
    key_results = {}
    if GOAL["product"] in products:
        start = _quarter_start(today)
        end = _quarter_start(start + timedelta(days=190)) - timedelta(days=1)  # two quarters
        goal = Goal.objects.create(
            product=products[GOAL["product"]],
            title=GOAL["title"],
            description=GOAL["description"],
            period_start=start,
            period_end=end,
        )
        for ref, title, start_value, target in GOAL["key_results"]:
            key_results[ref] = KeyResult.objects.create(
                goal=goal, title=title, start_value=start_value, target_value=target
            )
    return {"ideas": ideas, "feedback": feedback, "key_results": key_results}


def seed_roadmap(*, portfolio: Portfolio, actor, today: date) -> dict | None:
    """Give the demo portfolio's products their roadmap; None when the portfolio has one already.

    All of it or nothing (one transaction): a failed run leaves no half roadmap, and the next run
    tries again. Products missing from the portfolio (renamed, deleted) are skipped; owners who are no
    longer members are left out. Raises what the services raise for data that breaks their rules.
    """
    if (
        RoadmapItem.objects.filter(product__portfolio=portfolio).exists()
        or Release.objects.filter(product__portfolio=portfolio).exists()
    ):
        return None
    products = {p.name: p for p in Product.objects.filter(portfolio=portfolio, name__in=ITEMS)}
    owners = {
        m.user.get_username(): m.user for m in Membership.objects.filter(portfolio=portfolio).select_related("user")
    }
    counts = {"items": 0, "releases": 0, "dependencies": 0}
    with transaction.atomic():
        scoring_weights_save(portfolio=portfolio, actor=actor, **WEIGHTS)
        links = _strategy(products, today)
        refs: dict[str, RoadmapItem] = {}
        to_ship = []
        for name, product in products.items():
            releases = {}
            for version, title, offset, shipped, description in RELEASES.get(name, []):
                releases[version] = release_create(
                    product=product,
                    actor=actor,
                    version=version,
                    name=title,
                    description=description,
                    target_date=today + timedelta(days=offset),
                )
                if shipped:
                    to_ship.append(releases[version])
            counts["releases"] += len(releases)
            for spec in ITEMS[name]:
                fields = _fields(spec, today=today, refs=refs, releases=releases, owners=owners, links=links)
                refs[spec["ref"]] = roadmap_item_create(product=product, actor=actor, **fields)
            counts["items"] += len(ITEMS[name])
        for item, depends_on, kind in DEPENDENCIES:
            if item in refs and depends_on in refs:
                dependency_create(item=refs[item], depends_on=refs[depends_on], kind=kind, actor=actor)
                counts["dependencies"] += 1
        # Shipped last, when their items are done: the ship rule holds without an override.
        for release in to_ship:
            release_ship(release_id=release.pk, actor=actor)
            # Shipped on its (past) target day, not at seeding time: a `release_shipped` rule someone adds
            # to the demo should not fire for a release that went out before the product's current stage.
            shipped_at = datetime.combine(release.target_date, time(16, 0), tzinfo=portfolio.zone)
            Release.objects.filter(pk=release.pk, shipped_at__gt=shipped_at).update(shipped_at=shipped_at)
    return counts
