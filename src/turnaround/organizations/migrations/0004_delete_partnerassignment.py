from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0003_partner_registry"),
        ("partners", "0002_engagements_from_assignments"),
    ]

    operations = [migrations.DeleteModel(name="PartnerAssignment")]
