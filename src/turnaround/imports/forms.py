"""The upload form: state, format, optional year and the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.db.models import QuerySet

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
