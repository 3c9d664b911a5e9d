"""The demo portfolio's customer feedback: about thirty pieces over the last six months, from every source,
about every demo product, spread over the portfolio's segments, the sales ones with the deal riding on
them, each linked to the demo ideas and roadmap items it asks for, so their demand differs visibly
(PagerDuty escalation and WCAG conformance carry deals; offline sync carries many voices).

Written through the services as a person would: the feedback and its ideas through
products.services.feedback, the link to a roadmap item through roadmap.services (the item holds it).
`seed_demo` runs at the top of the stack (kpis), which is why this module may reach the roadmap's service
at all. Dates are offsets from `today`. Writes nothing once the portfolio has this feedback.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from products.models import Feedback, Idea, Portfolio, Product
from products.services.feedback import feedback_create

S = Feedback.Source

# (product, source, customer, text, importance, deal value, days ago, idea titles, roadmap item titles)
FEEDBACK = [
    ("Pulse Alerts", S.SALES, "Fabrikam", "Signs for 200 seats once alerts escalate through PagerDuty.", 4,
     "48000", 9, [], ["PagerDuty and Opsgenie escalation"]),
    ("Pulse Alerts", S.SALES, "Litware Inc.", "Their on-call rota lives in Opsgenie; without it the pilot stops.", 5,
     "65000", 23, [], ["PagerDuty and Opsgenie escalation"]),
    ("Pulse Alerts", S.SUPPORT, "Contoso Retail", "Alerts at 3:00 nobody acknowledges: they want escalation.", 4,
     None, 41, [], ["PagerDuty and Opsgenie escalation"]),
    ("Pulse Alerts", S.REVIEW, "", "“Great alerts, but I miss them when I'm away from my desk.” (app store, 3 stars)",
     2, None, 130, ["Push alerts to the phone app"], ["Push alerts on the phone"]),
    ("Pulse Alerts", S.SURVEY, "", "Quarterly survey: 38 % say Monday alerts are noise after a quiet weekend.", 3,
     None, 96, [], ["Seasonal baselines for thresholds"]),
    ("TeamBoard", S.SALES, "Gemeente Rotterdam", "Public tender: WCAG 2.2 AA conformance is a hard requirement.", 5,
     "140000", 34, [], ["Accessibility: WCAG 2.2 AA"]),
    ("TeamBoard", S.SUPPORT, "Adatum Engineering", "A blind engineer cannot move cards with a screen reader.", 5,
     None, 61, [], ["Screen-reader announcements for drag and drop", "Accessibility: WCAG 2.2 AA"]),
    ("TeamBoard", S.INTERVIEW, "Trey Research", "Every Friday I rebuild the cross-team plan in a spreadsheet.", 4,
     None, 77, ["A timeline across boards for portfolio managers"], ["Portfolio timeline view"]),
    ("TeamBoard", S.SALES, "Coho Winery", "Would move 30 teams from Trello if the import kept labels and due dates.",
     3, "18000", 112, [], ["Import boards from Trello and Jira"]),
    ("TeamBoard", S.OTHER, "", "Partner webinar Q&A: how do I see one person's load across boards?", 2,
     None, 150, [], ["Workload view per person"]),
    ("FieldKit", S.SUPPORT, "Kessler Elevators", "Checklists of a morning get lost in lift shafts without signal.",
     5, None, 5, [], ["Offline sync with conflict resolution"]),
    ("FieldKit", S.SUPPORT, "Nordwind Heating", "Two technicians edit the same job offline; one loses the photos.", 4,
     None, 19, [], ["Offline sync with conflict resolution"]),
    ("FieldKit", S.BETA, "Kessler Elevators", "Beta: three days in a basement plant room, it still synced afterwards.",
     3, None, 47, [], ["Works 72 hours without a signal"]),
    ("FieldKit", S.INTERVIEW, "Stadtwerke Ulm", "Auditors want a photo and signature on every safety check.", 4,
     None, 88, [], ["Photo and signature capture"]),
    ("FieldKit", S.SALES, "Blue Yonder Facilities", "Their dispatch runs on SAP FS: no integration, no deal.", 4,
     "52000", 140, [], ["SAP Field Service integration"]),
    ("DocFlow", S.INTERVIEW, "Hartmann Pharma", "Approvers sit in Outlook all day and never open DocFlow.", 4,
     None, 15, [], ["Approve from e-mail"]),
    ("DocFlow", S.SALES, "Alder Bank", "Their regulator asks for a tamper-evident trail before they sign.", 5,
     "90000", 58, [], ["Tamper-evident audit trail"]),
    ("DocFlow", S.SURVEY, "", "NPS comment: “Reminders would save me chasing approvers by phone.”", 2,
     None, 102, [], ["Reminders and escalations"]),
    ("DocFlow", S.REVIEW, "", "“Would be perfect if it synced with our SharePoint libraries.” (G2, 4 stars)", 3,
     None, 165, [], ["SharePoint and Google Drive sync"]),
    ("Insight Hub", S.SALES, "Tailspin Freight", "Rolls out to 40 more depots with role templates for depot leads.", 4,
     "36000", 12, ["Dashboard templates for common operations roles"], ["Guided first dashboard"]),
    ("Insight Hub", S.INTERVIEW, "Wide World Importers", "Managers want Monday's numbers in their inbox.",
     3, None, 44, [], ["Scheduled PDF reports by e-mail"]),
    ("Insight Hub", S.BETA, "Northwind Logistics", "Beta testers typed questions in search and expected charts.",
     2, None, 70, ["Ask questions in plain English"], ["Questions in plain English on dashboards"]),
    ("Insight Hub", S.SALES, "Lucerne Publishing", "Their data team needs the metrics in Snowflake to renew.",
     4, "27500", 121, [], ["Snowflake and BigQuery connectors"]),
    ("Ledger Classic", S.SUPPORT, "Proseware", "IT blocks the report server until it runs on Java 21.", 5,
     None, 29, [], ["Java 21 runtime for the report server"]),
    ("Ledger Classic", S.OTHER, "", "Account review: five customers ask how their old reports move to Insight Hub.",
     3, None, 84, [], ["One-click report migration to Insight Hub"]),
    ("Huddle", S.INTERVIEW, "Fourth Coffee", "Their Singapore team reads the digest at 2:00 at night.", 4,
     None, 26, [], ["Digest at 9:00 in each member's time zone"]),
    ("Huddle", S.BETA, "Margie's Travel", "Pilot teams asked to sign in with Slack and get the digest in a channel.",
     3, None, 66, [], ["Slack sign-in and channel digest"]),
    ("Huddle", S.SURVEY, "", "Waiting-list survey: 61 % would try recorded video stand-ups.", 2,
     None, 175, [], ["Recorded video stand-up prototype"]),
    ("Scout", S.INTERVIEW, "Bouwbedrijf De Vries", "Site managers forward photos to each trade by hand.",
     4, None, 36, ["Route issues to the right subcontractor by trade"], ["Route by trade and location"]),
    ("Scout", S.SALES, "Contoso Construction", "Their works council signs off only if faces are blurred on upload.", 4,
     "24000", 95, [], ["GDPR: blur faces and number plates before upload"]),
    ("Scout", S.REVIEW, "", "“Pinning a snag on the plan is brilliant; I want a FieldKit job from it.”", 3,
     None, 158, [], ["Turn an issue into a FieldKit work order"]),
]  # fmt: skip


def seed_feedback(*, portfolio: Portfolio, actor, today: date) -> dict:
    """Give the demo portfolio its customer feedback; all of it or nothing (one transaction).

    Returns how many pieces of feedback it wrote and how many links to ideas and roadmap items; zeros
    when the portfolio already has this feedback. Products, ideas and items missing from the portfolio
    (renamed, deleted) are skipped; segments are the portfolio's, taken in turn.
    """
    from roadmap.models import RoadmapItem  # the top of the stack calls this (see the docstring)
    from roadmap.services import roadmap_item_update

    counts = {"feedback": 0, "idea_links": 0, "item_links": 0}
    if Feedback.objects.filter(product__portfolio=portfolio, text=FEEDBACK[0][3]).exists():
        return counts
    products = {p.name: p for p in Product.objects.filter(portfolio=portfolio)}
    ideas = {i.title: i for i in Idea.objects.filter(product__portfolio=portfolio)}
    items = {i.title: i for i in RoadmapItem.objects.filter(product__portfolio=portfolio)}
    segments = list(portfolio.segments.order_by("name"))
    asks: dict[int, list[int]] = {}
    with transaction.atomic():
        for index, (name, source, customer, text, importance, deal, days_ago, idea_titles, item_titles) in enumerate(
            FEEDBACK
        ):
            if name not in products:
                continue
            chosen = [ideas[title] for title in idea_titles if title in ideas]
            row = feedback_create(
                product=products[name],
                actor=actor,
                ideas=chosen,
                source=source,
                customer=customer,
                segment=segments[index % len(segments)] if segments and index % 4 != 3 else None,
                text=text,
                importance=importance,
                deal_value=Decimal(deal) if deal else None,
                received_on=today - timedelta(days=days_ago),
            )
            counts["feedback"] += 1
            counts["idea_links"] += len(chosen)
            for title in item_titles:
                if title in items:
                    asks.setdefault(items[title].pk, []).append(row.pk)
        for item_id, feedback_ids in asks.items():
            current = list(Feedback.objects.filter(roadmap_items=item_id).values_list("pk", flat=True))
            roadmap_item_update(
                item_id=item_id,
                actor=actor,
                feedback=list(Feedback.objects.filter(pk__in=[*current, *feedback_ids]).select_related("product")),
            )
            counts["item_links"] += len(feedback_ids)
    return counts
