"""Partner pages under the ``partners`` namespace, one module per part of the issue."""

from django.urls import include, path

app_name = "partners"

urlpatterns = [
    path("", include("turnaround.partners.urls_registry")),
    path("", include("turnaround.partners.urls_vetting")),
    path("", include("turnaround.partners.urls_engagements")),
    path("", include("turnaround.partners.urls_impact")),
    path("", include("turnaround.partners.urls_matching")),
]
