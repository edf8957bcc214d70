"""Accountability pages (namespace ``accountability``), included at the site root.

State pages live under ``/states/<code>/accountability/``; a run, a designation and an exit
review have pages of their own; a school's history is ``/schools/<id>/accountability/``.
"""

from django.urls import path

from turnaround.accountability import views_board, views_designations, views_runs

app_name = "accountability"

urlpatterns = [
    path("states/<str:code>/accountability/", views_board.board, name="board"),
    path(
        "states/<str:code>/accountability/board.<str:fmt>",
        views_board.board_export,
        name="board_export",
    ),
    path(
        "states/<str:code>/accountability/determinations.<str:fmt>",
        views_board.determinations_export,
        name="determinations_export",
    ),
    path("states/<str:code>/accountability/cohorts/", views_board.cohorts, name="cohorts"),
    path(
        "states/<str:code>/accountability/cohorts.<str:fmt>",
        views_board.cohorts_export,
        name="cohorts_export",
    ),
    path("states/<str:code>/accountability/runs/", views_runs.runs_page, name="runs"),
    path("states/<str:code>/accountability/runs/new/", views_runs.run_start, name="run_start"),
    path("accountability/runs/<int:run_id>/", views_runs.run_detail, name="run"),
    path("accountability/runs/<int:run_id>/review/", views_runs.run_review, name="run_review"),
    path(
        "accountability/runs/<int:run_id>/determinations.<str:fmt>",
        views_runs.run_export,
        name="run_export",
    ),
    path(
        "accountability/designations/<int:designation_id>/",
        views_designations.designation_detail,
        name="designation",
    ),
    path(
        "accountability/designations/<int:designation_id>/criteria/",
        views_designations.designation_criteria,
        name="designation_criteria",
    ),
    path(
        "accountability/designations/<int:designation_id>/exit-review/",
        views_designations.exit_review,
        name="exit_review",
    ),
    path(
        "accountability/exit-reviews/<int:review_id>/",
        views_designations.exit_review_detail,
        name="exit_review_detail",
    ),
    path(
        "schools/<int:school_id>/accountability/",
        views_designations.school_accountability,
        name="school",
    ),
]
