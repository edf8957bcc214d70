from django import forms

from turnaround.organizations.models import School
from turnaround.organizations.services import SCHOOL_EDITABLE


class SchoolForm(forms.ModelForm):
    """A state administrator's edit of a school's identity; ``version`` detects stale edits."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = School
        fields = list(SCHOOL_EDITABLE)
        help_texts = {
            "nces_id": "Twelve digits, e.g. 250279000001. Leave empty if not known.",
            "zip_code": "Five digits, with leading zeros.",
        }

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "usa-checkbox__input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "usa-select")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "usa-input")

    def clean_zip_code(self) -> str:
        value = self.cleaned_data["zip_code"].strip()
        if value and not (len(value) in (5, 10) and value[:5].isdigit()):
            raise forms.ValidationError("A ZIP code is five digits (or ZIP+4, e.g. 02351-1234).")
        return value

    def _post_clean(self) -> None:
        # validation of the whole object happens in the service; keep the instance untouched here
        pass
