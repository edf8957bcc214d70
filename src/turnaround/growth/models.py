"""Student growth percentiles: computation runs, fitted cohorts, student SGPs and aggregates.

- ``GrowthRun`` — one request to compute a state's SGPs for a year (a job with visible progress).
- ``CohortFit`` — one fitted cohort (state × content area × year × grade) with the hash of its
  inputs: a later run refits only cohorts whose inputs changed.
- ``StudentGrowth`` — one student's SGP: **restricted data**, read only through the access
  helpers, and every read is recorded in ``StudentDataAccess``.
- ``GrowthAggregate`` — median and mean SGP with n per school × subject × grade (or ALL) × student
  group × year, computed here. Kept apart from ``performance.AssessmentResult``, whose
  ``median_sgp`` is the *published* figure of a data source: computed and published values are
  never mixed in one column, and a recomputation never overwrites what a state published.
- ``StudentDataAccess`` — the FERPA read-access and disclosure log (34 CFR §99.32): who read
  which students' records, when, and on what basis. Append-only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from turnaround.performance.models import ALL_GRADES, StudentGroup, Subject

#: Subjects that have growth percentiles (science is tested in too few consecutive grades).
GROWTH_SUBJECTS: tuple[str, ...] = (Subject.ELA, Subject.MATH)


class GrowthRun(models.Model):
    """One computation of a state's SGPs for one year and some content areas."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    state = models.ForeignKey(
        "organizations.State", on_delete=models.CASCADE, related_name="growth_runs"
    )
    year = models.PositiveSmallIntegerField(help_text="spring year of the school year scored")
    content_areas = models.JSONField(default=list, help_text='e.g. ["ELA", "MATH"]')
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=80, blank=True, default="")
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    executor = models.CharField(max_length=10, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now, help_text="last sign of progress")
    cohorts_planned = models.PositiveIntegerField(default=0)
    cohorts_recomputed = models.PositiveIntegerField(default=0)
    cohorts_unchanged = models.PositiveIntegerField(default=0)
    cohorts_removed = models.PositiveIntegerField(default=0)
    students_scored = models.PositiveIntegerField(default=0)
    aggregates_written = models.PositiveIntegerField(default=0)
    recomputed = models.JSONField(
        default=list,
        blank=True,
        help_text="labels of the cohorts refitted ('ELA 2017 grade 5')",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_done__lte=models.F("progress_total")) | Q(progress_total=0),
                name="growth_run_progress_le_total",
            ),
        ]

    def __str__(self) -> str:
        return f"growth run {self.pk} ({self.year}, {', '.join(self.content_areas)})"

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


class CohortFit(models.Model):
    """A fitted cohort: the grade progression, the orders fitted and the hash of the inputs."""

    state = models.ForeignKey(
        "organizations.State", on_delete=models.CASCADE, related_name="growth_cohorts"
    )
    content_area = models.CharField(max_length=4, choices=Subject.choices)
    year = models.PositiveSmallIntegerField()
    grade = models.CharField(max_length=3)
    progression = models.JSONField(default=list, help_text="grades, oldest first")
    years = models.JSONField(default=list, help_text="years of the progression, oldest first")
    orders = models.JSONField(default=list, help_text="orders (numbers of priors) fitted")
    n_by_order = models.JSONField(default=dict, help_text="students per order")
    n_scored = models.PositiveIntegerField(default=0)
    input_hash = models.CharField(max_length=128, help_text="the engine's hash of the scores")
    roster_hash = models.CharField(
        max_length=64, help_text="hash of the scored students' schools and group flags"
    )
    run = models.ForeignKey(
        GrowthRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="cohorts"
    )
    fitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["state", "content_area", "year", "grade"]
        constraints = [
            models.UniqueConstraint(
                fields=["state", "content_area", "year", "grade"], name="growth_cohort_unique"
            ),
        ]

    def __str__(self) -> str:
        return cohort_label(self.content_area, self.year, self.grade)


def cohort_label(content_area: str, year: int | str, grade: str) -> str:
    return f"{content_area} {year} grade {grade}"


class StudentGrowth(models.Model):
    """One student's growth percentile in a year and subject: restricted, never public or logged."""

    student_key = models.CharField(max_length=64, help_text="pseudonymous id, never a state id")
    school = models.ForeignKey(
        "organizations.School", on_delete=models.CASCADE, related_name="student_growth"
    )
    cohort = models.ForeignKey(CohortFit, on_delete=models.CASCADE, related_name="students")
    year = models.PositiveSmallIntegerField()
    grade = models.CharField(max_length=3)
    subject = models.CharField(max_length=4, choices=Subject.choices)
    sgp = models.PositiveSmallIntegerField("SGP")
    sgp_order = models.PositiveSmallIntegerField("priors used")
    sgp_by_order = models.JSONField(default=dict, help_text='SGP per order: {"1": 41, "2": 45}')
    norm_group = models.CharField(max_length=300, blank=True, default="")
    prior_score = models.FloatField(null=True, blank=True)
    prior_score_standardized = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student_key", "year", "subject"], name="growth_student_unique"
            ),
            models.CheckConstraint(condition=Q(sgp__gte=1, sgp__lte=99), name="growth_sgp_range"),
            models.CheckConstraint(condition=Q(sgp_order__gte=1), name="growth_sgp_order_min"),
        ]
        indexes = [models.Index(fields=["school", "year", "subject"])]

    def __str__(self) -> str:
        return f"student growth record {self.pk}"


