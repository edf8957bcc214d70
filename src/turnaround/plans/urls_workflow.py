"""Workflow, versions, differences and downloads of a plan (included by ``plans/urls.py``)."""

from django.urls import path

from turnaround.plans import views_workflow as views

urlpatterns = [
    path("plans/<int:plan_id>/versions/", views.plan_versions, name="versions"),
    path("plans/<int:plan_id>/diff/", views.plan_diff, name="diff"),
    path("plans/<int:plan_id>/transition/", views.plan_transition_view, name="transition"),
    path("plans/<int:plan_id>/export.csv", views.plan_export, {"fmt": "csv"}, name="export_csv"),
    path("plans/<int:plan_id>/export.xlsx", views.plan_export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("plans/<int:plan_id>/plan.pdf", views.plan_pdf, name="pdf"),
]
