from django.core.management.base import BaseCommand

from kpis.services import rollups_rebuild


class Command(BaseCommand):
    help = "Rebuild every rollup from the measurements (all portfolios, or one). Safe to run any time."

    def add_arguments(self, parser):
        parser.add_argument("--portfolio", type=int, help="Only this portfolio's KPIs.")

    def handle(self, *args, portfolio=None, **options):
        done = rollups_rebuild(portfolio_id=portfolio)
        if options["verbosity"]:
            self.stdout.write(self.style.SUCCESS(f"Rebuilt rollups of {done} portfolio(s)."))
