"""School results by year × subject × grade × student group; restricted student records."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Subject(models.TextChoices):
    ELA = "ELA", "English language arts"
    MATH = "MATH", "Mathematics"
    SCIENCE = "SCI", "Science"


class StudentGroup(models.TextChoices):
    ALL = "all", "All students"
    HIGH_NEEDS = "high_needs", "High needs"
    ECON_DISADV = "econ_disadv", "Economically disadvantaged"
    EL = "el", "English learners"
    SWD = "swd", "Students with disabilities"
    AFRICAN_AMERICAN = "black", "African American / Black"
    ASIAN = "asian", "Asian"
    HISPANIC = "hispanic", "Hispanic / Latino"
    WHITE = "white", "White"
    MULTIRACE = "multirace", "Multi-race, non-Hispanic"
    NATIVE_AMERICAN = "amind", "American Indian / Alaska Native"
    PACIFIC_ISLANDER = "pacisl", "Native Hawaiian / Pacific Islander"


class MissingReason(models.TextChoices):
    SUPPRESSED = "suppressed", "Suppressed by the publisher"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    MISSING = "missing", "Not reported"
    BELOW_REPORTING_N = "below_reporting_n", "Group too small to report"


class DataSource(models.Model):
    """Where a set of rows came from: every loaded row keeps its source (data-and-privacy §4.4)."""

    name = models.CharField(max_length=200)
    publisher = models.CharField(max_length=200)
    vintage = models.CharField(max_length=50, blank=True, default="")
    file_name = models.CharField(max_length=300, blank=True, default="")
    checksum = models.CharField(max_length=64, blank=True, default="")
    is_synthetic = models.BooleanField(default=False)
    notes = models.TextField(blank=True, default="")
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return self.name


ALL_GRADES = "ALL"


class AssessmentResult(models.Model):
    """One school's result for one year, subject, tested grade (or ALL) and student group.

    Achievement levels are numbered from the lowest (1) to the highest (4): in the legacy MCAS,
    1 Warning/Failing, 2 Needs Improvement, 3 Proficient, 4 Advanced. A missing value is NULL with
    its reason in ``missing_reasons`` — never zero.
    """

    school = models.ForeignKey(
        "organizations.School", on_delete=models.CASCADE, related_name="assessment_results"
    )
    year = models.PositiveSmallIntegerField(help_text="spring year of the school year")
    subject = models.CharField(max_length=4, choices=Subject.choices)
    grade = models.CharField(max_length=3, default=ALL_GRADES)
    group = models.CharField(max_length=12, choices=StudentGroup.choices)
    n_tested = models.PositiveIntegerField(null=True, blank=True)
    pct_level_4 = models.FloatField(null=True, blank=True)
    pct_level_3 = models.FloatField(null=True, blank=True)
    pct_level_2 = models.FloatField(null=True, blank=True)
    pct_level_1 = models.FloatField(null=True, blank=True)
    composite_index = models.FloatField("CPI", null=True, blank=True)
    mean_scale_score = models.FloatField(null=True, blank=True)
    median_sgp = models.FloatField("median SGP", null=True, blank=True)
    sgp_n = models.PositiveIntegerField("students in SGP", null=True, blank=True)
    missing_reasons = models.JSONField(default=dict, blank=True)
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year", "subject", "grade", "group"], name="result_unique"
            ),
            models.CheckConstraint(
                condition=Q(median_sgp__isnull=True) | Q(median_sgp__gte=1, median_sgp__lte=99),
                name="result_sgp_range",
            ),
            models.CheckConstraint(
                condition=Q(composite_index__isnull=True)
                | Q(composite_index__gte=0, composite_index__lte=100),
                name="result_cpi_range",
            ),
        ]
        indexes = [models.Index(fields=["year", "subject", "grade", "group"])]

    def __str__(self) -> str:
        return f"{self.school_id} {self.year} {self.subject} {self.grade} {self.group}"

    @property
    def pct_proficient(self) -> float | None:
        if self.pct_level_3 is None or self.pct_level_4 is None:
            return None
        return self.pct_level_3 + self.pct_level_4


class SchoolYearProfile(models.Model):
    """Enrolment, demographics and non-test indicators of a school in one year.

    A missing value is NULL with its reason in ``missing_reasons`` — never zero.
    """

    school = models.ForeignKey(
        "organizations.School", on_delete=models.CASCADE, related_name="year_profiles"
    )
    year = models.PositiveSmallIntegerField()
    enrollment = models.PositiveIntegerField(null=True, blank=True)
    pct_high_needs = models.FloatField(null=True, blank=True)
    pct_econ_disadv = models.FloatField(null=True, blank=True)
    pct_el = models.FloatField(null=True, blank=True)
    pct_swd = models.FloatField(null=True, blank=True)
    pct_black = models.FloatField(null=True, blank=True)
    pct_asian = models.FloatField(null=True, blank=True)
    pct_hispanic = models.FloatField(null=True, blank=True)
    pct_white = models.FloatField(null=True, blank=True)
    pct_multirace = models.FloatField(null=True, blank=True)
    pct_amind = models.FloatField(null=True, blank=True)
    pct_pacisl = models.FloatField(null=True, blank=True)
    graduation_rate_4yr = models.FloatField(null=True, blank=True)
    dropout_rate = models.FloatField(null=True, blank=True)
    attendance_rate = models.FloatField(null=True, blank=True)
    chronic_absence_rate = models.FloatField(null=True, blank=True)
    missing_reasons = models.JSONField(
        default=dict,
        db_default={},  # rows inserted without the ORM (the demo loader) get {} too
        blank=True,
        help_text="why a value is missing: {field: reason}",
    )
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "year"], name="profile_unique_year"),
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.year}"


class StudentAssessment(models.Model):
    """A pseudonymous student's score: restricted data, never public, never logged."""

    student_key = models.CharField(max_length=64, help_text="pseudonymous id, never a state id")
    # no index of its own: the (school, year, subject) index below serves lookups by school
    school = models.ForeignKey(
        "organizations.School",
        on_delete=models.CASCADE,
        related_name="student_assessments",
        db_index=False,
    )
    year = models.PositiveSmallIntegerField()
    grade = models.CharField(max_length=2)
    subject = models.CharField(max_length=4, choices=Subject.choices)
    scale_score = models.FloatField()
    achievement_level = models.PositiveSmallIntegerField()
    is_high_needs = models.BooleanField(default=False)
    is_econ_disadv = models.BooleanField(default=False)
    is_el = models.BooleanField(default=False)
    is_swd = models.BooleanField(default=False)
    race = models.CharField(max_length=12, blank=True, default="")
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student_key", "year", "subject"], name="student_score_unique"
            ),
            models.CheckConstraint(
                condition=Q(achievement_level__gte=1, achievement_level__lte=4),
                name="student_level_range",
            ),
        ]
        indexes = [models.Index(fields=["school", "year", "subject"])]

    def __str__(self) -> str:
        return f"student record {self.pk}"
