"""Engagement forms: they parse the input; ``services.engagements`` holds the rules.

The choices come from the views (what the user may record for, the registry, the chosen partner's
designations). ``version`` carries the version the editor loaded, for stale-edit detection.
"""

from __future__ import annotations

from typing import Any

from django import forms

from turnaround.assessments.forms import DateInput, UswdsMixin
from turnaround.organizations.models import District, PartnerOrganization, School
from turnaround.partners.models import FundingSource, NeedArea, PriorityDesignation
from turnaround.partners.selectors import designation_label

FERPA_HINT = (
    "The number or title of the written agreement with the district. Under FERPA §99.31(a)(1) "
    "it is what lets the partner's staff see the school's data; a school engagement needs one."
)


class SchoolChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: School) -> str:  # type: ignore[override]
        return f"{obj.name} ({obj.district.name}, {obj.code})"


class DistrictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: District) -> str:  # type: ignore[override]
        return f"{obj.name} ({obj.code})"


class DesignationChoiceField(forms.ModelChoiceField):
    #: label each designation with its partner (when the list is not one partner's)
    with_partner = False

    def label_from_instance(self, obj: PriorityDesignation) -> str:  # type: ignore[override]
        return designation_label(obj, with_partner=self.with_partner)


class EngagementForm(UswdsMixin, forms.Form):
    partner = forms.ModelChoiceField(
        label="Partner",
        queryset=PartnerOrganization.objects.none(),
        empty_label="Choose a partner",
        help_text="From the partner registry.",
    )
    designation = DesignationChoiceField(
        label="Priority Partner designation",
        required=False,
        queryset=PriorityDesignation.objects.none(),
        empty_label="None: not under a designation",
        help_text="The partner's designations in force, by area and dates. An engagement under "
        "a designation is in its area and within its dates.",
    )
    school = SchoolChoiceField(
        label="School",
        required=False,
        queryset=School.objects.none(),
        empty_label="—",
        help_text="The school served; leave empty for district-wide work.",
    )
    district = DistrictChoiceField(
        label="District (district-wide work)",
        required=False,
        queryset=District.objects.none(),
        empty_label="—",
        help_text="Only when the partner serves the district as a whole, not one school.",
    )
    need_area = forms.ChoiceField(label="Need area", choices=NeedArea.choices)
    scope = forms.CharField(
        label="Scope",
        widget=forms.Textarea,
        help_text="What the partner does, with whom, how often.",
    )
    starts_on = forms.DateField(label="Starts", widget=DateInput())
    ends_on = forms.DateField(label="Ends", widget=DateInput())
    cost = forms.DecimalField(
        label="Cost (US dollars)",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="The contract's total, in dollars and cents, e.g. 45000.00.",
    )
    funding_source = forms.ChoiceField(
        label="Funding source",
        required=False,
        choices=[("", "—"), *FundingSource.choices],
    )
    agreement_reference = forms.CharField(
        label="Written agreement", required=False, max_length=200, help_text=FERPA_HINT
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        partners: Any,
        schools: Any,
        districts: Any,
        designations: Any,
        designations_with_partner: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners
        self.fields["school"].queryset = schools
        self.fields["district"].queryset = districts
        field = self.fields["designation"]
        field.queryset = designations
        field.with_partner = designations_with_partner  # type: ignore[attr-defined]
        self.style()


class EngagementEndForm(UswdsMixin, forms.Form):
    ends_on = forms.DateField(
        label="New end date",
        widget=DateInput(),
        help_text="Earlier than the current end. From the day after, the partner's staff no "
        "longer see the school's data.",
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea,
        help_text="Why the engagement ends early; kept on record.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class EngagementDeleteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
