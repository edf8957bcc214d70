"""Plan pages under the ``plans`` namespace."""

from django.urls import include, path

app_name = "plans"

urlpatterns = [
    path("", include("turnaround.plans.urls_content")),
    path("", include("turnaround.plans.urls_workflow")),
]
