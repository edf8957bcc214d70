"""Self-assessments and site visits: plan, evidence, ratings, consensus, report, priorities.

An ``Assessment`` looks at one school *or* one district through one published framework version.

- kind ``self`` — a self-assessment by the school's (or district's) own team; the team records one
  rating per indicator directly as the ``ConsensusRating``.
- kind ``site_visit`` — an external team visits for 1–3 days. The lead plans the visit
  (``ScheduleItem``, ``DocumentRequest``, the pre-visit ``questionnaire``), the team captures
  ``Evidence`` tagged to indicators, each reviewer rates each indicator independently
  (``ReviewerRating``), the lead records the ``ConsensusRating`` where reviewers disagree, and
  finalising locks the assessment. After that, a change to a consensus rating or to the report text
  needs an ``Amendment`` (who, when, why, before and after).

Visibility (enforced in ``access.py``, never in templates): team members see everything of their
assessment; state staff see every assessment in their state; the assessed school or district sees
its own self-assessments and *finalised* site-visit reports — consensus ratings, findings and
priorities, never the evidence notes or the reviewers' individual ratings, which are the team's
working papers.

The rating level is a scale code (``frameworks.ScaleLevel.code``) or null for "not rated"
("no evidence collected" is not the same as the rating "No evidence").
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Assessment(models.Model):
    class Kind(models.TextChoices):
        SELF = "self", "Self-assessment"
        SITE_VISIT = "site_visit", "Site visit"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "Evidence and ratings"
        CONSENSUS = "consensus", "Consensus and report"
        FINALISED = "finalised", "Finalised"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    school = models.ForeignKey(
        "organizations.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
    )
    district = models.ForeignKey(
        "organizations.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
    )
    framework_version = models.ForeignKey(
        "frameworks.FrameworkVersion", on_delete=models.PROTECT, related_name="assessments"
    )
    title = models.CharField(max_length=300)
    school_year = models.CharField(
        max_length=9, help_text="the school year of the visit, e.g. 2025-26"
    )
    start_date = models.DateField()
    end_date = models.DateField()
    purpose = models.TextField(blank=True, default="")
    questionnaire = models.JSONField(
        default=list,
        blank=True,
        help_text="pre-visit questionnaire: a list of {question, answer} the school answers",
    )
    executive_summary = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(school__isnull=False) & Q(district__isnull=True))
                | (Q(school__isnull=True) & Q(district__isnull=False)),
                name="assessment_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="assessment_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(status="finalised") | Q(finalised_at__isnull=True),
                name="assessment_finalised_date_only_when_final",
            ),
        ]
        indexes = [models.Index(fields=["school", "start_date"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.FINALISED


class TeamMember(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", "Lead reviewer"
        REVIEWER = "reviewer", "Reviewer"
        SCHOOL_TEAM = "school_team", "School or district team member"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessment_seats"
    )
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["assessment", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "user"], name="team_member_unique"),
            models.UniqueConstraint(
                fields=["assessment"], condition=Q(role="lead"), name="one_lead_per_assessment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.user}"


class ScheduleItem(models.Model):
    class Activity(models.TextChoices):
        INTERVIEW = "interview", "Interview"
        FOCUS_GROUP = "focus_group", "Focus group"
        OBSERVATION = "observation", "Classroom observation"
        DOCUMENT_REVIEW = "document_review", "Document review"
        SURVEY = "survey", "Survey"
        MEETING = "meeting", "Meeting or debrief"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="schedule")
    day = models.DateField()
    starts_at = models.TimeField()
    ends_at = models.TimeField()
    activity = models.CharField(max_length=20, choices=Activity.choices)
    title = models.CharField(max_length=200)
    participants = models.CharField(
        max_length=300, blank=True, default="", help_text="roles, not student names"
    )
    location = models.CharField(max_length=100, blank=True, default="")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    consent_required = models.BooleanField(default=False)
    consent_recorded = models.BooleanField(default=False)

    class Meta:
        ordering = ["day", "starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="schedule_item_times_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.starts_at:%H:%M} {self.title}"


class DocumentRequest(models.Model):
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="document_requests"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    due_date = models.DateField(null=True, blank=True)
    received = models.BooleanField(default=False)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.title


class Evidence(models.Model):
    """One piece of evidence: the team's working paper, never shown to the assessed school."""

    class Kind(models.TextChoices):
        INTERVIEW = "interview", "Interview"
        FOCUS_GROUP = "focus_group", "Focus group"
        OBSERVATION = "observation", "Classroom observation"
        DOCUMENT = "document", "Document"
        SURVEY = "survey", "Survey"
        DATA = "data", "Data"
        OTHER = "other", "Other"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    #: Client-generated id so an autosave retried after a dropped connection is not stored twice.
    client_id = models.UUIDField(default=uuid.uuid4, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    source = models.CharField(
        max_length=200, help_text="who or what it came from, by role (e.g. grade 4 teachers)"
    )
    note = models.TextField()
    file = models.FileField(upload_to="evidence/%Y/%m/", blank=True, default="")
    indicators = models.ManyToManyField(
        "frameworks.Indicator", related_name="evidence", blank=False
    )
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    collected_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-collected_at", "-id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.source}"


