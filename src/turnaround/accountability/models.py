"""Determinations (a rule set's output per school and year), the identification runs that
compute them, designations (a status held, with its lifecycle) and exit reviews."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from turnaround.analytics.accountability.status_years import designation_years


class IdentificationRun(models.Model):
    """One application of a rule set to a state's stored data for one year (a job with progress).

    The run loads the indicators the rule set needs (and the earlier years its cumulative rules
    read), evaluates the pure rules and stores one computed determination per school for the
    year, recording each one it created or changed (``DeterminationChange``). Published
    determinations are never overwritten: a computed one is stored beside them.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    state = models.ForeignKey(
        "organizations.State", on_delete=models.CASCADE, related_name="identification_runs"
    )
    year = models.PositiveSmallIntegerField(help_text="accountability year (spring year)")
    ruleset = models.CharField(max_length=40, help_text="rule-set id, e.g. ma-2012")
    ruleset_version = models.CharField(max_length=20, blank=True, default="")
    params = models.JSONField(
        default=dict, blank=True, help_text="parameters given (validated); defaults otherwise"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=80, blank=True, default="")
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now, help_text="last sign of progress")
    schools_evaluated = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    flagged_count = models.PositiveIntegerField(
        default=0, help_text="determinations that flag a school for a designation"
    )
    official_count = models.PositiveIntegerField(
        default=0, help_text="schools with a published determination for the year (kept)"
    )
    official_agree = models.PositiveIntegerField(
        default=0, help_text="of those, how many the computed label agrees with"
    )
    inputs_summary = models.JSONField(
        default=dict, blank=True, help_text="what was loaded: years, rows, sources"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_done__lte=models.F("progress_total")) | Q(progress_total=0),
                name="identification_run_progress_le_total",
            ),
        ]

    def __str__(self) -> str:
        return f"identification run {self.pk} ({self.ruleset} {self.year})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


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
    years_in_status = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="consecutive years in the status the rule set counts"
    )
    source = models.ForeignKey("performance.DataSource", on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(
        IdentificationRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="determinations",
        help_text="the identification run that last computed it",
    )
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year"]
        constraints = [
            # a published and a computed determination of the same school, year and rule set
            # live side by side: a computation never overwrites what the state published
            models.UniqueConstraint(
                fields=["school", "year", "ruleset", "is_official"],
                name="determination_unique_per_origin",
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
        indexes = [
            models.Index(fields=["year", "level"]),
            models.Index(fields=["ruleset", "year"]),
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.year}: {self.label}"

    @property
    def flags(self) -> list[str]:
        found = self.inputs.get("flags", []) if isinstance(self.inputs, dict) else []
        return [str(f) for f in found]


class DeterminationChange(models.Model):
    """A computed determination an identification run created or changed, and what changed."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Changed"

    run = models.ForeignKey(IdentificationRun, on_delete=models.CASCADE, related_name="changes")
    determination = models.ForeignKey(
        AccountabilityDetermination,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="changes",
    )
    school = models.ForeignKey("organizations.School", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    changes = models.JSONField(
        default=dict, blank=True, help_text="{field: [before, after]} (created: [null, value])"
    )

    class Meta:
        ordering = ["run", "school_id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.school_id} in run {self.run_id}"


class DesignationStatus(models.TextChoices):
    UNDERPERFORMING = "underperforming", "Underperforming (Level 4)"
    CHRONICALLY_UNDERPERFORMING = "chronic", "Chronically underperforming (Level 5, receivership)"
    CSI = "csi", "Comprehensive support and improvement (CSI)"
    CSI_RIGOROUS = "csi_rigorous", "CSI not exiting: more rigorous state action"
    TSI = "tsi", "Targeted support and improvement (TSI)"
    ATSI = "atsi", "Additional targeted support (ATSI)"
    FOCUSED = "focused", "Focused/targeted support (Massachusetts 2018+)"
    TX_TURNAROUND = "tx_turnaround", "Campus turnaround plan (Texas, unacceptable ratings)"


class DesignationPhase(models.TextChoices):
    """Where a designation is in its lifecycle: identified → in turnaround → exited or escalated.

    Open phases (identified, in turnaround) have no ``exited_year``; closed ones (exited,
    escalated) have one: the first year the school is no longer in the status.
    """

    IDENTIFIED = "identified", "Identified"
    IN_TURNAROUND = "in_turnaround", "In turnaround"
    EXITED = "exited", "Exited"
    ESCALATED = "escalated", "Escalated"


OPEN_PHASES = (DesignationPhase.IDENTIFIED, DesignationPhase.IN_TURNAROUND)
CLOSED_PHASES = (DesignationPhase.EXITED, DesignationPhase.ESCALATED)


class Designation(models.Model):
    """A school's time in a turnaround status, from the year it entered to the year it left.

    Confirmed by state staff from a determination (``determination``, ``confirmed_by``), or
    loaded as data (``source``). ``exited_year`` is the first year out of the status, by exit or
    by escalation to a more severe status (``escalated_to`` on the new designation's
    ``escalated_from``). Edits are versioned (``version``) and audited by the services.
    """

    school = models.ForeignKey(
        "organizations.School", on_delete=models.CASCADE, related_name="designations"
    )
    status = models.CharField(max_length=16, choices=DesignationStatus.choices)
    phase = models.CharField(
        max_length=16, choices=DesignationPhase.choices, default=DesignationPhase.IN_TURNAROUND
    )
    entered_year = models.PositiveSmallIntegerField()
    exited_year = models.PositiveSmallIntegerField(null=True, blank=True)
    exit_reason = models.CharField(max_length=300, blank=True, default="")
    eligible_exit_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="the first year the school may exit (its exit review)"
    )
    ruleset = models.CharField(
        max_length=40, blank=True, default="", help_text="the rule set that identified the school"
    )
    determination = models.ForeignKey(
        AccountabilityDetermination,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="designations",
        help_text="the determination the designation was confirmed from",
    )
    escalated_from = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_to",
        help_text="the designation this one escalates (e.g. Level 4 → Level 5)",
    )
    exit_criteria = models.JSONField(
        default=list, blank=True, help_text="criteria as data (analytics exit_criteria)"
    )
    notes = models.TextField(blank=True, default="")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    source = models.ForeignKey(
        "performance.DataSource",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="where a designation loaded as data came from",
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

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
            models.CheckConstraint(
                condition=Q(phase__in=[p.value for p in OPEN_PHASES], exited_year__isnull=True)
                | Q(phase__in=[p.value for p in CLOSED_PHASES], exited_year__isnull=False),
                name="designation_phase_matches_exit",
            ),
            models.CheckConstraint(
                condition=Q(eligible_exit_year__isnull=True)
                | Q(eligible_exit_year__gt=models.F("entered_year")),
                name="designation_eligible_after_entry",
            ),
        ]
        indexes = [models.Index(fields=["status", "entered_year"])]

    def __str__(self) -> str:
        return f"{self.school_id} {self.get_status_display()} from {self.entered_year}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # rows created the old way (an exit year, no phase) are exited designations
        if self.exited_year is not None and self.phase in OPEN_PHASES:
            self.phase = DesignationPhase.EXITED
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "phase"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.phase in OPEN_PHASES

    def years_in_status(self, as_of_year: int, paused_years: Iterable[int] = ()) -> int:
        """Years in status by ``as_of_year``; ``paused_years`` (not rated) do not count."""
        return designation_years(
            entered_year=self.entered_year,
            as_of_year=as_of_year,
            exited_year=self.exited_year,
            paused_years=paused_years,
        ).count


class ExitReview(models.Model):
    """A decision on whether a designated school exits: the criteria, the evidence per criterion
    as it stood when the reviewer decided, the decision and the reviewer's rationale.

    Recorded once and never changed (a new review is a new row).
    """

    class Decision(models.TextChoices):
        EXIT = "exit", "Exit the designation"
        CONTINUE = "continue", "Continue in the designation"
        ESCALATE = "escalate", "Escalate to a more severe status"

    designation = models.ForeignKey(
        Designation, on_delete=models.CASCADE, related_name="exit_reviews"
    )
    review_year = models.PositiveSmallIntegerField(help_text="the year judged (spring year)")
    criteria = models.JSONField(default=list, blank=True)
    results = models.JSONField(
        default=list, blank=True, help_text="per criterion: status, summary and evidence items"
    )
    all_met = models.BooleanField(default=False)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    rationale = models.TextField()
    next_review_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="when the decision is to continue: the next review"
    )
    escalated_to = models.ForeignKey(
        Designation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"exit review {self.pk} ({self.review_year}): {self.get_decision_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("an exit review is recorded once; record a new review instead")
        super().save(*args, **kwargs)
