"""The upload form: state, format, optional year and grade, the options of each format, and
the file.

Every format's own options (``Reader.declared_options``) are fields of the form, grouped by
format on the page (no script needed); only the chosen format's are read, and the service checks
their values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.db.models import QuerySet

from turnaround.imports.readers.base import ReaderOption
from turnaround.imports.selectors import ReaderInfo
from turnaround.imports.services import YEAR_MAX, YEAR_MIN
from turnaround.organizations.models import State


class ImportUploadForm(forms.Form):
    state = forms.ModelChoiceField(queryset=State.objects.none(), empty_label=None)
    reader = forms.ChoiceField(label="Format", widget=forms.RadioSelect)
    year = forms.IntegerField(
        label="School year (spring year, optional)",
        required=False,
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        help_text="2017 for 2016–17. Needed when the file does not say its year.",
    )
    grade = forms.IntegerField(
        label="Tested grade (optional)",
        required=False,
        min_value=3,
        max_value=12,
        help_text="For a file of one tested grade that does not say which (e.g. an MCAS export).",
    )
    file = forms.FileField(label="File")

    def __init__(
        self, *args: Any, states: QuerySet[State], readers: list[ReaderInfo], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.readers = {r.key: r for r in readers}
        self.fields["state"].queryset = states  # type: ignore[attr-defined]
        self.fields["reader"].choices = [(r.key, r.label) for r in readers]
        if states.count() == 1:
            self.fields["state"].initial = states.first()
        for info in readers:
            for option in info.options:
                self.fields[self.option_field(info.key, option.name)] = _option_field(option)

    @staticmethod
    def option_field(reader: str, name: str) -> str:
        return f"opt__{reader}__{name}"

    def option_groups(self) -> list[tuple[ReaderInfo, list[forms.BoundField]]]:
        """Per format with options: the format and its option fields (for the page)."""
        return [
            (info, [self[self.option_field(info.key, o.name)] for o in info.options])
            for info in self.readers.values()
            if info.options
        ]

    def reader_options(self) -> dict[str, Any]:
        """The chosen format's options as given (checked by the service)."""
        info = self.readers.get(self.cleaned_data.get("reader", ""))
        if info is None:
            return {}
        out = {}
        for option in info.options:
            value = self.cleaned_data.get(self.option_field(info.key, option.name))
            if value not in (None, "", []):
                out[option.name] = value
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        reader = self.readers.get(data.get("reader", ""))
        upload = data.get("file")
        if reader is not None and upload is not None:
            suffix = Path(upload.name or "").suffix.lower()
            if suffix not in reader.extensions:
                self.add_error(
                    "file",
                    f"{reader.label} reads {' or '.join(reader.extensions)} files; "
                    f"“{upload.name}” is not one.",
                )
        return data


def _option_field(option: ReaderOption) -> forms.Field:
    help_text = f"{option.help} ({option.syntax}.)"
    label = option.label
    if option.kind == "choice":
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[("", "Default"), *((a, a) for a in option.allowed)],
            help_text=help_text,
        )
    if option.kind == "choices":
        return forms.MultipleChoiceField(
            label=label,
            required=False,
            choices=[(a, a) for a in option.allowed],
            widget=forms.CheckboxSelectMultiple,
            help_text=option.help,
        )
    return forms.CharField(label=label, required=False, max_length=2000, help_text=help_text)
