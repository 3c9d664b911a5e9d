"""Post-launch review figures (kpis.reviews): the windows' boundaries per aggregation, a window not over yet,
no expectations, several items on one key, held and optimism, and accuracy by quarter worked out by hand."""

import datetime
from decimal import Decimal

import pytest

from kpis import reviews as figures
from kpis.models import LaunchReview
from kpis.services import measurements_ingest
from tests.factories import (
    CampaignFactory,
    KPIFactory,
    LaunchPlanFactory,
    PortfolioFactory,
    ProductFactory,
    ReleaseFactory,
    RoadmapItemFactory,
)

pytestmark = pytest.mark.django_db

LAUNCH = datetime.date(2025, 9, 11)
WINDOW = 10
AFTER_WINDOW = LAUNCH + datetime.timedelta(days=WINDOW)  # the first day no longer in the after-window


def day(offset: int, hour: int = 12) -> str:
    moment = datetime.datetime.combine(LAUNCH + datetime.timedelta(days=offset), datetime.time(hour))
    return moment.isoformat() + "Z"


# Two measurements on the first day before (10 and 20), one on the day before launch (60); one on launch day
# (40), two on the after-window's last day (80 in the morning, 100 in the evening); and one just outside each
# window, which must not count.
BOUNDARY_ITEMS = [
    {"observed_at": day(-WINDOW - 1), "value": "1000"},
    {"observed_at": day(-WINDOW, 9), "value": "10"},
    {"observed_at": day(-WINDOW, 18), "value": "20"},
    {"observed_at": day(-1), "value": "60"},
    {"observed_at": day(0), "value": "40"},
    {"observed_at": day(WINDOW - 1, 9), "value": "80"},
    {"observed_at": day(WINDOW - 1, 18), "value": "100"},
    {"observed_at": day(WINDOW), "value": "5000"},
]


@pytest.fixture
def product():
    return ProductFactory(portfolio=PortfolioFactory(timezone="UTC"), name="Nebula")


def launched(product, *, launch_date=LAUNCH, release=None, window=WINDOW, **extra):
    plan = LaunchPlanFactory(
        product=product,
        launch_date=launch_date,
        release=release,
        status="launched",
        launched_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
        **extra,
    )
    return LaunchReview.objects.create(launch_plan=plan, window_days=window)


def ingest(kpi, items, capture):
    with capture(execute=True):
        measurements_ingest(kpi_id=kpi.id, items=items)


def result_of(review, today=AFTER_WINDOW):
    return figures.compute([figures.reviews_queryset().get(pk=review.pk)], today=today)[review.pk]


@pytest.mark.parametrize(
    "aggregation, before, after, change",
    [
        ("sum", Decimal("90"), Decimal("220"), Decimal("144.44")),
        # Every measurement weighs the same: (10 + 20 + 60) ÷ 3, not the mean of the daily means (37.5).
        ("avg", Decimal("30"), Decimal("73.333333"), Decimal("144.44")),
        ("min", Decimal("10"), Decimal("40"), Decimal("300.00")),
        ("max", Decimal("60"), Decimal("100"), Decimal("66.67")),
        ("last", Decimal("60"), Decimal("100"), Decimal("66.67")),
    ],
)
def test_before_and_after_follow_the_aggregation_within_the_window_boundaries(
    product, django_capture_on_commit_callbacks, aggregation, before, after, change
):
    kpi = KPIFactory(product=product, key="usage", aggregation=aggregation)
    ingest(kpi, BOUNDARY_ITEMS, django_capture_on_commit_callbacks)
    review = launched(product)

    [entry] = result_of(review).kpis

    assert (entry.before, entry.after, entry.change_pct) == (before, after, change)
    assert (entry.before_days, entry.after_days) == (2, 2)


def test_a_measurement_on_launch_day_counts_as_after_and_the_day_before_the_window_not_at_all(
    product, django_capture_on_commit_callbacks
):
    kpi = KPIFactory(product=product, key="signups", aggregation="sum")
    ingest(
        kpi,
        [
            {"observed_at": day(-WINDOW - 1), "value": "7"},
            {"observed_at": day(-WINDOW), "value": "3"},
            {"observed_at": day(0, 0), "value": "5"},
        ],
        django_capture_on_commit_callbacks,
    )
    review = launched(product)

    [entry] = result_of(review).kpis

    assert (entry.before, entry.after) == (Decimal("3"), Decimal("5"))


