from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Send the webhook deliveries that are due, here and now, one after the other (without a broker "
        "nothing sends them from a request; with one, beat's sweep hands them to the worker)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="At most this many tries (default 500).")

    def handle(self, *args, limit, **options):
        from products.services.webhooks import deliveries_send_due

        tried = deliveries_send_due(limit=max(limit, 1))
        self.stdout.write(f"{tried} webhook delivery tr{'y' if tried == 1 else 'ies'} made.")
