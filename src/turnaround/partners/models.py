"""Partners: the registry, vetting cycles, Priority Partner designations, engagements and impact.

- The **registry** is ``organizations.PartnerOrganization`` (name, website, description, cost
  model, grade bands, regions) with its ``ServiceOffering`` per need area, ``PartnerContact`` and
  ``EvidenceClaim`` (ESSA tier 1 strong … 4 rationale, study citation, what the evidence does and
  does not show). The public directory lists partners with a Priority Partner designation in force.
- A **vetting cycle** belongs to a state: weighted ``Criterion`` rows on one score scale, partner
  ``Application``\\s, ``ReviewAssignment``\\s (a reviewer declares a conflict of interest before
  scoring; a declared conflict forbids scoring), one ``Score`` per criterion, and a ``Decision``.
  An approval creates one ``PriorityDesignation`` per approved need area, from a start date to an
  expiry; a designation approved in a later cycle for the same partner, state and area records the
  one it renews.
- An **engagement** is a partner serving one school *or* one district of a state, in one need
  area, with scope, dates, cost and funding source. A school engagement in force, with its written
  agreement (FERPA §99.31(a)(1)), is what lets the partner's staff reach that school
  (``accounts.access``). An engagement made under a designation lies inside its dates and area.
- An **impact estimate** stores one run of ``turnaround.analytics.impact`` for a partner (and
  optionally one need area) on one outcome: the estimate with its interval, n, pre-trend test and
  caveats, or the reason it was refused.

Who sees what lives in ``access.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from turnaround.partners.needs import GradeBand, NeedArea

__all__ = [
    "Application",
    "CostModel",
    "Criterion",
    "Decision",
    "Engagement",
    "EvidenceClaim",
    "EvidenceTier",
    "FundingSource",
    "GradeBand",
    "ImpactEstimate",
    "NeedArea",
    "PartnerContact",
    "PriorityDesignation",
    "ReviewAssignment",
    "Score",
    "ServiceOffering",
    "VettingCycle",
]


class EvidenceTier(models.IntegerChoices):
    STRONG = 1, "Tier 1 — strong evidence"
    MODERATE = 2, "Tier 2 — moderate evidence"
    PROMISING = 3, "Tier 3 — promising evidence"
    RATIONALE = 4, "Tier 4 — demonstrates a rationale"


class CostModel(models.TextChoices):
    PER_SCHOOL = "per_school", "Fee per school"
    PER_PUPIL = "per_pupil", "Fee per pupil"
    HOURLY = "hourly", "Hourly or daily rate"
    FIXED = "fixed", "Fixed-price contract"
    NO_COST = "no_cost", "No cost to the district"
    OTHER = "other", "Other"


class FundingSource(models.TextChoices):
    TITLE_I_1003 = "title_i_1003", "Title I §1003 school improvement"
    TITLE_I = "title_i", "Title I, Part A"
    TITLE_II = "title_ii", "Title II, Part A"
    TITLE_IV = "title_iv", "Title IV, Parts A and B"
    STATE_GRANT = "state_grant", "State turnaround grant"
    DISTRICT = "district", "District general funds"
    PHILANTHROPY = "philanthropy", "Philanthropy"
    OTHER = "other", "Other"


class ServiceOffering(models.Model):
    """What a partner offers in one need area."""

    partner = models.ForeignKey(
        "organizations.PartnerOrganization", on_delete=models.CASCADE, related_name="services"
    )
    need_area = models.CharField(max_length=20, choices=NeedArea.choices)
    description = models.TextField()
    grade_bands = models.JSONField(default=list, blank=True, help_text="GradeBand codes")

    class Meta:
        ordering = ["partner", "need_area"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "need_area"], name="service_one_per_area")
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.get_need_area_display()}"


class PartnerContact(models.Model):
    partner = models.ForeignKey(
        "organizations.PartnerOrganization", on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["partner", "-is_primary", "name"]

    def __str__(self) -> str:
        return self.name


class EvidenceClaim(models.Model):
    """A claim that the partner's work improved something, with the study behind it."""

    class Design(models.TextChoices):
        RCT = "rct", "Randomised controlled trial"
        QED = "qed", "Quasi-experimental design"
        CORRELATIONAL = "correlational", "Correlational study with controls"
        LOGIC_MODEL = "logic_model", "Logic model grounded in research"
        NONE = "none", "No study"

    class WWCRating(models.TextChoices):
        NONE = "", "Not reviewed by the What Works Clearinghouse"
        WITHOUT_RESERVATIONS = "without", "Meets WWC standards without reservations"
        WITH_RESERVATIONS = "with", "Meets WWC standards with reservations"
        DOES_NOT_MEET = "does_not_meet", "Does not meet WWC standards"

    partner = models.ForeignKey(
        "organizations.PartnerOrganization", on_delete=models.CASCADE, related_name="evidence"
    )
    need_area = models.CharField(max_length=20, choices=NeedArea.choices)
    claim = models.CharField(max_length=300)
    outcome_domain = models.CharField(
        max_length=100, help_text="e.g. mathematics achievement, attendance, teacher retention"
    )
    study_citation = models.TextField(blank=True, default="")
    study_url = models.URLField(blank=True, default="")
    design = models.CharField(max_length=20, choices=Design.choices)
    tier = models.PositiveSmallIntegerField(choices=EvidenceTier.choices)
    wwc_rating = models.CharField(max_length=20, choices=WWCRating.choices, blank=True, default="")
    summary = models.TextField(help_text="what the evidence shows, and what it does not show")
    #: the state's confirmation of the tier (a vetting reviewer or state staff); empty = as claimed
    confirmed_tier = models.PositiveSmallIntegerField(
        choices=EvidenceTier.choices, null=True, blank=True
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["partner", "tier", "need_area"]
        constraints = [
            models.CheckConstraint(condition=Q(tier__gte=1, tier__lte=4), name="evidence_tier_1_4")
        ]

    def __str__(self) -> str:
        return self.claim

    @property
    def effective_tier(self) -> int:
        return self.confirmed_tier or self.tier


class VettingCycle(models.Model):
    """A state's call for partners: areas, dates, weighted criteria, reviewers, decisions."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for applications"
        REVIEW = "review", "In review"
        DECIDED = "decided", "Decided"

    state = models.ForeignKey(
        "organizations.State", on_delete=models.PROTECT, related_name="vetting_cycles"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    need_areas = models.JSONField(default=list, help_text="NeedArea codes the cycle vets")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    opens_on = models.DateField()
    closes_on = models.DateField()
    scale_min = models.PositiveSmallIntegerField(default=1)
    scale_max = models.PositiveSmallIntegerField(default=4)
    #: weighted mean score (on the scale) an application needs for approval to be proposed
    approval_threshold = models.DecimalField(max_digits=4, decimal_places=2, default=3)
    #: designations made in this cycle start on this date and expire after this many years
    designation_starts_on = models.DateField()
    designation_years = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-opens_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["state", "name"], name="cycle_name_unique_in_state"),
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")), name="cycle_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(scale_max__gt=F("scale_min")), name="cycle_scale_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    cycle = models.ForeignKey(VettingCycle, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    weight = models.DecimalField(max_digits=5, decimal_places=2, validators=[MinValueValidator(0)])
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["cycle", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "name"], name="criterion_name_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Application(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        WITHDRAWN = "withdrawn", "Withdrawn"
        DECIDED = "decided", "Decided"

    cycle = models.ForeignKey(VettingCycle, on_delete=models.PROTECT, related_name="applications")
    partner = models.ForeignKey(
        "organizations.PartnerOrganization", on_delete=models.PROTECT, related_name="applications"
    )
    need_areas = models.JSONField(default=list, help_text="NeedArea codes applied for")
    grade_bands = models.JSONField(default=list, blank=True)
    track_record = models.TextField(help_text="schools and districts served, and for how long")
    measured_results = models.TextField(help_text="results measured, how, and by whom")
    approach = models.TextField(help_text="the theory of action and what the partner does")
    capacity = models.TextField(blank=True, default="")
    references = models.TextField(blank=True, default="")
    evidence = models.ManyToManyField(EvidenceClaim, blank=True, related_name="applications")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["cycle", "partner__name"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "partner"], name="application_one_per_cycle")
        ]

    def __str__(self) -> str:
        return f"{self.partner} — {self.cycle}"


class ReviewAssignment(models.Model):
    """A reviewer assigned to one application: conflict declaration first, then scores."""

    class Conflict(models.TextChoices):
        UNDECLARED = "", "Not yet declared"
        NONE = "none", "No conflict of interest"
        DECLARED = "declared", "Conflict of interest declared"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner_reviews"
    )
    conflict = models.CharField(
        max_length=10, choices=Conflict.choices, blank=True, default=Conflict.UNDECLARED
    )
    conflict_note = models.TextField(blank=True, default="")
    declared_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["application", "reviewer__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="review_one_per_reviewer"
            ),
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | Q(conflict="none"),
                name="review_submitted_only_without_conflict",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.application}"


class Score(models.Model):
    review = models.ForeignKey(ReviewAssignment, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["review", "criterion__order"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="score_one_per_criterion")
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score}"


class Decision(models.Model):
    class Outcome(models.TextChoices):
        APPROVED = "approved", "Approved as a Priority Partner"
        DECLINED = "declined", "Not approved"

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="decision"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    #: the areas approved (a subset of the areas applied for); empty when declined
    need_areas = models.JSONField(default=list, blank=True)
    rationale = models.TextField()
    weighted_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.application}: {self.get_outcome_display()}"


class PriorityDesignation(models.Model):
    """A partner approved by a state for one need area from ``starts_on`` to ``expires_on``."""

    partner = models.ForeignKey(
        "organizations.PartnerOrganization", on_delete=models.PROTECT, related_name="designations"
    )
    state = models.ForeignKey(
        "organizations.State", on_delete=models.PROTECT, related_name="priority_designations"
    )
    need_area = models.CharField(max_length=20, choices=NeedArea.choices)
    decision = models.ForeignKey(
        Decision, on_delete=models.PROTECT, null=True, blank=True, related_name="designations"
    )
    starts_on = models.DateField()
    expires_on = models.DateField()
    #: the best confirmed ESSA tier behind the designation in this area (1–3 = "starred")
    evidence_tier = models.PositiveSmallIntegerField(
        choices=EvidenceTier.choices, null=True, blank=True
    )
    renews = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="renewed_by"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["state", "partner__name", "need_area", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=F("starts_on")), name="designation_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        area = self.get_need_area_display()
        return f"{self.partner}: {area} ({self.starts_on}–{self.expires_on})"

    @property
    def is_starred(self) -> bool:
        """Evidence-based (ESSA tiers 1–3): may be cited as such in turnaround plans."""
        return self.evidence_tier is not None and self.evidence_tier <= 3

    def in_force_on(self, day: object) -> bool:
        return self.revoked_at is None and self.starts_on <= day <= self.expires_on  # type: ignore[operator]


class Engagement(models.Model):
    """A partner serving one school or one district (FERPA: the agreement is the legal basis)."""

    partner = models.ForeignKey(
        "organizations.PartnerOrganization", on_delete=models.PROTECT, related_name="engagements"
    )
    school = models.ForeignKey(
        "organizations.School",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="engagements",
    )
    district = models.ForeignKey(
        "organizations.District",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="engagements",
    )
    need_area = models.CharField(max_length=20, choices=NeedArea.choices)
    scope = models.TextField(help_text="what the partner does, with whom, how often")
    starts_on = models.DateField()
    ends_on = models.DateField()
    cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    funding_source = models.CharField(
        max_length=20, choices=FundingSource.choices, blank=True, default=""
    )
    #: the written agreement that lets partner staff see the school's restricted data
    agreement_reference = models.CharField(max_length=200, blank=True, default="")
    designation = models.ForeignKey(
        PriorityDesignation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="engagements",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="engagement_dates_ordered"
            ),
            models.CheckConstraint(
                condition=(
                    Q(school__isnull=False, district__isnull=True)
                    | Q(school__isnull=True, district__isnull=False)
                ),
                name="engagement_school_or_district",
            ),
            models.CheckConstraint(
                condition=Q(cost__isnull=True) | Q(cost__gte=0), name="engagement_cost_positive"
            ),
        ]
        indexes = [models.Index(fields=["partner", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.partner} at {self.school or self.district} ({self.starts_on}–{self.ends_on})"

    @property
    def organisation(self) -> object:
        return self.school or self.district


class ImpactEstimate(models.Model):
    """One stored estimate of a partner's effect on one outcome (or why there is none)."""

    class Outcome(models.TextChoices):
        ACHIEVEMENT_ELA = "achievement_ela", "Achievement, ELA (CPI)"
        ACHIEVEMENT_MATH = "achievement_math", "Achievement, mathematics (CPI)"
        GROWTH_ELA = "growth_ela", "Growth, ELA (median SGP)"
        GROWTH_MATH = "growth_math", "Growth, mathematics (median SGP)"
        ATTENDANCE = "attendance", "Attendance rate (%)"
        CHRONIC_ABSENCE = "chronic_absence", "Chronic absence rate (%)"

    partner = models.ForeignKey(
        "organizations.PartnerOrganization", on_delete=models.CASCADE, related_name="impacts"
    )
    state = models.ForeignKey("organizations.State", on_delete=models.CASCADE, related_name="+")
    #: empty = every engagement of the partner in the state
    need_area = models.CharField(max_length=20, choices=NeedArea.choices, blank=True, default="")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    computed_at = models.DateTimeField(default=timezone.now)
    #: the estimate, or null when refused (``refusal`` says why)
    estimate = models.FloatField(null=True, blank=True)
    se = models.FloatField(null=True, blank=True)
    ci_low = models.FloatField(null=True, blank=True)
    ci_high = models.FloatField(null=True, blank=True)
    p_value = models.FloatField(null=True, blank=True)
    n_treated = models.PositiveIntegerField(default=0)
    n_comparison = models.PositiveIntegerField(default=0)
    pretrend_p_value = models.FloatField(null=True, blank=True)
    refusal = models.TextField(blank=True, default="")
    #: everything else of the result: cohorts, event-study leads and lags, caveats, method, years
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["partner", "need_area", "outcome"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "state", "need_area", "outcome"], name="impact_one_per_outcome"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.get_outcome_display()}"
