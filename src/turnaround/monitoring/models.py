"""Quarterly strategy sessions, benchmark statuses, next steps and coaching comments.

- A ``StrategySession`` reviews one plan in one quarter: date, participants, a frozen
  ``data_snapshot`` taken when the session opens (latest results and benchmark values at that
  time), one ``BenchmarkStatus`` per active benchmark (on track / at risk / off track / met, with
  the value and evidence), discussion notes and decisions. Once ``held`` it is locked; its minutes
  are a PDF.
- A ``NextStep`` is raised in a session with an owner and a due date, and stays open — shown in
  every later session of the plan — until a session (or its owner) closes it.
- A ``Comment`` (coaching) is attached to a plan, any plan item, a benchmark or a session, threaded
  by ``parent``; each comment notifies the people responsible (``Notification``, in the app and by
  email through Django's email backend).

Who sees and does what lives in ``plans.access`` (the plan's access decides).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class StrategySession(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        OPEN = "open", "In progress"
        HELD = "held", "Held (minutes final)"

    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="sessions")
    #: the school year (spring year) and quarter (1–4) the session reviews
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    held_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    #: people without an account, "Name (role)" one per line
    other_participants = models.TextField(blank=True, default="")
    data_snapshot = models.JSONField(default=dict, blank=True)
    snapshot_taken_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField("discussion notes", blank=True, default="")
    decisions = models.TextField(blank=True, default="")
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["plan", "-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "year", "quarter"], name="session_one_per_quarter"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="session_quarter_1_4"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan}: Q{self.quarter} {self.year - 1}–{str(self.year)[-2:]}"

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.HELD


class BenchmarkStatus(models.Model):
    class Status(models.TextChoices):
        ON_TRACK = "on_track", "On track"
        AT_RISK = "at_risk", "At risk"
        OFF_TRACK = "off_track", "Off track"
        MET = "met", "Met"

    session = models.ForeignKey(
        StrategySession, on_delete=models.CASCADE, related_name="benchmark_statuses"
    )
    benchmark = models.ForeignKey(
        "plans.Benchmark", on_delete=models.PROTECT, related_name="statuses"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    value = models.FloatField(null=True, blank=True)
    evidence = models.TextField(blank=True, default="")
    comment = models.TextField(blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["session", "benchmark__kind", "benchmark__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "benchmark"], name="benchmark_status_one_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.benchmark}: {self.get_status_display()}"


class NextStep(models.Model):
    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="next_steps")
    raised_in = models.ForeignKey(
        StrategySession, on_delete=models.CASCADE, related_name="next_steps_raised"
    )
    description = models.TextField()
    owner = models.CharField(max_length=200)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField()
    objective = models.ForeignKey(
        "plans.Objective", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_in = models.ForeignKey(
        StrategySession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_steps_closed",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["plan", "due_on", "pk"]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Comment(models.Model):
    """A coaching comment on a plan, a plan item, a benchmark or a session (threaded)."""

    class TargetKind(models.TextChoices):
        PLAN = "plan", "Plan"
        NEED = "need", "Need statement"
        GOAL = "goal", "Goal"
        OBJECTIVE = "objective", "Objective"
        STRATEGY = "strategy", "Strategy"
        ACTION = "action", "Action"
        BENCHMARK = "benchmark", "Benchmark"
        SESSION = "session", "Strategy session"
        NEXT_STEP = "next_step", "Next step"

    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="comments")
    target_kind = models.CharField(max_length=10, choices=TargetKind.choices)
    #: the primary key of the target (the plan's own pk for a comment on the plan)
    target_id = models.PositiveIntegerField()
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="plan_comments"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "created_at", "pk"]
        indexes = [models.Index(fields=["plan", "target_kind", "target_id"])]

    def __str__(self) -> str:
        return f"{self.author} on {self.target_kind} {self.target_id}"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "comment"], name="notification_one_per_comment"
            )
        ]

    def __str__(self) -> str:
        return f"to {self.recipient}: {self.comment}"
