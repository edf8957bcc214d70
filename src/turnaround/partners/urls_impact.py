"""A partner's scorecard (``partners:scorecard``), its recompute button and its downloads."""

from django.urls import path, re_path

from turnaround.partners import views_impact as views

urlpatterns = [
    path("partners/<int:partner_id>/scorecard/", views.scorecard, name="scorecard"),
    path(
        "partners/<int:partner_id>/scorecard/recompute/",
        views.scorecard_recompute,
        name="scorecard_recompute",
    ),
    re_path(
        r"^partners/(?P<partner_id>\d+)/scorecard/estimates\.(?P<fmt>csv|xlsx)$",
        views.scorecard_export,
        name="scorecard_export",
    ),
]
