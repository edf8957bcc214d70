"""Designations loaded before the lifecycle existed: those with an exit year have exited."""

from django.db import migrations


def phase_from_exit(apps, schema_editor):
    Designation = apps.get_model("accountability", "Designation")
    Designation.objects.filter(exited_year__isnull=False).update(phase="exited")
    Designation.objects.filter(exited_year__isnull=True).update(phase="in_turnaround")


class Migration(migrations.Migration):
    dependencies = [("accountability", "0002_identification_runs")]

    operations = [migrations.RunPython(phase_from_exit, migrations.RunPython.noop)]
