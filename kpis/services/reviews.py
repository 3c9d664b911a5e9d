"""Post-launch reviews: one per launched plan, and the window product managers choose for it.

- `review_create(plan_id=)`: the review of a launched plan, made when the plan launches (the
  `launch_plan.launched` handler, kpis.review_handlers) with the default window (30 days). Idempotent: a
  second call (the relay retrying the handler, a backfill at the same time) returns the same review. A plan
  that is not launched has no review (PlanNotLaunched, 409).
- `reviews_backfill(portfolio_ids=)`: reviews for plans launched before reviews existed (or whose event was
  lost), made by the first read of the portfolio's reviews (the list page, the API list and accuracy);
  writes nothing when every launched plan has its review.
- `review_update(review_id=, actor=, window_days=)`: 7–365 whole days (InvalidInput on `window_days`,
  nothing written); records `launch_review.updated` with the change, nothing when nothing changed.
  Callers check the role first (LaunchReview's policy: admins and product managers).

Every write records one domain event per review. `review_create` and `review_update` store the figures as
computed then in `results` with `computed_at` (a snapshot for the admin: the pages and the API compute
them again on every read, kpis.reviews); a backfilled review has no snapshot until its window changes.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from gtm.models import LaunchPlan
from kpis import reviews as figures
from kpis.models import LaunchReview
from pmflow.errors import Conflict, InvalidInput, NotFound
from products import events

WINDOW_RANGE = figures.WINDOW_RANGE
WINDOW_MESSAGE = f"Whole days from {WINDOW_RANGE[0]} to {WINDOW_RANGE[1]}."


class PlanNotLaunched(Conflict):
    """Only a launched plan has a post-launch review."""

    code = "plan_not_launched"


def _store(review: LaunchReview) -> None:
    review = figures.reviews_queryset().get(pk=review.pk)
    result = figures.compute_one(review)
    LaunchReview.objects.filter(pk=review.pk).update(results=result.snapshot(), computed_at=timezone.now())


def review_create(*, plan_id: int, actor=None) -> LaunchReview:
    """The plan's review, made when missing (event `launch_review.created`, actor None for the system)."""
    with transaction.atomic():
        plan = LaunchPlan.objects.select_related("product").filter(pk=plan_id).first()
        if plan is None:
            raise NotFound()
        existing = LaunchReview.objects.filter(launch_plan_id=plan_id).first()
        if existing is not None:
            return existing
        if plan.status != LaunchPlan.Status.LAUNCHED:
            raise PlanNotLaunched(f"“{plan.name}” has not launched: it has no post-launch review yet.")
        try:
            with transaction.atomic():
                review = LaunchReview.objects.create(launch_plan=plan)
        except IntegrityError:  # made meanwhile by another worker or a backfill
            return LaunchReview.objects.get(launch_plan_id=plan_id)
        events.record(
            portfolio_id=plan.product.portfolio_id,
            actor=actor,
            verb="launch_review.created",
            obj=review,
            changes={"window_days": [None, review.window_days]},
            data={"launch_plan": plan.id, "product": plan.product_id},
        )
        _store(review)
    return review


def reviews_backfill(*, portfolio_ids=None) -> int:
    """Reviews for the launched plans (of the portfolios given, or all) that have none; returns how many were
    made. One query when there is nothing to do."""
    missing = LaunchPlan.objects.filter(status=LaunchPlan.Status.LAUNCHED, review__isnull=True)
    if portfolio_ids is not None:
        missing = missing.filter(product__portfolio_id__in=list(portfolio_ids))
    plans = list(missing.select_related("product"))
    if not plans:
        return 0
    stamp = timezone.now()
    with transaction.atomic():
        LaunchReview.objects.bulk_create(
            [LaunchReview(launch_plan=plan, created_at=stamp) for plan in plans], ignore_conflicts=True
        )
        # Those this call made (a concurrent creator's rows carry another time): one event each.
        made = list(LaunchReview.objects.filter(launch_plan__in=plans, created_at=stamp))
        products = {plan.id: plan.product for plan in plans}
        events.record_many(
            [
                {
                    "portfolio_id": products[review.launch_plan_id].portfolio_id,
                    "verb": "launch_review.created",
                    "obj": review,
                    "changes": {"window_days": [None, review.window_days]},
                    "data": {"launch_plan": review.launch_plan_id, "product": products[review.launch_plan_id].id},
                }
                for review in made
            ]
        )
    return len(made)


def clean_window(value) -> int:
    """`window_days` as a whole number of days in WINDOW_RANGE; InvalidInput on the field otherwise."""
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 4:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not WINDOW_RANGE[0] <= value <= WINDOW_RANGE[1]:
        raise InvalidInput(fields={"window_days": WINDOW_MESSAGE})
    return value


def review_update(*, review_id: int, actor, window_days) -> LaunchReview:
    """Change the review's window; its figures follow on the next read (and in `results` now)."""
    window_days = clean_window(window_days)
    with transaction.atomic():
        review = (
            LaunchReview.objects.select_for_update(of=("self",))
            .select_related("launch_plan__product")
            .filter(pk=review_id)
            .first()
        )
        if review is None:
            raise NotFound()
        changes = events.save_changes(
            review,
            {"window_days": window_days},
            portfolio_id=review.launch_plan.product.portfolio_id,
            actor=actor,
            verb="launch_review.updated",
            data={"launch_plan": review.launch_plan_id},
        )
        if changes:
            _store(review)
    return review
