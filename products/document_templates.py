"""Starting points for new documents: a PRD and an interview guide, in Markdown.

The create page offers them (`/documents/new/?template=prd` or `interview_guide`): the form starts with
the kind, a title and the body filled in, for the writer to replace the prompts.
"""

PRD = """\
# Problem

What problem do we solve, for whom, and how do we know? Link the interviews, feedback and ideas behind it.

# Users

- **Primary persona:** who they are, what they try to get done, what gets in their way.
- **Secondary personas:**
- **Segments:** which segments, how many customers, how much revenue is at stake.

# Goals

- Goal 1: the outcome for the user and the business, with the date it is due.
- Goal 2:

## Non-goals

- What this release deliberately does not do, and why.

# Requirements

| # | Requirement | Priority (MoSCoW) | Notes |
|---|---|---|---|
| 1 | As a …, I want … so that … | Must | |
| 2 | | Should | |
| 3 | | Could | |

Non-functional: performance, security and privacy, accessibility, localisation, support.

# Success metrics

Name the KPIs (the keys they carry in pmflow) with today's value and the target:

| KPI | Key | Today | Target | By |
|---|---|--:|--:|---|
| Weekly active users | `weekly_active_users` | | | |
| Conversion rate | `conversion_rate` | | | |
| Revenue | `revenue` | | | |

# Open questions

- [ ] Question, who answers it, by when.

# Release criteria

- Functionality: every Must requirement done and tested.
- Quality: no open blocker; the beta-test report reviewed.
- Readiness: sales enablement, support documentation and the launch plan ready.
"""

INTERVIEW_GUIDE = """\
# Goals

What we want to learn from these interviews, and the decision it feeds (an idea, a PRD, a roadmap item).

- Learning goal 1:
- Learning goal 2:

# Screener

Who we talk to, and the questions that decide it:

- Role and company size:
- Uses the product (or a competitor's) at least …:
- Not an employee, partner or participant in the last three months.

# Warm-up (5 minutes)

- Thank them; say how long it takes, that there are no wrong answers, and ask to record.
- Tell me about your role and a typical week.

# Questions by topic

## Topic 1: the current way (15 minutes)

- Tell me about the last time you … What happened?
- What was the hardest part? What did you do about it?
- How do you do it today? What does it cost you (time, money, mistakes)?

## Topic 2: needs and priorities (15 minutes)

- If you could change one thing about …, what would it be, and why?
- How do you decide whether a tool is worth paying for?

## Topic 3: the concept (10 minutes, optional)

- Show the concept. What do you expect it to do? What would stop you from using it?

# Wrap-up (5 minutes)

- Is there anything we should have asked but did not?
- Who else should we talk to?
- Thank them; confirm the incentive and what happens next.

# Notes

- **Date, interviewer, participant (anonymised):**
- **Key quotes:**
- **Observations and surprises:**
- **Follow-ups:** feedback to record and ideas to link.
"""

TEMPLATES = {
    "prd": {"label": "PRD", "kind": "prd", "title": "PRD: ", "body": PRD},
    "interview_guide": {
        "label": "Interview guide",
        "kind": "interview",
        "title": "Interview guide: ",
        "body": INTERVIEW_GUIDE,
    },
}


def template_for(name) -> dict | None:
    """The template named `name` ({"label", "kind", "title", "body"}), or None for an unknown name."""
    return TEMPLATES.get(name) if isinstance(name, str) else None
