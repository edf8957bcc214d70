"""Partner assignments (organizations.PartnerAssignment) become engagements, keeping every row:
the school, the dates and the written agreement. Their need area was never recorded; they are
filed under leadership, with the scope saying so, for the state to correct."""

from django.db import migrations


def forwards(apps, schema_editor):
    Assignment = apps.get_model("organizations", "PartnerAssignment")
    Engagement = apps.get_model("partners", "Engagement")
    Engagement.objects.bulk_create(
        [
            Engagement(
                partner_id=a.partner_id,
                school_id=a.school_id,
                need_area="leadership",
                scope="Carried over from a partner assignment; the need area was not recorded.",
                starts_on=a.starts_on,
                ends_on=a.ends_on,
                agreement_reference=a.agreement_reference,
            )
            for a in Assignment.objects.all()
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0001_initial"),
        ("organizations", "0003_partner_registry"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
