"""Forms of the framework pages. They check input and hand it to a service; the rules live there.

Every form that changes a draft carries the draft's ``version`` counter as a hidden field, so a
save made after someone else's is refused (409) instead of overwriting it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from turnaround.frameworks import io
from turnaround.frameworks.models import (
    Component,
    Framework,
    FrameworkVersion,
    Indicator,
    RatingScale,
    Tag,
)
from turnaround.frameworks.problems import FrameworkError
from turnaround.frameworks.selectors import crosswalk_source, scales_for
from turnaround.organizations.models import State

Group = tuple[str | None, list[forms.BoundField]]


class UswdsForm(forms.Form):
    """USWDS classes on every widget and grouped fieldsets. Django links each control to its hint
    and its errors (``aria-describedby`` naming ``<id>_helptext`` and ``<id>_error``, the ids
    ``frameworks/field.html`` gives them)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxSelectMultiple, forms.CheckboxInput)):
                widget.attrs.setdefault("class", "usa-checkbox__input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "usa-select")
            elif isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("class", "usa-textarea")
                if widget.attrs.get("rows") in (None, "10"):
                    widget.attrs["rows"] = 4
            elif isinstance(widget, forms.ClearableFileInput):
                widget.attrs.setdefault("class", "usa-file-input")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "usa-input")

    def groups(self) -> list[Group]:
        return [(None, list(self.visible_fields()))]

    def add_problems(self, exc: FrameworkError) -> None:
        """Show each problem at its field when the form has one, otherwise above the form."""
        for problem in exc.problems:
            field = problem.loc[0] if problem.loc else None
            if isinstance(field, str) and field in self.fields:
                self.add_error(field, problem.msg)
            else:
                self.add_error(None, str(problem))


