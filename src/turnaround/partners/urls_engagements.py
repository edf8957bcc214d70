"""Engagement pages (namespace ``partners``, included by ``partners/urls.py``)."""

from django.urls import URLPattern, path

from turnaround.partners import views_engagements as views

urlpatterns: list[URLPattern] = [
    path("partners/engagements/", views.engagement_list_page, name="engagements"),
    path(
        "partners/engagements/export.csv",
        views.engagements_export_csv,
        name="engagements_export_csv",
    ),
    path(
        "partners/engagements/export.xlsx",
        views.engagements_export_xlsx,
        name="engagements_export_xlsx",
    ),
    path("partners/engagements/new/", views.engagement_new, name="engagement_new"),
    path(
        "partners/engagements/designations/",
        views.engagement_designations,
        name="engagement_designations",
    ),
    path(
        "partners/engagements/<int:engagement_id>/",
        views.engagement_detail,
        name="engagement_detail",
    ),
    path(
        "partners/engagements/<int:engagement_id>/edit/",
        views.engagement_edit,
        name="engagement_edit",
    ),
    path(
        "partners/engagements/<int:engagement_id>/end/",
        views.engagement_end_page,
        name="engagement_end",
    ),
    path(
        "partners/engagements/<int:engagement_id>/delete/",
        views.engagement_delete_page,
        name="engagement_delete",
    ),
]
