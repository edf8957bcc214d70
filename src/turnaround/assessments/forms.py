"""Forms parse and check the shape of input, then views hand it to the services, which hold the
rules. ``version`` fields carry the version the editor loaded, for stale-edit detection."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from turnaround.accounts.models import User
from turnaround.assessments.models import Assessment, Evidence, ScheduleItem, TeamMember
from turnaround.frameworks.models import FrameworkVersion

NO_STUDENT_NAMES = (
    "Write roles, not names: no student names or other details that identify a student."
)


class UswdsMixin:
    """USWDS classes on every widget. Django links each control to its hint and its errors
    (``aria-describedby`` naming ``<id>_helptext`` and ``<id>_error``, the ids
    ``assessments/_field.html`` gives them)."""

    def style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "usa-checkbox__input")
            elif isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
                continue
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "usa-select")
            elif isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("class", "usa-textarea")
                widget.attrs.setdefault("rows", 3)
            elif isinstance(widget, forms.ClearableFileInput):
                widget.attrs.setdefault("class", "usa-file-input")
            else:
                widget.attrs.setdefault("class", "usa-input")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        full = obj.get_full_name()
        return f"{full} ({obj.get_username()})" if full else obj.get_username()


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: FrameworkVersion) -> str:  # type: ignore[override]
        label = f" — {obj.label}" if obj.label else ""
        return f"{obj.framework.name} v{obj.number}{label}"


# ---------------------------------------------------------------------------------------------
# Creating and planning


class AssessmentCreateForm(UswdsMixin, forms.Form):
    kind = forms.ChoiceField(
        label="Kind", choices=Assessment.Kind.choices, widget=forms.RadioSelect
    )
    framework_version = VersionChoiceField(
        label="Framework", queryset=FrameworkVersion.objects.none(), empty_label=None
    )
    title = forms.CharField(
        label="Title",
        required=False,
        max_length=300,
        help_text="Leave empty for “Site visit: school, year”.",
    )
    start_date = forms.DateField(label="First day", widget=DateInput())
    end_date = forms.DateField(
        label="Last day", widget=DateInput(), help_text="A site visit lasts one to three days."
    )
    school_year = forms.CharField(
        label="School year",
        required=False,
        max_length=9,
        help_text="e.g. 2025-26; leave empty to take it from the first day.",
    )
    lead = UserChoiceField(
        label="Lead reviewer",
        required=False,
        queryset=User.objects.none(),
        help_text="Site visits only: the person who plans the visit and records the consensus.",
    )
    purpose = forms.CharField(label="Purpose", required=False, widget=forms.Textarea)

    def __init__(
        self,
        *args: Any,
        kinds: list[tuple[str, str]],
        versions: Any,
        leads: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0][0]
        self.fields["framework_version"].queryset = versions
        self.fields["lead"].queryset = leads
        if not any(k == Assessment.Kind.SITE_VISIT for k, _ in kinds):
            del self.fields["lead"]
        self.style()


class AssessmentPlanForm(UswdsMixin, forms.Form):
    title = forms.CharField(label="Title", max_length=300)
    start_date = forms.DateField(label="First day", widget=DateInput())
    end_date = forms.DateField(label="Last day", widget=DateInput())
    school_year = forms.CharField(label="School year", max_length=9, help_text="e.g. 2025-26")
    purpose = forms.CharField(label="Purpose", required=False, widget=forms.Textarea)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "dates_%s")
        super().__init__(*args, **kwargs)
        self.style()


class TeamMemberForm(UswdsMixin, forms.Form):
    user = UserChoiceField(label="Person", queryset=User.objects.none())
    role = forms.ChoiceField(label="Role", choices=TeamMember.Role.choices)

    def __init__(self, *args: Any, users: Any, roles: list[tuple[str, str]], **kwargs: Any):
        kwargs.setdefault("auto_id", "team_%s")
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["role"].choices = roles
        self.style()


class ScheduleItemForm(UswdsMixin, forms.Form):
    day = forms.DateField(label="Day", widget=DateInput())
    starts_at = forms.TimeField(label="Starts", widget=TimeInput())
    ends_at = forms.TimeField(label="Ends", widget=TimeInput())
    activity = forms.ChoiceField(label="Activity", choices=ScheduleItem.Activity.choices)
    title = forms.CharField(label="What", max_length=200)
    participants = forms.CharField(
        label="Participants",
        required=False,
        max_length=300,
        help_text="Roles, not student names (e.g. grade 5 students, 8).",
    )
    location = forms.CharField(label="Room", required=False, max_length=100)
    reviewer = UserChoiceField(
        label="Reviewer", required=False, queryset=User.objects.none(), empty_label="—"
    )
    consent_required = forms.BooleanField(
        label="Consent required",
        required=False,
        help_text="Set automatically for focus groups and surveys with students.",
    )
    consent_recorded = forms.BooleanField(label="Consent recorded", required=False)

    def __init__(self, *args: Any, reviewers: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "schedule_%s")
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers
        self.style()


class DocumentRequestForm(UswdsMixin, forms.Form):
    title = forms.CharField(label="Document", max_length=200)
    description = forms.CharField(label="Details", required=False, widget=forms.Textarea)
    due_date = forms.DateField(label="Due", required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "doc_%s")
        super().__init__(*args, **kwargs)
        self.style()


class QuestionnaireForm(UswdsMixin, forms.Form):
    questions = forms.CharField(
        label="Questions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One question per line. Answers to unchanged questions are kept.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "questions_%s")
        super().__init__(*args, **kwargs)
        self.style()

    def question_list(self) -> list[str]:
        return [q.strip() for q in self.cleaned_data["questions"].splitlines() if q.strip()]


class QuestionnaireAnswerForm(UswdsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, questions: list[dict[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "answers_%s")
        super().__init__(*args, **kwargs)
        for i, item in enumerate(questions):
            self.fields[f"answer_{i}"] = forms.CharField(
                label=item.get("question", ""),
                required=False,
                initial=item.get("answer", ""),
                widget=forms.Textarea,
            )
        self.style()

    def answers(self) -> list[str]:
        return [self.cleaned_data[name] for name in self.fields if name.startswith("answer_")]


# ---------------------------------------------------------------------------------------------
# Evidence


class EvidenceForm(UswdsMixin, forms.Form):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label="Kind", choices=Evidence.Kind.choices)
    source = forms.CharField(
        label="Source",
        max_length=200,
        help_text="Who or what it came from, by role (e.g. grade 4 teachers, master schedule).",
    )
    note = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=NO_STUDENT_NAMES + " The draft saves itself as you type.",
    )
    indicators = forms.MultipleChoiceField(
        label="Indicators", required=False, widget=forms.CheckboxSelectMultiple
    )
    file = forms.FileField(
        label="File (optional)",
        required=False,
        help_text="PDF, office documents, text, CSV or photos; up to 10 MB. No student records.",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, indicator_codes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicators"].choices = [(c, c) for c in indicator_codes]
        if not self.is_bound and "client_id" not in self.initial:
            self.initial["client_id"] = uuid.uuid4()
        self.style()


# ---------------------------------------------------------------------------------------------
# Ratings


class RatingForm(forms.Form):
    """One indicator's rating: reviewer, consensus or self-assessment (fields used as needed)."""

    indicator = forms.CharField(max_length=32)
    level = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    rationale = forms.CharField(required=False, widget=forms.Textarea)
    strengths = forms.CharField(required=False, widget=forms.Textarea)
    challenges = forms.CharField(required=False, widget=forms.Textarea)
    evidence = forms.TypedMultipleChoiceField(required=False, coerce=int)
    not_priority = forms.BooleanField(required=False)
    not_priority_reason = forms.CharField(required=False, widget=forms.Textarea)
    priority_score = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=[("", "—"), (1, 1), (2, 2), (3, 3)]
    )
    opportunity_score = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=[("", "—"), (1, 1), (2, 2), (3, 3)]
    )
    version = forms.IntegerField(required=False, min_value=0)

    def __init__(self, *args: Any, level_codes: list[int], evidence_ids: list[int], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", "Not rated"), *[(c, c) for c in level_codes]]
        self.fields["evidence"].choices = [(i, i) for i in evidence_ids]


class FindingForm(forms.Form):
    practice = forms.CharField(max_length=32)
    strengths = forms.CharField(required=False, widget=forms.Textarea)
    challenges = forms.CharField(required=False, widget=forms.Textarea)
    version = forms.IntegerField(required=False, min_value=0)


class SummaryForm(forms.Form):
    executive_summary = forms.CharField(required=False, widget=forms.Textarea)
    version = forms.IntegerField(widget=forms.HiddenInput)


# ---------------------------------------------------------------------------------------------
# Amendments


class AmendForm(forms.Form):
    """One amendment: a rating (``indicator``), a finding (``practice``) or the summary.

    Empty text fields and "keep" leave the current value as it is.
    """

    KEEP = "keep"
    TARGETS = [("rating", "A rating"), ("finding", "Practice findings"), ("summary", "Summary")]
    target = forms.ChoiceField(choices=TARGETS)
    indicator = forms.CharField(required=False, max_length=32)
    practice = forms.CharField(required=False, max_length=32)
    level = forms.ChoiceField(required=False)
    rationale = forms.CharField(required=False, widget=forms.Textarea)
    strengths = forms.CharField(required=False, widget=forms.Textarea)
    challenges = forms.CharField(required=False, widget=forms.Textarea)
    executive_summary = forms.CharField(required=False, widget=forms.Textarea)
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea,
        help_text="Required: why the finalised assessment changes. Shown in the history.",
    )

    def __init__(self, *args: Any, level_codes: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [
            (self.KEEP, "Keep the current level"),
            ("", "Not rated"),
            *[(str(c), str(c)) for c in level_codes],
        ]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        if data["target"] == "rating":
            out: dict[str, Any] = {}
            if data["level"] not in (self.KEEP, None):
                out["level"] = int(data["level"]) if data["level"] != "" else None
            if data["rationale"].strip():
                out["rationale"] = data["rationale"]
            return out
        if data["target"] == "finding":
            return {k: data[k] for k in ("strengths", "challenges") if data[k].strip()}
        return {"executive_summary": data["executive_summary"]}
