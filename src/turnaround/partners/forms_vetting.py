"""Vetting forms: they check the shape of the input (dates, numbers, choices) and hand it to
``services.vetting``, which holds every rule (scale ranges, allowed moves, who may act).

``version`` fields carry the version the editor loaded, so a stale edit is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms

from turnaround.accounts.models import User
from turnaround.organizations.models import PartnerOrganization, State
from turnaround.partners.models import (
    Criterion,
    Decision,
    EvidenceClaim,
    ReviewAssignment,
    VettingCycle,
)
from turnaround.partners.needs import GradeBand, NeedArea, area_label


class _Uswds:
    """USWDS classes on every widget. Django links each control to its hint and its errors
    (``aria-describedby`` naming ``<id>_helptext`` and ``<id>_error``, the ids
    ``partners/_field.html`` gives them)."""

    def style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, (forms.HiddenInput, forms.RadioSelect)):
                continue
            if isinstance(widget, forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "usa-checkbox__input")
                continue
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "usa-select")
            elif isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("class", "usa-textarea")
                if str(widget.attrs.get("rows")) == "10":  # Django's default: too tall here
                    widget.attrs["rows"] = 4
            else:
                widget.attrs.setdefault("class", "usa-input")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _version_field() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, required=False)


def area_choices(codes: Iterable[str] | None = None) -> list[tuple[str, str]]:
    if codes is None:
        return [(str(v), str(label)) for v, label in NeedArea.choices]
    wanted = set(codes)
    return [(str(v), str(label)) for v, label in NeedArea.choices if v in wanted]


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        full = obj.get_full_name()
        return f"{full} ({obj.get_username()})" if full else obj.get_username()


class EvidenceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: EvidenceClaim) -> str:  # type: ignore[override]
        tier = f"tier {obj.effective_tier}"
        if obj.confirmed_tier:
            tier += " (confirmed)"
        return f"{obj.claim} — {area_label(obj.need_area)}, {tier}"


# ---------------------------------------------------------------------------------------------
# Cycles and criteria


class CycleForm(_Uswds, forms.Form):
    state = forms.ModelChoiceField(
        label="State", queryset=State.objects.none(), empty_label=None, required=False
    )
    name = forms.CharField(label="Name", max_length=200)
    description = forms.CharField(
        label="Description",
        required=False,
        widget=forms.Textarea,
        help_text="What the state is looking for, and how applications are judged.",
    )
    need_areas = forms.MultipleChoiceField(
        label="Need areas vetted",
        choices=area_choices(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    opens_on = forms.DateField(label="Applications open on", widget=DateInput())
    closes_on = forms.DateField(label="Applications close on", widget=DateInput())
    scale_min = forms.IntegerField(label="Lowest score", initial=1)
    scale_max = forms.IntegerField(label="Highest score", initial=4)
    approval_threshold = forms.DecimalField(
        label="Approval threshold",
        initial=3,
        max_digits=6,
        decimal_places=2,
        help_text="The weighted mean score an application needs for approval to be proposed.",
    )
    designation_starts_on = forms.DateField(
        label="Designations start on",
        widget=DateInput(),
        help_text="Every Priority Partner designation of this cycle starts on this date.",
    )
    designation_years = forms.IntegerField(
        label="Designations last (years)", initial=3, help_text="From 1 to 10 years."
    )
    version = _version_field()

    def __init__(self, *args: Any, states: Sequence[State] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(states) > 1:
            self.fields["state"].queryset = State.objects.filter(  # type: ignore[attr-defined]
                pk__in=[s.pk for s in states]
            )
            self.fields["state"].required = True
        else:
            del self.fields["state"]
        self.style()

    @classmethod
    def initial_for(cls, cycle: VettingCycle) -> dict[str, Any]:
        return {
            "name": cycle.name,
            "description": cycle.description,
            "need_areas": list(cycle.need_areas),
            "opens_on": cycle.opens_on,
            "closes_on": cycle.closes_on,
            "scale_min": cycle.scale_min,
            "scale_max": cycle.scale_max,
            "approval_threshold": cycle.approval_threshold,
            "designation_starts_on": cycle.designation_starts_on,
            "designation_years": cycle.designation_years,
            "version": cycle.version,
        }


class CriterionForm(_Uswds, forms.Form):
    name = forms.CharField(label="Criterion", max_length=200)
    weight = forms.DecimalField(
        label="Weight",
        max_digits=7,
        decimal_places=2,
        help_text="Above 0; a criterion of weight 2 counts twice as much as one of weight 1.",
    )
    description = forms.CharField(
        label="What reviewers look for", required=False, widget=forms.Textarea
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()

    @classmethod
    def initial_for(cls, criterion: Criterion) -> dict[str, Any]:
        return {
            "name": criterion.name,
            "weight": criterion.weight,
            "description": criterion.description,
        }


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=VettingCycle.Status.choices)
    version = _version_field()


# ---------------------------------------------------------------------------------------------
# Applications


class ApplicationForm(_Uswds, forms.Form):
    partner = forms.ModelChoiceField(
        label="Applying organisation",
        queryset=PartnerOrganization.objects.none(),
        empty_label=None,
        required=False,
    )
    need_areas = forms.MultipleChoiceField(
        label="Need areas applied for", widget=forms.CheckboxSelectMultiple, required=False
    )
    grade_bands = forms.MultipleChoiceField(
        label="Grade bands served",
        choices=GradeBand.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    track_record = forms.CharField(
        label="Track record",
        required=False,
        widget=forms.Textarea,
        help_text="The schools and districts you have served, and for how long.",
    )
    measured_results = forms.CharField(
        label="Measured results",
        required=False,
        widget=forms.Textarea,
        help_text="What improved, how it was measured, and by whom.",
    )
    approach = forms.CharField(
        label="Approach",
        required=False,
        widget=forms.Textarea,
        help_text="Your theory of action and what your staff do in a school.",
    )
    capacity = forms.CharField(
        label="Capacity",
        required=False,
        widget=forms.Textarea,
        help_text="How many schools you can serve well at once, and with whom.",
    )
    references = forms.CharField(
        label="References",
        required=False,
        widget=forms.Textarea,
        help_text="District or school leaders the state may contact.",
    )
    evidence = EvidenceChoiceField(
        label="Evidence claims",
        queryset=EvidenceClaim.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Claims from your registry entry that support this application.",
    )
    version = _version_field()

    def __init__(
        self,
        *args: Any,
        cycle: VettingCycle,
        partners: Sequence[Any] = (),
        evidence: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["need_areas"].choices = area_choices(cycle.need_areas)  # type: ignore[attr-defined]
        if evidence is not None:
            self.fields["evidence"].queryset = evidence  # type: ignore[attr-defined]
        if len(partners) > 1:
            self.fields["partner"].queryset = PartnerOrganization.objects.filter(  # type: ignore[attr-defined]
                pk__in=[p.pk for p in partners]
            )
            self.fields["partner"].required = True
        else:
            del self.fields["partner"]
        self.style()

    @classmethod
    def initial_for(cls, application: Any) -> dict[str, Any]:
        return {
            "need_areas": list(application.need_areas),
            "grade_bands": list(application.grade_bands),
            "track_record": application.track_record,
            "measured_results": application.measured_results,
            "approach": application.approach,
            "capacity": application.capacity,
            "references": application.references,
            "evidence": list(application.evidence.values_list("pk", flat=True)),
            "version": application.version,
        }


class VersionForm(forms.Form):
    version = _version_field()


# ---------------------------------------------------------------------------------------------
# Reviews


class AssignReviewerForm(_Uswds, forms.Form):
    reviewer = UserChoiceField(
        label="Reviewer",
        queryset=User.objects.none(),
        help_text="State administrators, state staff and reviewers of the state who do not work "
        "for the applicant.",
    )

    def __init__(self, *args: Any, reviewers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers  # type: ignore[attr-defined]
        self.style()


class ConflictForm(_Uswds, forms.Form):
    """Shares a page with ``ScoresForm``: its ids start with ``conflict_`` to stay unique."""

    conflict = forms.ChoiceField(
        label="Do you have a conflict of interest with this applicant?",
        choices=[
            (ReviewAssignment.Conflict.NONE.value, "No: I have no conflict of interest"),
            (
                ReviewAssignment.Conflict.DECLARED.value,
                "Yes: I declare a conflict of interest (I will not score)",
            ),
        ],
        widget=forms.RadioSelect,
    )
    conflict_note = forms.CharField(
        label="Describe the conflict",
        required=False,
        widget=forms.Textarea,
        help_text="Needed when you declare one: e.g. a former employer, a relative on its staff.",
    )
    version = _version_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "conflict_%s")
        super().__init__(*args, **kwargs)
        self.style()


def score_field_name(criterion_id: int) -> str:
    return f"score_{criterion_id}"


def comment_field_name(criterion_id: int) -> str:
    return f"comment_{criterion_id}"


class ScoresForm(_Uswds, forms.Form):
    """One whole-number score (and an optional comment) per criterion; the range is the
    service's check, so its message names the criterion and the scale."""

    comment = forms.CharField(label="Overall comment", required=False, widget=forms.Textarea)
    version = _version_field()

    def __init__(
        self, *args: Any, criteria: Sequence[Criterion], scale: tuple[int, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        low, high = scale
        self.criteria = list(criteria)
        comment = self.fields.pop("comment")
        version = self.fields.pop("version")
        for c in self.criteria:
            self.fields[score_field_name(c.pk)] = forms.IntegerField(
                label=f"Score for {c.name}",
                required=True,
                help_text=f"A whole number from {low} to {high}."
                + (f" {c.description}" if c.description else ""),
                widget=forms.NumberInput(attrs={"min": low, "max": high, "step": 1}),
                error_messages={
                    "required": f"Score “{c.name}”: a whole number from {low} to {high}.",
                    "invalid": f"“{c.name}”: give a whole number from {low} to {high}.",
                },
            )
            self.fields[comment_field_name(c.pk)] = forms.CharField(
                label=f"Comment on {c.name}", required=False, widget=forms.Textarea
            )
        self.fields["comment"] = comment
        self.fields["version"] = version
        self.style()

    def pairs(self) -> list[tuple[Criterion, forms.BoundField, forms.BoundField]]:
        """(criterion, score, comment) per criterion, for the template."""
        return [
            (c, self[score_field_name(c.pk)], self[comment_field_name(c.pk)]) for c in self.criteria
        ]

    @staticmethod
    def initial_for(review: ReviewAssignment) -> dict[str, Any]:
        data: dict[str, Any] = {"comment": review.comment, "version": review.version}
        for s in review.scores.all():
            data[score_field_name(s.criterion_id)] = s.score
            data[comment_field_name(s.criterion_id)] = s.comment
        return data


# ---------------------------------------------------------------------------------------------
# Decisions and designations


class DecisionForm(_Uswds, forms.Form):
    outcome = forms.ChoiceField(
        label="Decision", choices=Decision.Outcome.choices, widget=forms.RadioSelect
    )
    need_areas = forms.MultipleChoiceField(
        label="Areas approved",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Tick the areas approved (only areas applied for); none for a decline.",
    )
    rationale = forms.CharField(
        label="Rationale",
        widget=forms.Textarea,
        required=False,
        help_text="What the scores and evidence show, and why this decision.",
    )

    def __init__(self, *args: Any, areas: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["need_areas"].choices = area_choices(areas)  # type: ignore[attr-defined]
        self.style()


class RevokeForm(_Uswds, forms.Form):
    reason = forms.CharField(
        label="Reason for revoking", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()
