"""Turnaround plans: needs, root causes, goals, objectives, strategies, actions and benchmarks.

A ``Plan`` belongs to one school *or* one district and covers a period of school years (spring
years ``first_year``…``last_year``, e.g. 2027–2029 for 2026–27 to 2028–29), with the year the
school becomes eligible to exit. Its content:

- ``NeedStatement`` — a problem statement drawn from data or site-visit findings (optionally the
  site-visit ``assessments.Priority`` it came from), with ``RootCause``\\s, each with the evidence
  behind it and the framework indicators it concerns;
- ``Goal`` — a measurable annual goal: metric, student group, baseline (value and year) and one
  ``GoalTarget`` per plan year;
- ``Objective`` (linked to framework indicators and site-visit priorities) → ``Strategy`` →
  ``Action`` (owner, dates, status, cost and funding source);
- ``Benchmark`` — educator/process or student/early-evidence: measure, data source, baseline,
  target and the quarter it is due.

Workflow (``status``): draft → submitted → district-approved → state-approved, or returned with
comments at any step (back to the authors, who edit and resubmit). A district plan skips the
district step. Content is editable only in ``draft`` and ``returned``; an approved plan changes
only by an amendment, which records a reason and returns it to draft. Every transition stores a
``PlanVersion``: a full snapshot of the content (``plans.snapshot``) with who, when, the
transition and its comment, so any two versions can be compared. Items carry a ``version`` column:
two people editing the same item get a conflict instead of overwriting each other.

Benchmarks and objectives that quarterly sessions have reported on are retired
(``is_active = False``), never deleted, so the monitoring history keeps its subject.

Who sees and does what lives in ``access.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from turnaround.partners.models import FundingSource


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for approval"
    DISTRICT_APPROVED = "district_approved", "Approved by the district"
    STATE_APPROVED = "state_approved", "Approved by the state"
    RETURNED = "returned", "Returned with comments"


#: the statuses in which the plan's content may be edited
EDITABLE_STATUSES = frozenset({PlanStatus.DRAFT, PlanStatus.RETURNED})


class Plan(models.Model):
    school = models.ForeignKey(
        "organizations.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plans",
    )
    district = models.ForeignKey(
        "organizations.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plans",
    )
    title = models.CharField(max_length=200)
    summary = models.TextField("executive summary", blank=True, default="")
    first_year = models.PositiveSmallIntegerField(help_text="spring year of the first plan year")
    last_year = models.PositiveSmallIntegerField(help_text="spring year of the last plan year")
    #: the spring year of the school year in which the school becomes eligible to exit
    exit_eligible_year = models.PositiveSmallIntegerField(null=True, blank=True)
    designation = models.ForeignKey(
        "accountability.Designation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plans",
    )
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    #: the plan this one was copied from (last year's plan, or a template plan)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-first_year", "title"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(school__isnull=False, district__isnull=True)
                    | Q(school__isnull=True, district__isnull=False)
                ),
                name="plan_school_or_district",
            ),
            models.CheckConstraint(
                condition=Q(last_year__gte=F("first_year")), name="plan_years_ordered"
            ),
            models.CheckConstraint(
                condition=Q(last_year__lte=F("first_year") + 5), name="plan_at_most_six_years"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def organisation(self) -> object:
        return self.school or self.district

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))


class PlanVersion(models.Model):
    """A snapshot of the whole plan at a workflow transition (or an amendment)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=PlanStatus.choices)
    #: e.g. "submit", "district_approve", "state_approve", "return", "amend", "create"
    transition = models.CharField(max_length=30)
    comment = models.TextField(blank=True, default="")
    snapshot = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number} ({self.get_status_display()})"


