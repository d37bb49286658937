"""RateSlot now belongs to messaging (every domain's sending shares it): alerts forgets the
model without dropping its table, which messaging adopted in its 0001."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0003_rateslot"),
        ("messaging", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RateSlot")],
            database_operations=[],
        ),
    ]
