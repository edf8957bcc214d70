"""Plan health dashboards (namespace ``monitoring``)."""

from django.urls import path

from turnaround.monitoring import views_dashboard as views

urlpatterns = [
    path("states/<str:code>/plans/", views.dashboard_state, name="dashboard_state"),
    path(
        "states/<str:code>/plans/export.<str:fmt>",
        views.dashboard_state_export,
        name="dashboard_state_export",
    ),
    path("districts/<int:district_id>/plans/", views.dashboard_district, name="dashboard_district"),
    path(
        "districts/<int:district_id>/plans/export.<str:fmt>",
        views.dashboard_district_export,
        name="dashboard_district_export",
    ),
]
