"""Forms of the plan builder. They check the shape of the input only; every rule (ranges,
periods, dates, who may) is the services' — their messages land on these fields.

Numbers the services check against a range (targets, baselines, costs) are text fields here, so
a wrong value gets the service's message naming the metric and its range."""

from __future__ import annotations

from typing import Any

from django import forms

from turnaround.partners.models import FundingSource
from turnaround.performance.models import StudentGroup, Subject
from turnaround.plans.models import ActionStatus, BenchmarkKind, Metric, NeedStatement, Plan
from turnaround.plans.selectors import indicator_choices, owner_choices, priority_choices
from turnaround.plans.services._common import school_year_label
from turnaround.plans.templates_seed import template_choices

TEXT = forms.TextInput(attrs={"class": "usa-input"})
AREA = forms.Textarea(attrs={"class": "usa-textarea", "rows": 4})
SELECT = forms.Select(attrs={"class": "usa-select"})
MULTI = forms.SelectMultiple(attrs={"class": "usa-select", "size": 8})
DATE = forms.DateInput(attrs={"class": "usa-input", "type": "date"}, format="%Y-%m-%d")
NUMBER_TEXT = forms.TextInput(attrs={"class": "usa-input usa-input--small", "inputmode": "decimal"})
YEAR = forms.NumberInput(attrs={"class": "usa-input usa-input--small", "min": 2000, "max": 2100})

UNIT_CHOICES = [
    ("percent", "Percent (0–100)"),
    ("count", "Count (0 or more)"),
    ("number", "Number"),
]
QUARTER_CHOICES = [
    (1, "Q1 (July–September)"),
    (2, "Q2 (October–December)"),
    (3, "Q3 (January–March)"),
    (4, "Q4 (April–June)"),
]


