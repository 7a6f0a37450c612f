# The submit tokens are core.SubmitToken now (same table): forget the model here only.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0001_initial"),
        ("core", "0002_submittoken"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="SubmitToken")],
        ),
    ]
