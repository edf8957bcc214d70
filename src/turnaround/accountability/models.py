"""Determinations (a rule set's output per school and year) and designations (a status held)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class AccountabilityDetermination(models.Model):
    school = models.ForeignKey(
        "organizations.School", on_delete=models.CASCADE, related_name="determinations"
    )
    year = models.PositiveSmallIntegerField()
    ruleset = models.CharField(max_length=40, help_text="rule-set id, e.g. ma-2012")
    ruleset_version = models.CharField(max_length=20, default="1")
    label = models.CharField(max_length=60, help_text="e.g. Level 3, CSI, Insufficient data")
    level = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1 best … 5 most severe, where the rule set has levels"
    )
    reason = models.CharField(max_length=300, blank=True, default="")
    reasons = models.JSONField(default=list, blank=True)
    percentile = models.PositiveSmallIntegerField(null=True, blank=True)
    ppi_all = models.FloatField("cumulative PPI, all students", null=True, blank=True)
    ppi_high_needs = models.FloatField("cumulative PPI, high needs", null=True, blank=True)
    inputs = models.JSONField(default=dict, blank=True)
    is_official = models.BooleanField(
        default=False, help_text="published by the state rather than computed here"
    )
    source = models.ForeignKey("performance.DataSource", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year", "ruleset"], name="determination_unique"
            ),
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(level__gte=1, level__lte=5),
                name="determination_level_range",
            ),
            models.CheckConstraint(
                condition=Q(percentile__isnull=True) | Q(percentile__gte=1, percentile__lte=99),
                name="determination_percentile_range",
            ),
        ]
        indexes = [models.Index(fields=["year", "level"])]

    def __str__(self) -> str:
        return f"{self.school_id} {self.year}: {self.label}"


class DesignationStatus(models.TextChoices):
    UNDERPERFORMING = "underperforming", "Underperforming (Level 4)"
    CHRONICALLY_UNDERPERFORMING = "chronic", "Chronically underperforming (Level 5, receivership)"
    CSI = "csi", "Comprehensive support and improvement (CSI)"
    TSI = "tsi", "Targeted support and improvement (TSI)"
    ATSI = "atsi", "Additional targeted support (ATSI)"


class Designation(models.Model):
    """A school's time in a turnaround status, from the year it entered to the year it exited."""

    school = models.ForeignKey(
        "organizations.School", on_delete=models.CASCADE, related_name="designations"
    )
    status = models.CharField(max_length=16, choices=DesignationStatus.choices)
    entered_year = models.PositiveSmallIntegerField()
    exited_year = models.PositiveSmallIntegerField(null=True, blank=True)
    exit_reason = models.CharField(max_length=300, blank=True, default="")
    source = models.ForeignKey("performance.DataSource", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-entered_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "status", "entered_year"], name="designation_unique"
            ),
            models.CheckConstraint(
                condition=Q(exited_year__isnull=True) | Q(exited_year__gt=models.F("entered_year")),
                name="designation_exit_after_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.get_status_display()} from {self.entered_year}"

    def years_in_status(self, as_of_year: int) -> int:
        end = self.exited_year if self.exited_year is not None else as_of_year + 1
        return max(0, min(end, as_of_year + 1) - self.entered_year)
