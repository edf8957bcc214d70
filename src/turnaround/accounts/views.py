"""Personal access tokens: create (the secret is shown once), list and revoke."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.views import LoginView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from turnaround.accounts.forms import TokenForm
from turnaround.accounts.models import ApiToken
from turnaround.accounts.services import token_create, token_revoke


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    new_key = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _, new_key = token_create(
                user=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                expires_at=form.cleaned_data.get("expires_at"),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form = TokenForm()
    status = 422 if form.errors else 200
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": ApiToken.objects.filter(user=request.user),
        },
        status=status,
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = token_revoke(user=request.user, token_id=token_id)  # type: ignore[arg-type]
    messages.success(request, f"Token “{token.name}” revoked; scripts using it stop working now.")
    return redirect("accounts:tokens")


class SignInView(LoginView):
    """allauth's sign-in, answering 429 Too Many Requests while failures are throttled."""

    def form_invalid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_invalid(form)
        throttled = get_adapter(self.request).error_messages["too_many_login_attempts"]
        if any(str(e) == str(throttled) for e in form.non_field_errors()):
            response.status_code = 429
        return response