def _version_field() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class _PlanItemForm(forms.Form):
    """A form about one plan: ``plan`` for its choices; ``editing`` adds the hidden version."""

    def __init__(self, *args: Any, plan: Plan, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        if editing:
            self.fields["version"] = _version_field()


def _year_choices(plan: Plan) -> list[tuple[int, str]]:
    return [(y, f"{y} ({school_year_label(y)})") for y in plan.years]


# ---------------------------------------------------------------------------------------------
# The plan itself


class PlanNewForm(forms.Form):
    START_CHOICES = [
        ("blank", "A blank plan"),
        ("template", "A template"),
        ("copy", "A copy of an earlier plan (shifted to the new years)"),
    ]
    title = forms.CharField(max_length=200, widget=TEXT)
    first_year = forms.IntegerField(
        label="First plan year (spring year)",
        help_text="e.g. 2027 for the school year 2026–27",
        widget=YEAR,
    )
    last_year = forms.IntegerField(
        label="Last plan year (spring year)", help_text="a plan covers 1 to 6 years", widget=YEAR
    )
    exit_eligible_year = forms.IntegerField(
        label="Year eligible to exit (spring year)",
        required=False,
        help_text="left blank: three years after the school entered its designation",
        widget=YEAR,
    )
    start = forms.ChoiceField(
        label="Start from", choices=START_CHOICES, widget=forms.RadioSelect, initial="blank"
    )
    template = forms.ChoiceField(label="Template", required=False, widget=SELECT)
    copy_from = forms.ChoiceField(label="Plan to copy", required=False, widget=SELECT)

    def __init__(self, *args: Any, copyable: list[Plan], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", "Choose a template"), *template_choices()]
        self.fields["copy_from"].choices = [("", "Choose a plan")] + [
            (str(p.pk), f"{p.organisation} — {p.title} ({p.first_year}–{p.last_year})")
            for p in copyable
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start = data.get("start")
        if start == "template" and not data.get("template"):
            self.add_error("template", "Choose the template to start from.")
        if start == "copy" and not data.get("copy_from"):
            self.add_error("copy_from", "Choose the plan to copy.")
        return data


class PlanCoverForm(forms.Form):
    title = forms.CharField(max_length=200, widget=TEXT)
    summary = forms.CharField(label="Executive summary", required=False, widget=AREA)
    first_year = forms.IntegerField(label="First plan year (spring year)", widget=YEAR)
    last_year = forms.IntegerField(label="Last plan year (spring year)", widget=YEAR)
    exit_eligible_year = forms.IntegerField(
        label="Year eligible to exit (spring year)", required=False, widget=YEAR
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# ---------------------------------------------------------------------------------------------
# Needs and root causes


class NeedForm(_PlanItemForm):
    statement = forms.CharField(
        label="Problem statement",
        help_text="the problem, with the numbers behind it",
        widget=AREA,
    )
    source = forms.ChoiceField(
        label="Drawn from", choices=NeedStatement.Source.choices, widget=SELECT
    )
    evidence = forms.CharField(required=False, widget=AREA)
    priority = forms.ChoiceField(
        label="Site-visit or self-assessment priority", required=False, widget=SELECT
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["priority"].choices = [("", "None"), *priority_choices(self.plan)]


class RootCauseForm(_PlanItemForm):
    cause = forms.CharField(label="Root cause", widget=AREA)
    evidence = forms.CharField(help_text="what shows this is a cause", widget=AREA)
    indicators = forms.MultipleChoiceField(
        label="Framework indicators",
        required=False,
        widget=MULTI,
        help_text="hold Ctrl (or ⌘) to choose several",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicators"].choices = indicator_choices(self.plan)


# ---------------------------------------------------------------------------------------------
# Goals


class GoalForm(_PlanItemForm):
    metric = forms.ChoiceField(label="What it measures", choices=Metric.choices, widget=SELECT)
    description = forms.CharField(
        label="Goal", max_length=300, widget=TEXT, help_text="e.g. ELA proficiency, all students"
    )
    subject = forms.ChoiceField(
        required=False, choices=[("", "No subject"), *Subject.choices], widget=SELECT
    )
    student_group = forms.ChoiceField(
        label="Student group", choices=StudentGroup.choices, widget=SELECT, initial="all"
    )
    baseline_value = forms.CharField(label="Baseline value", required=False, widget=NUMBER_TEXT)
    baseline_year = forms.CharField(
        label="Baseline year (spring year)", required=False, widget=NUMBER_TEXT
    )
    data_source = forms.CharField(label="Data source", required=False, widget=TEXT)
    statutory_area = forms.CharField(
        label="Goal area", required=False, widget=TEXT, help_text="the statutory area, if any"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for year in self.plan.years:
            self.fields[f"target_{year}"] = forms.CharField(
                label=f"Target for {school_year_label(year)}",
                required=False,
                widget=NUMBER_TEXT,
            )
        if "version" in self.fields:  # keep the hidden field last
            self.fields["version"] = self.fields.pop("version")

    def targets(self) -> dict[int, str]:
        return {year: self.cleaned_data.get(f"target_{year}", "") or "" for year in self.plan.years}


# ---------------------------------------------------------------------------------------------
# Objectives, strategies, actions


class ObjectiveForm(_PlanItemForm):
    title = forms.CharField(label="Objective", max_length=300, widget=TEXT)
    description = forms.CharField(
        label="What full implementation looks like", required=False, widget=AREA
    )
    indicators = forms.MultipleChoiceField(
        label="Framework indicators",
        required=False,
        widget=MULTI,
        help_text="hold Ctrl (or ⌘) to choose several",
    )
    priorities = forms.MultipleChoiceField(
        label="Site-visit or self-assessment priorities", required=False, widget=MULTI
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicators"].choices = indicator_choices(self.plan)
        self.fields["priorities"].choices = priority_choices(self.plan)


class StrategyForm(_PlanItemForm):
    title = forms.CharField(label="Strategy", max_length=300, widget=TEXT)
    rationale = forms.CharField(required=False, widget=AREA)


class ActionForm(_PlanItemForm):
    title = forms.CharField(label="Action", max_length=300, widget=TEXT)
    owner = forms.CharField(
        label="Owner", max_length=200, widget=TEXT, help_text="the person or role responsible"
    )
    owner_user = forms.ChoiceField(label="Owner's account", required=False, widget=SELECT)
    starts_on = forms.DateField(label="Start date", widget=DATE)
    due_on = forms.DateField(label="Due date", widget=DATE)
    status = forms.ChoiceField(choices=ActionStatus.choices, widget=SELECT)
    cost = forms.CharField(
        label="Cost (dollars)", required=False, widget=NUMBER_TEXT, help_text="0 or more"
    )
    funding_source = forms.ChoiceField(
        label="Funding source",
        required=False,
        choices=[("", "Not yet decided"), *FundingSource.choices],
        widget=SELECT,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_user"].choices = [("", "None")] + [
            (str(u.pk), u.get_full_name() or u.get_username()) for u in owner_choices(self.plan)
        ]


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionStatus.choices, widget=SELECT)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# ---------------------------------------------------------------------------------------------
# Benchmarks


class BenchmarkForm(_PlanItemForm):
    kind = forms.ChoiceField(choices=BenchmarkKind.choices, widget=forms.RadioSelect)
    measure = forms.CharField(max_length=300, widget=TEXT, help_text="what is measured, in words")
    data_source = forms.CharField(label="Data source", max_length=200, widget=TEXT)
    unit = forms.ChoiceField(choices=UNIT_CHOICES, widget=SELECT, initial="percent")
    baseline = forms.CharField(required=False, widget=NUMBER_TEXT)
    target = forms.CharField(widget=NUMBER_TEXT)
    due_year = forms.TypedChoiceField(label="School year due", coerce=int, widget=SELECT)
    due_quarter = forms.TypedChoiceField(
        label="Quarter due", coerce=int, choices=QUARTER_CHOICES, widget=SELECT
    )
    frequency = forms.CharField(
        max_length=50, required=False, widget=TEXT, initial="quarterly", help_text="e.g. monthly"
    )
    objective = forms.ChoiceField(label="Objective", required=False, widget=SELECT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due_year"].choices = _year_choices(self.plan)
        self.fields["objective"].choices = [("", "None")] + [
            (str(o.pk), o.title) for o in self.plan.objectives.filter(is_active=True)
        ]


# ---------------------------------------------------------------------------------------------
# Small forms


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


class NeedsFromAssessmentForm(forms.Form):
    assessment = forms.TypedChoiceField(label="Assessment", coerce=int, widget=SELECT)

    def __init__(self, *args: Any, assessments: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assessment"].choices = [
            (a.pk, f"{a.title} ({a.school_year})") for a in assessments
        ]
