"""The demo's research and planning documents (seed_demo, after the strategy: they link to its ideas,
feedback and the roadmap's items):

- FieldKit's PRD "Offline-first checklists" in three versions (the metrics named, then the requirements
  sharpened), approved, with review comments from a colleague product manager on the first two versions,
  the first resolved;
- an interview write-up (Stadtwerke Ulm on safety audits) linked to that interview's feedback;
- a concept design for the idea "Voice notes that transcribe once back online";
- the beta-test report of FieldKit's basement pilot, linked to the beta feedback and the 72-hour item;
- DocFlow's MRD for regulated industries, in review, linked to the sales and interview feedback behind it.

Links name what the demo has (a missing idea, piece of feedback or item is left out); a product missing
from the portfolio skips its documents. Written by the services as people would (the colleague
comments when present). Writes nothing once one of these documents exists.
"""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction

from products.models import Document, Feedback, Idea, Portfolio, Product
from products.services import documents as services
from roadmap.models import RoadmapItem
from roadmap.services.documents import document_create, document_update

COLLEAGUE = "priya"

PRD_V1 = """\
# Problem

Technicians lose their morning's checklists in lift shafts and plant rooms without a signal (Kessler
Elevators, Nordwind Heating). They re-type from paper in the van, and two of them editing one job offline
lose photos.

# Users

- **Primary:** service technicians of lift and heating companies, working where there is no signal.
- **Secondary:** dispatchers, who need to see what was done before the technician is back online.

# Goals

- A technician finishes a job offline and nothing is lost.
- Two technicians on one job never overwrite each other's photos.

## Non-goals

- Offline editing of the checklist templates themselves.

# Requirements

| # | Requirement | Priority |
|---|---|---|
| 1 | Checklists, photos and signatures are saved on the device without a signal | Must |
| 2 | Changes sync when a signal returns, oldest first | Must |
| 3 | Conflicting edits are merged field by field; photos are never dropped | Must |

# Open questions

- How long must the app work without a signal?
"""

PRD_V2 = PRD_V1.replace(
    "# Open questions",
    """\
# Success metrics

| KPI | Key | Today | Target | By |
|---|---|--:|--:|---|
| Jobs finished offline without re-typing | `offline_jobs_share` | 0 % | 90 % | the 0.5 pilot |
| Weekly active users | `weekly_active_users` | 40 | 250 | launch + 3 months |
| Support tickets about lost data | `lost_data_tickets` | 14 / month | 1 / month | launch |

# Open questions""",
)

PRD_V3 = (
    PRD_V2.replace(
        "| 2 | Changes sync when a signal returns, oldest first | Must |",
        "| 2 | Changes sync when a signal returns, oldest first, within 2 minutes | Must |",
    )
    .replace(
        "photos are never dropped | Must |",
        "photos are never dropped | Must |\n"
        "| 4 | The app works 72 hours without a signal (three days in a plant room) | Must |",
    )
    .replace(
        "- How long must the app work without a signal?\n", '- Do dispatchers need a "last synced" time per job?\n'
    )
    + """
# Release criteria

- Every Must requirement done and tested in a basement with the two pilot partners.
- No open blocker; the beta-test report reviewed.
- Support documentation and the dispatch FAQ ready.
"""
)

INTERVIEW = """\
# Interview: Stadtwerke Ulm, safety audits

**Participant:** head of field service (anonymised) · **Interviewer:** product management · 45 minutes

## What they do today

- Every safety check ends on paper; the auditor asks for a photo **and** a signature per check.
- Paper comes back to the office a week later; 1 in 20 sheets is missing a signature.

> "When the auditor comes, we spend two days finding the right sheet."

## Needs

1. A photo and a signature on every safety check, captured on site.
2. An audit export per site and quarter.

## Follow-ups

- Recorded as feedback (importance 4).
- Check whether the 0.5 pilot partners need the same.
"""

CONCEPT = """\
# Concept: voice notes that transcribe once back online

## The idea

Technicians dictate a note in the basement; the app keeps the audio and turns it into text in the job
report when a signal returns.

## Flow

1. Hold the microphone button on a checklist item and speak.
2. The note shows as *waiting for signal* with its length.
3. Back online, the transcript replaces the badge; the audio stays attached for 30 days.

## Risks

- Background noise in plant rooms: test with recordings from the pilot.
- Privacy: no transcription on third-party servers outside the EU.
"""

BETA = """\
# Beta-test report: FieldKit 0.5 basement pilot

**Partners:** Kessler Elevators, Nordwind Heating · **Period:** four weeks · **Devices:** 12 tablets

## Results

| Measure | Result |
|---|--:|
| Jobs finished offline | 412 |
| Longest time without a signal | 71 hours |
| Conflicts merged without loss | 38 of 38 |
| Photos lost | 0 |

## What went well

- Three days in a basement plant room: everything synced afterwards.

## What to fix before 1.0

- Sync after 70+ hours took 6 minutes: above the 2-minute target.
- The *last synced* time is hard to find for dispatchers.
"""

