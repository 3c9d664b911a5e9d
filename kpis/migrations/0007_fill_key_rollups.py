"""Fill the key rows across products and lines from the rollups already stored (new in 0006)."""

from django.db import migrations


def fill(apps, schema_editor):
    from kpis import rollups  # plain SQL over the tables as they are at this migration

    Portfolio = apps.get_model("products", "Portfolio")
    for portfolio_id in Portfolio.objects.order_by("id").values_list("id", flat=True):
        rollups.recompute_keys(portfolio_id=portfolio_id)


class Migration(migrations.Migration):
    dependencies = [("kpis", "0006_key_rollups_imports")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
