"""Assessment pages (URL names are global and start with ``assessment_``; the report pages live
in ``urls_reports``)."""

from django.urls import path

from turnaround.assessments import (
    views,
    views_consensus,
    views_evidence,
    views_plan,
    views_ratings,
)

A = "assessments/<int:assessment_id>/"

urlpatterns = [
    path("assessments/", views.assessment_list_page, name="assessment_list"),
    path(
        "schools/<int:school_id>/assessments/new",
        views.assessment_new_for_school,
        name="assessment_new_school",
    ),
    path(
        "districts/<int:district_id>/assessments/new",
        views.assessment_new_for_district,
        name="assessment_new_district",
    ),
    path(A, views.assessment_home, name="assessment_detail"),
    path(A + "start/", views.assessment_start_view, name="assessment_start"),
    path(
        A + "move-to-consensus/",
        views.assessment_consensus_start_view,
        name="assessment_move_to_consensus",
    ),
    path(A + "finalise/", views.assessment_finalise_view, name="assessment_finalise"),
    # plan
    path(A + "plan/", views_plan.plan, name="assessment_plan"),
    path(A + "plan/dates/", views_plan.plan_update, name="assessment_plan_update"),
    path(A + "plan/team/", views_plan.team_add, name="assessment_team_add"),
    path(
        A + "plan/team/<int:member_id>/remove/",
        views_plan.team_remove,
        name="assessment_team_remove",
    ),
    path(A + "plan/schedule/", views_plan.schedule_add, name="assessment_schedule_add"),
    path(
        A + "plan/schedule/<int:item_id>/",
        views_plan.schedule_edit,
        name="assessment_schedule_edit",
    ),
    path(
        A + "plan/schedule/<int:item_id>/delete/",
        views_plan.schedule_delete,
        name="assessment_schedule_delete",
    ),
    path(A + "plan/documents/", views_plan.document_add, name="assessment_document_add"),
    path(
        A + "plan/documents/<int:request_id>/received/",
        views_plan.document_received,
        name="assessment_document_received",
    ),
    path(A + "plan/questions/", views_plan.questions_set, name="assessment_questionnaire_set"),
    path(A + "plan/answers/", views_plan.questions_answer, name="assessment_questionnaire_answer"),
    # evidence
    path(A + "evidence/", views_evidence.evidence_page, name="assessment_evidence"),
    path(A + "evidence/save/", views_evidence.evidence_submit, name="assessment_evidence_save"),
    path(
        A + "evidence/autosave/",
        views_evidence.evidence_autosave,
        name="assessment_evidence_autosave",
    ),
    path(
        A + "evidence/<int:evidence_id>/delete/",
        views_evidence.evidence_remove,
        name="assessment_evidence_delete",
    ),
    path(
        A + "evidence/<int:evidence_id>/file/",
        views_evidence.evidence_file,
        name="assessment_evidence_file",
    ),
    # ratings, consensus, amendments
    path(A + "ratings/", views_ratings.ratings, name="assessment_ratings"),
    path(A + "consensus/", views_consensus.consensus, name="assessment_consensus"),
    path(A + "findings/", views_consensus.finding_save, name="assessment_finding_save"),
    path(A + "summary/", views_consensus.summary_save, name="assessment_summary_save"),
    path(A + "amendments/", views_consensus.amendments, name="assessment_amendments"),
]
