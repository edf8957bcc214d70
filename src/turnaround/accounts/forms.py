from django import forms
from django.utils import timezone


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What will use this token, e.g. “nightly results export”.",
    )
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires (optional)",
        help_text="A date such as 2027-06-30. Leave empty for a token that lasts until revoked.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_expires_at(self):  # type: ignore[no-untyped-def]
        value = self.cleaned_data.get("expires_at")
        if value is not None and value <= timezone.now():
            raise forms.ValidationError("The expiry date must be in the future.")
        return value