class DraftForm(UswdsForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionDetailsForm(DraftForm):
    name = forms.CharField(label="Framework name", max_length=200)
    description = forms.CharField(label="Description", widget=forms.Textarea, required=False)
    practice_term = forms.CharField(
        label="What a practice is called",
        max_length=40,
        help_text="e.g. Practice or District system",
    )
    component_term = forms.CharField(
        label="What a component is called", max_length=40, help_text="e.g. Component or Support"
    )
    label = forms.CharField(
        label="Version label", max_length=100, required=False, help_text="e.g. 2026 rubric"
    )
    notes = forms.CharField(
        label="What changed in this version", widget=forms.Textarea, required=False
    )
    scale = forms.ModelChoiceField(label="Rating scale", queryset=RatingScale.objects.none())

    def __init__(self, *args: Any, draft: FrameworkVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scale"].queryset = scales_for(draft.framework.state)
        if not self.is_bound:
            framework = draft.framework
            self.initial.update(
                {
                    "version": draft.version,
                    "name": framework.name,
                    "description": framework.description,
                    "practice_term": framework.practice_term,
                    "component_term": framework.component_term,
                    "label": draft.label,
                    "notes": draft.notes,
                    "scale": draft.scale_id,
                }
            )


class PracticeForm(DraftForm):
    code = forms.CharField(max_length=32, help_text="Stable across versions, e.g. TP1")
    name = forms.CharField(max_length=300)
    summary = forms.CharField(widget=forms.Textarea, required=False)


class ComponentForm(DraftForm):
    code = forms.CharField(max_length=32, help_text="Stable across versions, e.g. TP1.A")
    name = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea, required=False)


class IndicatorForm(DraftForm):
    component = forms.ModelChoiceField(queryset=Component.objects.none())
    code = forms.CharField(
        max_length=32, help_text="Stable across versions: the same code means the same thing"
    )
    text = forms.CharField(
        label="Indicator",
        widget=forms.Textarea,
        help_text="What can be observed, in a sentence or two",
    )
    look_fors = forms.CharField(
        label="Look-fors",
        widget=forms.Textarea,
        required=False,
        help_text="What reviewers look and listen for",
    )
    is_key = forms.BooleanField(label="KEY indicator (high leverage)", required=False)
    derived_from = forms.ModelChoiceField(
        label="Continues indicator",
        queryset=Indicator.objects.none(),
        required=False,
        empty_label="None: a new indicator",
        help_text="The indicator of the earlier version this one continues, so ratings compare",
    )
    tags = forms.ModelMultipleChoiceField(
        label="Focus-area tags",
        queryset=Tag.objects.select_related("taxonomy"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        draft: FrameworkVersion,
        indicator: Indicator | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.draft = draft
        self.fields["component"].label = draft.framework.component_term
        self.fields["component"].queryset = Component.objects.filter(
            practice__framework_version=draft
        ).order_by("practice__position", "position", "code")
        source = crosswalk_source(draft)
        self.has_crosswalk = source is not None
        if source is not None:
            self.fields["derived_from"].queryset = source.indicators.order_by(
                "component__practice__position", "component__position", "position", "code"
            )
            self.fields["derived_from"].label_from_instance = lambda i: f"{i.code} {i.text[:80]}"
            self.fields["derived_from"].help_text = (
                f"The indicator of {source.framework.name} v{source.number} this one continues, "
                "so ratings compare across versions"
            )
        else:
            del self.fields["derived_from"]
        self.fields["tags"].label_from_instance = lambda t: f"{t.name}"
        self.levels = list(draft.scale.levels.all())
        for level in self.levels:
            self.fields[f"descriptor_{level.code}"] = forms.CharField(
                label=f"{level.code} {level.label}",
                widget=forms.Textarea(attrs={"class": "usa-textarea", "rows": 3}),
                required=False,
            )
        if not self.is_bound:
            self.initial["version"] = draft.version
            if indicator is not None:
                self.initial.update(
                    {
                        "component": indicator.component_id,
                        "code": indicator.code,
                        "text": indicator.text,
                        "look_fors": indicator.look_fors,
                        "is_key": indicator.is_key,
                        "derived_from": indicator.derived_from_id,
                        "tags": [t.pk for t in indicator.tags.all()],
                    }
                )
                for d in indicator.descriptors.all():
                    self.initial[f"descriptor_{d.level_code}"] = d.text

    def groups(self) -> list[Group]:
        descriptor_names = {f"descriptor_{lv.code}" for lv in self.levels}
        main = [f for f in self.visible_fields() if f.name not in descriptor_names]
        levels = [self[f"descriptor_{lv.code}"] for lv in self.levels]
        return [(None, main), ("What the indicator looks like at each level", levels)]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {
            "component": data["component"],
            "code": data["code"],
            "text": data["text"],
            "look_fors": data["look_fors"],
            "is_key": data["is_key"],
            "tags": list(data["tags"]),
            "descriptors": {lv.code: data.get(f"descriptor_{lv.code}", "") for lv in self.levels},
        }
        if "derived_from" in self.fields:
            out["derived_from"] = data["derived_from"]
        return out


class ConfirmForm(DraftForm):
    """A delete, discard, publish or move: only the counter (and for a move, the direction)."""


class MoveForm(DraftForm):
    offset = forms.TypedChoiceField(choices=[("-1", "up"), ("1", "down")], coerce=int)


def _states_field(states: QuerySet[State], label: str) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(queryset=states, label=label, empty_label=None)
    if states.count() == 1:
        field.widget = forms.HiddenInput()
        field.initial = states.first()
    return field


class ImportForm(UswdsForm):
    file = forms.FileField(
        label="Framework file",
        help_text="A YAML (.yaml, .yml) or JSON (.json) file in the framework schema, at most 2 MB",
    )

    def __init__(self, *args: Any, states: QuerySet[State], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"] = _states_field(states, "Import into")
        self.order_fields(["state", "file"])

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > io.MAX_DOCUMENT_BYTES:
            raise forms.ValidationError("The file is larger than 2 MB.")
        if not upload.name.lower().endswith((".yaml", ".yml", ".json")):
            raise forms.ValidationError("Choose a .yaml, .yml or .json file.")
        return upload


class CopyForm(UswdsForm):
    key = forms.CharField(
        max_length=64,
        help_text="Lower-case letters, digits and dashes; keep the shared key unless your state "
        "already uses it",
    )
    name = forms.CharField(max_length=200)

    def __init__(self, *args: Any, states: QuerySet[State], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"] = _states_field(states, "Copy into")
        self.order_fields(["state", "key", "name"])


class FrameworkCreateForm(UswdsForm):
    key = forms.CharField(
        max_length=64, help_text="Lower-case letters, digits and dashes, e.g. ma-district-review"
    )
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Framework.Kind.choices)
    scale = forms.ModelChoiceField(label="Rating scale", queryset=RatingScale.objects.none())
    practice_term = forms.CharField(label="What a practice is called", initial="Practice")
    component_term = forms.CharField(label="What a component is called", initial="Component")
    description = forms.CharField(widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, states: QuerySet[State], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"] = _states_field(states, "State")
        self.fields["scale"].queryset = RatingScale.objects.filter(
            state__isnull=True
        ) | RatingScale.objects.filter(state__in=states)
        self.order_fields(["state", "key", "name", "kind", "scale"])