def test_the_windows_are_local_days_of_the_portfolio(django_capture_on_commit_callbacks):
    # 23:30 UTC the evening before launch is already launch day in Berlin.
    product = ProductFactory(portfolio=PortfolioFactory(timezone="Europe/Berlin"))
    kpi = KPIFactory(product=product, key="signups", aggregation="sum")
    ingest(
        kpi,
        [{"observed_at": "2025-09-10T23:30:00Z", "value": "5"}, {"observed_at": day(-2), "value": "2"}],
        django_capture_on_commit_callbacks,
    )
    review = launched(product)

    [entry] = result_of(review).kpis

    assert (entry.before, entry.after) == (Decimal("2"), Decimal("5"))


def test_a_window_not_over_is_waiting_with_held_null_and_figures_so_far(product, django_capture_on_commit_callbacks):
    release = ReleaseFactory(product=product)
    RoadmapItemFactory(product=product, release=release, expected_kpi_key="conversion", expected_change_pct=10)
    kpi = KPIFactory(product=product, key="conversion", aggregation="avg")
    ingest(
        kpi,
        [{"observed_at": day(-3), "value": "10"}, {"observed_at": day(1), "value": "30"}],
        django_capture_on_commit_callbacks,
    )
    review = launched(product, release=release)

    waiting = result_of(review, today=LAUNCH + datetime.timedelta(days=WINDOW - 1))  # its last day, still running
    [entry] = waiting.kpis

    assert waiting.status == "waiting" and waiting.held is None
    assert (entry.change_pct, entry.held, entry.outcome) == (Decimal("200.00"), None, "waiting")
    complete = result_of(review, today=AFTER_WINDOW)
    assert complete.status == "complete" and complete.held is True
    assert complete.kpis[0].outcome == "held"


def test_a_total_so_far_is_not_compared_with_a_whole_windows_total(product, django_capture_on_commit_callbacks):
    kpi = KPIFactory(product=product, key="signups", aggregation="sum")
    ingest(
        kpi,
        [{"observed_at": day(-3), "value": "100"}, {"observed_at": day(1), "value": "8"}],
        django_capture_on_commit_callbacks,
    )
    review = launched(product)

    [entry] = result_of(review, today=LAUNCH + datetime.timedelta(days=2)).kpis

    assert (entry.before, entry.after, entry.change_pct) == (Decimal("100"), Decimal("8"), None)
    assert result_of(review).kpis[0].change_pct == Decimal("-92.00")


def test_without_expectations_held_is_null_and_every_kpi_says_so(product, django_capture_on_commit_callbacks):
    kpi = KPIFactory(product=product, key="signups", aggregation="sum")
    ingest(
        kpi,
        [{"observed_at": day(-3), "value": "10"}, {"observed_at": day(1), "value": "30"}],
        django_capture_on_commit_callbacks,
    )
    review = launched(product, release=ReleaseFactory(product=product))

    result = result_of(review)

    assert result.held is None and result.expected == []
    assert [(k.expected_change_pct, k.held, k.outcome) for k in result.kpis] == [(None, None, "no_expectation")]


def test_several_items_on_one_key_add_up_and_dropped_ones_do_not_count(product, django_capture_on_commit_callbacks):
    release = ReleaseFactory(product=product)
    first = RoadmapItemFactory(product=product, release=release, expected_kpi_key="signups", expected_change_pct=5)
    second = RoadmapItemFactory(product=product, release=release, expected_kpi_key="signups", expected_change_pct="3.5")
    RoadmapItemFactory(
        product=product, release=release, status="dropped", expected_kpi_key="signups", expected_change_pct=50
    )
    RoadmapItemFactory(product=product, expected_kpi_key="signups", expected_change_pct=40)  # another release's
    kpi = KPIFactory(product=product, key="signups", aggregation="sum")
    ingest(
        kpi,
        [{"observed_at": day(-3), "value": "100"}, {"observed_at": day(1), "value": "108"}],
        django_capture_on_commit_callbacks,
    )
    review = launched(product, release=release)

    [entry] = result_of(review).kpis

    assert entry.expected_change_pct == Decimal("8.5")
    assert {item.id for item in entry.items} == {first.id, second.id}
    # +8 % against +8.5 % expected: missed by half a point, the planners were that optimistic.
    assert (entry.held, entry.outcome, entry.optimism_pct) == (False, "missed", Decimal("0.50"))


