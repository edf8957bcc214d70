"""Forms of the accountability pages. They parse input; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms

from turnaround.accountability.models import DesignationStatus, ExitReview
from turnaround.analytics.accountability import ruleset_list
from turnaround.analytics.accountability.exit_criteria import KIND_LABELS, SPECS, Criterion

YEAR_MIN, YEAR_MAX = 1990, 2100


def _year_field(label: str, *, required: bool = True, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        required=required,
        help_text=help_text,
        error_messages={
            "invalid": "Enter a spring year such as 2017 (for 2016–17).",
            "required": "Enter the year.",
        },
    )


class RunForm(forms.Form):
    state = forms.ModelChoiceField(queryset=None, empty_label=None)  # type: ignore[arg-type]
    ruleset = forms.ChoiceField(label="Rule set")
    year = _year_field(
        "Accountability year (spring year)", help_text="2017 means the 2016–17 school year."
    )
    params = forms.CharField(
        label="Parameters (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One NAME=VALUE per line, e.g. cum_ppi_target=75; the rule set's defaults "
        "apply to the others.",
    )

    def __init__(self, *args: Any, states: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].queryset = states  # type: ignore[attr-defined]
        self.fields["ruleset"].choices = [  # type: ignore[attr-defined]
            (r.id, f"{r.id} — {r.title}") for r in ruleset_list()
        ]


class ConfirmForm(forms.Form):
    determination = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=DesignationStatus.choices)
    entered_year = _year_field("Year entered")
    eligible_exit_year = _year_field("Year eligible to exit", required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    override_note = forms.CharField(
        label="Override note (only past the 4% cap)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TransitionForm(forms.Form):
    ACTIONS = [
        ("start", "Start turnaround (identified → in turnaround)"),
        ("exit", "Exit the designation"),
        ("escalate", "Escalate to a more severe status"),
    ]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect)
    year = _year_field("First year out of the status", required=False)
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class ExitReviewForm(forms.Form):
    review_year = _year_field("Year judged (spring year)")
    decision = forms.ChoiceField(choices=ExitReview.Decision.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    next_review_year = _year_field("Next review (when continuing)", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class CriteriaForm(forms.Form):
    """One fieldset per criterion kind: a checkbox to use it and its parameters."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, current: list[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        given = {c.kind: c for c in current}
        for kind, specs in SPECS.items():
            chosen = given.get(kind)
            self.fields[f"{kind}__on"] = forms.BooleanField(
                label=KIND_LABELS[kind], required=False, initial=chosen is not None
            )
            for spec in specs:
                value = chosen.params[spec.name] if chosen is not None else spec.default
                self.fields[f"{kind}__{spec.name}"] = forms.CharField(
                    label=spec.name.replace("_", " "),
                    required=False,
                    initial=_shown(value),
                    help_text=spec.allowed(),
                )

    def groups(self) -> list[dict[str, Any]]:
        return [
            {
                "kind": kind,
                "label": KIND_LABELS[kind],
                "toggle": self[f"{kind}__on"],
                "params": [self[f"{kind}__{s.name}"] for s in specs],
            }
            for kind, specs in SPECS.items()
        ]

    def criteria_data(self) -> list[dict[str, Any]]:
        """The checked kinds with their parameters as typed (the service validates them)."""
        out = []
        for kind, specs in SPECS.items():
            if not self.cleaned_data.get(f"{kind}__on"):
                continue
            item: dict[str, Any] = {"kind": kind}
            for spec in specs:
                raw = (self.cleaned_data.get(f"{kind}__{spec.name}") or "").strip()
                if raw == "" and spec.kind != "float?":
                    continue
                item[spec.name] = raw if raw else None
            out.append(item)
        return out
