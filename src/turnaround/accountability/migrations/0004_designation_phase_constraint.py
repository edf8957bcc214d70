from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accountability", "0003_designation_phase_from_exit")]

    operations = [
        migrations.AddConstraint(
            model_name="designation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("exited_year__isnull", True), ("phase__in", ["identified", "in_turnaround"])
                    ),
                    models.Q(("exited_year__isnull", False), ("phase__in", ["exited", "escalated"])),
                    _connector="OR",
                ),
                name="designation_phase_matches_exit",
            ),
        ),
    ]
