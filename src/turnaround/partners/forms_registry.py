"""Forms of the registry pages: they parse the shape of the input; the services in
``partners.services.registry`` hold the rules (and their messages). ``version`` fields carry the
version the editor loaded, for stale-edit detection."""

from __future__ import annotations

from typing import Any

from django import forms

from turnaround.partners.models import CostModel, EvidenceClaim, EvidenceTier
from turnaround.partners.needs import GradeBand, NeedArea


class UswdsMixin:
    """USWDS classes on every widget. Django links each control to its hint and its errors
    (``aria-describedby`` naming ``<id>_helptext`` and ``<id>_error``, the ids
    ``partners/_field.html`` gives them)."""

    def style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, (forms.HiddenInput, forms.CheckboxSelectMultiple)):
                continue
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "usa-checkbox__input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "usa-select")
            elif isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("class", "usa-textarea")
                widget.attrs.setdefault("rows", 4)
            else:
                widget.attrs.setdefault("class", "usa-input")


def split_list(text: str) -> list[str]:
    """Regions typed one per line or separated by semicolons."""
    return [part.strip() for line in text.splitlines() for part in line.split(";") if part.strip()]


class PartnerForm(UswdsMixin, forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    website = forms.CharField(
        label="Website", required=False, help_text="A full address, e.g. https://example.org."
    )
    description = forms.CharField(
        label="Description",
        required=False,
        widget=forms.Textarea,
        help_text="What the partner does, for whom, and how.",
    )
    cost_model = forms.ChoiceField(
        label="Cost model", required=False, choices=[("", "Not stated"), *CostModel.choices]
    )
    cost_notes = forms.CharField(
        label="Cost notes",
        required=False,
        widget=forms.Textarea,
        help_text="Typical fees and what they cover.",
    )
    grade_bands = forms.MultipleChoiceField(
        label="Grade bands served",
        required=False,
        choices=GradeBand.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    regions = forms.CharField(
        label="Regions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Where the partner works: one region per line, e.g. “Western Massachusetts” "
        "or “statewide”.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()

    @classmethod
    def initial_for(cls, partner: Any) -> dict[str, Any]:
        return {
            "name": partner.name,
            "website": partner.website,
            "description": partner.description,
            "cost_model": partner.cost_model,
            "cost_notes": partner.cost_notes,
            "grade_bands": list(partner.grade_bands),
            "regions": "\n".join(partner.regions),
            "version": partner.version,
        }

    def values(self) -> dict[str, Any]:
        """The cleaned profile fields, in the services' terms."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "website": data["website"],
            "description": data["description"],
            "cost_model": data["cost_model"],
            "cost_notes": data["cost_notes"],
            "grade_bands": list(data["grade_bands"]),
            "regions": split_list(data["regions"]),
        }


class ServiceForm(UswdsMixin, forms.Form):
    need_area = forms.ChoiceField(
        label="Need area",
        choices=NeedArea.choices,
        help_text="One service per area: saving an area the partner already serves replaces it.",
    )
    description = forms.CharField(label="What the partner does in this area", widget=forms.Textarea)
    grade_bands = forms.MultipleChoiceField(
        label="Grade bands of this service",
        required=False,
        choices=GradeBand.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class ContactForm(UswdsMixin, forms.Form):
    contact_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label="Name", max_length=200)
    title = forms.CharField(label="Title", max_length=200, required=False)
    email = forms.CharField(label="Email", max_length=254, required=False)
    phone = forms.CharField(
        label="Phone",
        max_length=40,
        required=False,
        help_text="Shown to signed-in users only, never in the public directory.",
    )
    is_primary = forms.BooleanField(
        label="Primary contact (shown in the public directory: name and email)", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()

    def values(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("name", "title", "email", "phone", "is_primary")}


TIER_HELP = (
    "ESSA tiers: 1 strong (a randomised controlled trial), 2 moderate (a quasi-experimental "
    "study), 3 promising (a correlational study with statistical controls), 4 demonstrates a "
    "rationale (a logic model grounded in research). Tiers 1–3 need the study's citation."
)


class EvidenceForm(UswdsMixin, forms.Form):
    claim_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    need_area = forms.ChoiceField(label="Need area", choices=NeedArea.choices)
    claim = forms.CharField(
        label="Claim", max_length=300, help_text="What improved, for whom, by how much."
    )
    outcome_domain = forms.CharField(
        label="Outcome domain",
        max_length=100,
        help_text="e.g. mathematics achievement, attendance, teacher retention.",
    )
    tier = forms.TypedChoiceField(
        label="ESSA evidence tier",
        coerce=int,
        choices=[("", "Choose a tier"), *EvidenceTier.choices],
        help_text=TIER_HELP,
    )
    design = forms.ChoiceField(
        label="Study design", choices=[("", "Choose a design"), *EvidenceClaim.Design.choices]
    )
    wwc_rating = forms.ChoiceField(
        label="What Works Clearinghouse rating",
        required=False,
        choices=EvidenceClaim.WWCRating.choices,
    )
    study_citation = forms.CharField(
        label="Study citation",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Authors, year, title, publisher.",
    )
    study_url = forms.CharField(label="Link to the study", required=False)
    summary = forms.CharField(
        label="Summary",
        widget=forms.Textarea,
        help_text="What the evidence shows, and what it does not show.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()

    @classmethod
    def initial_for(cls, claim: EvidenceClaim) -> dict[str, Any]:
        return {
            "claim_id": claim.pk,
            "version": claim.version,
            **{
                name: getattr(claim, name)
                for name in (
                    "need_area",
                    "claim",
                    "outcome_domain",
                    "tier",
                    "design",
                    "wwc_rating",
                    "study_citation",
                    "study_url",
                    "summary",
                )
            },
        }

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            k: data[k]
            for k in (
                "need_area",
                "claim",
                "outcome_domain",
                "tier",
                "design",
                "wwc_rating",
                "study_citation",
                "study_url",
                "summary",
            )
        }


class ConfirmForm(UswdsMixin, forms.Form):
    """One per claim on the evidence page (prefixed by the claim, so ids stay unique)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    confirmed_tier = forms.TypedChoiceField(
        label="Confirmed tier",
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", "Not confirmed (clear)"), *EvidenceTier.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()