class ReviewerRating(models.Model):
    """One reviewer's independent rating of one indicator (a working paper)."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="reviewer_ratings"
    )
    indicator = models.ForeignKey(
        "frameworks.Indicator", on_delete=models.PROTECT, related_name="reviewer_ratings"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField(null=True, blank=True, help_text="empty = not rated")
    rationale = models.TextField(blank=True, default="")
    evidence = models.ManyToManyField(Evidence, blank=True, related_name="reviewer_ratings")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["assessment", "indicator", "reviewer"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "indicator", "reviewer"], name="reviewer_rating_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} by {self.reviewer_id}: {self.level}"


class ConsensusRating(models.Model):
    """The assessment's rating of one indicator: the team's (self) or the lead's consensus."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="consensus_ratings"
    )
    indicator = models.ForeignKey(
        "frameworks.Indicator", on_delete=models.PROTECT, related_name="consensus_ratings"
    )
    level = models.PositiveSmallIntegerField(null=True, blank=True, help_text="empty = not rated")
    rationale = models.TextField(blank=True, default="")
    strengths = models.TextField(blank=True, default="")
    challenges = models.TextField(blank=True, default="")
    evidence = models.ManyToManyField(Evidence, blank=True, related_name="consensus_ratings")
    #: Scales with ``allows_not_priority``: the lowest level, marked not a priority, with a reason.
    not_priority = models.BooleanField(default=False)
    not_priority_reason = models.TextField(blank=True, default="")
    #: Indistar-style self-assessment fields (1–3 each), for indicators the team will work on.
    priority_score = models.PositiveSmallIntegerField(null=True, blank=True)
    opportunity_score = models.PositiveSmallIntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["assessment", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "indicator"], name="consensus_rating_unique"
            ),
            models.CheckConstraint(
                condition=Q(not_priority=False) | ~Q(not_priority_reason=""),
                name="not_priority_needs_reason",
            ),
            models.CheckConstraint(
                condition=Q(priority_score__isnull=True)
                | Q(priority_score__gte=1, priority_score__lte=3),
                name="priority_score_range",
            ),
            models.CheckConstraint(
                condition=Q(opportunity_score__isnull=True)
                | Q(opportunity_score__gte=1, opportunity_score__lte=3),
                name="opportunity_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.level}"


class PracticeFinding(models.Model):
    """Strengths and challenges the team writes for one practice (a report section)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="findings")
    practice = models.ForeignKey(
        "frameworks.Practice", on_delete=models.PROTECT, related_name="findings"
    )
    strengths = models.TextField(blank=True, default="")
    challenges = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["assessment", "practice"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "practice"], name="finding_unique"),
        ]

    def __str__(self) -> str:
        return f"findings on {self.practice_id}"


class Priority(models.Model):
    """A ranked priority from the findings, ready to become a plan objective."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        AGREED = "agreed", "Agreed with the school"
        IN_PLAN = "in_plan", "Taken into the plan"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="priorities")
    rank = models.PositiveSmallIntegerField()
    practice = models.ForeignKey(
        "frameworks.Practice", on_delete=models.PROTECT, related_name="priorities"
    )
    indicator = models.ForeignKey(
        "frameworks.Indicator",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="priorities",
    )
    title = models.CharField(max_length=300)
    why = models.TextField(help_text="what the evidence and ratings show")
    suggested_actions = models.TextField(blank=True, default="")
    owner = models.CharField(max_length=200, blank=True, default="", help_text="a role or name")
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["assessment", "rank"]
        verbose_name_plural = "priorities"
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "rank"],
                name="priority_rank_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.title}"


class Amendment(models.Model):
    """A change made to a finalised assessment: who, when, why, and the values before and after."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="amendments")
    target = models.CharField(max_length=200, help_text='what changed, e.g. "rating TP2.3"')
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    reason = models.TextField()
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-made_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="amendment_needs_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.target}: {self.reason[:60]}"
