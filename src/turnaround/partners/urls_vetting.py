"""Vetting pages (included by ``partners/urls.py`` under the ``partners`` namespace)."""

from django.urls import path

from turnaround.partners import views_vetting as v

urlpatterns = [
    path("partners/vetting/", v.cycles, name="cycles"),
    path("partners/vetting/new/", v.cycle_new, name="cycle_new"),
    path("partners/vetting/<int:cycle_id>/", v.cycle_detail, name="cycle_detail"),
    path("partners/vetting/<int:cycle_id>/edit/", v.cycle_edit, name="cycle_edit"),
    path("partners/vetting/<int:cycle_id>/status/", v.cycle_status, name="cycle_status"),
    path("partners/vetting/<int:cycle_id>/criteria/", v.cycle_criteria, name="cycle_criteria"),
    path("partners/vetting/<int:cycle_id>/apply/", v.application_new, name="application_new"),
    path(
        "partners/vetting/criteria/<int:criterion_id>/",
        v.criterion_edit,
        name="criterion_edit",
    ),
    path(
        "partners/vetting/criteria/<int:criterion_id>/delete/",
        v.criterion_delete,
        name="criterion_delete",
    ),
    path(
        "partners/vetting/applications/<int:application_id>/",
        v.application_detail,
        name="application_detail",
    ),
    path(
        "partners/vetting/applications/<int:application_id>/submit/",
        v.application_submit,
        name="application_submit",
    ),
    path(
        "partners/vetting/applications/<int:application_id>/withdraw/",
        v.application_withdraw,
        name="application_withdraw",
    ),
    path(
        "partners/vetting/applications/<int:application_id>/reviewers/",
        v.application_reviewers,
        name="application_reviewers",
    ),
    path(
        "partners/vetting/applications/<int:application_id>/scores/",
        v.application_scores,
        name="application_scores",
    ),
    path(
        "partners/vetting/applications/<int:application_id>/decision/",
        v.application_decision,
        name="application_decision",
    ),
    path("partners/vetting/reviews/", v.reviews, name="reviews"),
    path("partners/vetting/reviews/<int:review_id>/", v.review_detail, name="review_detail"),
    path(
        "partners/vetting/reviews/<int:review_id>/conflict/",
        v.review_conflict,
        name="review_conflict",
    ),
    path(
        "partners/vetting/reviews/<int:review_id>/scores/",
        v.review_scores,
        name="review_scores",
    ),
    path(
        "partners/vetting/reviews/<int:review_id>/submit/",
        v.review_submit,
        name="review_submit",
    ),
    path(
        "partners/vetting/reviews/<int:review_id>/unassign/",
        v.review_unassign,
        name="review_unassign",
    ),
    path("partners/designations/", v.designations, name="designations"),
    path(
        "partners/designations/<int:designation_id>/revoke/",
        v.designation_revoke,
        name="designation_revoke",
    ),
]