class _Item(models.Model):
    """What every plan item has: its plan, an order and a version for conflict detection."""

    order = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class NeedStatement(_Item):
    class Source(models.TextChoices):
        DATA = "data", "Performance data"
        SITE_VISIT = "site_visit", "Site-visit findings"
        SELF_ASSESSMENT = "self_assessment", "Self-assessment"
        STAKEHOLDERS = "stakeholders", "Stakeholder input"
        OTHER = "other", "Other"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="needs")
    statement = models.TextField(help_text="the problem, stated with the numbers behind it")
    source = models.CharField(max_length=20, choices=Source.choices)
    evidence = models.TextField(blank=True, default="")
    priority = models.ForeignKey(
        "assessments.Priority", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["plan", "order", "pk"]

    def __str__(self) -> str:
        return self.statement[:80]


class RootCause(_Item):
    need = models.ForeignKey(NeedStatement, on_delete=models.CASCADE, related_name="root_causes")
    cause = models.TextField()
    evidence = models.TextField(help_text="what shows this is a cause")
    indicators = models.ManyToManyField("frameworks.Indicator", blank=True, related_name="+")

    class Meta:
        ordering = ["need", "order", "pk"]

    def __str__(self) -> str:
        return self.cause[:80]


class Metric(models.TextChoices):
    """What a goal measures, with the range its values may take (``METRIC_RANGES``)."""

    PROFICIENCY = "proficiency", "Achievement: % meeting or exceeding expectations"
    COMPOSITE_INDEX = "composite_index", "Achievement: composite index (CPI)"
    SCALE_SCORE = "scale_score", "Achievement: mean scale score"
    GROWTH = "growth", "Growth: median student growth percentile"
    ATTENDANCE = "attendance", "Attendance rate (%)"
    CHRONIC_ABSENCE = "chronic_absence", "Chronic absence (% of students)"
    DISCIPLINE = "discipline", "Suspensions (% of students)"
    GRADUATION = "graduation", "Four-year graduation rate (%)"
    DROPOUT = "dropout", "Dropout rate (%)"
    FAMILY_ENGAGEMENT = "family_engagement", "Family engagement (% of families)"
    CLIMATE = "climate", "School climate survey (% favourable)"
    OTHER_PERCENT = "other_percent", "Other (a percentage)"
    OTHER_NUMBER = "other_number", "Other (a number)"


#: the values a goal's baseline and targets may take, per metric (None = unbounded)
METRIC_RANGES: dict[str, tuple[float | None, float | None]] = {
    Metric.PROFICIENCY: (0, 100),
    Metric.COMPOSITE_INDEX: (0, 100),
    Metric.SCALE_SCORE: (0, None),
    Metric.GROWTH: (1, 99),
    Metric.ATTENDANCE: (0, 100),
    Metric.CHRONIC_ABSENCE: (0, 100),
    Metric.DISCIPLINE: (0, 100),
    Metric.GRADUATION: (0, 100),
    Metric.DROPOUT: (0, 100),
    Metric.FAMILY_ENGAGEMENT: (0, 100),
    Metric.CLIMATE: (0, 100),
    Metric.OTHER_PERCENT: (0, 100),
    Metric.OTHER_NUMBER: (None, None),
}

#: metrics where a lower value is better (targets should fall)
LOWER_IS_BETTER = frozenset({Metric.CHRONIC_ABSENCE, Metric.DISCIPLINE, Metric.DROPOUT})


class Goal(_Item):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="goals")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    description = models.CharField(max_length=300, help_text="the goal in words")
    #: a ``performance.models.StudentGroup`` code ("all", "high_needs", …)
    student_group = models.CharField(max_length=12, default="all")
    #: "ELA", "MATH", "SCI" or blank where the metric has no subject
    subject = models.CharField(max_length=4, blank=True, default="")
    baseline_value = models.FloatField(null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(null=True, blank=True)
    data_source = models.CharField(max_length=200, blank=True, default="")
    #: the statutory goal area, where the state has a list (M.G.L. c.69 §1J)
    statutory_area = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["plan", "order", "pk"]

    def __str__(self) -> str:
        return self.description


class GoalTarget(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField()
    value = models.FloatField()

    class Meta:
        ordering = ["goal", "year"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "year"], name="goal_target_one_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.value}"


class Objective(_Item):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(max_length=300)
    description = models.TextField(
        blank=True, default="", help_text="what full implementation looks like"
    )
    indicators = models.ManyToManyField("frameworks.Indicator", blank=True, related_name="+")
    priorities = models.ManyToManyField("assessments.Priority", blank=True, related_name="+")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["plan", "order", "pk"]

    def __str__(self) -> str:
        return self.title


class Strategy(_Item):
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="strategies")
    title = models.CharField(max_length=300)
    rationale = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["objective", "order", "pk"]
        verbose_name_plural = "strategies"

    def __str__(self) -> str:
        return self.title


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    BLOCKED = "blocked", "Blocked"
    DROPPED = "dropped", "Dropped"


class Action(_Item):
    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=300)
    owner = models.CharField(max_length=200, help_text="the person or role responsible")
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_actions",
    )
    starts_on = models.DateField()
    due_on = models.DateField()
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.NOT_STARTED
    )
    cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    funding_source = models.CharField(
        max_length=20, choices=FundingSource.choices, blank=True, default=""
    )
    completed_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["strategy", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=F("starts_on")), name="action_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(cost__isnull=True) | Q(cost__gte=0), name="action_cost_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class BenchmarkKind(models.TextChoices):
    EDUCATOR = "educator", "Educator / process"
    STUDENT = "student", "Student / early evidence"


class Benchmark(_Item):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="benchmarks")
    objective = models.ForeignKey(
        Objective, on_delete=models.SET_NULL, null=True, blank=True, related_name="benchmarks"
    )
    kind = models.CharField(max_length=10, choices=BenchmarkKind.choices)
    measure = models.CharField(max_length=300, help_text="what is measured, in words")
    data_source = models.CharField(max_length=200)
    #: "percent" (0–100), "count" (≥ 0) or "number"
    unit = models.CharField(max_length=10, default="percent")
    baseline = models.FloatField(null=True, blank=True)
    target = models.FloatField()
    #: the school year (spring year) and quarter (1–4) by which the target is due
    due_year = models.PositiveSmallIntegerField()
    due_quarter = models.PositiveSmallIntegerField()
    frequency = models.CharField(max_length=50, blank=True, default="quarterly")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["plan", "kind", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_quarter__gte=1, due_quarter__lte=4), name="benchmark_quarter_1_4"
            ),
        ]

    def __str__(self) -> str:
        return self.measure

    @property
    def due_label(self) -> str:
        return f"Q{self.due_quarter} {self.due_year - 1}–{str(self.due_year)[-2:]}"
