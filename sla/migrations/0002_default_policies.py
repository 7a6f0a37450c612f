from decimal import Decimal

from django.db import migrations

# Defaults of PRODUCT.md: reaction / resolution in business hours.
DEFAULTS = {1: ("1", "8"), 2: ("4", "24"), 3: ("8", "40"), 4: ("24", "80")}


def create_policies(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    for priority, (reaction, resolution) in DEFAULTS.items():
        SlaPolicy.objects.get_or_create(
            priority=priority,
            defaults={"reaction_hours": Decimal(reaction), "resolution_hours": Decimal(resolution)},
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(create_policies, migrations.RunPython.noop)]
