"""Quarterly session pages (namespace ``monitoring``)."""

from django.urls import path

from turnaround.monitoring import views_sessions as views

urlpatterns = [
    path("plans/<int:plan_id>/sessions/", views.sessions, name="sessions"),
    path("plans/<int:plan_id>/progress/", views.progress, name="progress"),
    path("plans/sessions/<int:session_id>/", views.session_detail, name="session_detail"),
    path("plans/sessions/<int:session_id>/open", views.session_open_view, name="session_open"),
    path("plans/sessions/<int:session_id>/details", views.session_details, name="session_details"),
    path("plans/sessions/<int:session_id>/notes", views.session_notes, name="session_notes"),
    path(
        "plans/sessions/<int:session_id>/benchmarks/<int:benchmark_id>",
        views.session_benchmark,
        name="session_benchmark",
    ),
    path(
        "plans/sessions/<int:session_id>/next-steps",
        views.session_next_step_add,
        name="session_next_step_add",
    ),
    path(
        "plans/next-steps/<int:step_id>/close",
        views.next_step_close_view,
        name="next_step_close",
    ),
    path("plans/sessions/<int:session_id>/hold", views.session_hold_view, name="session_hold"),
    path(
        "plans/sessions/<int:session_id>/minutes.pdf",
        views.session_minutes,
        name="session_minutes",
    ),
]