MRD = """\
# Market: regulated industries

Banks, insurers and pharma companies approve documents under regulation: every approval needs a
tamper-evident trail, and approvers live in their e-mail.

## Market size

- 1,800 mid-sized regulated companies in the DACH region; 240 in our sales pipeline's segment.

## Customer needs

- A tamper-evident audit trail the regulator accepts (Alder Bank, deal value 90,000).
- Approving from e-mail without opening DocFlow (Hartmann Pharma).

## Competition

- Generic e-signature tools: no approval workflow.
- Document management suites: heavy and slow to roll out.

## Positioning

DocFlow is the approval workflow regulated teams adopt in a week, with the trail auditors ask for.
"""


def _rows(model, portfolio: Portfolio, **lookups) -> list:
    return list(model.objects.filter(product__portfolio=portfolio, **lookups).order_by("id")[:1])


def _items(portfolio: Portfolio, titles: list[str]) -> list[RoadmapItem]:
    return list(RoadmapItem.objects.filter(product__portfolio=portfolio, title__in=titles).order_by("id"))


def _colleague(portfolio: Portfolio, actor):
    user = get_user_model().objects.filter(username=COLLEAGUE, memberships__portfolio=portfolio).first()
    return user or actor


def seed_documents(*, portfolio: Portfolio, actor, today: date) -> dict:
    """Give the demo portfolio its documents (see the module's docstring), all in one transaction.

    Returns counts of what it made: documents, versions (beyond the first), comments, links (all 0 when
    the documents were there already).
    """
    counts = {"documents": 0, "versions": 0, "comments": 0, "links": 0}
    titles = ["PRD: Offline-first checklists", "MRD: DocFlow for regulated industries"]
    if Document.objects.filter(product__portfolio=portfolio, title__in=titles).exists():
        return counts
    products = {p.name: p for p in Product.objects.filter(portfolio=portfolio)}
    colleague = _colleague(portfolio, actor)

    def write(product_name: str, **fields) -> Document | None:
        if product_name not in products:
            return None
        links = {name: rows for name in ("ideas", "feedback", "roadmap_items") if (rows := fields.pop(name, []))}
        document = document_create(product=products[product_name], actor=actor, **fields, **links)
        counts["documents"] += 1
        counts["links"] += sum(len(rows) for rows in links.values())
        return document

    with transaction.atomic():
        prd = write(
            "FieldKit",
            kind="prd",
            title="PRD: Offline-first checklists",
            body=PRD_V1,
            status="draft",
            feedback=_rows(Feedback, portfolio, customer="Kessler Elevators", source="support")
            + _rows(Feedback, portfolio, customer="Nordwind Heating"),
            roadmap_items=_items(portfolio, ["Offline-first checklists", "Offline sync with conflict resolution"]),
        )
        if prd is not None:
            services.document_set_status(document_id=prd.id, status="in_review", actor=actor)
            first = services.document_comment_add(
                document_id=prd.id,
                body="Which KPIs tell us this worked? Name them with today's value and the target.",
                actor=colleague,
            )
            document_update(document_id=prd.id, actor=actor, body=PRD_V2)
            services.document_comment_resolve(comment_id=first.id, actor=actor)
            services.document_comment_add(
                document_id=prd.id,
                body="“Oldest first” is not testable: how fast must a sync finish? And the open question on "
                "hours without a signal has an answer from the pilot plan: 72.",
                actor=colleague,
            )
            document_update(
                document_id=prd.id,
                actor=actor,
                body=PRD_V3,
                roadmap_items=_items(
                    portfolio,
                    [
                        "Offline-first checklists",
                        "Offline sync with conflict resolution",
                        "Works 72 hours without a signal",
                    ],
                ),
            )
            services.document_set_status(document_id=prd.id, status="approved", actor=actor)
            counts["versions"] += 2
            counts["comments"] += 2
        write(
            "FieldKit",
            kind="interview",
            title="Interview: Stadtwerke Ulm on safety audits",
            body=INTERVIEW,
            status="approved",
            feedback=_rows(Feedback, portfolio, customer="Stadtwerke Ulm", source="interview"),
        )
        write(
            "FieldKit",
            kind="concept",
            title="Concept: voice notes that transcribe once back online",
            body=CONCEPT,
            status="draft",
            ideas=_rows(Idea, portfolio, title="Voice notes that transcribe once back online"),
        )
        write(
            "FieldKit",
            kind="beta_test",
            title="Beta-test report: the 0.5 basement pilot",
            body=BETA,
            status="approved",
            feedback=_rows(Feedback, portfolio, customer="Kessler Elevators", source="beta"),
            roadmap_items=_items(portfolio, ["Works 72 hours without a signal"]),
        )
        mrd = write(
            "DocFlow",
            kind="mrd",
            title="MRD: DocFlow for regulated industries",
            body=MRD,
            status="in_review",
            feedback=_rows(Feedback, portfolio, customer="Alder Bank")
            + _rows(Feedback, portfolio, customer="Hartmann Pharma"),
        )
        if mrd is not None:
            services.document_comment_add(
                document_id=mrd.id,
                body="Add the insurers' numbers: the segment table only counts banks and pharma so far.",
                actor=colleague,
            )
            counts["comments"] += 1
    return counts
