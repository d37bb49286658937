"""Proposal.search_text: title and description folded, so that a search ignores accents and
case ("velo" finds "Vélo") and reads one plain column. Existing proposals are filled in."""

from django.db import migrations, models


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    from beffroi.participation.models.proposals import proposal_search_text

    Proposal = apps.get_model("participation", "Proposal")
    batch = []
    for proposal in Proposal.objects.only("pk", "title", "body").iterator(chunk_size=500):
        proposal.search_text = proposal_search_text(proposal.title, proposal.body)
        batch.append(proposal)
        if len(batch) == 500:
            Proposal.objects.bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        Proposal.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0002_consultations_results_live"),
    ]

    operations = [
        migrations.AddField(
            model_name="proposal",
            name="search_text",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