class GrowthAggregate(models.Model):
    """Median and mean SGP of one school's students in a year, subject, grade and group.

    ``n`` is always stored. Below ``min_n`` (``settings.GROWTH_MIN_N`` when computed) the median
    and mean are not reported: ``missing_reason`` is ``insufficient_data`` — a rule about the
    reliability of the statistic, distinct from privacy suppression, which is applied when a
    protected audience reads the table.
    """

    class Missing(models.TextChoices):
        NONE = "", "Reported"
        INSUFFICIENT = "insufficient_data", "Insufficient data"

    school = models.ForeignKey(
        "organizations.School", on_delete=models.CASCADE, related_name="growth_aggregates"
    )
    year = models.PositiveSmallIntegerField()
    subject = models.CharField(max_length=4, choices=Subject.choices)
    grade = models.CharField(max_length=3, default=ALL_GRADES)
    group = models.CharField(max_length=12, choices=StudentGroup.choices)
    n = models.PositiveIntegerField(help_text="students with an SGP")
    median_sgp = models.FloatField("median SGP", null=True, blank=True)
    mean_sgp = models.FloatField("mean SGP", null=True, blank=True)
    missing_reason = models.CharField(
        max_length=20, choices=Missing.choices, blank=True, default=Missing.NONE
    )
    min_n = models.PositiveSmallIntegerField(help_text="the minimum n in force when computed")
    run = models.ForeignKey(
        GrowthRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year", "subject", "grade", "group"],
                name="growth_aggregate_unique",
            ),
            models.CheckConstraint(
                condition=Q(
                    missing_reason="",
                    median_sgp__gte=1,
                    median_sgp__lte=99,
                    mean_sgp__gte=1,
                    mean_sgp__lte=99,
                    n__gte=models.F("min_n"),
                )
                | Q(
                    missing_reason="insufficient_data",
                    median_sgp__isnull=True,
                    mean_sgp__isnull=True,
                    n__lt=models.F("min_n"),
                ),
                name="growth_aggregate_min_n",
            ),
        ]
        indexes = [models.Index(fields=["year", "subject", "grade", "group"])]

    def __str__(self) -> str:
        return f"{self.school_id} {self.year} {self.subject} {self.grade} {self.group}"

    @property
    def reported(self) -> bool:
        return self.missing_reason == self.Missing.NONE


class StudentDataAccess(models.Model):
    """One read or disclosure of student-level records (FERPA §99.32). Append-only.

    Records who (the user, and their username at the time), when, on what basis (the role and
    organisation that gave access; for partners the agreement in force), which school, what kind
    of record, how many, and which students (``keys``, queryable by student).
    """

    class Basis(models.TextChoices):
        STATE_OFFICIAL = "state_official", "School official: state education agency staff"
        DISTRICT_OFFICIAL = "district_official", "School official: district leader"
        SCHOOL_OFFICIAL = "school_official", "School official: school leader"
        CONTRACTOR = "contractor", "School official: partner under a written agreement"

    class Channel(models.TextChoices):
        WEB = "web", "Web page"
        API = "api", "API"
        EXPORT = "export", "Export"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_label = models.CharField(max_length=150, help_text="username at the time")
    basis = models.CharField(max_length=20, choices=Basis.choices)
    basis_detail = models.CharField(
        max_length=200, blank=True, default="", help_text="e.g. the agreement reference"
    )
    purpose = models.CharField(max_length=200)
    school = models.ForeignKey(
        "organizations.School", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    school_label = models.CharField(max_length=220, help_text="school code and name at the time")
    record_kind = models.CharField(max_length=40, help_text="e.g. student_growth")
    record_count = models.PositiveIntegerField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    query = models.JSONField(default=dict, blank=True, help_text="the filters of the read")
    request_id = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "student data accesses"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_label} read {self.record_count} records"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("the student data access log is append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class StudentDataAccessKey(models.Model):
    """One student whose records an access read: the log is queryable by student."""

    access = models.ForeignKey(StudentDataAccess, on_delete=models.CASCADE, related_name="keys")
    student_key = models.CharField(max_length=64, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["access", "student_key"], name="access_key_unique"),
        ]

    def __str__(self) -> str:
        return f"access {self.access_id} key {self.pk}"
