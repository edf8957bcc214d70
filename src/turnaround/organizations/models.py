"""States, districts, schools, zones and partner organisations (DESIGN.md §2)."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from turnaround.organizations.grades import GRADE_CODES, grade_span_label

fips_validator = RegexValidator(r"^\d{2}$", "A state FIPS code is two digits, e.g. 25.")
usps_validator = RegexValidator(r"^[A-Z]{2}$", "A state code is two capital letters, e.g. MA.")
leaid_validator = RegexValidator(r"^\d{7}$", "An NCES LEAID is seven digits.")
ncessch_validator = RegexValidator(r"^\d{12}$", "An NCES school id (NCESSCH) is twelve digits.")
state_code_validator = RegexValidator(
    r"^[0-9A-Za-z-]{1,20}$", "A state organisation code is 1–20 letters, digits or dashes."
)


class State(models.Model):
    code = models.CharField(max_length=2, unique=True, validators=[usps_validator])
    fips = models.CharField(max_length=2, unique=True, validators=[fips_validator])
    name = models.CharField(max_length=100)
    data_note = models.TextField(
        blank=True,
        default="",
        help_text="shown on every page about this state, e.g. which figures are real or synthetic",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="districts")
    code = models.CharField("state district code", max_length=20, validators=[state_code_validator])
    nces_leaid = models.CharField(
        "NCES LEAID", max_length=7, blank=True, default="", validators=[leaid_validator]
    )
    name = models.CharField(max_length=200)
    is_charter = models.BooleanField("charter district", default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["state", "code"], name="district_code_unique_in_state"),
            models.UniqueConstraint(
                fields=["nces_leaid"], condition=~Q(nces_leaid=""), name="district_leaid_unique"
            ),
            models.CheckConstraint(
                condition=Q(nces_leaid="") | Q(nces_leaid__regex=r"^\d{7}$"),
                name="district_leaid_pattern",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SchoolType(models.TextChoices):
    EARLY_CHILDHOOD = "EC", "Early childhood"
    ELEMENTARY = "ES", "Elementary"
    ELEMENTARY_MIDDLE = "EMS", "Elementary–middle"
    MIDDLE = "MS", "Middle"
    MIDDLE_HIGH = "MHS", "Middle–high"
    HIGH = "HS", "High"
    K12 = "K12", "K–12"
    OTHER = "OTHER", "Other"


class TitleIStatus(models.TextChoices):
    SCHOOLWIDE = "schoolwide", "Title I schoolwide"
    TARGETED = "targeted", "Title I targeted assistance"
    NOT_TITLE_I = "none", "Not Title I"
    UNKNOWN = "unknown", "Not reported"


class School(models.Model):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="schools")
    code = models.CharField("state school code", max_length=20, validators=[state_code_validator])
    nces_id = models.CharField(
        "NCES school id", max_length=12, blank=True, default="", validators=[ncessch_validator]
    )
    name = models.CharField(max_length=200)
    school_type = models.CharField(max_length=5, choices=SchoolType.choices)
    grade_low = models.CharField(
        max_length=2,
        choices=[(g, g) for g in GRADE_CODES],
        blank=True,
        default="",
        help_text="lowest grade offered; empty for an ungraded school",
    )
    grade_high = models.CharField(
        max_length=2,
        choices=[(g, g) for g in GRADE_CODES],
        blank=True,
        default="",
        help_text="highest grade offered; empty for an ungraded school",
    )
    title_i = models.CharField(
        "Title I status", max_length=10, choices=TitleIStatus.choices, default=TitleIStatus.UNKNOWN
    )
    is_charter = models.BooleanField("charter school", default=False)
    town = models.CharField(max_length=100, blank=True, default="")
    address = models.CharField(max_length=200, blank=True, default="")
    zip_code = models.CharField(max_length=10, blank=True, default="")
    is_open = models.BooleanField(default=True)
    directory_year = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Spring year of the directory data the fields above came from (None when the "
        "file did not say); an import of an older directory does not overwrite them.",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="school_code_unique"),
            models.UniqueConstraint(
                fields=["nces_id"], condition=~Q(nces_id=""), name="school_nces_unique"
            ),
            models.CheckConstraint(
                condition=Q(nces_id="") | Q(nces_id__regex=r"^\d{12}$"),
                name="school_nces_pattern",
            ),
            models.CheckConstraint(
                condition=Q(school_type__in=SchoolType.values), name="school_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(title_i__in=TitleIStatus.values), name="school_title_i_valid"
            ),
            models.CheckConstraint(
                condition=(Q(grade_low="") & Q(grade_high=""))
                | (~Q(grade_low="") & ~Q(grade_high="")),
                name="school_grades_both_or_neither",
            ),
        ]
        indexes = [models.Index(fields=["code"])]

    def __str__(self) -> str:
        return self.name

    @property
    def grade_span(self) -> str:
        return grade_span_label(self.grade_low, self.grade_high)

    @property
    def is_title_i(self) -> bool:
        return self.title_i in (TitleIStatus.SCHOOLWIDE, TitleIStatus.TARGETED)


class PartnerOrganization(models.Model):
    """An external provider: the registry entry. Its services, contacts, evidence, vetting and
    engagements live in the ``partners`` app."""

    name = models.CharField(max_length=200, unique=True)
    website = models.URLField(blank=True, default="")
    description = models.TextField(blank=True, default="")
    #: a ``partners.models.CostModel`` code, with the detail in words
    cost_model = models.CharField(max_length=20, blank=True, default="")
    cost_notes = models.TextField(blank=True, default="")
    #: ``partners.needs.GradeBand`` codes
    grade_bands = models.JSONField(default=list, blank=True)
    #: where the partner works, in words ("Western Massachusetts", "statewide")
    regions = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    """Schools grouped under their own governance, with granted autonomies and operators."""

    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="zones")
    name = models.CharField(max_length=200)
    board = models.TextField("governing board", blank=True, default="")
    autonomy_hiring = models.BooleanField(default=False)
    autonomy_schedule = models.BooleanField(default=False)
    autonomy_budget = models.BooleanField(default=False)
    autonomy_curriculum = models.BooleanField(default=False)
    schools = models.ManyToManyField(School, related_name="zones", blank=True)
    operating_partners = models.ManyToManyField(
        PartnerOrganization, related_name="zones", blank=True
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["state", "name"], name="zone_name_unique_in_state")
        ]

    def __str__(self) -> str:
        return self.name


class IdentifierSystem(models.TextChoices):
    NCES_LEAID = "NCES_LEAID", "NCES LEAID"
    NCES_SCH = "NCES_SCH", "NCES school id"
    STATE_ORG = "STATE_ORG", "State organisation code"
    TX_CAMPUS = "TX_CAMPUS", "Texas campus id"
    CA_CDS = "CA_CDS", "California CDS code"
    EDFI_ID = "EDFI_ID", "Ed-Fi id"


class OrgIdentifier(models.Model):
    """One of an organisation's identifiers in one system, valid for a range of school years."""

    district = models.ForeignKey(
        District, null=True, blank=True, on_delete=models.CASCADE, related_name="identifiers"
    )
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.CASCADE, related_name="identifiers"
    )
    system = models.CharField(max_length=12, choices=IdentifierSystem.choices)
    value = models.CharField(max_length=40)
    valid_from = models.PositiveSmallIntegerField(null=True, blank=True)
    valid_to = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(district__isnull=False) & Q(school__isnull=True))
                | (Q(district__isnull=True) & Q(school__isnull=False)),
                name="identifier_belongs_to_one_org",
            ),
            models.UniqueConstraint(
                fields=["system", "value", "valid_from"], name="identifier_unique_per_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system}:{self.value}"
