"""The people page: a state administrator grants and removes roles in their state."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from turnaround.accounts.access import forget_reach, get_reach
from turnaround.accounts.models import STATE_ROLES, Membership, Role, User
from turnaround.accounts.services import (
    membership_add,
    membership_remove,
    user_create_with_membership,
)
from turnaround.organizations.models import District, PartnerOrganization, School, State


class PersonForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="Letters, digits and . _ - only.")
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices)
    district = forms.ModelChoiceField(
        queryset=District.objects.none(),
        required=False,
        help_text="For a district leader.",
    )
    school_code = forms.CharField(
        max_length=20,
        required=False,
        label="School code",
        help_text="For a school leader: the state school code, e.g. 00350505.",
    )
    partner = forms.ModelChoiceField(
        queryset=PartnerOrganization.objects.all(),
        required=False,
        help_text="For partner staff.",
    )
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        label="Initial password",
        help_text="At least 12 characters; needed only for a new account. "
        "Give it to the person privately; they can change it after signing in.",
    )

    def __init__(self, *args, state: State, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.state = state
        self.fields["district"].queryset = District.objects.filter(state=state)

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        role = data.get("role")
        if role == Role.DISTRICT_LEADER and not data.get("district"):
            self.add_error("district", "Choose the district this district leader works in.")
        if role == Role.SCHOOL_LEADER:
            code = (data.get("school_code") or "").strip()
            school = School.objects.filter(code=code, district__state=self.state).first()
            if school is None:
                self.add_error("school_code", f"No school with code {code!r} in {self.state}.")
            data["school"] = school
        if role == Role.PARTNER_STAFF and not data.get("partner"):
            self.add_error("partner", "Choose the partner organisation.")
        return data

    def organisation(self) -> object:
        role = self.cleaned_data["role"]
        if role in STATE_ROLES:
            return self.state
        return {
            Role.DISTRICT_LEADER: self.cleaned_data.get("district"),
            Role.SCHOOL_LEADER: self.cleaned_data.get("school"),
            Role.PARTNER_STAFF: self.cleaned_data.get("partner"),
        }[role]


def _admin_state(request: HttpRequest) -> State:
    reach = get_reach(request.user)
    state = State.objects.filter(pk__in=reach.admin_state_ids).order_by("name").first()
    if state is None:
        raise Http404("Not found.")
    return state


def _memberships_in(state: State):  # type: ignore[no-untyped-def]
    return Membership.objects.filter(
        Q(state=state)
        | Q(district__state=state)
        | Q(school__district__state=state)
        | Q(role=Role.PARTNER_STAFF, partner__engagements__school__district__state=state)
        | Q(role=Role.PARTNER_STAFF, partner__engagements__district__state=state)
        | Q(role=Role.PARTNER_STAFF, partner__applications__cycle__state=state)
    ).distinct()


@login_required
def people(request: HttpRequest) -> HttpResponse:
    state = _admin_state(request)
    form = PersonForm(request.POST or None, state=state)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _grant(request, form)
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                messages.success(
                    request,
                    f"{form.cleaned_data['username']} now has the role "
                    f"{Role(form.cleaned_data['role']).label} in {form.organisation()}.",
                )
                return redirect("accounts:people")
        status = 422
    q = request.GET.get("q", "").strip()
    memberships = (
        _memberships_in(state)
        .select_related("user", "state", "district", "school", "partner")
        .order_by("user__username", "role")
    )
    if q:
        memberships = memberships.filter(
            Q(user__username__icontains=q)
            | Q(user__email__icontains=q)
            | Q(user__last_name__icontains=q)
        )
    page = Paginator(memberships, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/people.html",
        {"form": form, "state": state, "page": page, "q": q},
        status=status,
    )


def _grant(request: HttpRequest, form: PersonForm) -> None:
    data = form.cleaned_data
    existing = User.objects.filter(username__iexact=data["username"]).first()
    with transaction.atomic():
        if existing is None:
            if not data.get("password"):
                raise ValidationError({"password": "A new account needs an initial password."})
            user_create_with_membership(
                actor=request.user,
                username=data["username"],
                email=data["email"],
                password=data["password"],
                role=data["role"],
                organisation=form.organisation(),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
        else:
            membership_add(
                actor=request.user,
                user=existing,
                role=data["role"],
                organisation=form.organisation(),
            )
            forget_reach(existing)


@login_required
@require_POST
def person_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    state = _admin_state(request)
    membership = _memberships_in(state).filter(pk=membership_id).select_related("user").first()
    if membership is None:
        raise Http404("Not found.")
    if membership.user_id == request.user.pk and membership.role == Role.STATE_ADMIN:
        messages.error(request, "You cannot remove your own administrator role.")
        return redirect("accounts:people")
    membership_remove(actor=request.user, membership=membership)
    messages.success(request, f"Removed {membership.user.username}'s role.")
    return redirect("accounts:people")
