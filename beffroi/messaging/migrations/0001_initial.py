"""RateSlot moves from alerts to messaging: this migration adopts the existing table
(alerts_rateslot) without touching it, so the reservations in it are kept; 0002 renames it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("alerts", "0003_rateslot"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RateSlot",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=40, unique=True)),
                        ("next_at", models.FloatField(default=0.0)),
                    ],
                    options={"db_table": "alerts_rateslot"},
                ),
            ],
            database_operations=[],
        ),
    ]
