"""Give the adopted RateSlot table messaging's own name (rows kept: a plain rename)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_initial"),
        # alerts forgets the model first, so that no state holds two models on one table.
        ("alerts", "0004_rateslot_to_messaging"),
    ]

    operations = [
        migrations.AlterModelTable(name="RateSlot", table=None),
    ]