@pytest.mark.parametrize(
    "direction, expected, after, held",
    [
        ("higher_is_better", "-10", "90", True),  # an expected fall of 10 %: exactly reached
        ("higher_is_better", "-10", "91", False),  # fell by only 9 %
        ("lower_is_better", "0", "100", True),  # expected not to get worse: it did not
        ("lower_is_better", "0", "101", False),  # it got worse
        ("higher_is_better", "0", "99", False),
        ("higher_is_better", "20", "120", True),  # exactly the expected rise
    ],
)
def test_held_compares_in_the_expected_direction(
    product, django_capture_on_commit_callbacks, direction, expected, after, held
):
    release = ReleaseFactory(product=product)
    RoadmapItemFactory(product=product, release=release, expected_kpi_key="churn", expected_change_pct=expected)
    kpi = KPIFactory(product=product, key="churn", aggregation="sum", direction=direction)
    ingest(
        kpi,
        [{"observed_at": day(-3), "value": "100"}, {"observed_at": day(1), "value": after}],
        django_capture_on_commit_callbacks,
    )
    review = launched(product, release=release)

    assert result_of(review).kpis[0].held is held


def test_no_data_on_a_side_leaves_the_review_unjudged(product, django_capture_on_commit_callbacks):
    release = ReleaseFactory(product=product)
    RoadmapItemFactory(product=product, release=release, expected_kpi_key="signups", expected_change_pct=10)
    RoadmapItemFactory(product=product, release=release, expected_kpi_key="revenue", expected_change_pct=5)
    signups = KPIFactory(product=product, key="signups", aggregation="sum")
    KPIFactory(product=product, key="revenue", aggregation="sum")
    ingest(
        signups,
        [{"observed_at": day(-3), "value": "10"}, {"observed_at": day(1), "value": "30"}],
        django_capture_on_commit_callbacks,
    )
    review = launched(product, release=release)

    result = result_of(review)

    assert {k.key: k.outcome for k in result.kpis} == {"signups": "held", "revenue": "no_data"}
    assert result.held is None


def test_an_expectation_on_a_key_without_a_kpi_is_listed_without_data(product):
    release = ReleaseFactory(product=product)
    RoadmapItemFactory(product=product, release=release, expected_kpi_key="gone", expected_change_pct=10)
    review = launched(product, release=release)

    [entry] = result_of(review).kpis

    assert (entry.kpi, entry.key, entry.before, entry.outcome) == (None, "gone", None, "no_data")


def test_only_the_products_own_kpis_and_this_plans_are_reviewed(product):
    own = KPIFactory(product=product, key="signups", headline=True)
    review = launched(product)
    other_plan = LaunchPlanFactory(product=product)
    KPIFactory(product=product, key="other_launch", launch_plan=other_plan)
    mine = KPIFactory(product=product, key="this_launch", launch_plan=review.launch_plan)
    KPIFactory(product=product, key="eclipse_leads", campaign=CampaignFactory(product=product))
    KPIFactory(key="signups")  # another product's

    assert [k.kpi.id for k in result_of(review).kpis] == [own.id, mine.id]


def _review_with(product, capture, *, launch_date, before, after, expected, key="signups"):
    kpi = product.kpis.filter(key=key).first() or KPIFactory(product=product, key=key, aggregation="sum")
    release = ReleaseFactory(product=product)
    if expected is not None:
        RoadmapItemFactory(product=product, release=release, expected_kpi_key=key, expected_change_pct=expected)
    items = []
    for offset, value in ((-2, before), (1, after)):
        if value is not None:
            moment = datetime.datetime.combine(launch_date + datetime.timedelta(days=offset), datetime.time(12))
            items.append({"observed_at": moment.isoformat() + "Z", "value": str(value)})
    if items:
        ingest(kpi, items, capture)
    return launched(product, launch_date=launch_date, release=release)


