from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from turnaround.accounts.views import SignInView
from turnaround.api.router import api


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("accounts/login/", SignInView.as_view(), name="account_login"),
    path("accounts/", include("allauth.urls")),
    path("account/", include("turnaround.accounts.urls")),
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("turnaround.growth.urls")),
    path("", include("turnaround.accountability.urls")),
    path("", include("turnaround.imports.urls")),
    path("", include("turnaround.frameworks.urls")),
    path("", include("turnaround.assessments.urls")),
    path("", include("turnaround.partners.urls")),
    path("", include("turnaround.plans.urls")),
    path("", include("turnaround.monitoring.urls")),
    path("", include("turnaround.web.urls")),
]

handler404 = "turnaround.web.views.page_not_found"
handler500 = "turnaround.web.views.server_error"
