"""Frameworks as data: framework → version → practices → components → indicators, rated on a scale.

- ``RatingScale`` / ``ScaleLevel`` — an ordered scale (codes 0…n-1, each with a label and a
  general descriptor), e.g. the four-level continuum (no evidence, developing, providing,
  sustaining) or the three-level implementation scale, whose lowest level may be marked
  "not a priority" with a reason (``RatingScale.allows_not_priority``). "Not rated" is the absence
  of a rating, never a level.
- ``Framework`` — a named family of versions (the Turnaround Practices, a district capacity
  framework). ``state`` is empty for the project's seeded frameworks, which every state may use.
- ``FrameworkVersion`` — one version of a framework's content. A *draft* may be edited; a
  *published* version is immutable (the services refuse edits, and ratings point at it); a new
  version starts as a copy of the previous one (``previous``) and each copied indicator keeps a link
  to the indicator it came from (``Indicator.derived_from``) so ratings compare across versions.
- ``Practice`` → ``Component`` → ``Indicator`` — the content. Codes are stable (``TP1``,
  ``TP1.A``, ``TP1.3``): the same code in two versions means the same thing.
- ``IndicatorDescriptor`` — what an indicator looks like at one scale level.
- ``Taxonomy`` / ``Tag`` — tagging vocabularies such as the Center on School Turnaround's twelve
  focus areas; indicators (and later library items and plan objectives) carry tags.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$",
    "A code is 1–32 letters, digits, dots, dashes or underscores, e.g. TP1.3.",
)
key_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,63}$", "A key is lower-case letters, digits and dashes, e.g. tp-school."
)


class RatingScale(models.Model):
    """An ordered rating scale. Immutable once a published framework version uses it."""

    state = models.ForeignKey(
        "organizations.State",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rating_scales",
        help_text="empty for the project's seeded scales, available to every state",
    )
    key = models.CharField(max_length=64, validators=[key_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    allows_not_priority = models.BooleanField(
        default=False,
        help_text="the lowest level may be marked “not a priority”, which needs a reason",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        constraints = [
            # two partial constraints: SQLite has no NULLS NOT DISTINCT
            models.UniqueConstraint(
                fields=["state", "key"],
                condition=Q(state__isnull=False),
                name="scale_key_unique_in_state",
            ),
            models.UniqueConstraint(
                fields=["key"], condition=Q(state__isnull=True), name="scale_key_unique_global"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ScaleLevel(models.Model):
    scale = models.ForeignKey(RatingScale, on_delete=models.CASCADE, related_name="levels")
    code = models.PositiveSmallIntegerField(help_text="0 is the lowest level")
    label = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["scale", "code"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "code"], name="scale_level_code_unique"),
            models.UniqueConstraint(fields=["scale", "label"], name="scale_level_label_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class Framework(models.Model):
    class Kind(models.TextChoices):
        SCHOOL = "school", "School practices"
        DISTRICT = "district", "District capacity"

    state = models.ForeignKey(
        "organizations.State",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="frameworks",
        help_text="empty for the project's seeded frameworks, available to every state",
    )
    key = models.CharField(max_length=64, validators=[key_validator])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SCHOOL)
    description = models.TextField(blank=True, default="")
    #: What this framework calls its levels, e.g. "Practice"/"Component" or "System"/"Support".
    practice_term = models.CharField(max_length=40, default="Practice")
    component_term = models.CharField(max_length=40, default="Component")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        constraints = [
            # two partial constraints: SQLite has no NULLS NOT DISTINCT
            models.UniqueConstraint(
                fields=["state", "key"],
                condition=Q(state__isnull=False),
                name="framework_key_unique_in_state",
            ),
            models.UniqueConstraint(
                fields=["key"], condition=Q(state__isnull=True), name="framework_key_unique_global"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FrameworkVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=100, blank=True, default="", help_text="e.g. 2016 rubric")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    scale = models.ForeignKey(
        RatingScale, on_delete=models.PROTECT, related_name="framework_versions"
    )
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="successors"
    )
    notes = models.TextField(blank=True, default="", help_text="what changed in this version")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["framework", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "number"], name="framework_version_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="framework_version_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        label = f" ({self.label})" if self.label else ""
        return f"{self.framework.name} v{self.number}{label}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Practice(models.Model):
    framework_version = models.ForeignKey(
        FrameworkVersion, on_delete=models.CASCADE, related_name="practices"
    )
    code = models.CharField(max_length=32, validators=[code_validator])
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=300)
    summary = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["framework_version", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework_version", "code"], name="practice_code_unique_in_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Component(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="components")
    code = models.CharField(max_length=32, validators=[code_validator])
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["practice", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "code"], name="component_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Indicator(models.Model):
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="indicators")
    #: Denormalised from component → practice so "unique code in a version" is a DB constraint.
    framework_version = models.ForeignKey(
        FrameworkVersion, on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.CharField(max_length=32, validators=[code_validator])
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField(help_text="the observable indicator, in one or two sentences")
    look_fors = models.TextField(
        blank=True, default="", help_text="what reviewers look and listen for"
    )
    is_key = models.BooleanField("KEY (high leverage)", default=False)
    derived_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="derivations",
        help_text="the indicator of the previous version this one continues (crosswalk)",
    )
    tags = models.ManyToManyField("Tag", blank=True, related_name="indicators")

    class Meta:
        ordering = ["framework_version", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework_version", "code"], name="indicator_code_unique_in_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:60]}"


class IndicatorDescriptor(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="descriptors")
    level_code = models.PositiveSmallIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["indicator", "level_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "level_code"], name="descriptor_unique_per_level"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} level {self.level_code}"


class Taxonomy(models.Model):
    key = models.CharField(max_length=64, unique=True, validators=[key_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    source = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "taxonomies"

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.CASCADE, related_name="tags")
    key = models.CharField(max_length=64, validators=[key_validator])
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["taxonomy", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["taxonomy", "key"], name="tag_key_unique_in_taxonomy"),
        ]

    def __str__(self) -> str:
        return self.name
