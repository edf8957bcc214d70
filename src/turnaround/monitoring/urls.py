"""Quarterly sessions, coaching and dashboards under the ``monitoring`` namespace."""

from django.urls import include, path

app_name = "monitoring"

urlpatterns = [
    path("", include("turnaround.monitoring.urls_sessions")),
    path("", include("turnaround.monitoring.urls_coaching")),
    path("", include("turnaround.monitoring.urls_dashboard")),
]
