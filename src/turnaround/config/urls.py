from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from turnaround.api.router import api


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("turnaround.web.urls")),
]
