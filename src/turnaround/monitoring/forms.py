"""Forms check the shape of input; the services hold the rules. ``version`` fields carry the
version the editor loaded, for stale-edit detection."""

from __future__ import annotations

from typing import Any

from django import forms

from turnaround.accounts.models import User
from turnaround.monitoring.models import BenchmarkStatus
from turnaround.monitoring.selectors import QUARTER_MONTHS, user_label
from turnaround.monitoring.services.coaching import COMMENT_MAX
from turnaround.plans.models import Objective, Plan


class UswdsMixin:
    """USWDS classes on every widget. Django links each control to its hint and its errors
    (``aria-describedby`` naming ``<id>_helptext`` and ``<id>_error``, the ids
    ``plans/_field.html`` gives them)."""

    def style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
                continue
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "usa-select")
            elif isinstance(widget, forms.Textarea):
                widget.attrs.setdefault("class", "usa-textarea")
                widget.attrs.setdefault("rows", 3)
            else:
                widget.attrs.setdefault("class", "usa-input")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        return user_label(obj)


class UsersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        return user_label(obj)


def _people(users: list[User]) -> Any:
    return User.objects.filter(pk__in=[u.pk for u in users]).order_by("last_name", "username")


class SessionScheduleForm(UswdsMixin, forms.Form):
    year = forms.TypedChoiceField(label="School year", coerce=int)
    quarter = forms.TypedChoiceField(
        label="Quarter reviewed",
        coerce=int,
        choices=[(q, f"Quarter {q} ({months})") for q, months in QUARTER_MONTHS.items()],
    )
    held_on = forms.DateField(
        label="Date of the session",
        widget=DateInput(),
        help_text="During the quarter, or in the month after it.",
    )
    participants = UsersChoiceField(
        label="Participants with an account",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_participants = forms.CharField(
        label="Other participants",
        required=False,
        widget=forms.Textarea,
        help_text="People without an account: “Name (role)”, one per line.",
    )

    def __init__(self, *args: Any, plan: Plan, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y - 1}–{str(y)[-2:]}") for y in plan.years]
        self.fields["participants"].queryset = _people(people)
        self.style()


class SessionDetailsForm(UswdsMixin, forms.Form):
    held_on = forms.DateField(label="Date of the session", widget=DateInput())
    participants = UsersChoiceField(
        label="Participants with an account",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_participants = forms.CharField(
        label="Other participants",
        required=False,
        widget=forms.Textarea,
        help_text="People without an account: “Name (role)”, one per line.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = _people(people)
        self.style()


class SessionNotesForm(UswdsMixin, forms.Form):
    notes = forms.CharField(
        label="Discussion notes", required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    decisions = forms.CharField(
        label="Decisions", required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class BenchmarkStatusForm(UswdsMixin, forms.Form):
    """One benchmark's row; the prefix is ``b<benchmark id>``."""

    status = forms.ChoiceField(
        label="Status", choices=BenchmarkStatus.Status.choices, widget=forms.RadioSelect
    )
    value = forms.FloatField(label="Current value", required=False)
    evidence = forms.CharField(label="Evidence", required=False, widget=forms.Textarea)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, unit: str = "number", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hints = {
            "percent": "A percentage, 0 to 100.",
            "count": "A count: a whole number, 0 or more.",
        }
        self.fields["value"].help_text = hints.get(unit, "A number.")
        self.fields["value"].widget.attrs["step"] = "1" if unit == "count" else "any"
        self.style()


class NextStepForm(UswdsMixin, forms.Form):
    description = forms.CharField(label="Next step", widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.CharField(
        label="Owner (name or role)",
        required=False,
        max_length=200,
        help_text="Leave empty to use the name of the person chosen below.",
    )
    owner_user = UserChoiceField(
        label="Owner's account", queryset=User.objects.none(), required=False
    )
    due_on = forms.DateField(label="Due date", widget=DateInput())
    objective = forms.ModelChoiceField(
        label="Objective it serves", queryset=Objective.objects.none(), required=False
    )

    def __init__(self, *args: Any, plan: Plan, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_user"].queryset = _people(people)
        self.fields["objective"].queryset = Objective.objects.filter(
            plan=plan, is_active=True
        ).order_by("order", "pk")
        self.style()


class NextStepCloseForm(UswdsMixin, forms.Form):
    closing_note = forms.CharField(
        label="What was done (closing note)", required=False, widget=forms.Textarea
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class CommentForm(UswdsMixin, forms.Form):
    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=COMMENT_MAX,
        help_text="A useful shape: one strength, one thing to improve, a question, the next "
        "step you will look for.",
    )
    parent = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


DASHBOARD_SORTS = [
    ("name", "School (A–Z)"),
    ("district", "District"),
    ("health", "Health (needs attention first)"),
    ("-off_track", "Share off track (highest first)"),
    ("on_track", "Share on track (lowest first)"),
    ("-overdue_actions", "Overdue actions (most first)"),
    ("-overdue_next_steps", "Overdue next steps (most first)"),
    ("last_session", "Last session (oldest first)"),
    ("-days_since_update", "Days since last update (most first)"),
    ("exit_year", "Exit-eligible year"),
]


class DashboardFilterForm(UswdsMixin, forms.Form):
    district = forms.TypedChoiceField(
        label="District", required=False, coerce=int, empty_value=None
    )
    health = forms.ChoiceField(
        label="Health",
        required=False,
        choices=[
            ("", "All"),
            ("red", "Needs attention (red)"),
            ("amber", "Watch (amber)"),
            ("green", "On course (green)"),
        ],
    )
    sort = forms.ChoiceField(label="Sort by", required=False, choices=DASHBOARD_SORTS)

    def __init__(
        self, *args: Any, districts: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if districts is None:
            del self.fields["district"]
        else:
            self.fields["district"].choices = [("", "All districts"), *districts]
        self.style()
