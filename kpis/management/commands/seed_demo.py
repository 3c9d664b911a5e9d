"""Demo data: a portfolio with product lines, products across the lifecycle, a year of KPI data and a rule."""

import math
import random
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from gtm.demo import seed_gtm
from kpis.demo_analysis import seed_analysis
from kpis.demo_budget import seed_budget
from kpis.demo_goals import seed_goals
from kpis.demo_gtm import seed_gtm_kpis
from kpis.demo_reviews import seed_reviews
from kpis.demo_signals import seed_signals
from kpis.services import import_create, kpi_save, measurements_ingest
from products import services
from products.demo_audience import seed_audience
from products.demo_feedback import seed_feedback
from products.demo_gates import seed_gates
from products.demo_market import seed_market
from products.demo_notifications import seed_notifications
from products.demo_rules import seed_rules
from products.demo_status_book import seed_status_book
from products.demo_suggestions import seed_suggestions
from products.demo_webhooks import seed_webhooks
from products.models import Portfolio, Role, Stage
from roadmap.demo import seed_roadmap
from roadmap.demo_documents import seed_documents
from roadmap.demo_ideas import seed_ideas

PORTFOLIO = "Acme Software"
BILLING_DAYS = 7  # the latest days of revenue arrive by CSV import
LINES = {
    "Analytics": "Dashboards and reporting for operations teams.",
    "Collaboration": "Tools teams use to plan and share work.",
    "Mobile": "Field apps for iOS and Android.",
}
# name, line, final stage, description, base revenue per day, weekly active users, growth per day
PRODUCTS = [
    (
        "Insight Hub",
        "Analytics",
        Stage.GROWTH,
        "Self-serve analytics for operations managers.",
        2400,
        5200,
        0.0012,
    ),
    (
        "Pulse Alerts",
        "Analytics",
        Stage.LAUNCH,
        "Real-time alerts when operational KPIs drift.",
        600,
        1800,
        0.004,
    ),
    ("Ledger Classic", "Analytics", Stage.DECLINE, "The on-premise reporting suite.", 1800, 2500, -0.0015),
    (
        "TeamBoard",
        "Collaboration",
        Stage.MATURITY,
        "Kanban boards for cross-functional teams.",
        3100,
        9100,
        0.0002,
    ),
    ("DocFlow", "Collaboration", Stage.DEVELOPMENT, "Document approvals with audit trails.", 0, 0, 0),
    ("Huddle", "Collaboration", Stage.RESEARCH, "Async stand-ups for remote teams.", 0, 0, 0),
    ("FieldKit", "Mobile", Stage.PLANNING, "Offline checklists for field technicians.", 0, 0, 0),
    ("Scout", "Mobile", Stage.IDEATION, "Photo capture of site issues, routed to the right team.", 0, 0, 0),
]
# Colleagues on the members page: username, e-mail, role.
COLLEAGUES = [
    ("priya", "priya@example.com", Role.PRODUCT_MANAGER),
    ("marco", "marco@example.com", Role.MARKETER),
]
REASONS = {
    Stage.RESEARCH: "Problem confirmed in 12 customer interviews.",
    Stage.PLANNING: "Research readout approved; business case positive.",
    Stage.DEVELOPMENT: "Roadmap and release plan agreed with engineering.",
    Stage.LAUNCH: "Release 1.0 shipped; launch plan executing.",
    Stage.GROWTH: "Adoption ahead of plan for two months.",
    Stage.MATURITY: "Growth flattened; focus on retention and margin.",
    Stage.DECLINE: "Revenue falling as customers move to the cloud suite.",
}


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the login."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="pmflow-demo")
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--url", default="", help="Where the app is served, printed with the login.")

    def handle(self, *args, password, days, url, **options):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username="demo", defaults={"is_staff": True, "is_superuser": True, "email": "demo@example.com"}
        )
        if created:
            user.set_password(password)
            user.save()
        viewer, viewer_created = User.objects.get_or_create(username="viewer")
        if viewer_created:
            viewer.set_password(password)
            viewer.save()
        if Portfolio.objects.filter(name=PORTFOLIO).exists():
            self.stdout.write("Demo data already loaded.")
        else:
            self._load(user, viewer, days)
        self._roadmap(user)
        self._gtm(user)
        self._strategy(user)
        self._desk(user)
        # The demo's history is not mailed while it loads (the console backend would print every e-mail).
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            self._automation(user)
        # Every run prints the login, whether it loaded the data or found it (scripts/run starts with this).
        self.stdout.write(self.style.SUCCESS(self._login_line(user, viewer, password, url)))

    def _roadmap(self, user):
        """The roadmap comes after the rest, and on every run: a demo loaded before it existed gets one
        too (seed_roadmap writes nothing once the portfolio has a roadmap). Its shipped releases fire
        release.shipped; the demo's rules are KPI thresholds, so no product moves for them."""
        portfolio = Portfolio.objects.filter(name=PORTFOLIO).order_by("id").first()
        today = timezone.now().astimezone(portfolio.zone).date()
        counts = seed_roadmap(portfolio=portfolio, actor=user, today=today)
        if counts:
            self.stdout.write(
                f"Loaded a roadmap of {counts['items']} items, {counts['releases']} releases and "
                f"{counts['dependencies']} dependencies."
            )

    def _gtm(self, user):
        """Go-to-market after the roadmap (its launch plans are for the roadmap's releases), then the KPIs
        of its campaigns and plans; on every run, like the roadmap: each writes nothing once it has data."""
        portfolio = Portfolio.objects.filter(name=PORTFOLIO).order_by("id").first()
        today = timezone.now().astimezone(portfolio.zone).date()
        counts = seed_gtm(portfolio=portfolio, actor=user, today=today)
        if counts:
            self.stdout.write(
                f"Loaded go-to-market data: {counts['plans']} launch plans ({counts['tasks']} tasks) from "
                f"{counts['templates']} templates, {counts['messaging']} messaging versions, {counts['campaigns']} "
                f"campaigns, {counts['assets']} assets, {counts['events']} events, {counts['press_items']} press "
                f"items, {counts['segments']} segments and {counts['personas']} personas."
            )
        counts = seed_gtm_kpis(portfolio=portfolio, actor=user, today=today)
        if counts:
            skipped = f" ({counts['skipped']} left out: the product has the key)" if counts["skipped"] else ""
            self.stdout.write(
                f"Loaded {counts['kpis']} campaign and launch KPIs{skipped} with {counts['measurements']} "
                "weekly measurements."
            )

    def _strategy(self, user):
        """Strategy last, on every run (each part writes nothing once it has its data): market insight and
        competitors, the audience (completing go-to-market's segments and personas), ideas linked to the
        insights (two accepted into roadmap items), feedback behind ideas and items, and goals whose key
        results read the demo's KPIs."""
        self._seed_parts(
            user,
            "Loaded strategy",
            (
                ("market insight and competitors", seed_market),
                ("segments and personas", seed_audience),
                ("ideas", seed_ideas),
                ("customer feedback", seed_feedback),
                ("vision, goals and key results", seed_goals),
            ),
        )

    def _desk(self, user):
        """The product manager's desk after the strategy (the analysis reads its goals, segments and
        feedback): the status book, marketing plans with budgets and sales targets, the analysis thresholds
        (ending Ledger Classic's goal so its retirement shows) and research and planning documents; on every
        run, each writing nothing once it has its data."""
        self._seed_parts(
            user,
            "Loaded the desk",
            (
                ("status book", seed_status_book),
                ("marketing plans", seed_budget),
                ("portfolio analysis", seed_analysis),
                ("documents", seed_documents),
            ),
        )

    def _automation(self, user):
        """Lifecycle automation last, on every run (each writes nothing once it has its data): the default
        and demo rules (a composite suggest rule), the stage gates (a recorded override), the post-launch
        reviews, the cross-functional signals, the pending and dismissed suggestions, webhooks with their
        delivery log, and the notifications the handlers write from all of the above."""
        self._seed_parts(
            user,
            "Loaded lifecycle automation",
            (
                ("rules", seed_rules),
                ("stage gates", seed_gates),
                ("launch reviews", seed_reviews),
                ("signals", seed_signals),
                ("suggestions", seed_suggestions),
                ("webhooks", seed_webhooks),
                ("notifications", seed_notifications),
            ),
        )

    def _seed_parts(self, user, title, parts):
        """Run each `seed(portfolio=, actor=, today=)` in order and say in one line what they wrote."""
        portfolio = Portfolio.objects.filter(name=PORTFOLIO).order_by("id").first()
        today = timezone.now().astimezone(portfolio.zone).date()
        loaded = []
        for label, seed in parts:
            counts = seed(portfolio=portfolio, actor=user, today=today)
            if counts and any(counts.values()):
                figures = ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in counts.items() if value)
                loaded.append(f"{label} ({figures})")
        if loaded:
            self.stdout.write(f"{title}: " + "; ".join(loaded) + ".")

    @staticmethod
    def _login_line(user, viewer, password, url):
        def login(account, role):
            if account.check_password(password):
                return f"{account.username} / {password} ({role})"
            return f"{account.username} ({role}; its password was changed after the demo data was loaded)"

        where = f"Open {url} and log in" if url else "Log in"
        return f"\n  {where} as {login(user, 'portfolio admin and superuser')} or {login(viewer, 'read-only')}\n"

    def _load(self, user, viewer, days):
        rng = random.Random(42)
        portfolio = services.portfolio_create(name=PORTFOLIO, timezone_name="Europe/Berlin", creator=user)
        services.membership_set(portfolio=portfolio, username=viewer.username, role=Role.VIEWER, actor=user)
        for username, email, role in COLLEAGUES:
            colleague, made = get_user_model().objects.get_or_create(username=username, defaults={"email": email})
            if made:
                colleague.set_unusable_password()  # colleagues to see on the members page, not to log in as
                colleague.save()
            services.membership_set(portfolio=portfolio, username=username, role=role, actor=user)
        lines = {
            name: services.product_line_save(portfolio=portfolio, actor=user, name=name, description=text)
            for name, text in LINES.items()
        }
        zone = portfolio.zone
        today = timezone.now().astimezone(zone).date()
        start = today - timedelta(days=days)
        for index, (name, line, stage, description, revenue, wau, growth) in enumerate(PRODUCTS):
            steps = Stage.values[: Stage.order(stage) + 1]
            began = timezone.now() - timedelta(days=days + 200 - index * 10)
            product = services.product_create(
                portfolio=portfolio,
                product_line=lines[line],
                name=name,
                description=description,
                actor=user,
                at=began,
            )
            if revenue:
                kpi_save(
                    product=product,
                    key="revenue",
                    name="Revenue",
                    unit="EUR",
                    aggregation="sum",
                    target=round(revenue * 30.4 * 1.05, -2),
                    target_granularity="month",
                    headline=True,
                )
                kpi_save(
                    product=product,
                    key="weekly_active_users",
                    name="Weekly active users",
                    unit="users",
                    aggregation="last",
                    target=round(wau * 1.1, -2),
                    target_granularity="week",
                )
                kpi_save(
                    product=product,
                    key="conversion_rate",
                    name="Trial conversion",
                    unit="%",
                    aggregation="avg",
                    target=12,
                    target_granularity="month",
                )
            elif Stage.order(stage) >= Stage.order(Stage.PLANNING):
                kpi_save(
                    product=product,
                    key="interviews",
                    name="Customer interviews",
                    unit="interviews",
                    aggregation="sum",
                    target=8,
                    target_granularity="month",
                    headline=True,
                )
            for step_index, step in enumerate(steps[1:], start=1):
                at = began + timedelta(days=step_index * (days + 150) / len(steps))
                services.product_transition(
                    product_id=product.id, to_stage=step, reason=REASONS[step], actor=user, at=at
                )
            self._measure(product, start, days, revenue, wau, growth, rng)
        # The default rules (portfolio_create) move Pulse Alerts on when its active users hold their target.
        services.lifecycle_rule_save(
            portfolio=portfolio,
            actor=user,
            name="Sunset when revenue fades",
            from_stage=Stage.DECLINE,
            to_stage=Stage.RETIRED,
            condition_type="kpi_threshold",
            params={"key": "revenue", "granularity": "month", "comparator": "lt", "value": 20000, "periods": 3},
        )
        self._imports(portfolio, user, today)
        # What the periodic sweep would do: Pulse Alerts' active users have held up, so it moves on.
        services.lifecycle_rules_evaluate_all()
        self.stdout.write(f"Loaded {len(PRODUCTS)} products with {days} days of measurements.")

    def _imports(self, portfolio, user, today):
        """The import history: last week's revenue from the billing system's export (the days _measure
        leaves out), and an earlier CRM export that was refused for two bad rows."""
        rng = random.Random(7)
        rows = ["product,key,observed_at,value,external_id"]
        for name, _, _, _, revenue, _, _ in PRODUCTS:
            for offset in range(BILLING_DAYS, 0, -1):
                if revenue:
                    day = today - timedelta(days=offset)
                    value = round(revenue * rng.uniform(0.9, 1.1), 2)
                    rows.append(f"{name},revenue,{day},{value},billing-{day}")
        content = ("\n".join(rows) + "\n").encode()
        draft = (
            "product,key,observed_at,value\n"
            f"{PRODUCTS[0][0]},revenue,{today - timedelta(days=30)},1520.50\n"
            f"Orbit Analytics,revenue,{today - timedelta(days=30)},980\n"
            f'{PRODUCTS[0][0]},revenue,{today - timedelta(days=29)},"1.234,50"\n'
        ).encode()
        import_create(
            portfolio=portfolio, content=draft, filename="crm-export-draft.csv", actor=user, source="page", run_now=True
        )
        import_create(
            portfolio=portfolio,
            content=content,
            filename=f"billing-export-{today:%Y-%m-%d}.csv",
            actor=user,
            source="page",
            run_now=True,
        )

    def _measure(self, product, start, days, revenue, wau, growth, rng):
        zone = product.portfolio.zone
        for kpi in product.kpis.all():
            items = []
            for offset in range(days):
                day = start + timedelta(days=offset)
                trend = math.exp(growth * offset)
                weekly = 1 + 0.15 * math.sin(offset / 7 * 2 * math.pi)
                if kpi.key == "revenue":
                    if offset >= days - BILLING_DAYS:
                        continue  # these come from the billing system's import (_imports)
                    value = revenue * trend * weekly * rng.uniform(0.85, 1.15)
                elif kpi.key == "weekly_active_users":
                    value = wau * trend * rng.uniform(0.97, 1.03)
                elif kpi.key == "conversion_rate":
                    value = 11 + 3 * math.tanh(growth * 400) + rng.uniform(-2, 2)
                else:
                    if rng.random() > 0.25:
                        continue
                    value = rng.randint(1, 3)
                moment = datetime.combine(day, time(hour=rng.randint(6, 22)), tzinfo=zone)
                items.append(
                    {
                        "observed_at": moment.isoformat(),
                        "value": round(value, 2),
                        "external_id": f"demo-{day}",
                    }
                )
            with transaction.atomic():
                measurements_ingest(kpi_id=kpi.id, items=items)
