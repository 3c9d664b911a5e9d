"""The demo's status book (products.demo_status_book.seed_status_book): six weeks of working days for the demo
user and a colleague product manager across the demo products, written by the service; the demo user's balance
has too much daily business (the page flags it), the colleague's is in balance; a second run adds nothing."""

import datetime

from django.test import TestCase

from products.demo_status_book import DAYS, seed_status_book
from products.models import DomainEvent, Membership, StatusBookEntry
from products.services import status_book as services
from tests.factories import PortfolioFactory, ProductFactory, UserFactory

TODAY = datetime.date(2026, 3, 16)


class SeedStatusBookTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.portfolio = PortfolioFactory(name="Demo")
        cls.demo = UserFactory(username="demo")
        cls.priya = UserFactory(username="priya")
        Membership.objects.create(portfolio=cls.portfolio, user=cls.demo, role="admin")
        Membership.objects.create(portfolio=cls.portfolio, user=cls.priya, role="product_manager")
        Membership.objects.create(portfolio=cls.portfolio, user=UserFactory(username="marco"), role="marketer")
        for name in ("Insight Hub", "Pulse Alerts", "TeamBoard", "FieldKit"):
            ProductFactory(portfolio=cls.portfolio, name=name)
        cls.counts = seed_status_book(portfolio=cls.portfolio, actor=cls.demo, today=TODAY)
        cls.rows = list(StatusBookEntry.objects.filter(product__portfolio=cls.portfolio).select_related("product"))

    def _balance(self, user):
        first, last = services.default_period(TODAY)
        return services.balance(
            services.entries_in(StatusBookEntry.objects.filter(author=user), first=first, last=last)
        )

    def test_both_product_managers_log_six_weeks_of_working_days_through_the_service(self):
        assert self.counts == {"entries": len(self.rows), "authors": 2} and len(self.rows) > 200
        assert {row.author_id for row in self.rows} == {self.demo.id, self.priya.id}
        created = DomainEvent.objects.filter(verb="status_book_entry.created")
        assert created.count() == len(self.rows)
        assert created.filter(actor=self.priya).count() == sum(1 for r in self.rows if r.author_id == self.priya.id)

    def test_lines_spread_over_weekdays_and_every_product(self):
        days = {row.date for row in self.rows}
        assert min(days) == TODAY - datetime.timedelta(days=DAYS - 1) or min(days).weekday() == 0
        assert max(days) <= TODAY and all(day.weekday() < 5 for day in days)
        assert len(days) == sum(1 for n in range(DAYS) if (TODAY - datetime.timedelta(days=n)).weekday() < 5)
        assert {row.product.name for row in self.rows} == {"Insight Hub", "Pulse Alerts", "TeamBoard", "FieldKit"}
        assert all(1 <= row.minutes <= 120 and row.text for row in self.rows)

    def test_the_demo_users_balance_has_too_much_daily_business(self):
        balance = self._balance(self.demo)
        assert 55 < balance["daily"].share < 65
        assert balance["daily"].advice == "Too much daily business: block time for long-term work."
        assert balance.out_of_range == [balance["daily"]]

    def test_the_colleagues_balance_is_in_range(self):
        assert self._balance(self.priya).out_of_range == []

    def test_a_second_run_writes_nothing(self):
        events = DomainEvent.objects.count()
        again = seed_status_book(portfolio=self.portfolio, actor=self.demo, today=TODAY)
        assert again == {"entries": 0, "authors": 0}
        assert DomainEvent.objects.count() == events and StatusBookEntry.objects.count() == len(self.rows)