def test_accuracy_by_quarter_worked_out_by_hand(product, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    q1, q3 = datetime.date(2025, 2, 10), datetime.date(2025, 8, 4)
    _review_with(product, capture, launch_date=q1, before=100, after=120, expected=10)  # +20 vs +10: held, −10
    _review_with(product, capture, launch_date=q1 + datetime.timedelta(days=20), before=100, after=105, expected=15)
    # ^ +5 vs +15: missed, +10 points optimistic
    _review_with(product, capture, launch_date=q1 + datetime.timedelta(days=40), before=100, after=90, expected=None)
    # ^ no expectation: counted, not judged
    _review_with(product, capture, launch_date=q3, before=200, after=150, expected=-20)  # −25 % vs −20 %: held, −5
    _review_with(product, capture, launch_date=datetime.date(2025, 9, 20), before=100, after=None, expected=5)
    # ^ no data after launch: not judged
    reviews = figures.reviews_queryset().filter(launch_plan__product=product)
    today = datetime.date(2025, 12, 31)

    rows = figures.accuracy(figures.compute(reviews, only_expected=True, today=today).values())

    assert rows == [
        {
            "quarter": "2025-Q1",
            "reviews": 3,
            "waiting": 0,
            "with_expectations": 2,
            "held": 1,
            "share": Decimal("50.00"),
            "expectations": 2,
            "optimism_pct": Decimal("0.00"),  # (−10 + 10) ÷ 2
        },
        {
            "quarter": "2025-Q2",
            "reviews": 0,
            "waiting": 0,
            "with_expectations": 0,
            "held": 0,
            "share": None,
            "expectations": 0,
            "optimism_pct": None,
        },
        {
            "quarter": "2025-Q3",
            "reviews": 2,
            "waiting": 0,
            "with_expectations": 1,
            "held": 1,
            "share": Decimal("100.00"),
            "expectations": 1,
            "optimism_pct": Decimal("-5.00"),
        },
    ]
    everything = figures.overall(figures.compute(reviews, only_expected=True, today=today).values())
    assert (everything["with_expectations"], everything["held"], everything["share"]) == (3, 2, Decimal("66.67"))
    assert everything["optimism_pct"] == Decimal("-1.67")  # (−10 + 10 − 5) ÷ 3


def test_a_review_waiting_at_the_end_of_a_quarter_is_counted_as_waiting(product, django_capture_on_commit_callbacks):
    _review_with(
        product,
        django_capture_on_commit_callbacks,
        launch_date=datetime.date(2025, 12, 20),
        before=1,
        after=2,
        expected=5,
    )
    reviews = figures.reviews_queryset().filter(launch_plan__product=product)

    # A 10-day window from 20 December runs to the 29th.
    [row] = figures.accuracy(figures.compute(reviews, today=datetime.date(2025, 12, 29)).values())

    assert (row["quarter"], row["reviews"], row["waiting"], row["with_expectations"], row["share"]) == (
        "2025-Q4",
        1,
        1,
        0,
        None,
    )


def test_a_measurement_that_arrives_late_counts_on_the_next_read(product, django_capture_on_commit_callbacks):
    kpi = KPIFactory(product=product, key="signups", aggregation="sum")
    ingest(
        kpi,
        [{"observed_at": day(-3), "value": "100"}, {"observed_at": day(1), "value": "100"}],
        django_capture_on_commit_callbacks,
    )
    review = launched(product)
    assert result_of(review).kpis[0].change_pct == Decimal("0.00")

    # Last month's figures imported after the review was first read.
    ingest(kpi, [{"observed_at": day(5), "value": "50"}], django_capture_on_commit_callbacks)

    assert result_of(review).kpis[0].change_pct == Decimal("50.00")
