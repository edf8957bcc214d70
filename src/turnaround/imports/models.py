"""Import jobs (one uploaded file of one state, validated then committed) and what they changed.

- ``ImportJob`` — a file, the reader that understands it, and the job's life: uploaded →
  validating → invalid | ready → committing → committed | failed, with progress, the problems
  found (row, column, value, reason; capped, with the total), the summary of what a commit will
  do (and, once committed, what it did), a preview of the first rows and the ``DataSource`` the
  committed rows point to.
- ``ImportChange`` — one row a committed job created or changed: target table, the row's key and
  ``{field: [old, new]}``. Student-level rows are recorded compactly: counts in the job's
  outcome, and for changed rows only the key and the names of the fields that changed (never
  the values).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ImportJob(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        VALIDATING = "validating", "Checking"
        INVALID = "invalid", "Problems found"
        READY = "ready", "Ready to commit"
        COMMITTING = "committing", "Committing"
        COMMITTED = "committed", "Committed"
        FAILED = "failed", "Failed"

    state = models.ForeignKey(
        "organizations.State", on_delete=models.CASCADE, related_name="import_jobs"
    )
    reader = models.CharField(max_length=40, help_text="the reader's key, e.g. ma-mcas")
    targets = models.JSONField(default=list, help_text="the tables the reader fills")
    restricted = models.BooleanField(
        default=False, help_text="the file holds student-level (restricted) records"
    )
    file_name = models.CharField(max_length=255, help_text="the name of the uploaded file")
    stored_path = models.CharField(
        max_length=500, blank=True, default="", help_text="relative to the data directory"
    )
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    options = models.JSONField(default=dict, blank=True, help_text='e.g. {"year": 2017}')
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    stage = models.CharField(max_length=80, blank=True, default="")
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(default=0)
    message = models.TextField(blank=True, default="")
    problems = models.JSONField(
        default=list, blank=True, help_text="[{row, column, value, reason}], capped"
    )
    problem_total = models.PositiveIntegerField(default=0)
    summary = models.JSONField(
        default=dict, blank=True, help_text="per target: what a commit will do (validation)"
    )
    outcome = models.JSONField(
        default=dict, blank=True, help_text="per target: what the commit did"
    )
    preview = models.JSONField(default=dict, blank=True, help_text="per target: first rows")
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="an earlier committed job of the same file, reader, options and state",
    )
    data_source = models.ForeignKey(
        "performance.DataSource",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    validated_at = models.DateTimeField(null=True, blank=True)
    commit_requested_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now, help_text="last sign of progress")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "status"]),
            models.Index(fields=["state", "reader", "sha256"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_done__lte=models.F("progress_total")) | Q(progress_total=0),
                name="import_job_progress_le_total",
            ),
        ]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.reader}: {self.file_name})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.UPLOADED, self.Status.VALIDATING, self.Status.COMMITTING)

    @property
    def percent(self) -> int:
        if self.status in (self.Status.READY, self.Status.COMMITTED, self.Status.INVALID):
            return 100
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def year(self) -> int | None:
        value = (self.options or {}).get("year")
        return int(value) if isinstance(value, int) else None


class ImportChange(models.Model):
    """One row that a committed job created or updated."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="changes")
    target = models.CharField(max_length=20, help_text="schools, districts, results, …")
    key = models.CharField(max_length=200, help_text="the row's key, e.g. '00350001 2017 ELA'")
    action = models.CharField(max_length=8, choices=Action.choices)
    changes = models.JSONField(
        default=dict,
        blank=True,
        help_text="{field: [old, new]}; for student records {field: null} (values withheld)",
    )
    row = models.PositiveIntegerField(null=True, blank=True, help_text="row in the source file")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["job", "target"])]

    def __str__(self) -> str:
        return f"{self.action} {self.target} {self.key}"
