"""The form that starts a growth run; the service validates again and does the work."""

from __future__ import annotations

from typing import Any

from django import forms

from turnaround.growth.models import GROWTH_SUBJECTS
from turnaround.organizations.models import State
from turnaround.performance.models import Subject

SUBJECT_LABELS = dict(Subject.choices)


class GrowthRunForm(forms.Form):
    state = forms.ModelChoiceField(queryset=State.objects.none(), empty_label=None)
    year = forms.TypedChoiceField(coerce=int, label="School year to score (spring year)")
    content_areas = forms.MultipleChoiceField(
        label="Subjects",
        choices=[(s, SUBJECT_LABELS[s]) for s in GROWTH_SUBJECTS],
        initial=list(GROWTH_SUBJECTS),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one subject."},
    )

    def __init__(self, *args: Any, states: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].queryset = states
        self.fields["year"].choices = [(y, f"{y - 1}–{str(y)[2:]}") for y in years]
        if years:
            self.fields["year"].initial = years[0]
